import t, { type Test } from 'tap';
import type { InjectOptions } from 'fastify';
import { fromBase64, fromHex, toBase64Url } from '../../src/core/bytes.js';
import { verifyCheckpoint } from '../../src/core/checkpoint.js';
import { verifyConsistency, verifyInclusion } from '../../src/core/merkle.js';
import { buildApp } from '../../src/http/app.js';
import { makeLedger, party } from '../helpers.js';

async function setup(t: Test, opts: { bodyLimit?: number; maxBatchEntries?: number } = {}) {
  const L = await makeLedger({ maxBatchEntries: opts.maxBatchEntries ?? 1000 });
  const app = await buildApp({ ledger: L.ledger, ...(opts.bodyLimit ? { bodyLimit: opts.bodyLimit } : {}) });
  t.teardown(async () => {
    await app.close();
    await L.close();
  });
  const supplier = party('supplier-h');
  await L.register(supplier);
  const keyAdd = (extra: Record<string, unknown> = {}) =>
    L.sign(supplier, { type: 'participant.key.add', participant: supplier.id, publicKey: toBase64Url(party('k').publicKey), ...extra });
  return { L, app, supplier, keyAdd };
}

t.test('append, read back, prove, check', async (t) => {
  const { app, keyAdd, L } = await setup(t);
  const entry = keyAdd();
  const res = await app.inject({ method: 'POST', url: '/v1/entries', payload: entry });
  t.equal(res.statusCode, 201);
  const receipt = res.json();
  t.equal(receipt.seq, 2);

  const again = await app.inject({ method: 'POST', url: '/v1/entries', payload: entry });
  t.same(again.json(), receipt, 'identical resubmission returns the original receipt');

  const batch = await app.inject({ method: 'POST', url: '/v1/entries', payload: [keyAdd(), keyAdd()] });
  t.equal(batch.statusCode, 201);
  t.same(batch.json().map((r: { seq: number }) => r.seq), [3, 4]);

  const rec = (await app.inject(`/v1/entries/2`)).json();
  t.same(rec.record.entry, entry);
  t.equal(rec.leafHash, receipt.leafHash);
  const page = (await app.inject('/v1/entries?after=0&limit=2')).json();
  t.same(page.records.map((r: { record: { seq: number } }) => r.record.seq), [1, 2]);
  t.equal(page.next, 2);

  const note = await app.inject('/v1/checkpoint?minSize=5');
  t.match(note.headers['content-type'], /^text\/plain/);
  const key = (await app.inject('/v1/checkpoint/key')).body.trim();
  t.equal(key, L.ledger.verifierKey);
  const cp = verifyCheckpoint(note.body, key);
  t.equal(cp.size, 5);

  const inc = (await app.inject(`/v1/proofs/inclusion?leafHash=${receipt.leafHash}`)).json();
  t.equal(inc.treeSize, 5);
  verifyInclusion(fromHex(inc.leafHash), 2, 5, inc.hashes.map(fromBase64), cp.root);
  const con = (await app.inject('/v1/proofs/consistency?from=2&to=5')).json();
  verifyConsistency(2, 5, con.hashes.map(fromBase64), fromBase64(con.fromRoot), cp.root);

  const parts = (await app.inject('/v1/participants')).json();
  t.same(parts.participants.map((p: { id: string }) => p.id), ['ledger', 'operator', 'supplier-h']);
  t.equal((await app.inject('/v1/participants/supplier-h')).json().keys.length, 4);
  t.equal((await app.inject('/healthz')).json().size, 5);
  t.equal((await app.inject('/v1/checkpoints')).json().checkpoints[0].size, 5);
  const docs = await app.inject('/docs/json');
  t.equal(docs.statusCode, 200);
  t.ok(docs.json().paths['/v1/entries'], 'OpenAPI documents the routes');
});

