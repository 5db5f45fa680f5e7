/**
 * State rules of src/domain/rules.ts (docs/events.md "State rules"): every rule is broken
 * once, and each rejection must leave the log and every projection exactly as they were.
 */
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { toBase64Url, toHex } from '../../src/core/bytes.js';
import { hashLeaf } from '../../src/core/merkle.js';
import { recordLeafBytes } from '../../src/core/record.js';
import { party } from '../helpers.js';
import {
  commission, gtin, holdings, item, kg, makeWorld, pcs, receive, retract, ship, spec, sscc, transform, type World,
} from '../trace-world.js';

const LOT = 'urn:trace:sup:lot-1';
const LOT2 = 'urn:trace:sup:lot-2';
const M = 'urn:trace:man:part-1';
const OUT = 'urn:trace:man:out-1';
const PAL = sscc('03456789000000001');
const PAL2 = sscc('03456789000000002');

async function world(t: Test): Promise<World> {
  const w = await makeWorld();
  t.teardown(() => w.L.close());
  return w;
}

/**
 * Submit `entries`, expect the rejection `code` (and `match`, if given), and check that neither
 * the log nor any projection changed. Resolves to the error.
 */
async function rejected(t: Test, w: World, entries: unknown[], code: string, match: Record<string, unknown> = {}, what = code) {
  const size = w.L.ledger.size();
  const storeSize = w.L.store.size();
  const dump = w.L.store.dumpProjections();
  const p = w.L.ledger.submit(entries);
  await t.rejects(p, { code, ...match }, what);
  t.equal(w.L.ledger.size(), size, `${what}: log size unchanged`);
  t.equal(w.L.store.size(), storeSize, `${what}: store size unchanged`);
  t.strictSame(w.L.store.dumpProjections(), dump, `${what}: projections unchanged`);
  return (await p.catch((e: unknown) => e)) as { code: string; message: string; details?: Record<string, unknown> };
}

/** sup commissions LOT (1000 kg). */
async function lot(w: World) {
  return w.submit(w.sup, commission(spec(LOT, kg(1000), { footprint: { kgCO2ePerUnit: 8 } })));
}

/** sup commissions LOT and ships `q` kg of it to man with carrier car. */
async function shipped(w: World, q = 600) {
  const c = await lot(w);
  const s = await w.submit(w.sup, ship('man', [item(LOT, kg(q))], { carrier: 'car' }));
  return { c, s };
}

/** … and man receives all of it. */
async function received(w: World, q = 600) {
  const { c, s } = await shipped(w, q);
  const r = await w.submit(w.man, receive(s.leafHash, [item(LOT, kg(q))]));
  return { c, s, r };
}

// ---------------------------------------------------------------------------------------------

t.test('commission: a code is commissioned once', async (t) => {
  const w = await world(t);
  const c = await lot(w);
  const e = await rejected(t, w, [w.L.sign(w.sup, commission(spec(LOT, kg(5))))], 'TRACE_ALREADY_COMMISSIONED', {}, 'again by its producer');
  t.strictSame(e.details, { code: LOT, seq: c.seq });
  await rejected(t, w, [w.L.sign(w.sup2, commission(spec(LOT, kg(5))))], 'TRACE_ALREADY_COMMISSIONED', {}, 'again by someone else');
  // urn:trace:<participant>:… codes are minted by that participant only.
  const squat = await rejected(t, w, [w.L.sign(w.sup2, commission(spec('urn:trace:sup:lot-squat', kg(5))))], 'LEDGER_PERMISSION_DENIED', {}, "in another's namespace");
  t.match(squat.message, /namespace of "sup"/);

  // GS1 codes are compared in their canonical form, whatever host they were written with.
  const g = gtin('0950600013435');
  await w.submit(w.sup, commission(spec(`https://example.com/01/${g}/10/A1`, kg(1))));
  await rejected(t, w, [w.L.sign(w.sup, commission(spec(`https://id.gs1.org/01/${g}/10/A1`, kg(1))))], 'TRACE_ALREADY_COMMISSIONED', {
    details: { code: `https://id.gs1.org/01/${g}/10/A1` },
  }, 'other spelling');

  // twice within one entry: the schema refuses it (also in two spellings of one code)
  await rejected(t, w, [w.L.sign(w.sup, commission(spec(LOT2, kg(1)), spec(LOT2, kg(2))))], 'LEDGER_ENTRY_INVALID', {}, 'twice in one entry');
  await rejected(
    t, w, [w.L.sign(w.sup, commission(spec(`https://example.com/01/${g}/10/B2`, kg(1)), spec(`https://id.gs1.org/01/${g}/10/B2`, kg(1))))],
    'LEDGER_ENTRY_INVALID', {}, 'twice in one entry, two spellings',
  );
  // twice within one batch: the second entry sees the first
  await rejected(
    t, w, [w.L.sign(w.sup, commission(spec(LOT2, kg(1)))), w.L.sign(w.sup, commission(spec(LOT2, kg(1))))],
    'TRACE_ALREADY_COMMISSIONED', { details: { index: 1, code: LOT2 } }, 'twice in one batch',
  );
  await t.rejects(w.L.ledger.object(LOT2), { code: 'TRACE_OBJECT_NOT_FOUND' }, 'nothing of the batch was written');
});

t.test('commission: a transform output is a new code', async (t) => {
  const w = await world(t);
  await lot(w);
  await w.submit(w.man, commission(spec(M, kg(100))));
  const out = (code: string) => spec(code, kg(50), { level: 'semi' });
  const e = await rejected(t, w, [w.L.sign(w.man, transform([item(M, kg(10))], [out(LOT)]))], 'TRACE_ALREADY_COMMISSIONED', {}, 'output exists');
  t.match(e.details, { code: LOT });
  t.equal(e.details?.['seq'], (await w.L.ledger.object(LOT)).createdSeq);
  await rejected(t, w, [w.L.sign(w.man, transform([item(M, kg(10))], [out(M)]))], 'TRACE_ALREADY_COMMISSIONED', { details: { code: M } }, 'output is its input');
  await rejected(t, w, [w.L.sign(w.man, transform([item(M, kg(10))], [out(OUT), out(OUT)]))], 'LEDGER_ENTRY_INVALID', {}, 'two outputs with one code');
  await rejected(
    t, w, [w.L.sign(w.man, commission(spec(OUT, kg(1)))), w.L.sign(w.man, transform([item(M, kg(10))], [out(OUT)]))],
    'TRACE_ALREADY_COMMISSIONED', { details: { index: 1, code: OUT } }, 'output commissioned earlier in the batch',
  );
  // and an output cannot be re-produced by a later transform either
  await w.submit(w.man, transform([item(M, kg(10))], [out(OUT)]));
  await rejected(t, w, [w.L.sign(w.man, transform([item(M, kg(10))], [out(OUT)]))], 'TRACE_ALREADY_COMMISSIONED', {}, 'output produced before');
});

t.test('commission: only by a supplier or a manufacturer', async (t) => {
  const w = await world(t);
  for (const who of [w.car, w.lab, w.ret, w.L.operator]) {
    await rejected(t, w, [w.L.sign(who, commission(spec(`urn:trace:${who.id}:x-1`, kg(1))))], 'LEDGER_PERMISSION_DENIED', {}, `by ${who.id}`);
  }
  await w.submit(w.sup, commission(spec('urn:trace:sup:x-1', kg(1))));
  await w.submit(w.man, commission(spec('urn:trace:man:x-1', kg(1))));
  t.equal((await w.L.ledger.object('urn:trace:man:x-1')).producer, 'man');
});

