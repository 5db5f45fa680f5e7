/**
 * Trace queries of src/domain/trace.ts over the chain of test/trace-chain.ts: upstream provenance
 * and footprint roll-up (numbers worked out by hand below), downstream impact, history, the PACT
 * footprint, and the errors of a query for a code that is unknown or malformed.
 */
import t, { type Test } from 'tap';
import { A1, at, B1, buildChain, F, GTIN_P, K, O, P, PAL, S, X, type Seqs } from '../trace-chain.js';
import { commission, item, kg, makeWorld, pcs, spec, sscc, transform, type World } from '../trace-world.js';

/** What trace.ts does to every figure: 12 significant digits. */
const r12 = (x: number) => Number(x.toPrecision(12));

// ---- The roll-up, by hand (docs/events.md "Footprint roll-up") ----------------------------
// t1 rolling: A1 500 kg × 8 + B1 200 kg × (gap) + direct 100 + 1000 kWh × 0.5 = 4600 kgCO2e;
//   electricity 500 × 2 + 1000 = 2000 kWh; water 500 × 0.01 + 10 = 15 m³. S and X share it by
//   quantity: S 400/500 = 0.8 over 400 kg, X 0.2 over 100 kg: both 0.002 of the totals per kg.
//   Data gap: B1 is 200 of the 700 kg consumed.
const PDS_S = r12(100 * (1 - 200 / 700));
const FP = {
  A1: { kgCO2ePerUnit: 8, electricityKWhPerUnit: 2, waterM3PerUnit: 0.01, primaryDataShare: 100 },
  B1: { kgCO2ePerUnit: 0, electricityKWhPerUnit: 0, waterM3PerUnit: 0, primaryDataShare: 0 },
  S: { kgCO2ePerUnit: 9.2, electricityKWhPerUnit: 4, waterM3PerUnit: 0.03, primaryDataShare: PDS_S },
  X: { kgCO2ePerUnit: 9.2, electricityKWhPerUnit: 4, waterM3PerUnit: 0.03, primaryDataShare: PDS_S },
  // t2 stamping: S 300 kg × 9.2 + 200 kWh × 0.5 = 2860 kgCO2e; 300 × 4 + 200 = 1400 kWh; 300 × 0.03 = 9 m³.
  // F carries the stated share 0.75 over 100 pieces, O 0.25 over 50 kg.
  F: { kgCO2ePerUnit: 21.45, electricityKWhPerUnit: 10.5, waterM3PerUnit: 0.0675, primaryDataShare: PDS_S },
  O: { kgCO2ePerUnit: 14.3, electricityKWhPerUnit: 7, waterM3PerUnit: 0.045, primaryDataShare: PDS_S },
  K: { kgCO2ePerUnit: 0.05, electricityKWhPerUnit: 0.01, waterM3PerUnit: 0, primaryDataShare: 80 },
  // t3 assembly: F 40 × 21.45 + K 160 × 0.05 + 40 kWh × 0.5 = 886 kgCO2e over 40 pieces; electricity
  // 40 × 10.5 + 160 × 0.01 + 40 = 461.6 kWh; water 40 × 0.0675 = 2.7 m³. Gap: inputs share a unit
  // (pieces), so weighted by quantity: F's gap 2/7 × 40/200 + K's 20 % × 160/200.
  P: { kgCO2ePerUnit: 22.15, electricityKWhPerUnit: 11.54, waterM3PerUnit: 0.0675, primaryDataShare: r12(100 * (1 - ((2 / 7) * (40 / 200) + 0.2 * (160 / 200)))) },
};
// The pallet holds 30 P while packed.
const FP_PAL = { kgCO2ePerUnit: 664.5, electricityKWhPerUnit: 346.2, waterM3PerUnit: 2.025, primaryDataShare: FP.P.primaryDataShare };

const byDepthCode = (a: [string, number], b: [string, number]) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
const sortPairs = (pairs: Array<[string, number]>) => [...pairs].sort(byDepthCode);
const byCode = <T extends { code: string }>(xs: readonly T[]) => [...xs].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));

