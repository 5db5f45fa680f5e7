import t from 'tap';
import { randomUUID } from 'node:crypto';
import { fromBase64, fromHex, toBase64Url } from '../src/core/bytes.js';
import { verifyCheckpoint } from '../src/core/checkpoint.js';
import { verifyConsistency, verifyInclusion } from '../src/core/merkle.js';
import { makeLedger, party } from './helpers.js';

t.test('genesis, registration, submit, proofs and checkpoint', async (t) => {
  const L = await makeLedger();
  t.teardown(() => L.close());
  t.equal(L.ledger.size(), 1);
  const supplier = party('alu-supplier');
  await L.register(supplier);
  const keyAdd = L.sign(supplier, { type: 'participant.key.add', participant: supplier.id, publicKey: toBase64Url(party('x').publicKey) });
  const [receipt] = await L.ledger.submit([keyAdd]);
  t.equal(receipt!.seq, 2);
  t.match(receipt!.leafHash, /^[0-9a-f]{64}$/);

  // identical resubmission returns the original receipt and appends nothing
  const [again] = await L.ledger.submit([keyAdd]);
  t.same(again, receipt);
  t.equal(L.ledger.size(), 3);

  const cp = L.ledger.checkpoint(3);
  const signed = verifyCheckpoint(cp.note, L.ledger.verifierKey);
  t.equal(signed.size, 3);
  const proof = L.ledger.inclusionProof(2, 3);
  verifyInclusion(fromHex(proof.leafHash), 2, 3, proof.hashes.map(fromBase64), signed.root);
  t.equal(proof.rootHash, Buffer.from(signed.root).toString('base64'));

  const c = L.ledger.consistencyProof(1, 3);
  verifyConsistency(1, 3, c.hashes.map(fromBase64), fromBase64(c.fromRoot), signed.root);
  t.equal(L.ledger.participant(supplier.id).keys.length, 2);
});

t.test('rejections leave the log unchanged', async (t) => {
  const L = await makeLedger({ maxBatchEntries: 5 });
  t.teardown(() => L.close());
  const supplier = party('supplier-a');
  await L.register(supplier);
  const size = L.ledger.size();
  const stranger = party('stranger');
  const addFor = (who: ReturnType<typeof party>, extra: Record<string, unknown> = {}) =>
    L.sign(who, { type: 'participant.key.add', participant: who.id, publicKey: toBase64Url(party('k').publicKey), ...extra });

  const cases: Array<[string, unknown[], string]> = [
    ['unknown signer', [addFor(stranger)], 'LEDGER_SIGNER_UNKNOWN'],
    ['schema violation', [{ payload: { type: 'participant.key.add' }, signature: { kid: '00', sig: '' } }], 'LEDGER_ENTRY_INVALID'],
    ['unknown type', [{ payload: { type: 'teleport', id: 'x', signer: 'a', time: '2026-01-01T00:00:00Z' }, signature: { kid: '0000000000000000', sig: 'A'.repeat(86) } }], 'LEDGER_ENTRY_INVALID'],
    ['future time', [addFor(supplier, { time: new Date(Date.now() + 3600_000).toISOString() })], 'LEDGER_TIME_IN_FUTURE'],
    ['oversized batch', Array.from({ length: 6 }, () => addFor(supplier)), 'LEDGER_BATCH_TOO_LARGE'],
    ['empty batch', [], 'LEDGER_ENTRY_INVALID'],
  ];
  // wrong key: signed by another seed but claiming supplier's kid
  const forged = addFor(party(supplier.id));
  cases.push(['wrong key', [forged], 'LEDGER_KEY_UNKNOWN']);
  const good = addFor(supplier);
  const badSig = { ...good, signature: { ...good.signature, sig: good.signature.sig.slice(0, 85) + (good.signature.sig.endsWith('A') ? 'Q' : 'A') } };
  cases.push(['bad signature', [badSig], 'LEDGER_SIGNATURE_INVALID']);
  const tampered = { ...good, payload: { ...good.payload, publicKey: toBase64Url(party('other').publicKey) } };
  cases.push(['payload changed after signing', [tampered], 'LEDGER_SIGNATURE_INVALID']);
  cases.push(['batch with one bad entry', [addFor(supplier), addFor(supplier), badSig], 'LEDGER_SIGNATURE_INVALID']);
  cases.push(['operator-only action by a supplier', [L.sign(supplier, { type: 'participant.register', participant: 'p2', name: 'P2', roles: ['supplier'], publicKey: toBase64Url(party('p2').publicKey) })], 'LEDGER_PERMISSION_DENIED']);
  const identityKey = new Uint8Array(32);
  identityKey[0] = 1; // encoding of the identity point: a small-order key anyone can "sign" for
  cases.push(['weak (small-order) key', [L.sign(L.operator, { type: 'participant.register', participant: 'weak', name: 'Weak', roles: ['supplier'], publicKey: toBase64Url(identityKey) })], 'LEDGER_KEY_INVALID']);
  cases.push(['key registered twice', [L.sign(L.operator, { type: 'participant.register', participant: 'twin', name: 'Twin', roles: ['supplier'], publicKey: toBase64Url(supplier.publicKey) })], 'LEDGER_KEY_EXISTS']);
  cases.push(['participant registered twice', [L.sign(L.operator, { type: 'participant.register', participant: supplier.id, name: 'Again', roles: ['supplier'], publicKey: toBase64Url(party('again').publicKey) })], 'LEDGER_PARTICIPANT_EXISTS']);
  for (const [name, batch, code] of cases) {
    await t.rejects(L.ledger.submit(batch), { code }, name);
    t.equal(L.ledger.size(), size, `${name}: log unchanged`);
  }

  // a batch's failing entry is named by index
  await t.rejects(L.ledger.submit([addFor(supplier), badSig]), { code: 'LEDGER_SIGNATURE_INVALID', details: { index: 1 } });

  // replayed id with a different payload is a conflict
  const first = addFor(supplier, { id: 'fixed-id' });
  await L.ledger.submit([first]);
  await t.rejects(L.ledger.submit([addFor(supplier, { id: 'fixed-id' })]), { code: 'LEDGER_ENTRY_CONFLICT' });
  t.equal(L.ledger.size(), size + 1);
});