t.test('only the holder transforms, ships, aggregates', async (t) => {
  const w = await world(t);
  await lot(w);
  const out = spec(OUT, kg(10), { level: 'semi' });
  await rejected(t, w, [w.L.sign(w.man2, transform([item(LOT, kg(10))], [out]))], 'TRACE_NOT_HOLDER', { details: { code: LOT } }, 'transform by a non-holder');
  await rejected(t, w, [w.L.sign(w.sup2, ship('man', [item(LOT, kg(10))]))], 'TRACE_NOT_HOLDER', { details: { code: LOT } }, 'ship by a non-holder');
  await rejected(t, w, [w.L.sign(w.man2, { type: 'aggregate', parent: PAL, children: [item(LOT, kg(10))] })], 'TRACE_NOT_HOLDER', { details: { code: LOT } }, 'aggregate by a non-holder');

  // Having shipped everything, the sender holds nothing.
  const s = await w.submit(w.sup, ship('man', [item(LOT, kg(1000))]));
  await rejected(t, w, [w.L.sign(w.sup, ship('man2', [item(LOT, kg(1))]))], 'TRACE_NOT_HOLDER', {}, 'ship after shipping everything');
  await w.submit(w.man, receive(s.leafHash, [item(LOT, kg(1000))]));
  await w.submit(w.man, { type: 'aggregate', parent: PAL, children: [item(LOT, kg(10))] });
  // Packing into somebody else's pallet needs holding the pallet.
  await w.submit(w.man2, commission(spec('urn:trace:man2:x-1', kg(5))));
  await rejected(t, w, [w.L.sign(w.man2, { type: 'aggregate', parent: PAL, children: [item('urn:trace:man2:x-1', kg(5))] })], 'TRACE_NOT_HOLDER', {
    details: { code: PAL },
  }, 'aggregate into a pallet held by another');
  // The new holder does all three.
  await w.submit(w.man, transform([item(LOT, kg(10))], [out]));
  await w.submit(w.man, ship('man2', [item(LOT, kg(10))]));
  t.strictSame(holdings(w.L, [LOT]), [[LOT, 'man', 970]]);
});

t.test('quantities consumed or shipped never exceed what remains', async (t) => {
  const w = await world(t);
  await lot(w);
  await w.submit(w.sup, ship('man', [item(LOT, kg(600))]));
  let e = await rejected(t, w, [w.L.sign(w.sup, ship('man', [item(LOT, kg(500))]))], 'TRACE_QUANTITY_EXCEEDED', {}, 'ship');
  t.strictSame(e.details, { code: LOT, remaining: 400, unit: 'KGM' });
  e = await rejected(t, w, [w.L.sign(w.sup, { type: 'aggregate', parent: PAL, children: [item(LOT, kg(400.000001))] })], 'TRACE_QUANTITY_EXCEEDED', {}, 'aggregate');
  t.equal(e.details?.['remaining'], 400);
  e = await rejected(t, w, [w.L.sign(w.sup, { type: 'track', status: 'delivered', recipient: 'order-1', objects: [item(LOT, kg(401))] })], 'TRACE_QUANTITY_EXCEEDED', {}, 'delivery');
  t.equal(e.details?.['remaining'], 400);

  await w.submit(w.man, commission(spec(M, kg(50))));
  e = await rejected(t, w, [w.L.sign(w.man, transform([item(M, kg(50.5))], [spec(OUT, kg(1), { level: 'semi' })]))], 'TRACE_QUANTITY_EXCEEDED', {}, 'transform');
  t.strictSame(e.details, { code: M, remaining: 50, unit: 'KGM' });

  // Millionths add up exactly: 0.1 + 0.2 + 0.7 is all of 1 kg, and then nothing is left.
  await w.submit(w.sup, commission(spec(LOT2, kg(1))));
  await w.submit(w.sup, ship('man', [item(LOT2, kg(0.1))]));
  await w.submit(w.sup, ship('man', [item(LOT2, kg(0.2))]));
  e = await rejected(t, w, [w.L.sign(w.sup, ship('man', [item(LOT2, kg(0.700001))]))], 'TRACE_QUANTITY_EXCEEDED', {}, 'one millionth too much');
  t.equal(e.details?.['remaining'], 0.7);
  await w.submit(w.sup, ship('man', [item(LOT2, kg(0.7))]));
  await rejected(t, w, [w.L.sign(w.sup, ship('man', [item(LOT2, kg(0.000001))]))], 'TRACE_NOT_HOLDER', {}, 'nothing left');
  t.strictSame(holdings(w.L, [LOT, LOT2]), [[LOT, 'sup', 400]]);
});

t.test('a rolled-back batch leaves no trace in what the rules read next (the store caches objects and holdings)', async (t) => {
  const w = await world(t);
  await lot(w);
  // The first entry ships 600 kg (the holding drops to 400 inside the batch), the second fails:
  // the batch rolls back, and the next shipment must again see all 1000 kg.
  await rejected(t, w, [w.L.sign(w.sup, ship('man', [item(LOT, kg(600))])), w.L.sign(w.sup, ship('man', [item(LOT, kg(500))]))], 'TRACE_QUANTITY_EXCEEDED', {}, 'second shipment of the batch');
  t.strictSame(holdings(w.L, [LOT]), [[LOT, 'sup', 1000]]);
  await w.submit(w.sup, ship('man', [item(LOT, kg(1000))]));
  t.strictSame(holdings(w.L, [LOT]), [], 'all of it shipped: the emptied holding is gone');
  // A commission rolled back with its batch: the code was never made, so it can be made again.
  await rejected(t, w, [w.L.sign(w.sup, commission(spec(LOT2, kg(5)))), w.L.sign(w.sup, ship('man', [item(LOT2, kg(6))]))], 'TRACE_QUANTITY_EXCEEDED', {}, 'commission then overdraw');
  await rejected(t, w, [w.L.sign(w.sup, ship('man', [item(LOT2, kg(1))]))], 'TRACE_OBJECT_UNKNOWN', {}, 'the rolled-back object is unknown');
  await w.submit(w.sup, commission(spec(LOT2, kg(5))));
  t.strictSame(holdings(w.L, [LOT2]), [[LOT2, 'sup', 5]]);
});

t.test('units are never converted', async (t) => {
  const w = await world(t);
  const { s } = await shipped(w);
  const tne = { value: 0.1, unit: 'TNE' };
  const mismatch = { details: { code: LOT, unit: 'KGM' } };
  await rejected(t, w, [w.L.sign(w.sup, ship('man', [item(LOT, tne)]))], 'TRACE_UNIT_MISMATCH', mismatch, 'ship');
  await rejected(t, w, [w.L.sign(w.man, receive(s.leafHash, [item(LOT, { value: 0.6, unit: 'TNE' })]))], 'TRACE_UNIT_MISMATCH', mismatch, 'receive');
  await rejected(t, w, [w.L.sign(w.sup, { type: 'aggregate', parent: PAL, children: [item(LOT, { value: 100, unit: 'LTR' })] })], 'TRACE_UNIT_MISMATCH', mismatch, 'aggregate');
  await rejected(t, w, [w.L.sign(w.sup, { type: 'track', status: 'delivered', recipient: 'x', objects: [item(LOT, pcs(1))] })], 'TRACE_UNIT_MISMATCH', mismatch, 'delivery');
  await w.submit(w.man, receive(s.leafHash, [item(LOT, kg(600))]));
  await rejected(t, w, [w.L.sign(w.man, transform([item(LOT, { value: 1000, unit: 'GRM' })], [spec(OUT, kg(1))]))], 'TRACE_UNIT_MISMATCH', mismatch, 'transform');
  await w.submit(w.man, { type: 'aggregate', parent: PAL, children: [item(LOT, kg(10))] });
  await rejected(t, w, [w.L.sign(w.man, { type: 'disaggregate', parent: PAL, children: [item(LOT, tne)] })], 'TRACE_UNIT_MISMATCH', mismatch, 'disaggregate');
});

