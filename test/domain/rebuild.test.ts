/**
 * The projections are caches of the log (docs/events.md "State rules"): `rebuildDerived` recreates every
 * one of them from the records alone, row for row, and the ledger carries on from the rebuilt state.
 */
import t, { type Test } from 'tap';
import { toBase64Url } from '../../src/core/bytes.js';
import { downstream, history, pactFootprint, upstream } from '../../src/domain/trace.js';
import { rebuildDerived } from '../../src/ledger.js';
import { party } from '../helpers.js';
import { A1, B1, buildChain, F, K, O, P, PAL, S, X } from '../trace-chain.js';
import { commission, item, kg, makeWorld, pcs, receive, retract, ship, spec, sscc, transform, type World } from '../trace-world.js';

const Z = 'urn:trace:sup:z-1';
const Q = 'urn:trace:man:q-1';
const PAL2 = sscc('09506000100000003');
const CODES = [A1, B1, S, X, F, O, K, P, PAL, Z, Q, PAL2];

/**
 * Every query for every code, computed from the projections now (the trace functions themselves:
 * the ledger may cache answers while the log does not grow); errors by their code. The PACT
 * `created` stamp is the clock's.
 */
async function answers(w: World) {
  const store = w.L.store;
  const settle = async (f: () => unknown) => {
    try {
      return await f();
    } catch (e) {
      return { error: (e as { code?: string }).code };
    }
  };
  const out: Record<string, unknown> = {};
  for (const c of CODES) {
    const fp = (await settle(() => pactFootprint(store, c, store.size(), '2026-11-29T00:00:00.000Z'))) as Record<string, unknown>;
    delete fp['created'];
    out[c] = {
      object: await settle(() => w.L.ledger.object(c)),
      upstream: await settle(() => upstream(store, c)),
      downstream: await settle(() => downstream(store, c)),
      history: await settle(() => history(store, c)),
      footprint: fp,
    };
  }
  return out;
}

/** The chain, then one retraction of every retractable type, a key rotation, rejected batches. */
async function variedLog(t: Test): Promise<{ w: World; sup: ReturnType<typeof party> }> {
  const w = await makeWorld();
  t.teardown(() => w.L.close());
  await buildChain(w);
  const reject = async (entries: unknown[], code: string) => t.rejects(w.L.ledger.submit(entries), { code }, code);

  // commission, retracted, then the code commissioned again
  const cz = await w.submit(w.sup, commission(spec(Z, kg(10))));
  await w.submit(w.sup, retract(cz.leafHash));
  await w.submit(w.sup, commission(spec(Z, kg(20), { footprint: { kgCO2ePerUnit: 3 } })));
  // ship, retracted
  const s5 = await w.submit(w.sup, ship('man2', [item(A1, kg(50))]));
  await w.submit(w.sup, retract(s5.leafHash));
  // ship, tracked, received short, receipt retracted, received again in full
  const s6 = await w.submit(w.sup, ship('man2', [item(A1, kg(20)), item(Z, kg(5))], { carrier: 'car' }));
  await w.submit(w.car, { type: 'track', status: 'in_transit', shipment: s6.leafHash });
  const r6 = await w.submit(w.man2, receive(s6.leafHash, [item(A1, kg(15))], { condition: 'damaged' }));
  await w.submit(w.man2, retract(r6.leafHash));
  await w.submit(w.man2, receive(s6.leafHash, [item(A1, kg(20)), item(Z, kg(5))]));
  // a receipt of nothing, retracted
  const s7 = await w.submit(w.sup, ship('man', [item(Z, kg(1))]));
  const r7 = await w.submit(w.man, receive(s7.leafHash, []));
  await w.submit(w.man, retract(r7.leafHash));
  // transform, retracted
  const t4 = await w.submit(w.man, transform([item(X, kg(10))], [spec(Q, kg(9), { level: 'semi' })]));
  await w.submit(w.man, retract(t4.leafHash));
  // aggregate twice, the second retracted; disaggregate, retracted
  await w.submit(w.man, { type: 'aggregate', parent: PAL2, children: [item(O, kg(10))] });
  const a3 = await w.submit(w.man, { type: 'aggregate', parent: PAL2, children: [item(O, kg(5)), item(X, kg(1))] });
  await w.submit(w.man, retract(a3.leafHash));
  const d2 = await w.submit(w.man, { type: 'disaggregate', parent: PAL2, children: [item(O, kg(4))] });
  await w.submit(w.man, retract(d2.leafHash));
  // inspect, retracted; recall, retracted
  const i2 = await w.submit(w.lab, { type: 'inspect', objects: [P, F], result: 'fail', note: 'weld crack' });
  await w.submit(w.lab, retract(i2.leafHash));
  const rc2 = await w.submit(w.L.operator, { type: 'recall', objects: [S], reason: 'precaution' });
  await w.submit(w.L.operator, retract(rc2.leafHash));
  await w.submit(w.L.operator, { type: 'recall', objects: [Z], reason: 'mislabelled' });
  // deliveries and a return, one delivery retracted
  const dl2 = await w.submit(w.ret, { type: 'track', status: 'delivered', recipient: 'order-9', objects: [item(P, pcs(1))] });
  await w.submit(w.ret, retract(dl2.leafHash));
  await w.submit(w.ret, { type: 'track', status: 'returned', recipient: 'order-4711', objects: [item(P, pcs(1))] });
  // key rotation: the old key is revoked, the new one signs from then on
  const sup = party('sup');
  await w.submit(w.sup, { type: 'participant.key.add', participant: 'sup', publicKey: toBase64Url(sup.publicKey) });
  await w.submit(w.sup, { type: 'participant.key.revoke', participant: 'sup', kid: w.L.ledger.participant('sup').keys[0]!.kid, reason: 'rotation' });
  await reject([w.L.sign(w.sup, ship('man', [item(A1, kg(1))]))], 'LEDGER_KEY_REVOKED');
  await w.submit(sup, ship('man', [item(A1, kg(1))]));
  // a new participant, and rejected batches that must leave nothing behind
  const dist = party('dist');
  await w.submit(w.L.operator, { type: 'participant.register', participant: 'dist', name: 'DIST Ltd', roles: ['distributor'], publicKey: toBase64Url(dist.publicKey) });
  await reject([w.L.sign(sup, ship('dist', [item(A1, kg(1))])), w.L.sign(sup, ship('dist', [item(A1, kg(10_000))]))], 'TRACE_QUANTITY_EXCEEDED');
  await reject([w.L.sign(w.man, commission(spec('urn:trace:man:tmp', kg(1)))), w.L.sign(w.man, retract('00'.repeat(32)))], 'TRACE_RETRACT_INVALID');
  await w.submit(sup, ship('dist', [item(A1, kg(2))]));
  return { w, sup };
}

