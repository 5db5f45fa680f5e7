/**
 * The badge's verifier against hand-built logs: a malicious or broken server can serve anything,
 * so these logs are made here with the core's primitives, including what the real ledger would
 * refuse to write (bad signatures, revoked keys, foreign checkpoints).
 */
import t from 'tap';
import { toBase64, toBase64Url, toHex, utf8 } from '../../src/core/bytes.js';
import { signCheckpoint } from '../../src/core/checkpoint.js';
import { nobleEd25519 } from '../../src/core/ed25519.js';
import { signEntry, type Entry, type PayloadBase } from '../../src/core/entry.js';
import { canonicalize } from '../../src/core/jcs.js';
import { keyIdOf } from '../../src/core/keys.js';
import { hashLeaf, inclusionProof, rootFromLeafHashes } from '../../src/core/merkle.js';
import { formatVerifierKey } from '../../src/core/note.js';
import { verifyEvidence, type VerifyResult } from '../../src/web/verify.js';

const ORIGIN = 'fake.test/log';
const CODE = 'urn:trace:acme:lot-1';
const TIME = '2026-11-20T08:00:00.000+08:00';
const seed = (n: number) => new Uint8Array(32).fill(n);
const LEDGER = seed(1);
const OPERATOR = seed(2);
const ACME = seed(3);
const ACME2 = seed(4);
const STRANGER = seed(5);
const b64url = (s: Uint8Array) => toBase64Url(nobleEd25519.publicKey(s));
const LEDGER_KEY = formatVerifierKey(ORIGIN, nobleEd25519.publicKey(LEDGER));

const payload = (id: string, signer: string, fields: Record<string, unknown>): PayloadBase => ({ id, signer, time: TIME, ...fields }) as PayloadBase;
const genesis = (ledgerKey = LEDGER_KEY) =>
  signEntry(
    payload('genesis', 'ledger', {
      type: 'ledger.genesis',
      origin: ORIGIN,
      ledgerKey,
      ledgerPublicKey: b64url(LEDGER),
      operator: { id: 'operator', name: 'Operator', publicKey: b64url(OPERATOR) },
    }),
    LEDGER,
  );
const register = (signerSeed = OPERATOR, signer = 'operator') =>
  signEntry(payload('reg-acme', signer, { type: 'participant.register', participant: 'acme', name: 'ACME', roles: ['supplier'], publicKey: b64url(ACME) }), signerSeed);
const commission = (id: string, by = ACME) =>
  signEntry(payload(id, 'acme', { type: 'commission', objects: [{ code: `urn:trace:acme:${id}`, level: 'material', product: { name: id }, quantity: { value: 1, unit: 'KGM' } }] }), by);

interface LogOptions {
  /** Seqs to leave out of the evidence. */
  readonly omit?: readonly number[];
  /** Sign the checkpoint with another seed (under the same name). */
  readonly checkpointSeed?: Uint8Array;
  readonly ledgerKey?: string;
  readonly code?: string;
  readonly mutate?: (records: Array<{ seq: number; record: Record<string, unknown>; leafHash: string; inclusion: string[] }>) => void;
}

/** A whole log of these entries, its checkpoint, and the evidence document for all of it. */
function evidenceOf(entries: readonly Entry[], o: LogOptions = {}): string {
  const records = entries.map((entry, seq) => ({ seq, recordedAt: '2026-11-20T00:00:00.000Z', entry }));
  const leaves = records.map((r) => hashLeaf(utf8(canonicalize(r))));
  const size = leaves.length;
  const read = (level: number, index: number) => rootFromLeafHashes(leaves.slice(index * 2 ** level, (index + 1) * 2 ** level));
  const checkpoint = signCheckpoint({ origin: ORIGIN, size, root: rootFromLeafHashes(leaves) }, { name: ORIGIN, seed: o.checkpointSeed ?? LEDGER });
  const served = records
    .filter((r) => !(o.omit ?? []).includes(r.seq))
    .map((r) => ({ seq: r.seq, record: JSON.parse(JSON.stringify(r)) as Record<string, unknown>, leafHash: toHex(leaves[r.seq]!), inclusion: inclusionProof(read, r.seq, size).map(toBase64) }));
  o.mutate?.(served);
  return JSON.stringify({ code: o.code ?? CODE, ledgerKey: o.ledgerKey ?? LEDGER_KEY, checkpoint, treeSize: size, records: served });
}

const verify = (text: string, cited: number[] = [], pinnedKey = LEDGER_KEY): Promise<VerifyResult> => verifyEvidence(text, { pinnedKey, cited, code: CODE });

t.test('an honest log verifies, with progress per record', async (t) => {
  const entries = [genesis(), register(), commission('a'), commission('b'), commission('c')];
  const progress: string[] = [];
  const result = await verifyEvidence(evidenceOf(entries), { pinnedKey: LEDGER_KEY, cited: [2, 3, 4], code: CODE, onProgress: (d, n) => void progress.push(`${d}/${n}`) });
  t.same(result, { ok: true, entries: 5, size: 5, origin: ORIGIN, seqs: [0, 1, 2, 3, 4], operatorKeySeqs: [] });
  t.same(progress, ['1/5', '2/5', '3/5', '4/5', '5/5']);
  t.match(await verify(evidenceOf(entries, { omit: [3] }), [2, 4]), { ok: true, entries: 4, size: 5 }, 'a subset verifies when nothing cited is missing');
});