t.test('entries naming an object that was never commissioned', async (t) => {
  const w = await world(t);
  const { s } = await shipped(w);
  const ghost = 'urn:trace:sup:ghost';
  const unknown = { details: { code: ghost } };
  const cases: Array<[string, unknown]> = [
    ['transform', w.L.sign(w.sup, transform([item(ghost, kg(1))], [spec(OUT, kg(1))]))],
    ['ship', w.L.sign(w.sup, ship('man', [item(ghost, kg(1))]))],
    ['aggregate', w.L.sign(w.sup, { type: 'aggregate', parent: PAL, children: [item(ghost, kg(1))] })],
    ['inspect', w.L.sign(w.lab, { type: 'inspect', objects: [ghost], result: 'pass' })],
    ['recall', w.L.sign(w.sup, { type: 'recall', objects: [ghost], reason: 'x' })],
    ['delivery', w.L.sign(w.sup, { type: 'track', status: 'delivered', recipient: 'x', objects: [item(ghost, kg(1))] })],
    ['receive', w.L.sign(w.man, receive(s.leafHash, [item(ghost, kg(1))]))],
  ];
  for (const [what, entry] of cases) await rejected(t, w, [entry], 'TRACE_OBJECT_UNKNOWN', unknown, what);
  await rejected(t, w, [w.L.sign(w.sup, { type: 'disaggregate', parent: PAL })], 'TRACE_OBJECT_UNKNOWN', { details: { code: PAL } }, 'disaggregate');
});

t.test('receive: only the addressee, once, at most what was shipped', async (t) => {
  const w = await world(t);
  const { c, s } = await shipped(w);
  const all = [item(LOT, kg(600))];
  for (const who of [w.man2, w.car, w.sup]) {
    await rejected(t, w, [w.L.sign(who, receive(s.leafHash, all))], 'TRACE_NOT_ADDRESSEE', {}, `by ${who.id}`);
  }
  let e = await rejected(t, w, [w.L.sign(w.man, receive(s.leafHash, [item(LOT, kg(600.5))]))], 'TRACE_QUANTITY_EXCEEDED', {}, 'more than shipped');
  t.match(e.details, { code: LOT, remaining: 600 });
  await w.submit(w.sup, commission(spec(LOT2, kg(1))));
  e = await rejected(t, w, [w.L.sign(w.man, receive(s.leafHash, [...all, item(LOT2, kg(1))]))], 'TRACE_QUANTITY_EXCEEDED', {}, 'a code not in the shipment');
  t.match(e.details, { code: LOT2, remaining: 0 });
  await rejected(t, w, [w.L.sign(w.man, receive(toHex(new Uint8Array(randomBytes(32))), all))], 'TRACE_SHIPMENT_UNKNOWN', {}, 'unknown leaf hash');
  await rejected(t, w, [w.L.sign(w.man, receive(c.leafHash, all))], 'TRACE_SHIPMENT_UNKNOWN', {}, 'leaf hash of a commission');
  await rejected(
    t, w, [w.L.sign(w.man, receive(s.leafHash, all)), w.L.sign(w.man, receive(s.leafHash, all))],
    'TRACE_ALREADY_RECEIVED', { details: { index: 1 } }, 'twice in one batch',
  );
  t.strictSame(holdings(w.L, [LOT]), [[LOT, 'sup', 400]], 'still in transit');
  const r = await w.submit(w.man, receive(s.leafHash, all));
  e = await rejected(t, w, [w.L.sign(w.man, receive(s.leafHash, all))], 'TRACE_ALREADY_RECEIVED', {}, 'again');
  t.equal(e.details?.['seq'], r.seq);
  t.strictSame(holdings(w.L, [LOT]), [[LOT, 'man', 600], [LOT, 'sup', 400]]);
});

t.test('receive: less than shipped is accepted and recorded as a discrepancy', async (t) => {
  const w = await world(t);
  const { s } = await shipped(w);
  const r = await w.submit(w.man, receive(s.leafHash, [item(LOT, kg(590))], { condition: 'partial', note: 'one drum short' }));
  t.strictSame(holdings(w.L, [LOT]), [[LOT, 'man', 590], [LOT, 'sup', 400]]);
  t.equal(w.L.store.inTransitTo(LOT, 'man'), 0, 'the shortfall is not in transit any more');
  const down = await w.L.ledger.downstream(LOT);
  t.strictSame(down.discrepancies, [
    { shipmentSeq: s.seq, receiveSeq: r.seq, code: LOT, shipped: kg(600), received: kg(590), missing: kg(10), condition: 'partial', note: 'one drum short' },
  ]);
  t.equal(down.shipments[0]!.status, 'received');

  // A receipt listing nothing: all of it went missing.
  const s2 = await w.submit(w.sup, ship('man', [item(LOT, kg(100))]));
  const r2 = await w.submit(w.man, receive(s2.leafHash, [], { condition: 'damaged' }));
  const down2 = await w.L.ledger.downstream(LOT);
  t.match(down2.discrepancies[1], { shipmentSeq: s2.seq, receiveSeq: r2.seq, received: kg(0), missing: kg(100), condition: 'damaged', note: null });
  t.strictSame(holdings(w.L, [LOT]), [[LOT, 'man', 590], [LOT, 'sup', 300]]);
});

t.test('a recalled input cannot be consumed', async (t) => {
  const w = await world(t);
  await received(w);
  const rc = await w.submit(w.sup, { type: 'recall', objects: [LOT], reason: 'contaminated' });
  t.equal((await w.L.ledger.object(LOT)).recalledSeq, rc.seq);
  await rejected(t, w, [w.L.sign(w.man, transform([item(LOT, kg(1))], [spec(OUT, kg(1))]))], 'TRACE_OBJECT_RECALLED', { details: { code: LOT, seq: rc.seq } });
});

t.test('an object in transit cannot be consumed, shipped or packed by its addressee', async (t) => {
  const w = await world(t);
  await shipped(w);
  const inTransit = { details: { code: LOT } };
  await rejected(t, w, [w.L.sign(w.man, transform([item(LOT, kg(1))], [spec(OUT, kg(1))]))], 'TRACE_OBJECT_IN_TRANSIT', inTransit, 'transform');
  await rejected(t, w, [w.L.sign(w.man, ship('man2', [item(LOT, kg(1))]))], 'TRACE_OBJECT_IN_TRANSIT', inTransit, 'ship');
  await rejected(t, w, [w.L.sign(w.man, { type: 'aggregate', parent: PAL, children: [item(LOT, kg(1))] })], 'TRACE_OBJECT_IN_TRANSIT', inTransit, 'aggregate');
  // the sender still uses what it kept
  await w.submit(w.sup, ship('man2', [item(LOT, kg(400))]));
});

