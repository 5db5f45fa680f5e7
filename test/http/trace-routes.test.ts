import t from 'tap';
import { party } from '../helpers.js';
import { appOnLedger } from './app-on-ledger.js';

const GTIN_LOT = 'https://id.gs1.org/01/09506000134352/10/L%2F1';

t.test('object routes: state, upstream, downstream, history, footprint; 404 and 400 as problem+json', async (t) => {
  const { L, app } = await appOnLedger(t);
  const sup = party('sup');
  const man = party('man');
  await L.register(sup, ['supplier']);
  await L.register(man, ['manufacturer']);
  await L.ledger.submit([
    L.sign(sup, { type: 'commission', objects: [{ code: 'urn:trace:sup:ingot-1', level: 'material', product: { name: 'Ingot' }, quantity: { value: 100, unit: 'KGM' }, footprint: { kgCO2ePerUnit: 8 } }] }),
  ]);
  const [ship] = await L.ledger.submit([L.sign(sup, { type: 'ship', to: 'man', objects: [{ code: 'urn:trace:sup:ingot-1', quantity: { value: 100, unit: 'KGM' } }] })]);
  await L.ledger.submit([L.sign(man, { type: 'receive', shipment: ship!.leafHash, objects: [{ code: 'urn:trace:sup:ingot-1', quantity: { value: 100, unit: 'KGM' } }] })]);
  // Written with a custom host and a stem: stored and answered in the canonical form.
  await L.ledger.submit([
    L.sign(man, {
      type: 'transform',
      inputs: [{ code: 'urn:trace:sup:ingot-1', quantity: { value: 100, unit: 'KGM' } }],
      outputs: [{ code: 'https://example.com/shop/01/9506000134352/10/L%2F1', level: 'finished', product: { name: 'Frame', netMassKg: 10 }, quantity: { value: 10, unit: 'H87' } }],
    }),
  ]);

  const get = (path: string) => app.inject({ method: 'GET', url: path });
  const enc = encodeURIComponent;

  const state = await get(`/v1/objects/${enc(GTIN_LOT)}`);
  t.equal(state.statusCode, 200);
  t.match(state.json(), { code: GTIN_LOT, level: 'finished', holders: [{ holder: 'man', quantity: { value: 10, unit: 'H87' } }], recalled: false });

  const otherSpelling = await get(`/v1/objects/${enc('https://example.com/01/09506000134352/10/L%2F1')}/upstream`);
  t.equal(otherSpelling.statusCode, 200, 'any valid spelling resolves');
  const up = otherSpelling.json();
  t.equal(up.code, GTIN_LOT);
  t.equal(up.ancestors, 1);
  t.equal(up.footprint.kgCO2ePerUnit, 80, '100 kg × 8 kgCO2e/kg over 10 frames');

  const down = (await get(`/v1/objects/${enc('urn:trace:sup:ingot-1')}/downstream`)).json();
  t.same(down.derived.map((d: { code: string }) => d.code), [GTIN_LOT]);
  t.equal(down.shipments[0].status, 'received');

  const hist = (await get(`/v1/objects/${enc('urn:trace:sup:ingot-1')}/history`)).json();
  t.same(hist.entries.map((e: { type: string }) => e.type), ['commission', 'ship', 'receive', 'transform']);

  const fp = await get(`/v1/objects/${enc(GTIN_LOT)}/footprint`);
  t.equal(fp.statusCode, 200);
  t.match(fp.json().pcf, { declaredUnit: 'kilogram', unitaryProductAmount: '10', pCfExcludingBiogenic: '8', primaryDataShare: 100 });

  const unknown = await get(`/v1/objects/${enc('urn:trace:sup:nothing')}/upstream`);
  t.equal(unknown.statusCode, 404);
  t.equal(unknown.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.equal(unknown.json().code, 'TRACE_OBJECT_NOT_FOUND');

  const bad = await get(`/v1/objects/${enc('https://id.gs1.org/01/09506000134353')}`);
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().code, 'TRACE_CODE_INVALID');
  t.match(bad.json().detail, /check digit/);

  const rejected = await app.inject({
    method: 'POST',
    url: '/v1/entries',
    payload: L.sign(man, { type: 'ship', to: 'sup', objects: [{ code: GTIN_LOT, quantity: { value: 11, unit: 'H87' } }] }),
  });
  t.equal(rejected.statusCode, 409);
  t.match(rejected.json(), { code: 'TRACE_QUANTITY_EXCEEDED', remaining: 10 });
});
