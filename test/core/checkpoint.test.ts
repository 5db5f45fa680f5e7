import t from 'tap';
import { isDeepStrictEqual } from 'node:util';
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import fc from 'fast-check';
import {
  formatCheckpointBody,
  parseCheckpointBody,
  signCheckpoint,
  verifyCheckpoint,
  type CheckpointInput,
} from '../../src/core/checkpoint.js';
import { formatVerifierKey, isValidKeyName, parseVerifierKey, signNote } from '../../src/core/note.js';
import { fromHex, toBase64, toBase64Url, toHex } from '../../src/core/bytes.js';
import { nobleEd25519, type Ed25519 } from '../../src/core/ed25519.js';
import { isLedgerError } from '../../src/core/errors.js';

// test/vectors/README.md: the 8-leaf RFC 6962 reference tree, its root at n=8, and the
// checkpoint of it signed with the RFC 8032 §7.1 TEST 1 key under the name example.com/test-ledger.
const ORIGIN = 'example.com/test-ledger';
const ROOT8 = fromHex('5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328');
const KEY = 'example.com/test-ledger+4d1fb5e7+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea';
const CHECKPOINT = `example.com/test-ledger
8
XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=

— example.com/test-ledger TR+15zxJyBRCAFW5zAe2R6lP+XX/K8LKA7MzWsw0Hp5IExYE+FBX3OMAajpW5Br+4r7z2TBkgfZ4iDwOMDYnT8usJQ4=
`;
const SEED1 = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const SEED2 = fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb');
const signer = { name: ORIGIN, seed: SEED1 };
const BODY8 = `${ORIGIN}\n8\n${toBase64(ROOT8)}\n`;

t.test('reproduces and verifies the 8-leaf checkpoint vector', async (t) => {
  t.equal(formatVerifierKey(ORIGIN, nobleEd25519.publicKey(SEED1)), KEY, 'verifier key');
  t.equal(formatCheckpointBody({ origin: ORIGIN, size: 8, root: ROOT8 }), BODY8, 'body');
  t.equal(signCheckpoint({ origin: ORIGIN, size: 8, root: ROOT8 }, signer), CHECKPOINT, 'byte for byte');
  const cp = verifyCheckpoint(CHECKPOINT, KEY);
  t.equal(cp.origin, ORIGIN);
  t.equal(cp.size, 8);
  t.equal(toHex(cp.root), toHex(ROOT8));
  t.same(cp.extensions, []);
  t.same(verifyCheckpoint(CHECKPOINT, parseVerifierKey(KEY)), cp, 'parsed key');
  t.same(verifyCheckpoint(new TextEncoder().encode(CHECKPOINT), KEY), cp, 'bytes');
});

t.test('the Ed25519 implementation is pluggable (node:crypto here, as on the server)', async (t) => {
  const jwk = (seed: Uint8Array) => ({ kty: 'OKP', crv: 'Ed25519', x: toBase64Url(nobleEd25519.publicKey(seed)), d: toBase64Url(seed) });
  let calls = 0;
  const nodeEd: Ed25519 = {
    publicKey: (seed) => (calls++, nobleEd25519.publicKey(seed)),
    sign: (msg, seed) => (calls++, new Uint8Array(nodeSign(null, msg, createPrivateKey({ key: jwk(seed), format: 'jwk' })))),
    verify: (sig, msg, pub) => (calls++, nodeVerify(null, msg, createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: toBase64Url(pub) }, format: 'jwk' }), sig)),
  };
  t.equal(signCheckpoint({ origin: ORIGIN, size: 8, root: ROOT8 }, signer, nodeEd), CHECKPOINT);
  t.equal(verifyCheckpoint(CHECKPOINT, KEY, nodeEd).size, 8);
  t.throws(() => verifyCheckpoint(CHECKPOINT.replace('\n8\n', '\n9\n'), KEY, nodeEd), { code: 'LEDGER_CHECKPOINT_SIGNATURE_INVALID' });
  t.equal(calls, 4, 'every signature operation went through the supplied implementation');
});

