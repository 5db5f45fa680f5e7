/**
 * Issue 16, "Rule bypasses": a resubmitted entry gets its original receipt only when its own
 * signature verifies with the key that was valid for the original; the payload alone proves nothing.
 */
import t, { type Test } from 'tap';
import { toBase64Url } from '../../src/core/bytes.js';
import { signEntry } from '../../src/core/entry.js';
import { nobleEd25519 } from '../../src/core/ed25519.js';
import { keyIdOf } from '../../src/core/keys.js';
import { makeLedger, party, payloadOf } from '../helpers.js';
import { appOnLedger } from '../http/app-on-ledger.js';

async function setup(t: Test) {
  const { L, app } = await appOnLedger(t);
  const supplier = party('supplier-r');
  const other = party('other-r');
  await L.register(supplier);
  await L.register(other);
  const payload = payloadOf(supplier, { type: 'participant.key.add', participant: supplier.id, publicKey: toBase64Url(party('k').publicKey) });
  const entry = signEntry(payload, supplier.seed);
  const first = await app.inject({ method: 'POST', url: '/v1/entries', payload: entry });
  t.equal(first.statusCode, 201);
  return { L, app, supplier, other, payload, entry, receipt: first.json() };
}

const forgedSig = 'A'.repeat(86);

t.test('a replay with an unknown kid and a junk signature is refused', async (t) => {
  const { app, payload } = await setup(t);
  const res = await app.inject({ method: 'POST', url: '/v1/entries', payload: { payload, signature: { kid: '0000000000000000', sig: forgedSig } } });
  t.equal(res.statusCode, 400);
  t.equal(res.json().code, 'LEDGER_KEY_UNKNOWN');
});

t.test("a replay signed by another participant's key is refused", async (t) => {
  const { app, payload, other } = await setup(t);
  const res = await app.inject({ method: 'POST', url: '/v1/entries', payload: signEntry(payload, other.seed) });
  t.equal(res.json().code, 'LEDGER_KEY_UNKNOWN');
});

t.test("a replay with the signer's kid and a junk signature is refused", async (t) => {
  const { app, payload, supplier } = await setup(t);
  const res = await app.inject({ method: 'POST', url: '/v1/entries', payload: { payload, signature: { kid: keyIdOf(supplier.publicKey), sig: forgedSig } } });
  t.equal(res.json().code, 'LEDGER_SIGNATURE_INVALID');
});

t.test('a forged copy in the same batch as its original is refused', async (t) => {
  const { app, supplier } = await setup(t);
  const payload = payloadOf(supplier, { type: 'participant.key.add', participant: supplier.id, publicKey: toBase64Url(party('k2').publicKey) });
  const res = await app.inject({
    method: 'POST',
    url: '/v1/entries',
    payload: [signEntry(payload, supplier.seed), { payload, signature: { kid: '0000000000000000', sig: forgedSig } }],
  });
  t.equal(res.statusCode, 400);
  t.equal(res.json().code, 'LEDGER_KEY_UNKNOWN');
  t.equal(res.json().index, 1);
});

t.test('the genuine resubmission still gets its original receipt, also after the key is revoked', async (t) => {
  const { app, L, entry, receipt, supplier } = await setup(t);
  const again = await app.inject({ method: 'POST', url: '/v1/entries', payload: entry });
  t.equal(again.statusCode, 201);
  t.same(again.json(), receipt);
  const spare = party('supplier-r', new Uint8Array(32).fill(7));
  await L.ledger.submit([L.sign(supplier, { type: 'participant.key.add', participant: supplier.id, publicKey: toBase64Url(spare.publicKey) })]);
  await L.ledger.submit([signEntry(payloadOf(spare, { type: 'participant.key.revoke', participant: supplier.id, kid: keyIdOf(supplier.publicKey), reason: 'rotated' }), spare.seed)]);
  const late = await app.inject({ method: 'POST', url: '/v1/entries', payload: entry });
  t.equal(late.statusCode, 201, 'the key was valid for the original');
  t.same(late.json(), receipt);
});

t.test('the same holds when signatures are checked off the event loop (verifyMany)', async (t) => {
  const L = await makeLedger({ verifyMany: async (items) => items.map((i) => nobleEd25519.verify(i.signature, i.message, i.publicKey)) });
  t.teardown(() => L.close());
  const supplier = party('supplier-v');
  const other = party('other-v');
  await L.register(supplier);
  await L.register(other);
  const payload = payloadOf(supplier, { type: 'participant.key.add', participant: supplier.id, publicKey: toBase64Url(party('k').publicKey) });
  const [receipt] = await L.ledger.submit([signEntry(payload, supplier.seed)]);
  await t.rejects(L.ledger.submit([{ payload, signature: { kid: '0000000000000000', sig: forgedSig } }]), { code: 'LEDGER_KEY_UNKNOWN' });
  await t.rejects(L.ledger.submit([signEntry(payload, other.seed)]), { code: 'LEDGER_KEY_UNKNOWN' });
  t.same(await L.ledger.submit([signEntry(payload, supplier.seed)]), [receipt]);
});