async function chainWorld(t: Test, after: (w: World) => Parameters<typeof buildChain>[1] = () => ({})): Promise<{ w: World; r: Seqs }> {
  const w = await makeWorld();
  t.teardown(() => w.L.close());
  const r = await buildChain(w, after(w));
  return { w, r };
}

/** Every seq a query names is the seq of an entry of the type that proves that fact. */
function checkUpstreamSeqs(t: Test, w: World, up: Awaited<ReturnType<World['L']['ledger']['upstream']>>) {
  const types = new Set<string>();
  const is = (seq: number | null | undefined, type: string | string[], what: string) => {
    const actual = w.typeAt(seq as number);
    types.add(actual);
    t.ok((Array.isArray(type) ? type : [type]).includes(actual), `${what}: seq ${seq} is a ${actual}`);
  };
  for (const f of up.flags) is(f['seq'] as number, f['kind'] === 'recall' ? 'recall' : 'inspect', `flag ${f['kind']} of ${f['code']}`);
  for (const n of up.nodes) {
    is(n.createdSeq, n.createdBy, `${n.code} createdSeq`);
    for (const i of n.inputs) {
      if ('seq' in i) is(i.seq, 'transform', `${n.code} input ${i.code}`);
      else for (const s of i.seqs) is(s, 'aggregate', `${n.code} packed ${i.code}`);
    }
    for (const i of n.inspections) is(i.seq, 'inspect', `${n.code} inspection`);
    for (const c of n.certificates) is(c.seq, n.createdBy, `${n.code} certificate`);
    for (const r of n.recalls) is(r.seq, 'recall', `${n.code} recall`);
    if (n.process !== null) is(n.process['seq'] as number, 'transform', `${n.code} process`);
  }
  for (const s of up.footprint.seqs) is(s, ['commission', 'transform', 'aggregate'], 'footprint source');
  return types;
}

function checkDownstreamSeqs(t: Test, w: World, down: Awaited<ReturnType<World['L']['ledger']['downstream']>>) {
  const is = (seq: number | null, type: string, what: string) => t.equal(w.typeAt(seq as number), type, `${what}: seq ${seq} is a ${type}`);
  for (const f of down.flags) is(f.seq, 'recall', 'flag');
  for (const d of down.derived) t.ok(['transform', 'aggregate'].includes(w.typeAt(d.createdSeq)), `${d.code} createdSeq`);
  for (const e of down.edges) if (e.seq !== null) is(e.seq, 'transform', `edge ${e.from} → ${e.to}`);
  for (const s of down.shipments) {
    is(s.seq, 'ship', 'shipment');
    t.equal(s.leafHash, w.L.ledger.record(s.seq).leafHash, 'shipment leaf hash');
    if (s.receivedSeq !== null) is(s.receivedSeq, 'receive', 'receipt');
    if (s.retractedSeq !== null) is(s.retractedSeq, 'retract', 'retraction');
    for (const e of s.timeline) is(e.seq, e.status === 'dispatched' ? 'ship' : e.status === 'received' ? 'receive' : 'track', `timeline ${e.status}`);
  }
  for (const d of down.discrepancies) {
    is(d['shipmentSeq'] as number, 'ship', 'discrepancy shipment');
    is(d['receiveSeq'] as number, 'receive', 'discrepancy receipt');
  }
  for (const d of down.deliveries) is(d.seq, 'track', 'delivery');
  for (const r of down.impact.recalls) is(r.seq, 'recall', 'impact recall');
}

// ---------------------------------------------------------------------------------------------