t.test('recall: only by the producer or an operator', async (t) => {
  const w = await world(t);
  await received(w);
  for (const who of [w.man, w.lab, w.sup2]) {
    await rejected(t, w, [w.L.sign(who, { type: 'recall', objects: [LOT], reason: 'x' })], 'LEDGER_PERMISSION_DENIED', {}, `by ${who.id}`);
  }
  const byOperator = await w.submit(w.L.operator, { type: 'recall', objects: [LOT], reason: 'authority order' });
  t.equal((await w.L.ledger.object(LOT)).recalledSeq, byOperator.seq);
  const byProducer = await w.submit(w.sup, { type: 'recall', objects: [LOT], reason: 'supplier notice' });
  t.equal((await w.L.ledger.object(LOT)).recalledSeq, byProducer.seq, 'the latest recall stands');
  await w.submit(w.man, commission(spec(M, kg(1))));
  await w.submit(w.man, { type: 'recall', objects: [M], reason: 'own product' });
});

t.test('inspect: only by the holder or an inspector', async (t) => {
  const w = await world(t);
  const { s } = await shipped(w);
  const inspect = { type: 'inspect', objects: [LOT], result: 'pass' };
  for (const who of [w.ret, w.car, w.man]) {
    await rejected(t, w, [w.L.sign(who, inspect)], 'TRACE_NOT_HOLDER', { details: { code: LOT } }, `by ${who.id}`);
  }
  await w.submit(w.sup, inspect);
  await w.submit(w.lab, inspect);
  await w.submit(w.man, receive(s.leafHash, [item(LOT, kg(600))]));
  await w.submit(w.man, inspect);
  const up = await w.L.ledger.upstream(LOT);
  t.strictSame(up.nodes[0]!.inspections.map((i) => i.signer), ['sup', 'lab', 'man']);
});

t.test('track: a shipment by its sender, carrier or addressee; deliveries by the holder', async (t) => {
  const w = await world(t);
  const { s } = await shipped(w);
  const status = { type: 'track', status: 'in_transit', shipment: s.leafHash };
  for (const who of [w.ret, w.man2, w.lab]) {
    await rejected(t, w, [w.L.sign(who, status)], 'LEDGER_PERMISSION_DENIED', {}, `by ${who.id}`);
  }
  await rejected(t, w, [w.L.sign(w.car, { ...status, shipment: toHex(new Uint8Array(32)) })], 'TRACE_SHIPMENT_UNKNOWN', {}, 'unknown shipment');
  for (const who of [w.car, w.sup, w.man]) await w.submit(who, status);

  await w.submit(w.man, receive(s.leafHash, [item(LOT, kg(600))]));
  const deliver = (who: typeof w.man, q: number, st = 'delivered') => w.L.sign(who, { type: 'track', status: st, recipient: 'order-7', objects: [item(LOT, kg(q))] });
  await rejected(t, w, [deliver(w.ret, 1)], 'TRACE_NOT_HOLDER', {}, 'delivery by a non-holder');
  await w.L.ledger.submit([deliver(w.man, 5)]);
  t.strictSame(holdings(w.L, [LOT]), [[LOT, 'customer:man/order-7', 5], [LOT, 'man', 595], [LOT, 'sup', 400]]);
  await rejected(t, w, [deliver(w.man, 6, 'returned')], 'TRACE_QUANTITY_EXCEEDED', {}, 'more returned than delivered');
  const stolen = await rejected(t, w, [deliver(w.ret, 1, 'returned')], 'TRACE_QUANTITY_EXCEEDED', {}, 'a return signed by a participant that did not deliver');
  t.match(stolen.message, /only the participant that delivered takes goods back/);
  await w.L.ledger.submit([deliver(w.man, 2, 'returned')]);
  t.strictSame(holdings(w.L, [LOT]), [[LOT, 'customer:man/order-7', 3], [LOT, 'man', 597], [LOT, 'sup', 400]]);
});

t.test('allocation of a transform with several outputs', async (t) => {
  const w = await world(t);
  await w.submit(w.man, commission(spec(M, kg(100))));
  const a = (alloc?: number) => spec(OUT, kg(10), { level: 'semi', ...(alloc === undefined ? {} : { allocation: alloc }) });
  const b = (alloc?: number) => spec('urn:trace:man:out-2', pcs(20), { level: 'semi', ...(alloc === undefined ? {} : { allocation: alloc }) });
  const c = (alloc?: number) => spec('urn:trace:man:out-3', kg(5), { level: 'semi', ...(alloc === undefined ? {} : { allocation: alloc }) });
  const input = [item(M, kg(10))];
  await rejected(t, w, [w.L.sign(w.man, transform(input, [a(), b()]))], 'TRACE_ALLOCATION_INVALID', {}, 'mixed units without shares');
  await rejected(t, w, [w.L.sign(w.man, transform(input, [a(0.5), b(0.4)]))], 'TRACE_ALLOCATION_INVALID', {}, 'shares sum to 0.9');
  await rejected(t, w, [w.L.sign(w.man, transform(input, [a(0.7), c(0.7)]))], 'TRACE_ALLOCATION_INVALID', {}, 'shares sum to 1.4 (same units)');
  await rejected(t, w, [w.L.sign(w.man, transform(input, [a(0.6), b()]))], 'TRACE_ALLOCATION_INVALID', {}, 'a share for only one output');
  await w.submit(w.man, transform(input, [a(0.1), b(0.2), c(0.7)]));
  const up = await w.L.ledger.upstream('urn:trace:man:out-2');
  t.equal(up.nodes[0]!.process?.['allocationShare'], 0.2);
});

t.test('aggregate and disaggregate: a pallet travels with its contents', async (t) => {
  const w = await world(t);
  await received(w);
  await w.submit(w.man, commission(spec(M, pcs(10))));
  const agg = await w.submit(w.man, { type: 'aggregate', parent: PAL, children: [item(LOT, kg(100)), item(M, pcs(10))] });
  const pal = await w.L.ledger.object(PAL);
  t.match(pal, { code: PAL, level: 'logistic', quantity: pcs(1), producer: 'man', createdSeq: agg.seq, createdBy: 'aggregate', holders: [{ holder: 'man', quantity: pcs(1) }] });
  t.strictSame(pal.contents, [{ child: M, quantity: 10 }, { child: LOT, quantity: 100 }]);
  t.strictSame((await w.L.ledger.object(LOT)).packedIn, [{ parent: PAL, quantity: kg(100) }]);
  t.strictSame(holdings(w.L, [LOT, M, PAL]), [[PAL, 'man', 1], [LOT, 'man', 500], [LOT, 'sup', 400]]);
  await w.submit(w.man, { type: 'aggregate', parent: PAL, children: [item(LOT, kg(50))] });

  // What is packed is held through the pallet only.
  let e = await rejected(t, w, [w.L.sign(w.man, ship('ret', [item(M, pcs(1))]))], 'TRACE_NOT_HOLDER', { details: { code: M } }, 'ship a packed child');
  t.match(e.message, PAL, 'the message names the pallet');
  e = await rejected(t, w, [w.L.sign(w.man, transform([item(M, pcs(1))], [spec(OUT, pcs(1))]))], 'TRACE_NOT_HOLDER', {}, 'consume a packed child');
  t.match(e.message, PAL);
  e = await rejected(t, w, [w.L.sign(w.man, ship('ret', [item(LOT, kg(451))]))], 'TRACE_QUANTITY_EXCEEDED', {}, 'ship more than the unpacked rest');
  t.equal(e.details?.['remaining'], 450);

  const s = await w.submit(w.man, ship('ret', [item(PAL, pcs(1))], { carrier: 'car' }));
  t.strictSame(holdings(w.L, [PAL]), [], 'the pallet is in transit');
  await rejected(t, w, [w.L.sign(w.ret, { type: 'disaggregate', parent: PAL })], 'TRACE_OBJECT_IN_TRANSIT', {}, 'unpack before receipt');
  await w.submit(w.ret, receive(s.leafHash, [item(PAL, pcs(1))]));
  t.strictSame(holdings(w.L, [PAL]), [[PAL, 'ret', 1]]);
  t.strictSame((await w.L.ledger.object(LOT)).packedIn, [{ parent: PAL, quantity: kg(150) }], 'contents travelled with the pallet');
  await rejected(t, w, [w.L.sign(w.man, { type: 'disaggregate', parent: PAL })], 'TRACE_NOT_HOLDER', { details: { code: PAL } }, 'unpack by the former holder');
  e = await rejected(t, w, [w.L.sign(w.ret, { type: 'disaggregate', parent: PAL, children: [item(LOT, kg(151))] })], 'TRACE_QUANTITY_EXCEEDED', {}, 'unpack more than packed');
  t.equal(e.details?.['remaining'], 150);
  await w.submit(w.ret, { type: 'disaggregate', parent: PAL, children: [item(LOT, kg(100))] });
  t.strictSame(holdings(w.L, [LOT, M]), [[LOT, 'man', 450], [LOT, 'ret', 100], [LOT, 'sup', 400]]);
  await w.submit(w.ret, { type: 'disaggregate', parent: PAL });
  t.strictSame(holdings(w.L, [LOT, M, PAL]), [[PAL, 'ret', 1], [M, 'ret', 10], [LOT, 'man', 450], [LOT, 'ret', 150], [LOT, 'sup', 400]]);
  t.strictSame((await w.L.ledger.object(PAL)).contents, []);
  await rejected(t, w, [w.L.sign(w.ret, { type: 'disaggregate', parent: PAL })], 'TRACE_CONTAINER_INVALID', {}, 'unpack an empty pallet');
  // the receiver now uses what it unpacked
  await w.submit(w.ret, { type: 'track', status: 'delivered', recipient: 'order-1', objects: [item(M, pcs(2))] });
});

