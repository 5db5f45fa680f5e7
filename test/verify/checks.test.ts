/**
 * src/verify: one test per record check, each a table. The untouched record passes, and every kind
 * of damage fails with exactly that check's code. The logs are built here with the core's
 * primitives, including what the real ledger would refuse to write. The SHA-256 passed in is
 * node:crypto's, so the checks are shown to use the one they are given.
 */
import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { concatBytes, toBase64, toBase64Url, toHex, utf8 } from '../../src/core/bytes.js';
import { formatCheckpointBody, signCheckpoint } from '../../src/core/checkpoint.js';
import { nobleEd25519 } from '../../src/core/ed25519.js';
import { signEntry, signingMessage, type Entry, type PayloadBase } from '../../src/core/entry.js';
import { canonicalize } from '../../src/core/jcs.js';
import { keyIdOf } from '../../src/core/keys.js';
import { hashLeaf, inclusionProof, rootFromLeafHashes } from '../../src/core/merkle.js';
import { formatVerifierKey, parseVerifierKey, signNote } from '../../src/core/note.js';
import { CHAIN_HASH_START } from '../../src/core/record.js';
import type { Payload } from '../../src/domain/schemas.js';
import {
  checkChainLink,
  checkCheckpoint,
  checkGenesisKey,
  checkGenesisPosition,
  checkInclusion,
  checkLeafHash,
  checkSignature,
  decodeSignature,
  missingGenesis,
  replayRegistry,
  VERIFY_CODES,
  type CheckFailure,
  type TrustedKey,
  type VerifyCode,
} from '../../src/verify/index.js';

const sha256 = (d: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(d).digest());
const ORIGIN = 'checks.test/log';
const TIME = '2026-11-20T08:00:00.000Z';
const seed = (n: number) => new Uint8Array(32).fill(n);
const LEDGER = seed(1);
const OPERATOR = seed(2);
const ACME = seed(3);
const STRANGER = seed(5);
const pub = (s: Uint8Array) => nobleEd25519.publicKey(s);
const LEDGER_KEY = formatVerifierKey(ORIGIN, pub(LEDGER));
const TRUSTED: TrustedKey = { text: LEDGER_KEY, key: parseVerifierKey(LEDGER_KEY) };

const payload = (id: string, signer: string, fields: Record<string, unknown>): PayloadBase => ({ id, signer, time: TIME, ...fields }) as PayloadBase;
const genesisPayload = (fields: Record<string, unknown> = {}) =>
  payload('genesis', 'ledger', {
    type: 'ledger.genesis', origin: ORIGIN, ledgerKey: LEDGER_KEY, ledgerPublicKey: toBase64Url(pub(LEDGER)),
    operator: { id: 'operator', name: 'Operator', publicKey: toBase64Url(pub(OPERATOR)) }, ...fields,
  });
const register = (signerSeed = OPERATOR, signer = 'operator') =>
  signEntry(payload('reg-acme', signer, { type: 'participant.register', participant: 'acme', name: 'ACME', roles: ['supplier'], publicKey: toBase64Url(pub(ACME)) }), signerSeed);
const commission = (id: string, by = ACME) =>
  signEntry(payload(id, 'acme', { type: 'commission', objects: [{ code: `urn:trace:acme:${id}`, level: 'material', product: { name: id }, quantity: { value: 1, unit: 'KGM' } }] }), by);

/** A three-record log: genesis, acme's registration, a commission by acme; with its hashes, tree and checkpoint. */
function log() {
  const entries: Entry[] = [signEntry(genesisPayload(), LEDGER), register(), commission('a')];
  const leaves = entries.map((entry, seq) => utf8(canonicalize({ seq, recordedAt: TIME, entry })));
  const leafHashes = leaves.map((l) => hashLeaf(l));
  const chains: Uint8Array[] = [];
  leafHashes.forEach((h, i) => chains.push(sha256(concatBytes(i === 0 ? CHAIN_HASH_START : chains[i - 1]!, h))));
  const read = (level: number, index: number) => rootFromLeafHashes(leafHashes.slice(index * 2 ** level, (index + 1) * 2 ** level));
  const size = entries.length;
  const checkpoint = { origin: ORIGIN, size, root: rootFromLeafHashes(leafHashes) };
  const note = signCheckpoint(checkpoint, { name: ORIGIN, seed: LEDGER });
  const proofs = leafHashes.map((_, i) => inclusionProof(read, i, size).map(toBase64));
  return { entries, leaves, leafHashes, chains, checkpoint, note, proofs };
}
const L = log();

/** Every row: the check's result on a variant of the record. */
type Row = readonly [what: string, result: () => CheckFailure | undefined, code: VerifyCode | undefined];
function table(t: Test, rows: readonly Row[]): void {
  for (const [what, result, code] of rows) t.equal(result()?.code, code, what);
}
const flip = (b: Uint8Array, at = 0): Uint8Array => {
  const c = b.slice();
  c[at] = c[at]! ^ 1;
  return c;
};