t.test('upstream: provenance graph, quality flags and the footprint roll-up', async (t) => {
  const { w, r } = await chainWorld(t);
  const up = await w.L.ledger.upstream(P);
  t.equal(up.code, P);
  t.equal(up.ancestors, 5);
  t.strictSame(sortPairs(up.nodes.map((n) => [n.code, n.depth])), sortPairs([[P, 0], [F, 1], [K, 1], [S, 2], [A1, 3], [B1, 3]]));
  t.strictSame(up.flags, [
    { kind: 'failed_inspection', code: B1, depth: 3, seq: r['iB1']!.seq, detail: 'moisture above limit' },
    { kind: 'recall', code: B1, depth: 3, seq: r['rc']!.seq, detail: 'contaminated resin' },
  ], 'the failed inspection and the recall of the resin, at the top');

  const node = (code: string) => up.nodes.find((n) => n.code === code)!;
  const seq = (name: string) => r[name]!.seq;
  // Quantities consumed by each transform, and the part of them allocated to this output.
  t.strictSame(byCode(node(P).inputs), byCode([
    { code: F, consumed: pcs(40), allocated: pcs(40), seq: seq('t3') },
    { code: K, consumed: pcs(160), allocated: pcs(160), seq: seq('t3') },
  ]));
  t.strictSame(node(F).inputs, [{ code: S, consumed: kg(300), allocated: kg(225), seq: seq('t2') }]);
  t.strictSame(byCode(node(S).inputs), byCode([
    { code: A1, consumed: kg(500), allocated: kg(400), seq: seq('t1') },
    { code: B1, consumed: kg(200), allocated: kg(160), seq: seq('t1') },
  ]));
  t.strictSame(node(A1).inputs, []);
  t.strictSame(node(S).process, { seq: seq('t1'), name: 'rolling', electricityKWh: 1000, gridKgCO2ePerKWh: 0.5, waterM3: 10, directEmissionsKgCO2e: 100, allocationShare: 0.8 });
  t.strictSame(node(F).process, { seq: seq('t2'), name: 'stamping', electricityKWh: 200, gridKgCO2ePerKWh: 0.5, allocationShare: 0.75 });
  t.strictSame(node(P).process, { seq: seq('t3'), name: 'assembly', electricityKWh: 40, gridKgCO2ePerKWh: 0.5, allocationShare: 1 });
  t.equal(node(A1).process, null);

  t.match(node(P), {
    level: 'finished', product: { gtin: GTIN_P, name: 'Bike frame kit', netMassKg: 2.7 }, producer: { id: 'man2', name: 'MAN2 Ltd' },
    quantity: pcs(40), createdSeq: seq('t3'), createdBy: 'transform', attributes: { colour: 'red' }, recalledSeq: null,
  });
  t.strictSame(node(P).inspections, [{ seq: seq('iP'), signer: 'man2', time: at(91), result: 'pass', standard: 'ISO 4210' }]);
  t.strictSame(node(A1).inspections, [
    { seq: seq('iA1'), signer: 'lab', time: at(-24), result: 'pass', standard: 'EN 573-3', measurements: [{ type: 'Si', value: 0.3, unit: '%', max: 0.5 }] },
  ]);
  t.strictSame(node(B1).inspections, [{ seq: seq('iB1'), signer: 'lab', time: at(-24), result: 'fail', note: 'moisture above limit' }]);
  t.strictSame(node(B1).recalls, [{ seq: seq('rc'), signer: 'sup2', time: at(60), reason: 'contaminated resin' }]);
  t.equal(node(B1).recalledSeq, seq('rc'));
  t.strictSame(node(A1).certificates, [{ scheme: 'ASI Performance', id: 'ASI-123', seq: seq('cA1') }]);

  // Footprints of every node, and of the root.
  const seqs = (...names: string[]) => names.map(seq).sort((a, b) => a - b);
  const gapsS = { dataGaps: [B1], seqs: seqs('cA1', 'cB1', 't1') };
  // Nodes carry their figures; the sources and gaps are listed once, for the object traced.
  t.strictSame(node(A1).footprint, { ...FP.A1, declared: true });
  t.strictSame(node(B1).footprint, { ...FP.B1, declared: false });
  t.strictSame(node(S).footprint, { ...FP.S, declared: false });
  t.strictSame(node(F).footprint, { ...FP.F, declared: false });
  t.strictSame(node(K).footprint, { ...FP.K, declared: true });
  const fpP = { ...FP.P, dataGaps: [B1], seqs: seqs('cA1', 'cB1', 't1', 't2', 'cK', 't3') };
  t.strictSame(node(P).footprint, { ...FP.P, declared: false });
  t.strictSame(up.footprint, fpP);
  t.strictSame((await w.L.ledger.upstream(X)).footprint, { ...FP.X, ...gapsS });
  t.strictSame((await w.L.ledger.upstream(O)).footprint, { ...FP.O, dataGaps: [B1], seqs: seqs('cA1', 'cB1', 't1', 't2') });

  const types = checkUpstreamSeqs(t, w, up);
  t.strictSame([...types].sort(), ['commission', 'inspect', 'recall', 'transform']);
});