t.test('revoked keys sign nothing after revocation', async (t) => {
  const L = await makeLedger();
  t.teardown(() => L.close());
  const s = party('supplier-r');
  await L.register(s);
  const kid = L.ledger.participant(s.id).keys[0]!.kid;
  const revoke = () => L.sign(s, { type: 'participant.key.revoke', participant: s.id, kid, reason: 'laptop stolen' });
  const addKey = () => L.sign(s, { type: 'participant.key.add', participant: s.id, publicKey: toBase64Url(party('n').publicKey) });
  // In one batch, the entry after the revocation is refused, and with it the whole batch ...
  await t.rejects(L.ledger.submit([revoke(), addKey()]), { code: 'LEDGER_KEY_REVOKED', details: { index: 1 } });
  // ... so the key still signs: nothing of the rolled-back revocation is remembered.
  await L.ledger.submit([addKey()]);
  const stranger = party('stranger-r');
  await t.rejects(
    L.ledger.submit([revoke(), L.sign(stranger, { type: 'participant.key.add', participant: stranger.id, publicKey: toBase64Url(party('s').publicKey) })]),
    { code: 'LEDGER_SIGNER_UNKNOWN' },
  );
  await L.ledger.submit([addKey()]);
  t.same(L.ledger.participant(s.id).keys.map((k) => k.valid), [true, true, true]);
  // self-revocation is signed by the key being revoked
  await L.ledger.submit([L.sign(s, { type: 'participant.key.revoke', participant: s.id, kid, reason: 'laptop stolen' })]);
  await t.rejects(
    L.ledger.submit([L.sign(s, { type: 'participant.key.add', participant: s.id, publicKey: toBase64Url(party('n').publicKey) })]),
    { code: 'LEDGER_KEY_REVOKED' },
  );
  // The operator may not add a key while the participant still holds a valid one (issue 16) ...
  const s2 = party(s.id);
  const recover = () => L.sign(L.operator, { type: 'participant.key.add', participant: s.id, publicKey: toBase64Url(s2.publicKey) });
  await t.rejects(L.ledger.submit([recover()]), { code: 'LEDGER_PERMISSION_DENIED' });
  // ... but revokes them all, then adds a recovery key; the participant signs again with it.
  const left = L.ledger.participant(s.id).keys.filter((k) => k.valid);
  t.equal(left.length, 2);
  await L.ledger.submit(left.map((k) => L.sign(L.operator, { type: 'participant.key.revoke', participant: s.id, kid: k.kid, reason: 'lost' })));
  await L.ledger.submit([recover()]);
  await L.ledger.submit([L.sign(s2, { type: 'participant.key.add', participant: s.id, publicKey: toBase64Url(party('m').publicKey) })]);
  const keys = L.ledger.participant(s.id).keys;
  t.same(keys.map((k) => [k.valid, k.operatorAdded]), [[false, false], [false, false], [false, false], [true, true], [true, false]]);
});

