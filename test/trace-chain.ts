/**
 * A small supply chain of five levels, used by the trace and rebuild tests:
 *
 *   sup  ingot A1 (1000 kg, declared 8 kgCO2e/kg) ──ship s1 (600, tracked)──┐
 *   sup2 resin B1 (500 kg, no footprint: data gap) ──ship s2 (300, 290 recv)─┤
 *                                                                           man: t1 rolling
 *        A1 500 kg + B1 200 kg → sheet S (400 kg) + scrap X (100 kg)   (allocation by quantity)
 *        S 300 kg → frame F (100 pieces, share 0.75) + offcut O (50 kg, share 0.25)     t2
 *   man ──ship s3 (100 F)──▶ man2: bolts K (1000 pieces, declared, 80 % primary)
 *        F 40 + K 160 → product P (40 pieces, finished)                                t3
 *   man2 packs 30 P on pallet PAL ──ship s4 (tracked out of order)──▶ ret, who unpacks it
 *        and delivers 2 P to customer "order-4711".
 *   lab inspects A1 (pass) and B1 (fail); man2 inspects P (pass); sup2 recalls B1 after t1.
 */
import type { Receipt } from '../src/ledger.js';
import { commission, gtin, item, kg, pcs, receive, ship, spec, sscc, transform, type World } from './trace-world.js';

export const A1 = 'urn:trace:sup:ingot-1';
export const B1 = 'urn:trace:sup2:resin-1';
export const S = 'urn:trace:man:sheet-1';
export const X = 'urn:trace:man:scrap-1';
export const O = 'urn:trace:man:offcut-1';
export const K = 'urn:trace:man2:bolts-1';
export const GTIN_F = gtin('0950600013001');
export const GTIN_P = gtin('0950600013002');
export const F = `https://id.gs1.org/01/${GTIN_F}/10/F1`;
export const P = `https://id.gs1.org/01/${GTIN_P}/10/P1`;
export const PAL = sscc('09506000100000001');

const T0 = Date.parse('2026-11-02T08:00:00.000+01:00');
/** T0 + hours, as an RFC 3339 time with an offset (what a signer writes). */
export const at = (hours: number): string => new Date(T0 + hours * 3600_000).toISOString().replace('Z', '+00:00');

export type Seqs = Record<string, Receipt>;

/**
 * Build the chain; `after[step]` runs right after that step (to look at an intermediate state).
 * Resolves to the receipts by step name.
 */