t.test('upstream of a pallet: what is packed in it now', async (t) => {
  let packed: Awaited<ReturnType<World['L']['ledger']['upstream']>> | undefined;
  const { w, r } = await chainWorld(t, (w) => ({
    r4: async () => {
      packed = await w.L.ledger.upstream(PAL);
    },
  }));
  t.strictSame(sortPairs(packed!.nodes.map((n) => [n.code, n.depth])), sortPairs([[PAL, 0], [P, 1], [F, 2], [K, 2], [S, 3], [A1, 4], [B1, 4]]));
  const pal = packed!.nodes[0]!;
  t.match(pal, { code: PAL, level: 'logistic', quantity: pcs(1), createdBy: 'aggregate', createdSeq: r['a1']!.seq, producer: { id: 'man2' } });
  t.strictSame(pal.inputs, [{ code: P, packed: pcs(30), seqs: [r['a1']!.seq] }]);
  t.match(packed!.footprint, { ...FP_PAL, dataGaps: [B1] });
  t.strictSame(packed!.flags.map((f) => [f['kind'], f['code'], f['depth']]), [['failed_inspection', B1, 4], ['recall', B1, 4]]);
  checkUpstreamSeqs(t, w, packed!);

  // Unpacked, it carries nothing (and none of its former contents' flags).
  const empty = await w.L.ledger.upstream(PAL);
  t.strictSame(empty.nodes.map((n) => n.code), [PAL]);
  t.equal(empty.ancestors, 0);
  t.strictSame(empty.flags, []);
  t.strictSame(empty.footprint, { kgCO2ePerUnit: 0, electricityKWhPerUnit: 0, waterM3PerUnit: 0, primaryDataShare: 100, dataGaps: [], seqs: [r['a1']!.seq] });
});

