import t from 'tap';
import { makeLedger, party } from '../helpers.js';

t.test('smoke: commission → transform → ship → receive → trace', async (t) => {
  const L = await makeLedger();
  t.teardown(() => L.close());
  const sup = party('sup'); const man = party('man'); const lab = party('lab');
  await L.register(sup, ['supplier']); await L.register(man, ['manufacturer']); await L.register(lab, ['inspector']);
  const lot = 'urn:trace:sup:ingot-1';
  await L.ledger.submit([L.sign(sup, { type: 'commission', objects: [{ code: lot, level: 'material', product: { name: 'Ingot' }, quantity: { value: 1000, unit: 'KGM' }, footprint: { kgCO2ePerUnit: 8.5 } }] })]);
  const [ship] = await L.ledger.submit([L.sign(sup, { type: 'ship', to: 'man', objects: [{ code: lot, quantity: { value: 600, unit: 'KGM' } }] })]);
  await L.ledger.submit([L.sign(man, { type: 'receive', shipment: ship!.leafHash, objects: [{ code: lot, quantity: { value: 590, unit: 'KGM' } }] })]);
  await L.ledger.submit([L.sign(man, { type: 'transform', inputs: [{ code: lot, quantity: { value: 500, unit: 'KGM' } }], outputs: [{ code: 'urn:trace:man:billet-1', level: 'semi', product: { name: 'Billet' }, quantity: { value: 480, unit: 'KGM' } }], process: { electricityKWh: 100, gridKgCO2ePerKWh: 0.5 } })]);
  await L.ledger.submit([L.sign(lab, { type: 'inspect', objects: ['urn:trace:man:billet-1'], result: 'fail', standard: 'EN 573-3' })]);
  const up = await L.ledger.upstream('urn:trace:man:billet-1');
  t.equal(up.ancestors, 1);
  t.equal(up.flags.length, 1);
  t.equal(up.footprint.kgCO2ePerUnit, Number(((500 * 8.5 + 50) / 480).toPrecision(12)));
  const down = await L.ledger.downstream(lot);
  t.equal(down.discrepancies.length, 1);
  t.same(down.holders.map((h) => [h.code, h.holder, h.quantity.value]), [[lot, 'man', 90], [lot, 'sup', 400], ['urn:trace:man:billet-1', 'man', 480]]);
  const h = await L.ledger.history(lot);
  t.same(h.entries.map((e) => e.type), ['commission', 'ship', 'receive', 'transform']);
});