t.test('leaf hash: SHA-256(0x00 ‖ JCS(record)) against the stated hash', async (t) => {
  const leaf = L.leaves[2]!;
  const stated = L.leafHashes[2]!;
  table(t, [
    ['the record as logged', () => checkLeafHash(sha256, leaf, stated).failure, undefined],
    ['stated as hex', () => checkLeafHash(sha256, leaf, toHex(stated)).failure, undefined],
    ['a record byte changed', () => checkLeafHash(sha256, flip(leaf, 20), stated).failure, 'RECORD_LEAF_HASH'],
    ['the stated hash changed', () => checkLeafHash(sha256, leaf, flip(stated)).failure, 'RECORD_LEAF_HASH'],
    ['the hash without the 0x00 prefix (RFC 9162 §2.1.1)', () => checkLeafHash(sha256, leaf, sha256(leaf)).failure, 'RECORD_LEAF_HASH'],
    ['uppercase hex is not the stated form', () => checkLeafHash(sha256, leaf, toHex(stated).toUpperCase()).failure, 'RECORD_LEAF_HASH'],
    ['a truncated stated hash', () => checkLeafHash(sha256, leaf, stated.subarray(0, 31)).failure, 'RECORD_LEAF_HASH'],
  ]);
  t.same(checkLeafHash(sha256, flip(leaf, 20), stated).hash, hashLeaf(flip(leaf, 20)), 'the recomputed hash comes back, damaged or not');
});

t.test('chain link: SHA-256(previous chain ‖ leaf hash)', async (t) => {
  table(t, [
    ['seq 0 from the zero hash', () => checkChainLink(sha256, CHAIN_HASH_START, L.leafHashes[0]!, L.chains[0]!).failure, undefined],
    ['seq 2 from seq 1', () => checkChainLink(sha256, L.chains[1]!, L.leafHashes[2]!, toHex(L.chains[2]!)).failure, undefined],
    ['the stated chain hash changed', () => checkChainLink(sha256, L.chains[1]!, L.leafHashes[2]!, flip(L.chains[2]!)).failure, 'RECORD_CHAIN'],
    ['linked to the wrong predecessor', () => checkChainLink(sha256, L.chains[0]!, L.leafHashes[2]!, L.chains[2]!).failure, 'RECORD_CHAIN'],
    ['another leaf', () => checkChainLink(sha256, L.chains[1]!, L.leafHashes[1]!, L.chains[2]!).failure, 'RECORD_CHAIN'],
  ]);
  t.throws(() => checkChainLink(sha256, new Uint8Array(31), L.leafHashes[0]!, L.chains[0]!), RangeError, 'a caller passing a short hash is a bug');
});

t.test('inclusion proof: the audit path leads to the checkpoint root', async (t) => {
  const cp = L.checkpoint;
  const leaf = L.leafHashes[1]!;
  const proof = L.proofs[1]!;
  const bytes = proof.map((p) => Buffer.from(p, 'base64'));
  table(t, [
    ['the logged proof (base64)', () => checkInclusion(sha256, leaf, 1, cp, proof), undefined],
    ['the logged proof (bytes)', () => checkInclusion(sha256, leaf, 1, cp, bytes.map((b) => new Uint8Array(b))), undefined],
    ['another leaf', () => checkInclusion(sha256, L.leafHashes[2]!, 1, cp, proof), 'RECORD_INCLUSION'],
    ['another index', () => checkInclusion(sha256, leaf, 0, cp, proof), 'RECORD_INCLUSION'],
    ['an index beyond the tree', () => checkInclusion(sha256, leaf, 3, cp, proof), 'RECORD_INCLUSION'],
    ['a proof element changed', () => checkInclusion(sha256, leaf, 1, cp, [toBase64(flip(new Uint8Array(bytes[0]!))), ...proof.slice(1)]), 'RECORD_INCLUSION'],
    ['a proof element dropped', () => checkInclusion(sha256, leaf, 1, cp, proof.slice(1)), 'RECORD_INCLUSION'],
    ['a proof element added', () => checkInclusion(sha256, leaf, 1, cp, [...proof, proof[0]!]), 'RECORD_INCLUSION'],
    ['a proof element that is not base64', () => checkInclusion(sha256, leaf, 1, cp, ['!!', ...proof.slice(1)]), 'RECORD_INCLUSION'],
    ['a short proof element', () => checkInclusion(sha256, leaf, 1, cp, [toBase64(new Uint8Array(31)), ...proof.slice(1)]), 'RECORD_INCLUSION'],
    ['against another root', () => checkInclusion(sha256, leaf, 1, { size: cp.size, root: flip(cp.root) }, proof), 'RECORD_INCLUSION'],
    ['against another size', () => checkInclusion(sha256, leaf, 1, { size: cp.size - 1, root: cp.root }, proof), 'RECORD_INCLUSION'],
  ]);
  t.match(checkInclusion(sha256, leaf, 1, cp, proof.slice(1)), { reason: 'LEDGER_INCLUSION_PROOF_INVALID' }, 'with the LedgerError code behind it');
});