t.test('bad input gets problem+json with a stable code and leaves the log unchanged', async (t) => {
  const { app, keyAdd, L } = await setup(t, { bodyLimit: 64 * 1024, maxBatchEntries: 10 });
  const good = keyAdd();
  const flipped = { ...good, signature: { ...good.signature, sig: (good.signature.sig.startsWith('A') ? 'B' : 'A') + good.signature.sig.slice(1) } };
  const stranger = party('nobody');
  const usedId = keyAdd({ id: 'used-id' });
  await app.inject({ method: 'POST', url: '/v1/entries', payload: usedId });
  const size = L.ledger.size();
  const json = (payload: unknown) => ({ method: 'POST' as const, url: '/v1/entries', payload: payload as object });
  const cases: Array<[string, InjectOptions, number, string]> = [
    ['malformed JSON', { method: 'POST', url: '/v1/entries', headers: { 'content-type': 'application/json' }, payload: '{"payload":' }, 400, 'LEDGER_JSON_INVALID'],
    ['duplicate member', { method: 'POST', url: '/v1/entries', headers: { 'content-type': 'application/json' }, payload: '{"payload":{},"payload":{}}' }, 400, 'LEDGER_JSON_INVALID'],
    ['empty body', { method: 'POST', url: '/v1/entries', headers: { 'content-type': 'application/json' }, payload: '' }, 400, 'LEDGER_JSON_INVALID'],
    ['not JSON', { method: 'POST', url: '/v1/entries', headers: { 'content-type': 'text/plain' }, payload: 'hello' }, 415, 'LEDGER_MEDIA_TYPE_UNSUPPORTED'],
    ['schema violation', json({ payload: { type: 'participant.key.add', id: 'x' }, signature: {} }), 400, 'LEDGER_ENTRY_INVALID'],
    ['unknown signer', json(L.sign(stranger, { type: 'participant.key.add', participant: stranger.id, publicKey: toBase64Url(stranger.publicKey) })), 400, 'LEDGER_SIGNER_UNKNOWN'],
    ['wrong key', json(L.sign(party('supplier-h'), { type: 'participant.key.add', participant: 'supplier-h', publicKey: toBase64Url(party('z').publicKey) })), 400, 'LEDGER_KEY_UNKNOWN'],
    ['bad signature', json(flipped), 400, 'LEDGER_SIGNATURE_INVALID'],
    ['replayed id', json(keyAdd({ id: 'used-id' })), 409, 'LEDGER_ENTRY_CONFLICT'],
    ['future time', json(keyAdd({ time: '2099-01-01T00:00:00Z' })), 400, 'LEDGER_TIME_IN_FUTURE'],
    ['oversized body', json({ payload: { pad: 'x'.repeat(70 * 1024) } }), 413, 'LEDGER_BODY_TOO_LARGE'],
    ['oversized batch', json(Array.from({ length: 11 }, () => keyAdd())), 413, 'LEDGER_BATCH_TOO_LARGE'],
    ['batch with one bad entry', json([keyAdd(), keyAdd(), flipped]), 400, 'LEDGER_SIGNATURE_INVALID'],
    ['inclusion beyond the log', { method: 'GET', url: `/v1/proofs/inclusion?seq=${size + 5}&size=${size}` }, 400, 'LEDGER_PROOF_RANGE'],
    ['inclusion size beyond the log', { method: 'GET', url: `/v1/proofs/inclusion?seq=0&size=${size + 1}` }, 400, 'LEDGER_PROOF_RANGE'],
    ['inclusion with both seq and leafHash', { method: 'GET', url: `/v1/proofs/inclusion?seq=0&leafHash=${'0'.repeat(64)}` }, 400, 'LEDGER_QUERY_INVALID'],
    ['inclusion of unknown leaf', { method: 'GET', url: `/v1/proofs/inclusion?leafHash=${'0'.repeat(64)}` }, 404, 'LEDGER_ENTRY_NOT_FOUND'],
    ['consistency from > to', { method: 'GET', url: '/v1/proofs/consistency?from=3&to=2' }, 400, 'LEDGER_PROOF_RANGE'],
    ['consistency not a number', { method: 'GET', url: '/v1/proofs/consistency?from=abc' }, 400, 'LEDGER_QUERY_INVALID'],
    ['entry beyond the log', { method: 'GET', url: '/v1/entries/999' }, 404, 'LEDGER_ENTRY_NOT_FOUND'],
    ['negative seq', { method: 'GET', url: '/v1/entries/-1' }, 400, 'LEDGER_QUERY_INVALID'],
    ['unknown participant', { method: 'GET', url: '/v1/participants/nobody' }, 404, 'LEDGER_PARTICIPANT_NOT_FOUND'],
    ['unknown route', { method: 'GET', url: '/v1/nothing' }, 404, 'LEDGER_NOT_FOUND'],
  ];
  for (const [name, req, status, code] of cases) {
    const res = await app.inject(req);
    t.equal(res.statusCode, status, `${name}: status`);
    t.match(res.headers['content-type'], /^application\/problem\+json/, `${name}: problem+json`);
    const body = res.json();
    t.equal(body.code, code, `${name}: code`);
    t.equal(body.status, status);
    t.type(body.detail, 'string');
    t.equal(L.ledger.size(), size, `${name}: log unchanged`);
  }
  const batchRes = await app.inject(json([keyAdd(), flipped]));
  t.equal(batchRes.json().index, 1, 'the failing entry of a batch is named');
  const type = await app.inject(batchRes.json().type);
  t.equal(type.json().code, 'LEDGER_SIGNATURE_INVALID', 'problem type URI resolves');
});
