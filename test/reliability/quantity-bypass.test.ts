/**
 * Issue 16 "Rule bypasses", near-zero quantities: a value below a millionth of its unit used to
 * pass the schema and round to 0 micro units, and "holds at least 0" is true for anyone. Each
 * bypass of the issue is replayed through the real ledger (and once over HTTP): it must be
 * refused with TRACE_QUANTITY_INVALID and leave the log and the projections as they were.
 */
import t, { type Test } from 'tap';
import { buildApp } from '../../src/http/app.js';
import { commission, item, kg, makeWorld, pcs, receive, ship, spec, sscc, transform, type World } from '../trace-world.js';

const WINDOW = 'urn:trace:sup:window-lot-1';
const ALUMINA = 'urn:trace:sup:alumina-lot-1';
const OUT = 'urn:trace:man:casting-1';
const PAL = sscc('09506000100000009');

async function world(t: Test): Promise<World> {
  const w = await makeWorld();
  t.teardown(() => w.L.close());
  await w.submit(w.sup, commission(
    spec(WINDOW, pcs(10)),
    spec(ALUMINA, kg(1000), { certificates: [{ scheme: 'ASI Performance', id: 'ASI-9' }], footprint: { kgCO2ePerUnit: 8 } }),
  ));
  return w;
}

async function refused(t: Test, w: World, who: World['sup'], fields: Record<string, unknown> & { type: string }, what: string) {
  const size = w.L.ledger.size();
  const dump = w.L.store.dumpProjections();
  await t.rejects(w.submit(who, fields), { code: 'TRACE_QUANTITY_INVALID' }, what);
  t.equal(w.L.ledger.size(), size, `${what}: log unchanged`);
  t.strictSame(w.L.store.dumpProjections(), dump, `${what}: projections unchanged`);
}

t.test('the bypasses of the issue, each with 1e-10 of a lot the signer never held', async (t) => {
  const w = await world(t);
  await refused(t, w, w.car, ship('man', [item(WINDOW, pcs(1e-10))]), 'carrier ships a window lot');
  await refused(t, w, w.man, transform([item(ALUMINA, kg(1e-10))], [spec(OUT, kg(1))]), 'manufacturer transforms an alumina lot');
  t.equal(w.L.store.object(OUT), undefined, 'no output whose upstream shows the alumina lot');
  await refused(t, w, w.man, { type: 'aggregate', parent: PAL, children: [item(WINDOW, pcs(1e-10))] }, 'manufacturer packs a window lot');
  await refused(t, w, w.ret, { type: 'track', status: 'delivered', recipient: 'order-1', objects: [item(WINDOW, pcs(1e-10))] }, 'retailer delivers a window lot');
  await refused(t, w, w.ret, { type: 'track', status: 'returned', recipient: 'order-1', objects: [item(WINDOW, pcs(1e-10))] }, 'retailer takes back what it never delivered');
});

t.test('every event type that carries a quantity refuses one below a millionth', async (t) => {
  const w = await world(t);
  await refused(t, w, w.sup, commission(spec('urn:trace:sup:dust-1', kg(1e-10))), 'commission');
  await refused(t, w, w.sup, transform([item(ALUMINA, kg(1))], [spec('urn:trace:sup:dust-2', kg(5e-10))]), 'transform output');
  const s = await w.submit(w.sup, ship('man', [item(WINDOW, pcs(2))]));
  await refused(t, w, w.man, receive(s.leafHash, [item(WINDOW, pcs(1e-9))]), 'receive');
  await w.submit(w.sup, { type: 'aggregate', parent: PAL, children: [item(ALUMINA, kg(10))] });
  await refused(t, w, w.sup, { type: 'disaggregate', parent: PAL, children: [item(ALUMINA, kg(1e-10))] }, 'disaggregate');
});

t.test('values between the unit scale and zero, and beyond the scale', async (t) => {
  const w = await world(t);
  for (const value of [1e-10, 5e-10, 1e-9, 9.999999e-10, 4.9e-7, 5e-7, 1.0000001, 0.0000015, -0, 0, -1, 1e300, Number.MAX_SAFE_INTEGER, 2 ** 53]) {
    await refused(t, w, w.sup, ship('man', [item(ALUMINA, kg(value))]), `ship ${Object.is(value, -0) ? '-0' : value} kg`);
  }
  // The smallest recordable amount and the largest are still accepted.
  await w.submit(w.sup, ship('man', [item(ALUMINA, kg(0.000001))]));
  await w.submit(w.sup, commission(spec('urn:trace:sup:big-1', kg(1e9))));
});

t.test('over HTTP: 400 problem+json with the code', async (t) => {
  const w = await world(t);
  const app = await buildApp({ ledger: w.L.ledger });
  t.teardown(() => app.close());
  const size = w.L.ledger.size();
  const res = await app.inject({ method: 'POST', url: '/v1/entries', payload: w.L.sign(w.car, ship('man', [item(WINDOW, pcs(1e-10))])) });
  t.equal(res.statusCode, 400);
  t.match(res.headers['content-type'], /^application\/problem\+json/);
  t.equal(res.json().code, 'TRACE_QUANTITY_INVALID');
  // Number spellings only JSON text can carry: each parses to a double the rule refuses.
  const body = JSON.stringify(w.L.sign(w.car, ship('man', [item(WINDOW, pcs(7))])));
  for (const text of ['1e-10', '0.00000000010', '1E-10', '-0', '0e5', '1e400', '-1e400', '0.00000001e1', '100000000000000000000000']) {
    const raw = await app.inject({ method: 'POST', url: '/v1/entries', headers: { 'content-type': 'application/json' }, payload: body.replace('"value":7', `"value":${text}`) });
    t.equal(raw.statusCode, 400, `${text}: 400`);
    t.equal(raw.json().code, 'TRACE_QUANTITY_INVALID', `${text}: code`);
  }
  t.equal(w.L.ledger.size(), size, 'nothing was appended');
});