t.test('extension lines and co-signatures', async (t) => {
  const cp = { origin: ORIGIN, size: 0, root: new Uint8Array(32), extensions: ['ext one', '— not a signature'] };
  const note = signCheckpoint(cp, signer);
  t.same(verifyCheckpoint(note, KEY), cp);
  const witness = signNote(formatCheckpointBody(cp), { name: 'example.com/witness', seed: SEED2 });
  const cosigned = note + witness.slice(witness.lastIndexOf('\n\n') + 2);
  t.same(verifyCheckpoint(cosigned, KEY), cp, 'an unknown co-signature is ignored');
  const max = { origin: ORIGIN, size: Number.MAX_SAFE_INTEGER, root: ROOT8, extensions: [] };
  t.same(verifyCheckpoint(signCheckpoint(max, signer), KEY), max, 'largest safe size');
});

t.test('parseCheckpointBody rejects malformed bodies', async (t) => {
  const root = toBase64(ROOT8);
  const cases: Array<[string, string]> = [
    ['missing final newline', BODY8.slice(0, -1)],
    ['CRLF', BODY8.replace(/\n/g, '\r\n')],
    ['empty', ''],
    ['only a newline', '\n'],
    ['two lines', `${ORIGIN}\n8\n`],
    ['empty origin', `\n8\n${root}\n`],
    ['leading zeros in size', `${ORIGIN}\n08\n${root}\n`],
    ['size 00', `${ORIGIN}\n00\n${root}\n`],
    ['negative size', `${ORIGIN}\n-8\n${root}\n`],
    ['size with plus sign', `${ORIGIN}\n+8\n${root}\n`],
    ['size with space', `${ORIGIN}\n 8\n${root}\n`],
    ['hex size', `${ORIGIN}\n0x8\n${root}\n`],
    ['exponent size', `${ORIGIN}\n8e0\n${root}\n`],
    ['fractional size', `${ORIGIN}\n8.0\n${root}\n`],
    ['empty size', `${ORIGIN}\n\n${root}\n`],
    ['non-ASCII digits', `${ORIGIN}\n\u0668\n${root}\n`],
    ['size 2^64 (not a uint64)', `${ORIGIN}\n18446744073709551616\n${root}\n`],
    ['size of 400 digits', `${ORIGIN}\n${'9'.repeat(400)}\n${root}\n`],
    ['size 2^64-1 (uint64, beyond MAX_SAFE_INTEGER)', `${ORIGIN}\n18446744073709551615\n${root}\n`],
    ['size 2^53', `${ORIGIN}\n9007199254740992\n${root}\n`],
    ['root of 31 bytes', `${ORIGIN}\n8\n${toBase64(ROOT8.subarray(1))}\n`],
    ['root of 33 bytes', `${ORIGIN}\n8\n${toBase64(Uint8Array.from([...ROOT8, 0]))}\n`],
    ['root in hex', `${ORIGIN}\n8\n${toHex(ROOT8)}\n`],
    ['root without padding', `${ORIGIN}\n8\n${root.slice(0, -1)}\n`],
    ['root in base64url', `${ORIGIN}\n8\n${toBase64(fromHex('fb'.repeat(32))).replace(/\+/g, '-').replace(/\//g, '_')}\n`],
    ['root with non-canonical trailing bits', `${ORIGIN}\n8\n${root.slice(0, -2)}h=\n`],
    ['empty root', `${ORIGIN}\n8\n\n`],
    ['empty extension line', `${BODY8}\n`],
    ['empty extension line between others', `${BODY8}a\n\nb\n`],
    ['control character', BODY8.replace('8', '8\u0007')],
    ['lone surrogate in origin', `\ud800${BODY8}`],
  ];
  t.equal(root.at(-2), 'g', 'the non-canonical case changes the character before the padding');
  for (const [what, body] of cases) t.throws(() => parseCheckpointBody(body), { code: 'LEDGER_CHECKPOINT_INVALID' }, what);
  t.same(parseCheckpointBody(`go.sum database tree\n0\n${root}\n`).origin, 'go.sum database tree', 'origins need not be key names');
  t.throws(() => parseCheckpointBody(undefined as unknown as string), TypeError);
});