export async function buildChain(w: World, after: Partial<Record<string, (r: Seqs) => Promise<void>>> = {}): Promise<Seqs> {
  const r: Seqs = {};
  const steps: Array<[string, () => Promise<Receipt>]> = [
    ['cA1', () => w.submit(w.sup, { ...commission(spec(A1, kg(1000), {
      product: { name: 'Aluminium ingot' },
      footprint: { kgCO2ePerUnit: 8, electricityKWhPerUnit: 2, waterM3PerUnit: 0.01, primaryDataShare: 100, standard: 'ISO 14067' },
      certificates: [{ scheme: 'ASI Performance', id: 'ASI-123' }],
    })), time: at(-48) })],
    ['cB1', () => w.submit(w.sup2, { ...commission(spec(B1, kg(500), { product: { name: 'PA6 resin' } })), time: at(-48) })],
    ['iA1', () => w.submit(w.lab, { type: 'inspect', objects: [A1], result: 'pass', standard: 'EN 573-3', measurements: [{ type: 'Si', value: 0.3, unit: '%', max: 0.5 }], time: at(-24) })],
    ['iB1', () => w.submit(w.lab, { type: 'inspect', objects: [B1], result: 'fail', note: 'moisture above limit', time: at(-24) })],
    ['s1', () => w.submit(w.sup, ship('man', [item(A1, kg(600))], {
      carrier: 'car', expectedDelivery: at(24), transport: { mode: 'road', distanceKm: 120, emissionsKgCO2e: 30 }, time: at(0),
    }))],
    ['tr1', () => w.submit(w.car, { type: 'track', status: 'in_transit', shipment: r['s1']!.leafHash, location: { name: 'Depot North' }, time: at(2) })],
    ['s2', () => w.submit(w.sup2, ship('man', [item(B1, kg(300))], { time: at(1) }))],
    ['tr2', () => w.submit(w.car, { type: 'track', status: 'out_for_delivery', shipment: r['s1']!.leafHash, time: at(20) })],
    ['r1', () => w.submit(w.man, receive(r['s1']!.leafHash, [item(A1, kg(600))], { condition: 'good', time: at(24) }))],
    ['r2', () => w.submit(w.man, receive(r['s2']!.leafHash, [item(B1, kg(290))], { condition: 'partial', note: 'one bag torn', time: at(49) }))],
    ['t1', () => w.submit(w.man, {
      ...transform([item(A1, kg(500)), item(B1, kg(200))], [
        spec(S, kg(400), { level: 'semi', product: { name: 'Sheet' } }),
        spec(X, kg(100), { level: 'semi', product: { name: 'Scrap' } }),
      ], { process: { name: 'rolling', electricityKWh: 1000, gridKgCO2ePerKWh: 0.5, waterM3: 10, directEmissionsKgCO2e: 100 } }),
      time: at(50),
    })],
    ['rc', () => w.submit(w.sup2, { type: 'recall', objects: [B1], reason: 'contaminated resin', time: at(60) })],
    ['t2', () => w.submit(w.man, {
      ...transform([item(S, kg(300))], [
        { ...spec(F, pcs(100), { level: 'semi', product: { gtin: GTIN_F, name: 'Frame', netMassKg: 2.5 } }), allocation: 0.75 },
        { ...spec(O, kg(50), { level: 'semi', product: { name: 'Offcut' } }), allocation: 0.25 },
      ], { process: { name: 'stamping', electricityKWh: 200, gridKgCO2ePerKWh: 0.5 } }),
      time: at(70),
    })],
    ['s3', () => w.submit(w.man, ship('man2', [item(F, pcs(100))], { carrier: 'car', time: at(72) }))],
    ['cK', () => w.submit(w.man2, { ...commission(spec(K, pcs(1000), {
      product: { name: 'Bolt M6' }, footprint: { kgCO2ePerUnit: 0.05, electricityKWhPerUnit: 0.01, primaryDataShare: 80 },
    })), time: at(75) })],
    ['r3', () => w.submit(w.man2, receive(r['s3']!.leafHash, [item(F, pcs(100))], { time: at(80) }))],
    ['t3', () => w.submit(w.man2, {
      ...transform([item(F, pcs(40)), item(K, pcs(160))], [
        spec(P, pcs(40), { level: 'finished', product: { gtin: GTIN_P, name: 'Bike frame kit', netMassKg: 2.7 }, attributes: { colour: 'red' } }),
      ], { process: { name: 'assembly', electricityKWh: 40, gridKgCO2ePerKWh: 0.5 } }),
      time: at(90),
    })],
    ['iP', () => w.submit(w.man2, { type: 'inspect', objects: [P], result: 'pass', standard: 'ISO 4210', time: at(91) })],
    ['a1', () => w.submit(w.man2, { type: 'aggregate', parent: PAL, children: [item(P, pcs(30))], time: at(92) })],
    ['s4', () => w.submit(w.man2, ship('ret', [item(PAL, pcs(1))], { carrier: 'car', expectedDelivery: at(100), time: at(93) }))],
    // The carrier's scanner syncs late: the later status is recorded first.
    ['tr4b', () => w.submit(w.car, { type: 'track', status: 'out_for_delivery', shipment: r['s4']!.leafHash, time: at(98) })],
    ['tr4a', () => w.submit(w.car, { type: 'track', status: 'in_transit', shipment: r['s4']!.leafHash, time: at(94) })],
    ['r4', () => w.submit(w.ret, receive(r['s4']!.leafHash, [item(PAL, pcs(1))], { time: at(99) }))],
    ['d1', () => w.submit(w.ret, { type: 'disaggregate', parent: PAL, time: at(100) })],
    ['dl', () => w.submit(w.ret, { type: 'track', status: 'delivered', recipient: 'order-4711', objects: [item(P, pcs(2))], location: { name: 'Shop 1' }, time: at(110) })],
  ];
  for (const [name, run] of steps) {
    r[name] = await run();
    await after[name]?.(r);
  }
  return r;
}