t.test('aggregate and disaggregate: containment rules', async (t) => {
  const w = await world(t);
  await received(w);
  const g = gtin('0950600013435');
  await rejected(t, w, [w.L.sign(w.man, { type: 'aggregate', parent: `https://id.gs1.org/01/${g}`, children: [item(LOT, kg(1))] })], 'TRACE_CONTAINER_INVALID', {}, 'new parent with a trade item code');
  await w.submit(w.man, commission(spec(M, kg(10))));
  await rejected(t, w, [w.L.sign(w.man, { type: 'aggregate', parent: M, children: [item(LOT, kg(1))] })], 'TRACE_CONTAINER_INVALID', {}, 'parent is a material lot');
  await rejected(t, w, [w.L.sign(w.man, { type: 'disaggregate', parent: M })], 'TRACE_CONTAINER_INVALID', {}, 'disaggregate a material lot');
  await w.submit(w.man, { type: 'aggregate', parent: PAL, children: [item(LOT, kg(10))] });
  await rejected(t, w, [w.L.sign(w.man, { type: 'aggregate', parent: PAL, children: [item(PAL, pcs(1))] })], 'TRACE_CONTAINER_INVALID', {}, 'a pallet into itself');
  await rejected(t, w, [w.L.sign(w.man, { type: 'disaggregate', parent: PAL, children: [item(M, kg(1))] })], 'TRACE_CONTAINER_INVALID', {}, 'unpack what is not in it');
  // urn:trace codes may name logistic units too; nesting holds the inner pallet through the outer one.
  const crate = 'urn:trace:man:crate-1';
  await w.submit(w.man, { type: 'aggregate', parent: PAL2, children: [item(PAL, pcs(1))] });
  await rejected(t, w, [w.L.sign(w.man, ship('ret', [item(PAL, pcs(1))]))], 'TRACE_NOT_HOLDER', { details: { code: PAL } }, 'ship the inner pallet');
  await rejected(t, w, [w.L.sign(w.man, { type: 'aggregate', parent: PAL, children: [item(M, kg(1))] })], 'TRACE_NOT_HOLDER', { details: { code: PAL } }, 'pack into the inner pallet');
  await w.submit(w.man, { type: 'aggregate', parent: crate, children: [item(PAL2, pcs(1))] });
  t.strictSame((await w.L.ledger.upstream(crate)).nodes.map((n) => [n.code, n.depth]), [[crate, 0], [PAL2, 1], [PAL, 2], [LOT, 3]]);
  await w.submit(w.man, { type: 'disaggregate', parent: crate });
  await w.submit(w.man, { type: 'disaggregate', parent: PAL2 });
  await w.submit(w.man, { type: 'disaggregate', parent: PAL });
  t.strictSame(holdings(w.L, [LOT, PAL, PAL2, crate]), [[PAL, 'man', 1], [PAL2, 'man', 1], [crate, 'man', 1], [LOT, 'man', 600], [LOT, 'sup', 400]]);
});

t.test('aggregate: a unit never ends up inside itself', async (t) => {
  const w = await world(t);
  // Crates commissioned as a logistic lot of 5: one crate can go on a pallet while 4 stay held.
  const crates = 'urn:trace:man:crates';
  await w.submit(w.man, commission(spec(crates, pcs(5), { level: 'logistic' })));
  await w.submit(w.man, { type: 'aggregate', parent: PAL, children: [item(crates, pcs(1))] });
  await rejected(t, w, [w.L.sign(w.man, { type: 'aggregate', parent: crates, children: [item(PAL, pcs(1))] })], 'TRACE_CONTAINER_INVALID', {}, 'the pallet into the crate it holds');
  await w.submit(w.man, { type: 'aggregate', parent: PAL2, children: [item(PAL, pcs(1))] });
  await rejected(t, w, [w.L.sign(w.man, { type: 'aggregate', parent: crates, children: [item(PAL2, pcs(1))] })], 'TRACE_CONTAINER_INVALID', {}, 'two levels deep');
});

t.test('ship: to a registered participant other than the sender', async (t) => {
  const w = await world(t);
  await lot(w);
  await rejected(t, w, [w.L.sign(w.sup, ship('sup', [item(LOT, kg(1))]))], 'LEDGER_ENTRY_INVALID', {}, 'to itself');
  await rejected(t, w, [w.L.sign(w.sup, ship('nobody', [item(LOT, kg(1))]))], 'LEDGER_PARTICIPANT_NOT_FOUND', {}, 'to an unknown participant');
  await rejected(t, w, [w.L.sign(w.sup, ship('man', [item(LOT, kg(1))], { carrier: 'nobody' }))], 'LEDGER_PARTICIPANT_NOT_FOUND', {}, 'unknown carrier');
});