t.test('formatCheckpointBody and signCheckpoint validate their input', async (t) => {
  const base: CheckpointInput = { origin: ORIGIN, size: 8, root: ROOT8 };
  const invalid: Array<[string, CheckpointInput]> = [
    ['empty origin', { ...base, origin: '' }],
    ['origin with newline', { ...base, origin: 'a\nb' }],
    ['origin with CR', { ...base, origin: 'a\r' }],
    ['negative size', { ...base, size: -1 }],
    ['fractional size', { ...base, size: 1.5 }],
    ['NaN size', { ...base, size: Number.NaN }],
    ['infinite size', { ...base, size: Number.POSITIVE_INFINITY }],
    ['size 2^53', { ...base, size: 2 ** 53 }],
    ['root of 31 bytes', { ...base, root: ROOT8.subarray(1) }],
    ['empty extension', { ...base, extensions: [''] }],
    ['extension with newline', { ...base, extensions: ['a\nb'] }],
    ['extension with tab', { ...base, extensions: ['a\tb'] }],
  ];
  for (const [what, cp] of invalid) {
    t.throws(() => formatCheckpointBody(cp), { code: 'LEDGER_CHECKPOINT_INVALID' }, what);
    t.throws(() => signCheckpoint(cp, { ...signer, name: cp.origin }), { code: /^LEDGER_(CHECKPOINT_INVALID|KEY_INVALID)$/ }, `sign: ${what}`);
  }
  t.throws(() => formatCheckpointBody({ ...base, size: '8' as unknown as number }), TypeError);
  t.throws(() => formatCheckpointBody({ ...base, root: toHex(ROOT8) as unknown as Uint8Array }), TypeError);
  t.throws(() => formatCheckpointBody({ ...base, extensions: [1] as unknown as string[] }), TypeError);
  t.throws(() => signCheckpoint(base, { name: 'example.com/other', seed: SEED1 }), RangeError, 'signer name must be the origin');
  t.throws(() => signCheckpoint({ ...base, origin: 'a b' }, { name: 'a b', seed: SEED1 }), { code: 'LEDGER_KEY_INVALID' }, 'origin that is no key name');
});

t.test('verifyCheckpoint rejects bad checkpoints', async (t) => {
  const signBody = (body: string, name = ORIGIN, seed = SEED1): string => signNote(body, { name, seed });
  const root = toBase64(ROOT8);
  const tamperedRoot = toBase64(Uint8Array.from(ROOT8, (b, i) => (i === 5 ? b ^ 1 : b)));
  const [body, sigLine] = [CHECKPOINT.slice(0, CHECKPOINT.indexOf('\n\n') + 1), CHECKPOINT.slice(CHECKPOINT.indexOf('\n\n') + 2)];
  const otherKeyNote = signBody(BODY8, ORIGIN, SEED2);
  const cases: Array<[string, string, string]> = [
    ['missing final newline', CHECKPOINT.slice(0, -1), 'LEDGER_NOTE_MALFORMED'],
    ['CRLF', CHECKPOINT.replace(/\n/g, '\r\n'), 'LEDGER_NOTE_MALFORMED'],
    ['no blank line', CHECKPOINT.replace('\n\n', '\n'), 'LEDGER_NOTE_MALFORMED'],
    ['duplicate signature lines', CHECKPOINT + sigLine, 'LEDGER_NOTE_MALFORMED'],
    ['control character', CHECKPOINT.replace('\n8\n', '\n8\u0000\n'), 'LEDGER_NOTE_MALFORMED'],
    ['hyphen for em dash', CHECKPOINT.replace('—', '-'), 'LEDGER_NOTE_MALFORMED'],
    ['signature by another key under the same name', otherKeyNote, 'LEDGER_CHECKPOINT_SIGNATURE_INVALID'],
    ['tampered size', CHECKPOINT.replace('\n8\n', '\n9\n'), 'LEDGER_CHECKPOINT_SIGNATURE_INVALID'],
    ['tampered root', CHECKPOINT.replace(root, tamperedRoot), 'LEDGER_CHECKPOINT_SIGNATURE_INVALID'],
    ['tampered origin', CHECKPOINT.replace(`${ORIGIN}\n8`, `example.com/test-ledgeR\n8`), 'LEDGER_CHECKPOINT_SIGNATURE_INVALID'],
    ['extension line added', `${body}ext\n\n${sigLine}`, 'LEDGER_CHECKPOINT_SIGNATURE_INVALID'],
    ['signature bit flipped', CHECKPOINT.replace('TR+15zx', 'TR+15zy'), 'LEDGER_CHECKPOINT_SIGNATURE_INVALID'],
    ['wrong origin, signed by the ledger key', signBody(`example.com/other\n8\n${root}\n`), 'LEDGER_CHECKPOINT_INVALID'],
    ['leading zeros in size, signed', signBody(`${ORIGIN}\n08\n${root}\n`), 'LEDGER_CHECKPOINT_INVALID'],
    ['negative size, signed', signBody(`${ORIGIN}\n-8\n${root}\n`), 'LEDGER_CHECKPOINT_INVALID'],
    ['root not 32 bytes, signed', signBody(`${ORIGIN}\n8\n${toBase64(ROOT8.subarray(0, 20))}\n`), 'LEDGER_CHECKPOINT_INVALID'],
    ['empty origin, signed', signBody(`\n8\n${root}\n`), 'LEDGER_CHECKPOINT_INVALID'],
    ['only two lines, signed', signBody(`${ORIGIN}\n8\n`), 'LEDGER_CHECKPOINT_INVALID'],
    ['empty extension line, signed', signBody(`${BODY8}\n`), 'LEDGER_CHECKPOINT_INVALID'],
  ];
  for (const [what, note, code] of cases) t.throws(() => verifyCheckpoint(note, KEY), { code }, what);

  const keyOfOther = formatVerifierKey(ORIGIN, nobleEd25519.publicKey(SEED2));
  t.throws(() => verifyCheckpoint(CHECKPOINT, keyOfOther), { code: 'LEDGER_CHECKPOINT_SIGNATURE_INVALID' }, 'key of another signer');
  t.throws(() => verifyCheckpoint(CHECKPOINT, KEY.replace('4d1fb5e7', '4d1fb5e6')), { code: 'LEDGER_KEY_INVALID' }, 'verifier key with wrong hash');
  t.throws(() => verifyCheckpoint(CHECKPOINT, `${KEY}\n`), { code: 'LEDGER_KEY_INVALID' }, 'verifier key with newline');
  const renamedKey = formatVerifierKey('example.com/other', nobleEd25519.publicKey(SEED1));
  t.throws(() => verifyCheckpoint(CHECKPOINT, renamedKey), { code: 'LEDGER_CHECKPOINT_SIGNATURE_INVALID' }, 'same key, other name');
});