t.test('each failure names its check and entry', async (t) => {
  const base = [genesis(), register(), commission('a')];
  const forged: Entry = { ...commission('forged', STRANGER), signature: { kid: keyIdOf(nobleEd25519.publicKey(ACME)), sig: commission('forged', STRANGER).signature.sig } };
  const cases: Array<[string, Promise<VerifyResult>, Partial<Extract<VerifyResult, { ok: false }>>]> = [
    ['a signature by another key under acme\'s kid', verify(evidenceOf([...base, forged])), { check: 'signature', seq: 3, verifyCode: 'RECORD_SIGNATURE' }],
    ['a key nobody registered', verify(evidenceOf([...base, commission('x', STRANGER)])), { check: 'key', seq: 3, verifyCode: 'RECORD_KEY_UNKNOWN' }],
    [
      'a key used after its revocation',
      verify(evidenceOf([...base, signEntry(payload('rev', 'acme', { type: 'participant.key.revoke', participant: 'acme', kid: keyIdOf(nobleEd25519.publicKey(ACME)) }), ACME), commission('late')])),
      { check: 'key', seq: 4, verifyCode: 'RECORD_KEY_UNKNOWN' },
    ],
    ['a registration not signed by an operator', verify(evidenceOf([genesis(), register(ACME, 'acme')])), { check: 'key', seq: 1, verifyCode: 'RECORD_KEY_UNKNOWN' }],
    ['a checkpoint signed by another key with the ledger\'s name', verify(evidenceOf(base, { checkpointSeed: STRANGER })), { check: 'checkpoint', seq: undefined, verifyCode: 'CHECKPOINT_SIGNATURE' }],
    ['evidence naming another ledger key', verify(evidenceOf(base, { ledgerKey: formatVerifierKey(ORIGIN, nobleEd25519.publicKey(STRANGER)) })), { check: 'checkpoint' }],
    ['a pinned key of another ledger', verify(evidenceOf(base), [], formatVerifierKey('other.test/log', nobleEd25519.publicKey(LEDGER))), { check: 'checkpoint' }],
    ['a genesis naming another ledger key', verify(evidenceOf([genesis(formatVerifierKey('x.test', nobleEd25519.publicKey(STRANGER))), register()])), { check: 'key', seq: 0, verifyCode: 'REGISTRY_GENESIS' }],
    [
      'an altered payload',
      verify(evidenceOf(base, { mutate: (rs) => ((rs[2]!.record['entry'] as { payload: Record<string, unknown> }).payload['time'] = '2020-01-01T00:00:00Z') })),
      { check: 'leafHash', seq: 2, verifyCode: 'RECORD_LEAF_HASH' },
    ],
    ['a wrong served leaf hash', verify(evidenceOf(base, { mutate: (rs) => (rs[1]!.leafHash = '00'.repeat(32)) })), { check: 'leafHash', seq: 1, verifyCode: 'RECORD_LEAF_HASH' }],
    ['a broken inclusion proof', verify(evidenceOf(base, { mutate: (rs) => (rs[2]!.inclusion[0] = toBase64(new Uint8Array(32))) })), { check: 'inclusion', seq: 2, verifyCode: 'RECORD_INCLUSION' }],
    ['a record claiming another position', verify(evidenceOf(base, { mutate: (rs) => (rs[2]!.seq = 1) })), { check: 'evidence' }],
    ['no genesis', verify(evidenceOf(base, { omit: [0] })), { check: 'missing', seq: 0, verifyCode: 'REGISTRY_CLOSURE' }],
    ['a cited entry left out', verify(evidenceOf([...base, commission('b')], { omit: [3] }), [2, 3]), { check: 'missing', seq: 3, verifyCode: undefined }],
    ['evidence for another object', verify(evidenceOf(base, { code: 'urn:trace:acme:other' })), { check: 'evidence' }],
    ['not JSON', verify('{"records": ['), { check: 'evidence', verifyCode: undefined }],
    ['a duplicate member name', verify('{"checkpoint":"x","checkpoint":"y","records":[]}'), { check: 'evidence' }],
    ['a malformed pinned key', verify(evidenceOf(base), [], 'not a key'), { check: 'checkpoint' }],
  ];
  for (const [what, result, want] of cases) t.match(await result, { ok: false, ...want }, what);
});

t.test('a participant may add its own key and sign with it', async (t) => {
  const add = signEntry(payload('add', 'acme', { type: 'participant.key.add', participant: 'acme', publicKey: b64url(ACME2) }), ACME);
  t.match(await verify(evidenceOf([genesis(), register(), add, commission('new', ACME2)])), { ok: true, entries: 4 });
});