t.test('rebuild reproduces every projection row for row, and every answer', async (t) => {
  const { w, sup } = await variedLog(t);
  const types = new Set(w.L.ledger.records(-1, w.L.ledger.size()).map((r) => r.record.entry.payload.type));
  t.strictSame([...types].sort(), [
    'aggregate', 'commission', 'disaggregate', 'inspect', 'ledger.genesis', 'participant.key.add', 'participant.key.revoke',
    'participant.register', 'recall', 'receive', 'retract', 'ship', 'track', 'transform',
  ], 'the log holds every entry type');
  const retracted = new Set(w.L.store.dumpProjections()['retractions']!.map((r) => w.typeAt((r as { target_seq: number }).target_seq)));
  t.strictSame([...retracted].sort(), ['aggregate', 'commission', 'disaggregate', 'inspect', 'recall', 'receive', 'ship', 'track', 'transform'], 'and a retraction of every retractable type');

  const dump = w.L.store.dumpProjections();
  for (const table of ['objects', 'holdings', 'edges', 'containment', 'shipments', 'shipment_items', 'touches', 'retractions', 'participants', 'participant_keys']) {
    t.ok((dump[table] ?? []).length > 0, `${table} has rows`);
  }
  const before = await answers(w);
  const progress: Array<[number, number]> = [];
  const { records } = rebuildDerived(w.L.store, (done, total) => progress.push([done, total]));
  t.equal(records, w.L.store.size());
  t.strictSame(progress.at(-1), [records, records]);
  t.strictSame(w.L.store.dumpProjections(), dump, 'projections are identical');
  t.strictSame(await answers(w), before, 'queries give the same answers');

  // The ledger carries on from the rebuilt state: its rules see the same holdings, shipments,
  // recalls, retractions and keys.
  await t.rejects(w.L.ledger.submit([w.L.sign(w.sup, ship('man', [item(A1, kg(1))]))]), { code: 'LEDGER_KEY_REVOKED' });
  await t.rejects(w.L.ledger.submit([w.L.sign(sup, ship('man', [item(A1, kg(1000))]))]), { code: 'TRACE_QUANTITY_EXCEEDED', details: { remaining: 377 } });
  await t.rejects(w.L.ledger.submit([w.L.sign(w.man, transform([item(B1, kg(1))], [spec(Q, kg(1))]))]), { code: 'TRACE_OBJECT_RECALLED' });
  await t.rejects(w.L.ledger.submit([w.L.sign(w.man, ship('ret', [item(O, kg(41))]))]), { code: 'TRACE_QUANTITY_EXCEEDED', details: { remaining: 40 } });
  await t.rejects(w.L.ledger.submit([w.L.sign(w.man, retract(w.L.ledger.record(w.L.store.size() - 1).leafHash))]), { code: 'TRACE_RETRACT_DENIED' });
  const s8 = await w.submit(sup, ship('man', [item(A1, kg(7))], { carrier: 'car' }));
  await w.submit(w.man, receive(s8.leafHash, [item(A1, kg(7))]));
  const t5 = await w.submit(w.man, transform([item(A1, kg(7)), item(S, kg(1))], [spec(Q, kg(8), { level: 'semi' })]));
  t.match((await w.L.ledger.upstream(Q)).footprint, { dataGaps: [B1] });
  await w.submit(w.man, retract(t5.leafHash));
  await w.submit(w.man, { type: 'disaggregate', parent: PAL2 });
  const after = w.L.store.dumpProjections();
  rebuildDerived(w.L.store);
  t.strictSame(w.L.store.dumpProjections(), after, 'a second rebuild agrees with the live tables again');
});

t.test('rebuild after reopening the database', async (t) => {
  const { w } = await variedLog(t);
  const dump = w.L.store.dumpProjections();
  const before = await answers(w);
  await w.L.reopen();
  rebuildDerived(w.L.store);
  t.strictSame(w.L.store.dumpProjections(), dump);
  t.strictSame(await answers(w), before);
});