const origin = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).filter(isValidKeyName);
const checkpoint = fc.record({
  origin,
  size: fc.oneof(fc.nat({ max: 1000 }), fc.maxSafeNat()),
  root: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  extensions: fc.array(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).filter((s) => !/[\u0000-\u001f]/.test(s) && !/[\ud800-\udfff]/u.test(s)),
    { maxLength: 2 },
  ),
});

t.test('property: parse(format(cp)) and verify(sign(cp)) return cp', async (t) => {
  fc.assert(
    fc.property(checkpoint, fc.uint8Array({ minLength: 32, maxLength: 32 }), (cp, seed) => {
      if (!isDeepStrictEqual(parseCheckpointBody(formatCheckpointBody(cp)), { ...cp })) return false; // fc.record objects have a null prototype
      const key = formatVerifierKey(cp.origin, nobleEd25519.publicKey(seed));
      const got = verifyCheckpoint(signCheckpoint(cp, { name: cp.origin, seed }), key);
      return got.origin === cp.origin && got.size === cp.size && toHex(got.root) === toHex(cp.root) && got.extensions.join('\n') === cp.extensions.join('\n');
    }),
    { numRuns: 150 },
  );
  t.pass('round trip');
});

t.test('property: changing, deleting or inserting any one character makes verification fail', async (t) => {
  const codes = new Set(['LEDGER_NOTE_MALFORMED', 'LEDGER_CHECKPOINT_SIGNATURE_INVALID', 'LEDGER_CHECKPOINT_INVALID']);
  const char = fc.oneof(
    fc.constantFrom('\n', '\r', ' ', '—', '+', '/', '=', '0', '9', 'A', 'a', '\u0000'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  );
  fc.assert(
    fc.property(checkpoint, fc.nat(), char, fc.constantFrom('replace', 'delete', 'insert'), (cp, at, c, op) => {
      const note = signCheckpoint(cp, { name: cp.origin, seed: SEED1 });
      const key = formatVerifierKey(cp.origin, nobleEd25519.publicKey(SEED1));
      const i = at % note.length;
      const mutated =
        op === 'replace' ? note.slice(0, i) + c + note.slice(i + 1) : op === 'delete' ? note.slice(0, i) + note.slice(i + 1) : note.slice(0, i) + c + note.slice(i);
      if (mutated === note) return true;
      try {
        verifyCheckpoint(mutated, key);
      } catch (e) {
        return isLedgerError(e) && codes.has(e.code);
      }
      return false;
    }),
    { numRuns: 400 },
  );
  t.pass('every mutation rejected');
});