t.test('signature: Ed25519 over the entry signing message with the given key', async (t) => {
  const entry = L.entries[2]!;
  const message = signingMessage(entry.payload);
  const sig = entry.signature;
  const other = commission('a', STRANGER).signature.sig;
  table(t, [
    ['the signed entry', () => checkSignature(nobleEd25519, message, sig, pub(ACME)), undefined],
    ['another payload', () => checkSignature(nobleEd25519, signingMessage({ ...entry.payload, id: 'b' }), sig, pub(ACME)), 'RECORD_SIGNATURE'],
    ['the payload without the domain prefix', () => checkSignature(nobleEd25519, utf8(canonicalize(entry.payload)), sig, pub(ACME)), 'RECORD_SIGNATURE'],
    ['another key\'s signature', () => checkSignature(nobleEd25519, message, { ...sig, sig: other }, pub(ACME)), 'RECORD_SIGNATURE'],
    ['checked with another key', () => checkSignature(nobleEd25519, message, sig, pub(STRANGER)), 'RECORD_SIGNATURE'],
    ['not base64url', () => checkSignature(nobleEd25519, message, { ...sig, sig: `${sig.sig.slice(0, -1)}+` }, pub(ACME)), 'RECORD_SIGNATURE'],
    ['63 bytes', () => checkSignature(nobleEd25519, message, { ...sig, sig: toBase64Url(new Uint8Array(63)) }, pub(ACME)), 'RECORD_SIGNATURE'],
  ]);
  t.equal(decodeSignature(sig.sig).ok, true, 'the decoding half alone');
});

t.test('checkpoint: a signed note by the trusted key, of its origin', async (t) => {
  const stranger: TrustedKey['key'] = parseVerifierKey(formatVerifierKey(ORIGIN, pub(STRANGER)));
  const of = (r: ReturnType<typeof checkCheckpoint>): CheckFailure | undefined => (r.ok ? undefined : r.failure);
  table(t, [
    ['the ledger\'s checkpoint', () => of(checkCheckpoint(L.note, TRUSTED.key, nobleEd25519)), undefined],
    ['checked with another key of the same name', () => of(checkCheckpoint(L.note, stranger, nobleEd25519)), 'CHECKPOINT_SIGNATURE'],
    ['signed by another key', () => of(checkCheckpoint(signCheckpoint(L.checkpoint, { name: ORIGIN, seed: STRANGER }), TRUSTED.key, nobleEd25519)), 'CHECKPOINT_SIGNATURE'],
    ['its size changed after signing', () => of(checkCheckpoint(L.note.replace(/\n3\n/, '\n4\n'), TRUSTED.key, nobleEd25519)), 'CHECKPOINT_SIGNATURE'],
    ['of another origin, signed by the trusted key', () => of(checkCheckpoint(signNote(formatCheckpointBody({ ...L.checkpoint, origin: 'other.test/log' }), { name: ORIGIN, seed: LEDGER }), TRUSTED.key, nobleEd25519)), 'CHECKPOINT_SIGNATURE'],
    ['not a note', () => of(checkCheckpoint('hello', TRUSTED.key, nobleEd25519)), 'CHECKPOINT_SIGNATURE'],
  ]);
  const ok = checkCheckpoint(L.note, TRUSTED.key, nobleEd25519);
  t.same(ok.ok ? ok.value.root : undefined, L.checkpoint.root, 'the checkpoint comes back');
});