t.test('retract: who may retract what', async (t) => {
  const w = await world(t);
  const { c, s } = await shipped(w);
  const reg = w.L.ledger.record(1); // the first participant.register (signed by the operator)
  t.equal(reg.record.entry.payload.type, 'participant.register');
  const keyAdd = await w.submit(w.sup, { type: 'participant.key.add', participant: 'sup', publicKey: toBase64Url(party('k').publicKey) });

  let e = await rejected(t, w, [w.L.sign(w.man, retract(s.leafHash))], 'TRACE_RETRACT_DENIED', {}, 'by another than the signer');
  t.equal(e.details?.['seq'], s.seq);
  await rejected(t, w, [w.L.sign(w.L.operator, retract(c.leafHash))], 'TRACE_RETRACT_DENIED', {}, 'by the operator');
  await rejected(t, w, [w.L.sign(w.L.operator, retract(reg.leafHash))], 'TRACE_RETRACT_INVALID', {}, 'a participant.register');
  await rejected(t, w, [w.L.sign(w.sup, retract(keyAdd.leafHash))], 'TRACE_RETRACT_INVALID', {}, 'a participant.key.add');
  await rejected(t, w, [w.L.sign(w.L.operator, retract(w.L.ledger.record(0).leafHash))], 'TRACE_RETRACT_DENIED', {}, 'the genesis');
  await rejected(t, w, [w.L.sign(w.sup, retract(toHex(new Uint8Array(randomBytes(32)))))], 'TRACE_RETRACT_INVALID', {}, 'an unknown leaf hash');
  await rejected(t, w, [w.L.sign(w.sup, retract(s.leafHash, { corrections: [toHex(new Uint8Array(32))] }))], 'TRACE_RETRACT_INVALID', {}, 'an unknown correction');
  await rejected(
    t, w, [w.L.sign(w.sup, retract(s.leafHash)), w.L.sign(w.sup, retract(s.leafHash))],
    'TRACE_RETRACT_INVALID', { details: { index: 1, seq: s.seq } }, 'twice in one batch',
  );
  const r = await w.submit(w.sup, retract(s.leafHash, { corrections: [c.leafHash] }));
  e = await rejected(t, w, [w.L.sign(w.sup, retract(s.leafHash))], 'TRACE_RETRACT_INVALID', {}, 'twice');
  t.strictSame(e.details, { seq: s.seq, retractedSeq: r.seq });
  await rejected(t, w, [w.L.sign(w.sup, retract(r.leafHash))], 'TRACE_RETRACT_INVALID', {}, 'a retraction');
});

t.test('retract: refused while later entries depend on it, listing them', async (t) => {
  const w = await world(t);
  const { c, s, r } = await received(w);
  const i = await w.submit(w.lab, { type: 'inspect', objects: [LOT], result: 'pass' });
  const tr = await w.submit(w.car, { type: 'track', status: 'delivered', shipment: s.leafHash });
  let e = await rejected(t, w, [w.L.sign(w.sup, retract(c.leafHash))], 'TRACE_RETRACT_DEPENDENTS', {}, 'commission');
  t.strictSame(e.details, { seq: c.seq, dependents: [s.seq, r.seq, i.seq, tr.seq] });
  e = await rejected(t, w, [w.L.sign(w.sup, retract(s.leafHash))], 'TRACE_RETRACT_DEPENDENTS', {}, 'received ship');
  t.strictSame(e.details, { seq: s.seq, dependents: [r.seq] });

  // Once the man has used the receipt, the receipt stands too.
  const sh = await w.submit(w.man, ship('man2', [item(LOT, kg(10))]));
  e = await rejected(t, w, [w.L.sign(w.man, retract(r.leafHash))], 'TRACE_RETRACT_DEPENDENTS', {}, 'used receipt');
  t.strictSame(e.details, { seq: r.seq, dependents: [sh.seq] });

  // Unwinding in reverse order works, and the list shrinks as dependents are retracted.
  await w.submit(w.man, retract(sh.leafHash));
  await w.submit(w.man, retract(r.leafHash));
  t.strictSame(holdings(w.L, [LOT]), [[LOT, 'sup', 400]], 'the shipment is open again');
  t.equal(w.L.store.inTransitTo(LOT, 'man'), 600e6);
  await w.submit(w.sup, retract(s.leafHash));
  t.strictSame(holdings(w.L, [LOT]), [[LOT, 'sup', 1000]], 'the sender holds it all again');
  e = await rejected(t, w, [w.L.sign(w.sup, retract(c.leafHash))], 'TRACE_RETRACT_DEPENDENTS', {}, 'commission, still inspected and tracked');
  t.strictSame(e.details, { seq: c.seq, dependents: [i.seq, tr.seq] });
  await w.submit(w.lab, retract(i.leafHash));
  await w.submit(w.car, retract(tr.leafHash));
  await w.submit(w.sup, retract(c.leafHash));
  await t.rejects(w.L.ledger.object(LOT), { code: 'TRACE_OBJECT_NOT_FOUND' });
  t.strictSame(holdings(w.L, [LOT]), []);
});