t.test('concurrent submissions are group-committed in order, each durable', async (t) => {
  const L = await makeLedger();
  t.teardown(() => L.close());
  const s = party('busy');
  await L.register(s);
  const entries = Array.from({ length: 50 }, () => L.sign(s, { type: 'participant.key.add', participant: s.id, publicKey: toBase64Url(party('k').publicKey) }));
  const receipts = await Promise.all(entries.map((e) => L.ledger.submit([e])));
  const seqs = receipts.map((r) => r[0]!.seq);
  t.same([...seqs].sort((a, b) => a - b), seqs, 'seqs follow submission order');
  t.equal(new Set(seqs).size, 50);
  await L.reopen();
  t.equal(L.ledger.size(), 52, 'all committed entries survive a reopen');
  t.equal(L.ledger.record(seqs[49]!).record.entry.payload.id, entries[49]!.payload.id);
});

t.test('a rejected submission in a group commit leaves no trace and holds back no other', async (t) => {
  const L = await makeLedger();
  t.teardown(() => L.close());
  const s = party('grouped');
  await L.register(s);
  const used = L.sign(s, { type: 'participant.key.add', id: 'used-id', participant: s.id, publicKey: toBase64Url(party('u').publicKey) });
  await L.ledger.submit([used]);
  const size = L.ledger.size();
  const savepoint = L.store.savepoint.bind(L.store);
  let savepoints = 0;
  L.store.savepoint = (fn) => {
    savepoints++;
    return savepoint(fn);
  };
  const add = (extra: Record<string, unknown> = {}) =>
    L.sign(s, { type: 'participant.key.add', participant: s.id, publicKey: toBase64Url(party('k').publicKey), ...extra });

  // All accepted: one transaction, no savepoints.
  const ok = await Promise.all(Array.from({ length: 5 }, () => L.ledger.submit([add()])));
  t.same(ok.map((r) => r[0]!.seq), [size, size + 1, size + 2, size + 3, size + 4]);
  t.equal(savepoints, 0, 'a group without rejections runs without savepoints');

  // One group: a new participant, a rejected batch (its first entry would be valid), an entry
  // signed by the participant registered earlier in the same group, a conflict, one more.
  const p2 = party('grouped-2');
  const register = L.sign(L.operator, { type: 'participant.register', participant: p2.id, name: 'Grouped 2', roles: ['supplier'], publicKey: toBase64Url(p2.publicKey) });
  const byP2 = L.sign(p2, { type: 'participant.key.add', participant: p2.id, publicKey: toBase64Url(party('k2').publicKey) });
  const stranger = party('not-registered');
  const results = await Promise.allSettled([
    L.ledger.submit([register]),
    L.ledger.submit([add({ id: 'would-be-fine' }), L.sign(stranger, { type: 'participant.key.add', participant: stranger.id, publicKey: toBase64Url(party('s').publicKey) })]),
    L.ledger.submit([byP2]),
    L.ledger.submit([add({ id: 'used-id' })]),
    L.ledger.submit([add()]),
  ]);
  t.same(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
  t.match((results[1] as PromiseRejectedResult).reason, { code: 'LEDGER_SIGNER_UNKNOWN', details: { index: 1 } });
  t.match((results[3] as PromiseRejectedResult).reason, { code: 'LEDGER_ENTRY_CONFLICT' });
  const seqs = results.flatMap((r) => (r.status === 'fulfilled' ? r.value.map((x) => x.seq) : []));
  t.same(seqs, [size + 5, size + 6, size + 7], 'the accepted ones are contiguous, in submission order');
  t.ok(savepoints > 0, 'the group ran again with a savepoint per submission');
  t.equal(L.ledger.size(), size + 8);
  t.equal(L.store.entryBySignerId(s.id, 'would-be-fine'), undefined, 'nothing of the rejected batch was written');

  // A group of one rejected submission, then the log goes on from where it was.
  savepoints = 0;
  await t.rejects(L.ledger.submit([add({ id: 'used-id' })]), { code: 'LEDGER_ENTRY_CONFLICT' });
  t.equal(savepoints, 0, 'a lone submission is rolled back with its transaction');
  const [next] = await L.ledger.submit([add()]);
  t.equal(next!.seq, size + 8);
  await L.reopen();
  t.equal(L.ledger.size(), size + 9, 'what was acknowledged survives a reopen');
  t.equal(L.ledger.record(size + 6).record.entry.payload.id, byP2.payload.id);
});

t.test('reopen checks the stored head', async (t) => {
  const L = await makeLedger();
  t.teardown(() => L.close());
  await L.register(party('p1'));
  L.ledger.checkpoint(L.ledger.size());
  await L.reopen();
  t.equal(L.ledger.size(), 2);
  await t.rejects(L.reopen({ origin: 'other.example/log' }), { code: 'LEDGER_ORIGIN_MISMATCH' }, 'wrong origin');
  await L.reopen();
  await t.rejects(L.reopen({ ledgerSeed: new Uint8Array(32).fill(9) }), { code: 'LEDGER_STORE_CORRUPT' }, 'wrong ledger key');
  await L.reopen();
  t.equal(randomUUID().length, 36);
});

t.test('nothing is acknowledged, readable or checkpointed before the store sync that covers it', async (t) => {
  const L = await makeLedger();
  t.teardown(() => L.close());
  const s = party('durable');
  await L.register(s);
  const realSync = L.store.sync.bind(L.store);
  const held: Array<() => void> = [];
  let syncCalls = 0;
  (L.store as { sync: () => Promise<void> }).sync = () => {
    syncCalls++;
    return new Promise<void>((resolve) => held.push(() => void realSync().then(resolve)));
  };
  const release = () => held.splice(0).forEach((go) => go());
  const size = L.ledger.size();
  let acknowledged = false;
  const pending = L.ledger
    .submit([L.sign(s, { type: 'participant.key.add', participant: s.id, publicKey: toBase64Url(party('k').publicKey) })])
    .then((r) => {
      acknowledged = true;
      return r;
    });
  while (syncCalls === 0) await new Promise((r) => setImmediate(r));
  t.equal(L.store.size(), size + 1, 'committed to the database');
  t.notOk(acknowledged, 'not acknowledged before the sync completes');
  t.equal(L.ledger.size(), size, 'reads show only the durable log');
  t.throws(() => L.ledger.record(size), { code: 'LEDGER_ENTRY_NOT_FOUND' });
  t.equal(L.ledger.checkpoint(size + 1).size, size, 'no checkpoint covers a record that is not on disk');
  release();
  const [receipt] = await pending;
  t.equal(receipt!.seq, size);
  t.equal(L.ledger.size(), size + 1);
  t.equal(L.ledger.checkpoint(size + 1).size, size + 1);
  (L.store as { sync: () => Promise<void> }).sync = realSync;
});

t.test('a failed sync stops writes instead of guessing what is on disk', async (t) => {
  const L = await makeLedger();
  const s = party('failing');
  await L.register(s);
  const realSync = L.store.sync.bind(L.store);
  (L.store as { sync: () => Promise<void> }).sync = () => Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
  const entry = () => L.sign(s, { type: 'participant.key.add', participant: s.id, publicKey: toBase64Url(party('k').publicKey) });
  await t.rejects(L.ledger.submit([entry()]), { code: 'LEDGER_UNAVAILABLE' });
  await t.rejects(L.ledger.submit([entry()]), { code: 'LEDGER_UNAVAILABLE' }, 'later writes are refused too');
  (L.store as { sync: () => Promise<void> }).sync = realSync;
  await L.close();
});

t.test('signatures checked on the verification worker get the same verdicts', async (t) => {
  const { startVerifyPool } = await import('../src/platform/verify-pool.js');
  const pool = startVerifyPool();
  const L = await makeLedger({ verifyMany: pool.verifyMany });
  t.teardown(async () => {
    await L.close();
    await pool.close();
  });
  const s = party('worker-checked');
  await L.register(s);
  const add = (who = s) => L.sign(who, { type: 'participant.key.add', participant: s.id, publicKey: toBase64Url(party('k').publicKey) });
  const good = add();
  const bad = { ...good, signature: { ...good.signature, sig: (good.signature.sig.startsWith('A') ? 'B' : 'A') + good.signature.sig.slice(1) } };
  const size = L.ledger.size();
  await t.rejects(L.ledger.submit([bad]), { code: 'LEDGER_SIGNATURE_INVALID' });
  await t.rejects(L.ledger.submit([add(), bad]), { code: 'LEDGER_SIGNATURE_INVALID', details: { index: 1 } });
  t.equal(L.ledger.size(), size, 'nothing written');
  const receipts = await Promise.all(Array.from({ length: 20 }, () => L.ledger.submit([add()])));
  t.equal(receipts.length, 20);
  // A key registered in the same batch is unknown on arrival: checked while sequencing instead.
  const fresh = party('fresh-supplier');
  const batch = [
    L.sign(L.operator, { type: 'participant.register', participant: fresh.id, name: 'Fresh', roles: ['supplier'], publicKey: toBase64Url(fresh.publicKey) }),
    L.sign(fresh, { type: 'participant.key.add', participant: fresh.id, publicKey: toBase64Url(party('k2').publicKey) }),
  ];
  const r = await L.ledger.submit(batch);
  t.equal(r.length, 2);
  const forged = { ...batch[1]!, payload: { ...batch[1]!.payload, id: 'other-id' } };
  await t.rejects(L.ledger.submit([forged]), { code: 'LEDGER_SIGNATURE_INVALID' }, 'tampered payload caught by the worker');
});