t.test('registry closure: genesis names the trusted key; keys are those valid at the seq; entries replay', async (t) => {
  const genesis = L.entries[0]!;
  const position = (seq: number, p: Record<string, unknown>) => () => checkGenesisPosition(seq, p);
  const key = (p: Record<string, unknown>, kid = genesis.signature.kid, trusted = TRUSTED) => () => checkGenesisKey(p, kid, trusted)[0];
  const otherKey = formatVerifierKey(ORIGIN, pub(STRANGER));
  table(t, [
    ['the genesis at seq 0', position(0, genesis.payload), undefined],
    ['seq 0 that is no genesis', position(0, L.entries[1]!.payload), 'REGISTRY_GENESIS'],
    ['a genesis not signed by the ledger', position(0, { ...genesis.payload, signer: 'operator' }), 'REGISTRY_GENESIS'],
    ['a second genesis', position(5, genesis.payload), 'REGISTRY_GENESIS'],
    ['another entry after seq 0', position(5, L.entries[2]!.payload), undefined],
    ['the genesis names the trusted key', key(genesis.payload), undefined],
    ['another origin', key(genesisPayload({ origin: 'other.test/log' })), 'REGISTRY_GENESIS'],
    ['another ledger key', key(genesisPayload({ ledgerKey: otherKey })), 'REGISTRY_GENESIS'],
    ['another ledger public key', key(genesisPayload({ ledgerPublicKey: toBase64Url(pub(STRANGER)) })), 'REGISTRY_GENESIS'],
    ['a ledger public key that is not base64url', key(genesisPayload({ ledgerPublicKey: '***' })), 'REGISTRY_GENESIS'],
    ['signed under another kid', key(genesis.payload, keyIdOf(pub(STRANGER))), 'REGISTRY_GENESIS'],
    ['checked against another trusted key', key(genesis.payload, genesis.signature.kid, { text: otherKey, key: parseVerifierKey(otherKey) }), 'REGISTRY_GENESIS'],
  ]);
  t.match(checkGenesisKey(genesisPayload({ origin: 'x.test' }), genesis.signature.kid, TRUSTED), [{ field: 'origin', expected: ORIGIN, found: 'x.test' }], 'each mismatch names its field');

  // Keys at a seq, from the registry replayed from genesis.
  const replayed = (upTo = 2) => {
    const r = replayRegistry();
    for (const [seq, e] of L.entries.slice(0, upTo).entries()) {
      const effects = r.effectsOf(e.payload as unknown as Payload, seq);
      if (!effects.ok) throw new Error(effects.failure.message);
      r.apply(effects.value);
    }
    return r;
  };
  const at = (signer: string, kid: string, seq: number, r = replayed()) => () => {
    const k = r.keyAt(signer, kid, seq);
    return k.ok ? undefined : k.failure;
  };
  const revoked = replayed();
  const revoke = signEntry(payload('rev', 'acme', { type: 'participant.key.revoke', participant: 'acme', kid: keyIdOf(pub(ACME)) }), ACME);
  const effects = revoked.effectsOf(revoke.payload as unknown as Payload, 3);
  if (effects.ok) revoked.apply(effects.value);
  table(t, [
    ['acme\'s key after its registration', at('acme', keyIdOf(pub(ACME)), 2), undefined],
    ['acme\'s key signing its own registration (not yet replayed)', at('acme', keyIdOf(pub(ACME)), 1, replayed(1)), 'RECORD_KEY_UNKNOWN'],
    ['a kid acme never had', at('acme', keyIdOf(pub(STRANGER)), 2), 'RECORD_KEY_UNKNOWN'],
    ['an unregistered signer', at('nobody', keyIdOf(pub(ACME)), 2), 'RECORD_KEY_UNKNOWN'],
    ['the ledger key on an ordinary entry', at('ledger', keyIdOf(pub(LEDGER)), 2), 'RECORD_KEY_UNKNOWN'],
    ['the revoking entry itself (seq = r)', at('acme', keyIdOf(pub(ACME)), 3, revoked), undefined],
    ['after its revocation (seq > r)', at('acme', keyIdOf(pub(ACME)), 4, revoked), 'RECORD_KEY_UNKNOWN'],
  ]);
  t.match(at('acme', keyIdOf(pub(ACME)), 4, revoked)(), { reason: 'LEDGER_KEY_REVOKED' }, 'the reason stays told apart');

  // Registry entries replay by the ledger's rules.
  const replay = (e: Entry, seq: number) => () => {
    const r = replayed().effectsOf(e.payload as unknown as Payload, seq);
    return r.ok ? undefined : r.failure;
  };
  table(t, [
    ['an ordinary entry changes nothing', replay(L.entries[2]!, 2), undefined],
    ['a registration by a non-operator', replay(signEntry(payload('reg-x', 'acme', { type: 'participant.register', participant: 'x', name: 'X', roles: ['supplier'], publicKey: toBase64Url(pub(STRANGER)) }), ACME), 2), 'REGISTRY_ENTRY'],
    ['the same participant registered twice', replay(register(), 2), 'REGISTRY_ENTRY'],
  ]);
  t.equal(missingGenesis().code, 'REGISTRY_CLOSURE', 'evidence that starts after seq 0 cannot be traced to the ledger key');
});

t.test('every code is documented in docs/audit.md "Record checks"', async (t) => {
  const doc = readFileSync(new URL('../../docs/audit.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('### Record checks'));
  t.ok(section.length < doc.length, 'the section exists');
  for (const code of VERIFY_CODES) t.match(section, new RegExp(`^\\| \`${code}\` \\|`, 'm'), code);
});