t.test('downstream: derived products, shipments, discrepancies, timeline, holders, impact', async (t) => {
  let inTransit: Awaited<ReturnType<World['L']['ledger']['downstream']>> | undefined;
  const { w, r } = await chainWorld(t, (w) => ({
    s4: async () => {
      inTransit = await w.L.ledger.downstream(A1);
    },
  }));
  const seq = (name: string) => r[name]!.seq;
  const down = await w.L.ledger.downstream(A1);
  t.equal(down.code, A1);
  t.strictSame(sortPairs(down.derived.map((d) => [d.code, d.depth])), sortPairs([[S, 1], [X, 1], [F, 2], [O, 2], [P, 3], [PAL, 4]]));
  t.match(down.derived.find((d) => d.code === P), { level: 'finished', createdSeq: seq('t3'), producer: { id: 'man2', name: 'MAN2 Ltd' } });
  const byEdge = (a: { from: string; to: string }, b: { from: string; to: string }) => (a.from + a.to < b.from + b.to ? -1 : 1);
  t.strictSame([...down.edges].sort(byEdge), [
    { from: A1, to: S, kind: 'transform', quantity: kg(500), seq: seq('t1') },
    { from: A1, to: X, kind: 'transform', quantity: kg(500), seq: seq('t1') },
    { from: S, to: F, kind: 'transform', quantity: kg(300), seq: seq('t2') },
    { from: S, to: O, kind: 'transform', quantity: kg(300), seq: seq('t2') },
    { from: F, to: P, kind: 'transform', quantity: pcs(40), seq: seq('t3') },
    { from: P, to: PAL, kind: 'packed', quantity: pcs(0), seq: null },
  ].sort(byEdge));

  const party = (id: string) => ({ id, name: `${id.toUpperCase()} Ltd` });
  t.strictSame(down.shipments, [
    {
      seq: seq('s1'), leafHash: r['s1']!.leafHash, sender: party('sup'), receiver: party('man'), carrier: party('car'), status: 'received',
      dispatchedAt: at(0), expectedDelivery: at(24), receivedSeq: seq('r1'), receivedAt: at(24), leadTimeHours: 24,
      transport: { mode: 'road', distanceKm: 120, emissionsKgCO2e: 30 }, retractedSeq: null,
      items: [{ code: A1, shipped: kg(600), received: kg(600) }],
      timeline: [
        { seq: seq('s1'), status: 'dispatched', time: at(0), signer: 'sup' },
        { seq: seq('tr1'), status: 'in_transit', time: at(2), signer: 'car', location: { name: 'Depot North' } },
        { seq: seq('tr2'), status: 'out_for_delivery', time: at(20), signer: 'car' },
        { seq: seq('r1'), status: 'received', time: at(24), signer: 'man' },
      ],
    },
    {
      seq: seq('s3'), leafHash: r['s3']!.leafHash, sender: party('man'), receiver: party('man2'), carrier: party('car'), status: 'received',
      dispatchedAt: at(72), expectedDelivery: null, receivedSeq: seq('r3'), receivedAt: at(80), leadTimeHours: 8, retractedSeq: null,
      items: [{ code: F, shipped: pcs(100), received: pcs(100) }],
      timeline: [
        { seq: seq('s3'), status: 'dispatched', time: at(72), signer: 'man' },
        { seq: seq('r3'), status: 'received', time: at(80), signer: 'man2' },
      ],
    },
    {
      seq: seq('s4'), leafHash: r['s4']!.leafHash, sender: party('man2'), receiver: party('ret'), carrier: party('car'), status: 'received',
      dispatchedAt: at(93), expectedDelivery: at(100), receivedSeq: seq('r4'), receivedAt: at(99), leadTimeHours: 6, retractedSeq: null,
      items: [{ code: PAL, shipped: pcs(1), received: pcs(1) }],
      timeline: [
        { seq: seq('s4'), status: 'dispatched', time: at(93), signer: 'man2' },
        { seq: seq('tr4a'), status: 'in_transit', time: at(94), signer: 'car' },
        { seq: seq('tr4b'), status: 'out_for_delivery', time: at(98), signer: 'car' },
        { seq: seq('r4'), status: 'received', time: at(99), signer: 'ret' },
      ],
    },
  ]);
  t.ok(seq('tr4a') > seq('tr4b'), 'the timeline is in event time, not in seq order');
  t.strictSame(down.discrepancies, []);
  t.strictSame(down.deliveries, [{ seq: seq('dl'), code: P, status: 'delivered', recipient: 'order-4711', time: at(110), signer: 'ret', quantity: pcs(2) }]);

  const holder = (code: string, id: string, quantity: { value: number; unit: string }) =>
    id.startsWith('customer:')
      ? { code, holder: null, customer: id.slice(id.indexOf('/') + 1), deliveredBy: id.slice(9, id.indexOf('/')), name: id.slice(id.indexOf('/') + 1), quantity }
      : { code, holder: id, customer: null, name: `${id.toUpperCase()} Ltd`, quantity };
  const byHolder = (a: { code: string; name: string }, b: { code: string; name: string }) => (a.code + a.name < b.code + b.name ? -1 : 1);
  const holdersP = [holder(P, 'customer:ret/order-4711', pcs(2)), holder(P, 'man2', pcs(10)), holder(P, 'ret', pcs(28))];
  t.strictSame([...down.holders].sort(byHolder), [
    holder(A1, 'man', kg(100)), holder(A1, 'sup', kg(400)),
    holder(S, 'man', kg(100)), holder(X, 'man', kg(100)),
    holder(F, 'man2', pcs(60)), holder(O, 'man', kg(50)),
    ...holdersP,
    holder(PAL, 'ret', pcs(1)),
  ].sort(byHolder));
  t.strictSame(down.flags, []);
  t.equal(down.impact.recalled, false);
  t.strictSame(down.impact.customers, ['order-4711']);
  t.equal(down.impact.finishedProducts.length, 1);
  const fin = down.impact.finishedProducts[0]!;
  t.match(fin, { code: P, level: 'finished', quantity: pcs(40), inTransitShipments: [] });
  t.strictSame(fin.holders, holdersP.map(({ code: _c, ...h }) => h));
  checkDownstreamSeqs(t, w, down);

  // While the pallet was on the road, the 30 products packed on it were in transit.
  const fin0 = inTransit!.impact.finishedProducts[0]!;
  t.strictSame(fin0.inTransitShipments, [seq('s4')]);
  t.strictSame(fin0.holders, [{ holder: 'man2', customer: null, name: 'MAN2 Ltd', quantity: pcs(10) }]);
  t.equal(inTransit!.shipments.at(-1)!.status, 'in_transit');
  t.strictSame(inTransit!.impact.customers, []);
});