t.test('retract: each type undoes its effects', async (t) => {
  t.test('ship: the sender holds again, the shipment cannot be received', async (t) => {
    const w = await world(t);
    const { s } = await shipped(w);
    const down0 = await w.L.ledger.downstream(LOT);
    t.equal(down0.shipments[0]!.status, 'in_transit');
    const r = await w.submit(w.sup, retract(s.leafHash));
    t.strictSame(holdings(w.L, [LOT]), [[LOT, 'sup', 1000]]);
    t.equal(w.L.store.inTransitTo(LOT, 'man'), 0);
    // Gone from every answer, as if never shipped; the object's history still lists it, marked retracted.
    t.strictSame((await w.L.ledger.downstream(LOT)).shipments, []);
    t.strictSame((await w.L.ledger.summary(LOT)).journey, []);
    t.match((await w.L.ledger.history(LOT)).entries.filter((e) => e.seq === s.seq || e.seq === r.seq), [
      { seq: s.seq, type: 'ship', retractedBy: r.seq },
      { seq: r.seq, type: 'retract', roles: ['retracted'] },
    ]);
    t.match(await w.L.ledger.shipment(s.seq), { seq: s.seq, status: 'retracted', retractedSeq: r.seq });
    await rejected(t, w, [w.L.sign(w.man, receive(s.leafHash, [item(LOT, kg(600))]))], 'TRACE_SHIPMENT_UNKNOWN', {}, 'receive a retracted shipment');
    await rejected(t, w, [w.L.sign(w.car, { type: 'track', status: 'in_transit', shipment: s.leafHash })], 'TRACE_SHIPMENT_UNKNOWN', {}, 'track a retracted shipment');
    await w.submit(w.sup, ship('man', [item(LOT, kg(1000))]));
  });

  t.test('receive: the shipment is open again', async (t) => {
    const w = await world(t);
    const { s, r } = await received(w);
    await w.submit(w.man, retract(r.leafHash));
    t.strictSame(holdings(w.L, [LOT]), [[LOT, 'sup', 400]]);
    t.match((await w.L.ledger.downstream(LOT)).shipments[0], { status: 'in_transit', receivedSeq: null, items: [{ code: LOT, received: null }] });
    const r2 = await w.submit(w.man, receive(s.leafHash, [item(LOT, kg(599))]));
    t.match((await w.L.ledger.downstream(LOT)).discrepancies, [{ receiveSeq: r2.seq, missing: kg(1) }]);
  });

  t.test('recall: the input can be consumed again; an earlier recall still stands', async (t) => {
    const w = await world(t);
    await received(w);
    const r1 = await w.submit(w.sup, { type: 'recall', objects: [LOT], reason: 'first' });
    const r2 = await w.submit(w.L.operator, { type: 'recall', objects: [LOT], reason: 'second' });
    await w.submit(w.L.operator, retract(r2.leafHash));
    t.equal((await w.L.ledger.object(LOT)).recalledSeq, r1.seq);
    await rejected(t, w, [w.L.sign(w.man, transform([item(LOT, kg(1))], [spec(OUT, kg(1))]))], 'TRACE_OBJECT_RECALLED', { details: { seq: r1.seq } });
    await w.submit(w.sup, retract(r1.leafHash));
    t.equal((await w.L.ledger.object(LOT)).recalledSeq, null);
    t.strictSame((await w.L.ledger.upstream(LOT)).flags, []);
    await w.submit(w.man, transform([item(LOT, kg(1))], [spec(OUT, kg(1))]));
  });

  t.test('commission without dependents: the object is gone and the code free', async (t) => {
    const w = await world(t);
    const c = await lot(w);
    await w.submit(w.sup, retract(c.leafHash));
    const queries: Array<Promise<unknown>> = [w.L.ledger.object(LOT), w.L.ledger.upstream(LOT), w.L.ledger.downstream(LOT), w.L.ledger.history(LOT), w.L.ledger.footprint(LOT)];
    for (const q of queries) {
      await t.rejects(q, { code: 'TRACE_OBJECT_NOT_FOUND' });
    }
    t.strictSame(holdings(w.L, [LOT]), []);
    await rejected(t, w, [w.L.sign(w.sup, ship('man', [item(LOT, kg(1))]))], 'TRACE_OBJECT_UNKNOWN', {}, 'ship the retracted object');
    const c2 = await w.submit(w.sup, commission(spec(LOT, kg(10))));
    t.equal((await w.L.ledger.object(LOT)).createdSeq, c2.seq);
    await w.submit(w.sup, retract(c2.leafHash));
  });

  t.test('transform: inputs restored, outputs gone', async (t) => {
    const w = await world(t);
    await received(w);
    const tf = await w.submit(w.man, transform([item(LOT, kg(500))], [spec(OUT, kg(480), { level: 'semi' })]));
    const s = await w.submit(w.man, ship('man2', [item(OUT, kg(1))]));
    const e = await rejected(t, w, [w.L.sign(w.man, retract(tf.leafHash))], 'TRACE_RETRACT_DEPENDENTS', {}, 'output shipped');
    t.strictSame(e.details?.['dependents'], [s.seq]);
    await w.submit(w.man, retract(s.leafHash));
    await w.submit(w.man, retract(tf.leafHash));
    t.strictSame(holdings(w.L, [LOT, OUT]), [[LOT, 'man', 600], [LOT, 'sup', 400]]);
    await t.rejects(w.L.ledger.upstream(OUT), { code: 'TRACE_OBJECT_NOT_FOUND' });
    t.strictSame((await w.L.ledger.downstream(LOT)).derived, []);
  });

  t.test('aggregate: children held again, a pallet it created is gone', async (t) => {
    const w = await world(t);
    await received(w);
    const a1 = await w.submit(w.man, { type: 'aggregate', parent: PAL, children: [item(LOT, kg(100))] });
    const a2 = await w.submit(w.man, { type: 'aggregate', parent: PAL, children: [item(LOT, kg(50))] });
    const e = await rejected(t, w, [w.L.sign(w.man, retract(a1.leafHash))], 'TRACE_RETRACT_DEPENDENTS', {}, 'pallet used later');
    t.strictSame(e.details?.['dependents'], [a2.seq]);
    await w.submit(w.man, retract(a2.leafHash));
    t.strictSame((await w.L.ledger.object(PAL)).contents, [{ child: LOT, quantity: 100 }]);
    await w.submit(w.man, retract(a1.leafHash));
    await t.rejects(w.L.ledger.object(PAL), { code: 'TRACE_OBJECT_NOT_FOUND' });
    t.strictSame(holdings(w.L, [LOT, PAL]), [[LOT, 'man', 600], [LOT, 'sup', 400]]);
    t.strictSame((await w.L.ledger.object(LOT)).packedIn, []);
  });

  t.test('disaggregate: the children are packed again', async (t) => {
    const w = await world(t);
    await received(w);
    await w.submit(w.man, { type: 'aggregate', parent: PAL, children: [item(LOT, kg(100))] });
    const d = await w.submit(w.man, { type: 'disaggregate', parent: PAL, children: [item(LOT, kg(40))] });
    const used = await w.submit(w.man, ship('man2', [item(LOT, kg(540))]));
    const e = await rejected(t, w, [w.L.sign(w.man, retract(d.leafHash))], 'TRACE_RETRACT_DEPENDENTS', {}, 'unpacked goods used');
    t.strictSame(e.details?.['dependents'], [used.seq]);
    await w.submit(w.man, retract(used.leafHash));
    await w.submit(w.man, retract(d.leafHash));
    t.strictSame((await w.L.ledger.object(PAL)).contents, [{ child: LOT, quantity: 100 }]);
    t.strictSame(holdings(w.L, [LOT, PAL]), [[PAL, 'man', 1], [LOT, 'man', 500], [LOT, 'sup', 400]]);
  });

  t.test('disaggregate: refused once the unit moved on', async (t) => {
    const w = await world(t);
    await received(w);
    await w.submit(w.man, { type: 'aggregate', parent: PAL, children: [item(LOT, kg(100))] });
    const d = await w.submit(w.man, { type: 'disaggregate', parent: PAL });
    // Putting the lot back in the pallet now would hand it to ret, who received an empty pallet.
    const s = await w.submit(w.man, ship('ret', [item(PAL, pcs(1))]));
    const e = await rejected(t, w, [w.L.sign(w.man, retract(d.leafHash))], 'TRACE_RETRACT_DEPENDENTS', {}, 'pallet shipped since');
    t.strictSame(e.details?.['dependents'], [s.seq]);
  });

  t.test('delivery: refused once the customer returned goods', async (t) => {
    const w = await world(t);
    await received(w);
    await w.submit(w.sup, ship('ret', [item(LOT, kg(10))])).then((s) => w.submit(w.ret, receive(s.leafHash, [item(LOT, kg(10))])));
    const d = await w.submit(w.man, { type: 'track', status: 'delivered', recipient: 'order-7', objects: [item(LOT, kg(5))] });
    // Another retailer's delivery to a customer of the same name is another holding.
    await w.submit(w.ret, { type: 'track', status: 'delivered', recipient: 'order-7', objects: [item(LOT, kg(4))] });
    const back = await w.submit(w.man, { type: 'track', status: 'returned', recipient: 'order-7', objects: [item(LOT, kg(3))] });
    const e = await rejected(t, w, [w.L.sign(w.man, retract(d.leafHash))], 'TRACE_RETRACT_DEPENDENTS', {}, 'returned since');
    t.strictSame(e.details?.['dependents'], [back.seq]);
    t.strictSame(holdings(w.L, [LOT]), [[LOT, 'customer:man/order-7', 2], [LOT, 'customer:ret/order-7', 4], [LOT, 'man', 598], [LOT, 'ret', 6], [LOT, 'sup', 390]]);
    await w.submit(w.man, retract(back.leafHash));
    await w.submit(w.man, retract(d.leafHash));
    t.strictSame(holdings(w.L, [LOT]), [[LOT, 'customer:ret/order-7', 4], [LOT, 'man', 600], [LOT, 'ret', 6], [LOT, 'sup', 390]]);
  });

  t.test('delivery: the deliverer holds again', async (t) => {
    const w = await world(t);
    await received(w);
    const d = await w.submit(w.man, { type: 'track', status: 'delivered', recipient: 'order-9', objects: [item(LOT, kg(5))] });
    t.strictSame((await w.L.ledger.downstream(LOT)).impact.customers, ['order-9']);
    await w.submit(w.man, retract(d.leafHash));
    t.strictSame(holdings(w.L, [LOT]), [[LOT, 'man', 600], [LOT, 'sup', 400]]);
    const down = await w.L.ledger.downstream(LOT);
    t.strictSame(down.deliveries, []);
    t.strictSame(down.impact.customers, []);
  });

  t.test('inspect: the result no longer shows', async (t) => {
    const w = await world(t);
    await lot(w);
    const i = await w.submit(w.lab, { type: 'inspect', objects: [LOT], result: 'fail', note: 'bad' });
    t.match((await w.L.ledger.upstream(LOT)).flags, [{ kind: 'failed_inspection', seq: i.seq }]);
    await w.submit(w.lab, retract(i.leafHash));
    const up = await w.L.ledger.upstream(LOT);
    t.strictSame(up.flags, []);
    t.strictSame(up.nodes[0]!.inspections, []);
    t.match((await w.L.ledger.history(LOT)).entries.find((x) => x.seq === i.seq), { retractedBy: i.seq + 1 });
  });
});

