/**
 * A retraction undoes its entry in every answer (src/domain/rules.ts `retract`, the projections of
 * src/store/sqlite-domain.ts): each case builds a small log with a retraction and compares every
 * query about every code with the same log rebuilt without the retracted entry and the retraction
 * (test/retract-replay.ts says what is normalised).
 */
import t, { type Test } from 'tap';
import { item, pcs, retract, ship, receive, spec } from '../trace-world.js';
import { rebuildDerived } from '../../src/ledger.js';
import { newPlayed, playStep, retractionMismatches, step, type Played, type Step } from '../retract-replay.js';

const L1 = 'urn:trace:man2:lot-1';
const L2 = 'urn:trace:man2:lot-2';
const PAL = 'urn:trace:man2:pal-1';
const lot = (code: string) => spec(code, pcs(10), { product: { name: code, netMassKg: 1 } });

async function play(t: Test, steps: readonly Step[]): Promise<Played> {
  const p = await newPlayed();
  t.teardown(() => p.w.L.close());
  for (let i = 0; i < steps.length; i++) t.ok(await playStep(p, steps, i), `step ${i} is accepted`);
  return p;
}

t.test('aggregate into an existing pallet, retracted: the lot no longer leads to the pallet', async (t) => {
  // The pallet travels to ret first; ret then packs L2 onto it and retracts that packing.
  const steps: Step[] = [
    step('man2', 0, () => ({ type: 'commission', objects: [lot(L1), lot(L2)] })),
    step('man2', 1, () => ({ type: 'aggregate', parent: PAL, children: [item(L1, pcs(5))] })),
    step('man2', 2, () => ship('ret', [item(PAL, pcs(1))], { carrier: 'car' })),
    step('ret', 3, (h) => receive(h(2), [item(PAL, pcs(1))])),
    step('man2', 4, () => ship('ret', [item(L2, pcs(5))])),
    step('ret', 5, (h) => receive(h(4), [item(L2, pcs(5))])),
    step('ret', 6, () => ({ type: 'aggregate', parent: PAL, children: [item(L2, pcs(3))] })),
    step('ret', 7, (h) => retract(h(6))),
  ];
  const p = await play(t, steps);
  const down = await p.w.L.ledger.downstream(L2);
  t.strictSame(down.derived, [], 'nothing is derived from L2');
  t.strictSame(down.edges, [], 'no edge leaves L2');
  t.strictSame(down.shipments.map((s) => s.seq), [p.receipts[4]!.seq], "L2's only shipment is its own, not the pallet's");
  t.strictSame(down.holders.map((h) => [h.code, h.holder, h.quantity.value, h.packedIn]), [[L2, 'man2', 5, undefined], [L2, 'ret', 5, undefined]]);
  t.strictSame((await p.w.L.ledger.summary(L2)).journey.map((j) => j.seq), [p.receipts[4]!.seq], 'the resolver journey likewise');
  t.strictSame(await retractionMismatches(p, steps, [L1, L2, PAL]), [], 'every answer equals the log without the packing');
});

t.test('packed, unpacked and packed again: retracting the second packing keeps the first one', async (t) => {
  const steps: Step[] = [
    step('man2', 0, () => ({ type: 'commission', objects: [lot(L1), lot(L2)] })),
    step('man2', 1, () => ({ type: 'aggregate', parent: PAL, children: [item(L2, pcs(1))] })),
    step('man2', 2, () => ({ type: 'aggregate', parent: PAL, children: [item(L1, pcs(4))] })),
    step('man2', 3, () => ({ type: 'disaggregate', parent: PAL, children: [item(L1, pcs(4))] })),
    step('man2', 4, () => ({ type: 'aggregate', parent: PAL, children: [item(L1, pcs(2))] })),
    step('man2', 5, (h) => retract(h(4))),
  ];
  const p = await play(t, steps);
  // L1 travelled in PAL between steps 2 and 3: that stays, at quantity 0.
  t.strictSame((await p.w.L.ledger.downstream(L1)).edges.map((e) => [e.from, e.to, e.quantity.value]), [[L1, PAL, 0]]);
  t.strictSame(await retractionMismatches(p, steps, [L1, L2, PAL]), [], 'every answer equals the log without the second packing');
  const dump = p.w.L.store.dumpProjections();
  rebuildDerived(p.w.L.store);
  t.strictSame(p.w.L.store.dumpProjections(), dump, 'a rebuild from the log gives the same projections');
});