t.test('downstream of the recalled resin: recall impact and the short receipt', async (t) => {
  const { w, r } = await chainWorld(t);
  const seq = (name: string) => r[name]!.seq;
  const down = await w.L.ledger.downstream(B1);
  const recall = { code: B1, seq: seq('rc'), signer: 'sup2', time: at(60), reason: 'contaminated resin' };
  t.strictSame(down.flags, [{ kind: 'recall', ...recall }]);
  t.strictSame(down.impact.recalls, [recall]);
  t.equal(down.impact.recalled, true);
  t.strictSame(down.discrepancies, [
    { shipmentSeq: seq('s2'), receiveSeq: seq('r2'), code: B1, shipped: kg(300), received: kg(290), missing: kg(10), condition: 'partial', note: 'one bag torn' },
  ]);
  t.strictSame(down.shipments.map((s) => [s.seq, s.leadTimeHours, s.carrier]), [[seq('s2'), 48, null], [seq('s3'), 8, { id: 'car', name: 'CAR Ltd' }], [seq('s4'), 6, { id: 'car', name: 'CAR Ltd' }]]);
  t.strictSame(down.impact.finishedProducts.map((f) => [f.code, f.holders.map((h) => [h.holder ?? h.customer, h.quantity.value])]), [
    [P, [['order-4711', 2], ['man2', 10], ['ret', 28]]],
  ]);
  t.strictSame(down.impact.customers, ['order-4711']);
  checkDownstreamSeqs(t, w, down);
});

t.test('history: every entry touching the code, in seq order', async (t) => {
  const { w, r } = await chainWorld(t);
  const seq = (name: string) => r[name]!.seq;
  const check = async (code: string, expected: Array<[string, string, string[]]>) => {
    const h = await w.L.ledger.history(code);
    t.equal(h.code, code);
    t.strictSame(h.entries.map((e) => [e.seq, e.type, e.roles]), expected.map(([name, type, roles]) => [seq(name), type, roles]), code);
    for (const e of h.entries) {
      const rec = w.L.ledger.record(e.seq).record;
      t.strictSame(e.payload, rec.entry.payload, `${code} seq ${e.seq}: the signed payload`);
      t.equal(e.recordedAt, rec.recordedAt);
      t.equal(e.retractedBy, null);
    }
  };
  await check(A1, [['cA1', 'commission', ['commissioned']], ['iA1', 'inspect', ['inspected']], ['s1', 'ship', ['shipped']], ['tr1', 'track', ['tracked']], ['tr2', 'track', ['tracked']], ['r1', 'receive', ['received']], ['t1', 'transform', ['consumed']]]);
  await check(P, [['t3', 'transform', ['produced']], ['iP', 'inspect', ['inspected']], ['a1', 'aggregate', ['packed']], ['d1', 'disaggregate', ['unpacked']], ['dl', 'track', ['delivered']]]);
  await check(PAL, [['a1', 'aggregate', ['packed-into']], ['s4', 'ship', ['shipped']], ['tr4b', 'track', ['tracked']], ['tr4a', 'track', ['tracked']], ['r4', 'receive', ['received']], ['d1', 'disaggregate', ['unpacked-from']]]);
  await check(B1, [['cB1', 'commission', ['commissioned']], ['iB1', 'inspect', ['inspected']], ['s2', 'ship', ['shipped']], ['r2', 'receive', ['received']], ['t1', 'transform', ['consumed']], ['rc', 'recall', ['recalled']]]);
});