t.test('a batch is atomic: a later entry violating a rule writes nothing', async (t) => {
  const w = await world(t);
  await lot(w);
  const e = await rejected(
    t, w,
    [w.L.sign(w.sup, ship('man', [item(LOT, kg(600))])), w.L.sign(w.sup, ship('man2', [item(LOT, kg(600))]))],
    'TRACE_QUANTITY_EXCEEDED', { details: { index: 1, remaining: 400 } }, 'second entry overdraws',
  );
  t.match(e.message, /^entries\[1\]/);
  await rejected(
    t, w,
    [w.L.sign(w.sup, commission(spec(LOT2, kg(5)))), w.L.sign(w.sup, ship('man', [item(LOT2, kg(5))])), w.L.sign(w.man, receive('00'.repeat(32), []))],
    'TRACE_SHIPMENT_UNKNOWN', { details: { index: 2 } }, 'third entry fails',
  );
  await t.rejects(w.L.ledger.object(LOT2), { code: 'TRACE_OBJECT_NOT_FOUND' });
  t.strictSame(holdings(w.L, [LOT]), [[LOT, 'sup', 1000]]);
});

t.test('concurrent overdraw: exactly what fits wins', async (t) => {
  t.test('two, then ten, concurrent shipments of 600 from 1000', async (t) => {
    for (const n of [2, 10]) {
      const w = await world(t);
      await lot(w);
      const size = w.L.ledger.size();
      const results = await Promise.allSettled(
        Array.from({ length: n }, (_, i) => w.L.ledger.submit([w.L.sign(w.sup, ship(i % 2 === 0 ? 'man' : 'man2', [item(LOT, kg(600))]))])),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      t.equal(won.length, 1, `${n}: one wins`);
      t.equal(lost.length, n - 1);
      for (const r of lost) t.match(r.reason, { code: 'TRACE_QUANTITY_EXCEEDED', details: { remaining: 400 } });
      t.equal(w.L.ledger.size(), size + 1);
      t.strictSame(holdings(w.L, [LOT]), [[LOT, 'sup', 400]]);
      t.equal(w.L.store.inTransitTo(LOT, 'man') + w.L.store.inTransitTo(LOT, 'man2'), 600e6);
      t.equal((await w.L.ledger.downstream(LOT)).shipments.length, 1);
    }
  });

  t.test('five concurrent receipts of one shipment: one wins', async (t) => {
    const w = await world(t);
    const { s } = await shipped(w);
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => w.L.ledger.submit([w.L.sign(w.man, receive(s.leafHash, [item(LOT, kg(600))]))])),
    );
    t.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') t.match(r.reason, { code: 'TRACE_ALREADY_RECEIVED' });
    t.strictSame(holdings(w.L, [LOT]), [[LOT, 'man', 600], [LOT, 'sup', 400]]);
  });

  t.test('a retraction racing a use of its effect: one of them wins', async (t) => {
    const w = await world(t);
    const { s } = await shipped(w);
    const [ret, rcv] = await Promise.allSettled([
      w.L.ledger.submit([w.L.sign(w.sup, retract(s.leafHash))]),
      w.L.ledger.submit([w.L.sign(w.man, receive(s.leafHash, [item(LOT, kg(600))]))]),
    ]);
    t.equal(ret!.status, 'fulfilled', 'submitted first, sequenced first');
    t.match((rcv as PromiseRejectedResult).reason, { code: 'TRACE_SHIPMENT_UNKNOWN' });
    t.strictSame(holdings(w.L, [LOT]), [[LOT, 'sup', 1000]]);
  });

  t.test('ten concurrent consumers of 150 from 1000: six win', async (t) => {
    const w = await world(t);
    await received(w, 1000);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        w.L.ledger.submit([
          i % 2 === 0
            ? w.L.sign(w.man, transform([item(LOT, kg(150))], [spec(`urn:trace:man:o-${i}`, kg(150), { level: 'semi' })]))
            : w.L.sign(w.man, ship('man2', [item(LOT, kg(150))])),
        ]),
      ),
    );
    t.equal(results.filter((r) => r.status === 'fulfilled').length, 6);
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    t.equal(lost.length, 4);
    for (const r of lost) t.match(r.reason, { code: 'TRACE_QUANTITY_EXCEEDED', details: { remaining: 100 } });
    t.strictSame(holdings(w.L, [LOT]).filter(([, h]) => h === 'man'), [[LOT, 'man', 100]]);
    const consumed = (await w.L.ledger.history(LOT)).entries.filter((e) => e.type === 'transform' || e.type === 'ship').length;
    t.equal(consumed, 7, 'the original shipment and six winners');
  });
});

t.test('a revoked key signs nothing after its revocation', async (t) => {
  const w = await world(t);
  await lot(w);
  const sup2key = party('sup');
  await w.submit(w.sup, { type: 'participant.key.add', participant: 'sup', publicKey: toBase64Url(sup2key.publicKey) });
  const oldKid = w.L.ledger.participant('sup').keys[0]!.kid;
  await w.submit(w.sup, { type: 'participant.key.revoke', participant: 'sup', kid: oldKid });
  await rejected(t, w, [w.L.sign(w.sup, ship('man', [item(LOT, kg(1))]))], 'LEDGER_KEY_REVOKED', {}, 'old key');
  await w.submit(sup2key, ship('man', [item(LOT, kg(1))]));
  t.strictSame(holdings(w.L, [LOT]), [[LOT, 'sup', 999]]);
});

t.test('a batch rolled back after reading one of its own entries leaves no stale state behind', async (t) => {
  // With a fixed clock the leaf hash of an entry is known before it is sequenced, so a batch can
  // name its own first entry. If the store kept what it read of a rolled-back record, a later
  // entry at the same seq would be judged as the rolled-back one (here: a retraction by the wrong
  // signer).
  const clock = Date.now();
  const w = await makeWorld({ now: () => clock });
  t.teardown(() => w.L.close());
  await lot(w);
  const seq = w.L.store.size();
  const bait = w.L.sign(w.man2, commission(spec('urn:trace:man2:bait', kg(1))));
  const leaf = recordLeafBytes({ seq, recordedAt: new Date(clock).toISOString(), entry: bait });
  const baitHash = toHex(hashLeaf(leaf));
  await rejected(
    t, w, [bait, w.L.sign(w.man2, retract(baitHash)), w.L.sign(w.man2, ship('man', [item(LOT, kg(1))]))],
    'TRACE_NOT_HOLDER', { details: { index: 2 } }, 'batch naming its own entry',
  );
  const victim = await w.submit(w.sup, ship('man', [item(LOT, kg(100))]));
  t.equal(victim.seq, seq);
  await rejected(t, w, [w.L.sign(w.man2, retract(victim.leafHash))], 'TRACE_RETRACT_DENIED', {}, 'retract the entry now at that seq');
  t.strictSame(holdings(w.L, [LOT]), [[LOT, 'sup', 900]]);
});