t.test('object: current state, holders including the customer', async (t) => {
  const { w, r } = await chainWorld(t);
  const o = await w.L.ledger.object(P);
  t.match(o, { code: P, level: 'finished', producer: 'man2', quantity: pcs(40), createdSeq: r['t3']!.seq, recalled: false, packedIn: [], contents: [] });
  t.strictSame(o.holders, [{ customer: 'order-4711', deliveredBy: 'ret', quantity: pcs(2) }, { holder: 'man2', quantity: pcs(10) }, { holder: 'ret', quantity: pcs(28) }]);
  t.match(await w.L.ledger.object(B1), { recalled: true, recalledSeq: r['rc']!.seq });
});

t.test('footprint: PACT ProductFootprint', async (t) => {
  const { w, r } = await chainWorld(t);
  const seqs = ['cA1', 'cB1', 't1', 't2', 'cK', 't3'].map((n) => r[n]!.seq).sort((a, b) => a - b);
  const fp = await w.L.ledger.footprint(P);
  t.match(fp.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.equal(fp.id, (await w.L.ledger.footprint(P)).id, 'the same footprint keeps its id');
  t.match(fp, {
    specVersion: '2.2.0',
    companyName: 'MAN2 Ltd',
    companyIds: ['urn:trace:man2'],
    productIds: [P, `urn:gtin:${GTIN_P}`],
    productNameCompany: 'Bike frame kit',
  });
  // 22.15 kgCO2e per frame kit of 2.7 kg
  const perKg = String(r12(22.15 / 2.7));
  t.match(fp.pcf, {
    declaredUnit: 'kilogram',
    unitaryProductAmount: '2.7',
    pCfExcludingBiogenic: perKg,
    fossilGhgEmissions: perKg,
    primaryDataShare: FP.P.primaryDataShare,
    referencePeriodStart: at(-48),
    referencePeriodEnd: at(90),
  });
  t.equal(perKg, '8.2037037037');
  t.type(fp.pcf.pCfExcludingBiogenic, 'string');
  t.strictSame(fp.extensions[0]!.data, {
    code: P, unit: 'H87', kgCO2ePerUnit: 22.15, electricityKWhPerUnit: 11.54, waterM3PerUnit: 0.0675, dataGaps: [B1], seqs, ledgerSize: w.L.ledger.size(),
  });

  const sheet = await w.L.ledger.footprint(S);
  t.match(sheet.pcf, { declaredUnit: 'kilogram', unitaryProductAmount: '1', pCfExcludingBiogenic: '9.2', primaryDataShare: PDS_S });
  t.strictSame(sheet.productIds, [S]);
  t.match((await w.L.ledger.footprint(O)).pcf, { pCfExcludingBiogenic: '14.3' });
  t.match((await w.L.ledger.footprint(A1)).pcf, { pCfExcludingBiogenic: '8', primaryDataShare: 100 });
  // A frame is counted in pieces but states its net mass: 21.45 kgCO2e per 2.5 kg.
  t.match((await w.L.ledger.footprint(F)).pcf, { unitaryProductAmount: '2.5', pCfExcludingBiogenic: String(r12(21.45 / 2.5)) });

  await t.rejects(w.L.ledger.footprint(K), { code: 'TRACE_FOOTPRINT_UNAVAILABLE' }, 'pieces without netMassKg');
  await t.rejects(w.L.ledger.footprint(PAL), { code: 'TRACE_FOOTPRINT_UNAVAILABLE' }, 'a pallet');
});

t.test('footprint: tonnes and grams are stated per kilogram', async (t) => {
  const w = await makeWorld();
  t.teardown(() => w.L.close());
  await w.submit(w.sup, commission(
    spec('urn:trace:sup:t-1', { value: 2, unit: 'TNE' }, { footprint: { kgCO2ePerUnit: 1500 } }),
    spec('urn:trace:sup:g-1', { value: 500, unit: 'GRM' }, { footprint: { kgCO2ePerUnit: 0.004 } }),
  ));
  t.match((await w.L.ledger.footprint('urn:trace:sup:t-1')).pcf, { declaredUnit: 'kilogram', unitaryProductAmount: '1000', pCfExcludingBiogenic: '1.5' });
  t.match((await w.L.ledger.footprint('urn:trace:sup:g-1')).pcf, { declaredUnit: 'kilogram', unitaryProductAmount: '0.001', pCfExcludingBiogenic: '4' });
});

t.test('data gaps: electricity without a grid factor, and what a pallet holds', async (t) => {
  const w = await makeWorld();
  t.teardown(() => w.L.close());
  const M = 'urn:trace:man:m-1';
  const G = 'urn:trace:man:g-1';
  const Y = 'urn:trace:man:y-1';
  const box = sscc('09506000100000002');
  await w.submit(w.man, commission(spec(M, kg(100), { footprint: { kgCO2ePerUnit: 1, primaryDataShare: 90 } }), spec(G, kg(10))));
  // 10 kg × 1 kgCO2e + 50 kWh at an unstated grid factor (listed as a gap, not priced) over 10 kg
  await w.submit(w.man, transform([item(M, kg(10))], [spec(Y, kg(10), { level: 'semi' })], { process: { electricityKWh: 50 } }));
  t.strictSame((await w.L.ledger.upstream(Y)).footprint, {
    kgCO2ePerUnit: 1, electricityKWhPerUnit: 5, waterM3PerUnit: 0, primaryDataShare: 90,
    dataGaps: [`${Y} (electricity without a grid factor)`], seqs: [w.L.ledger.size() - 2, w.L.ledger.size() - 1],
  });

  // A box with a declared lot and an undeclared one: half of its contents rest on primary data.
  const a1 = await w.submit(w.man, { type: 'aggregate', parent: box, children: [item(G, kg(10)), item(M, kg(15))] });
  const a2 = await w.submit(w.man, { type: 'aggregate', parent: box, children: [item(M, kg(5))] });
  const packed = await w.L.ledger.upstream(box);
  t.match(packed.footprint, { kgCO2ePerUnit: 20, primaryDataShare: r12(100 * (1 - (1 + 0.1) / 2)), dataGaps: [G] });
  t.strictSame(byCode(packed.nodes[0]!.inputs as Array<{ code: string }>), [
    { code: G, packed: kg(10), seqs: [a1.seq] },
    { code: M, packed: kg(20), seqs: [a1.seq, a2.seq] },
  ], 'each child names the aggregates that packed it');
  // Once the undeclared lot is taken out, it no longer counts.
  await w.submit(w.man, { type: 'disaggregate', parent: box, children: [item(G, kg(10))] });
  const up = await w.L.ledger.upstream(box);
  t.strictSame(up.nodes.map((n) => n.code), [box, M]);
  t.match(up.footprint, { kgCO2ePerUnit: 20, primaryDataShare: 90, dataGaps: [] });
});

t.test('queries for a code that is unknown or malformed', async (t) => {
  const w = await makeWorld();
  t.teardown(() => w.L.close());
  const q = w.L.ledger;
  const queries = (code: string): Array<[string, Promise<unknown>]> => [
    ['object', q.object(code)], ['upstream', q.upstream(code)], ['downstream', q.downstream(code)], ['history', q.history(code)], ['footprint', q.footprint(code)],
  ];
  for (const code of ['urn:trace:nobody:thing-1', sscc('09506000100000009'), 'https://example.com/01/09506000130019']) {
    for (const [name, p] of queries(code)) await t.rejects(p, { code: 'TRACE_OBJECT_NOT_FOUND' }, `${name} ${code}`);
  }
  for (const code of ['urn:trace:UPPER:x', 'https://id.gs1.org/01/09506000130010', 'not a code', 'urn:isbn:123', '']) {
    for (const [name, p] of queries(code)) await t.rejects(p, { code: 'TRACE_CODE_INVALID' }, `${name} ${JSON.stringify(code)}`);
  }
});
