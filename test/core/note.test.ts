import t from 'tap';
import fc from 'fast-check';
import {
  formatVerifierKey,
  isValidKeyName,
  keyId,
  MAX_NOTE_BYTES,
  MAX_NOTE_SIGNATURES,
  openNote,
  parseVerifierKey,
  signNote,
  type VerifierKey,
} from '../../src/core/note.js';
import { fromHex, toBase64, toHex, utf8, fromBase64 } from '../../src/core/bytes.js';
import { nobleEd25519 } from '../../src/core/ed25519.js';
import { isLedgerError } from '../../src/core/errors.js';

// test/vectors/README.md, "C2SP signed note / checkpoint".
const UPSTREAM_KEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const UPSTREAM_NOTE =
  'This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';
const LEDGER_KEY = 'example.com/test-ledger+4d1fb5e7+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea';

// The worked example in the package documentation of golang.org/x/mod/sumdb/note, the reference
// implementation: a second, independent known answer for both verification and key parsing.
const GO_KEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_NOTE =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

// RFC 8032 §7.1 TEST 1 and TEST 2 seeds.
const SEED1 = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const SEED2 = fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb');
const PUB1 = fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');

const NAME = 'example.com/test-ledger';
const signer1 = { name: NAME, seed: SEED1 };
const key1 = parseVerifierKey(LEDGER_KEY);
const key2 = parseVerifierKey(formatVerifierKey('example.com/witness', nobleEd25519.publicKey(SEED2)));

t.test('upstream vectors', async (t) => {
  const k = parseVerifierKey(UPSTREAM_KEY);
  t.equal(k.name, 'example.com/foo');
  t.equal(toHex(k.keyId), '530d903a');
  t.equal(formatVerifierKey(k.name, k.publicKey), UPSTREAM_KEY, 'formatVerifierKey reproduces the key');
  t.same(openNote(UPSTREAM_NOTE, [k]), { text: 'This is an example message.\n', verifiedBy: ['example.com/foo'] });
  t.same(openNote(utf8(UPSTREAM_NOTE), [k]).text, 'This is an example message.\n', 'bytes input');

  const g = parseVerifierKey(GO_KEY);
  t.equal(toHex(g.keyId), 'c74f20a3');
  t.equal(formatVerifierKey(g.name, g.publicKey), GO_KEY);
  t.same(openNote(GO_NOTE, [g]).verifiedBy, ['PeterNeumann']);
});

t.test('keyId and formatVerifierKey for the ledger test key', async (t) => {
  t.equal(toHex(keyId(NAME, PUB1)), '4d1fb5e7');
  t.equal(formatVerifierKey(NAME, PUB1), LEDGER_KEY);
  t.equal(formatVerifierKey(NAME, nobleEd25519.publicKey(SEED1)), LEDGER_KEY);
  t.same(key1, { name: NAME, keyId: fromHex('4d1fb5e7'), publicKey: PUB1 });
  t.notSame(keyId('example.com/other', PUB1), keyId(NAME, PUB1), 'the name is part of the key ID');
  t.throws(() => keyId(NAME, PUB1.subarray(1)), TypeError);
  t.throws(() => formatVerifierKey('bad name', PUB1), { code: 'LEDGER_KEY_INVALID' });
  t.throws(() => formatVerifierKey('a+b', PUB1), { code: 'LEDGER_KEY_INVALID' });
  t.throws(() => formatVerifierKey('', PUB1), { code: 'LEDGER_KEY_INVALID' });
});

t.test('isValidKeyName follows signed-note §Format', async (t) => {
  for (const ok of ['example.com/log', 'a', 'PeterNeumann', 'ünïcødé/名前', 'emoji/🙂', 'x\u007f']) t.ok(isValidKeyName(ok), JSON.stringify(ok));
  for (const bad of ['', 'a b', 'a+b', 'a\tb', 'a\nb', 'a\u00a0b', 'a\u2003b', 'a\u3000b', 'a\u0085b', 'a\u0000b', 'a\ud800b']) {
    t.notOk(isValidKeyName(bad), JSON.stringify(bad));
  }
});

t.test('parseVerifierKey rejects malformed keys', async (t) => {
  const pub64 = toBase64(Uint8Array.from([1, ...PUB1]));
  t.equal(parseVerifierKey(`${NAME}+4D1FB5E7+${pub64}`).name, NAME, 'upper-case key ID accepted, as by Go');
  const withAlg = (alg: number, key: Uint8Array): string => toBase64(Uint8Array.from([alg, ...key]));
  const bad: Array<[string, string]> = [
    ['wrong hash', `${NAME}+4d1fb5e8+${pub64}`],
    ['hash of another name', `example.com/other+4d1fb5e7+${pub64}`],
    ['7 hex digits', `${NAME}+4d1fb5e+${pub64}`],
    ['9 hex digits', `${NAME}+4d1fb5e70+${pub64}`],
    ['non-hex key ID', `${NAME}+4d1fb5eg+${pub64}`],
    ['algorithm 0x02', `${NAME}+4d1fb5e7+${withAlg(2, PUB1)}`],
    ['31-byte key', `${NAME}+4d1fb5e7+${withAlg(1, PUB1.subarray(1))}`],
    ['33-byte key', `${NAME}+4d1fb5e7+${withAlg(1, Uint8Array.from([...PUB1, 0]))}`],
    ['empty key', `${NAME}+4d1fb5e7+`],
    ['invalid base64', `${NAME}+4d1fb5e7+${pub64.slice(1)}`],
    ['base64url', `${NAME}+4d1fb5e7+${pub64.replace(/\+/g, '-').replace(/\//g, '_')}`],
    ['missing parts', `${NAME}+4d1fb5e7`],
    ['name only', NAME],
    ['empty', ''],
    ['empty name', `+4d1fb5e7+${pub64}`],
    ['name with a space', `example.com/test ledger+4d1fb5e7+${pub64}`],
    ['trailing newline', `${LEDGER_KEY}\n`],
    ['leading space', ` ${LEDGER_KEY}`],
  ];
  for (const [what, s] of bad) t.throws(() => parseVerifierKey(s), { code: 'LEDGER_KEY_INVALID' }, what);
  t.throws(() => parseVerifierKey(42 as unknown as string), TypeError);
});

t.test('signNote output and input validation', async (t) => {
  const note = signNote('hello\n', signer1);
  const sig = nobleEd25519.sign(utf8('hello\n'), SEED1);
  t.equal(note, `hello\n\n— ${NAME} ${toBase64(Uint8Array.from([...key1.keyId, ...sig]))}\n`, 'exact layout');
  t.same(openNote(note, [key1]), { text: 'hello\n', verifiedBy: [NAME] });

  const text = 'line 1\n\n— not a signature\n\nlast line\n';
  t.equal(openNote(signNote(text, signer1), [key1]).text, text, 'text may contain blank lines and dashes');
  t.equal(openNote(signNote('\n', signer1), [key1]).text, '\n', 'a text that is a single newline');

  for (const [what, bad] of [
    ['empty', ''],
    ['no final newline', 'hello'],
    ['CRLF', 'hello\r\n'],
    ['NUL', 'a\u0000b\n'],
    ['tab', 'a\tb\n'],
    ['lone surrogate', 'a\ud83d\n'],
    ['too long', `${'x'.repeat(MAX_NOTE_BYTES)}\n`],
  ] as const) {
    t.throws(() => signNote(bad, signer1), { code: 'LEDGER_NOTE_MALFORMED' }, what);
  }
  for (const name of ['', 'a b', 'a+b', 'a\nb']) {
    t.throws(() => signNote('x\n', { name, seed: SEED1 }), { code: 'LEDGER_KEY_INVALID' }, JSON.stringify(name));
  }
  t.throws(() => signNote('x\n', { name: NAME, seed: SEED1.subarray(1) }), TypeError);
  t.throws(() => signNote(1 as unknown as string, signer1), TypeError);
});

t.test('openNote: signatures from unknown keys are ignored, known ones must verify', async (t) => {
  const text = 'cosigned\n';
  const note1 = signNote(text, signer1);
  const line2 = signNote(text, { name: 'example.com/witness', seed: SEED2 }).split('\n\n')[1]!;
  const cosigned = note1 + line2;
  t.same(openNote(cosigned, [key1, key2]).verifiedBy, [NAME, 'example.com/witness']);
  t.same(openNote(cosigned, [key2]).verifiedBy, ['example.com/witness'], 'unknown first signature ignored');
  t.same(openNote(cosigned, [key1]).verifiedBy, [NAME]);

  // Same name, other key: a different key ID, so an unknown key (§Signatures).
  const impostor = signNote(text, { name: NAME, seed: SEED2 });
  const impostorLine = impostor.split('\n\n')[1]!;
  t.same(openNote(note1 + impostorLine, [key1]).verifiedBy, [NAME]);
  t.throws(() => openNote(impostor, [key1]), { code: 'LEDGER_CHECKPOINT_SIGNATURE_INVALID' }, 'only an unknown signature');

  // Same key ID, other name: unknown as well.
  const renamed = note1.replace(`— ${NAME} `, '— example.com/renamed ');
  t.throws(() => openNote(renamed, [key1]), { code: 'LEDGER_CHECKPOINT_SIGNATURE_INVALID' });

  // A known key whose signature does not verify rejects the note even if another known key verifies.
  const sigBytes = fromBase64(line2.slice(line2.lastIndexOf(' ') + 1, -1));
  sigBytes[10]! ^= 1;
  const badLine2 = `— example.com/witness ${toBase64(sigBytes)}\n`;
  t.throws(() => openNote(note1 + badLine2, [key1, key2]), { code: 'LEDGER_CHECKPOINT_SIGNATURE_INVALID' });
  t.same(openNote(note1 + badLine2, [key1]).verifiedBy, [NAME], 'the same bad line from an unknown key is ignored');

  t.throws(() => openNote(note1, []), { code: 'LEDGER_CHECKPOINT_SIGNATURE_INVALID' }, 'no trusted keys');
  t.throws(() => openNote(note1, [key2]), { code: 'LEDGER_CHECKPOINT_SIGNATURE_INVALID' }, 'signed by another key');
  t.throws(() => openNote(note1.replace('cosigned', 'cosigneD'), [key1]), { code: 'LEDGER_CHECKPOINT_SIGNATURE_INVALID' }, 'tampered text');
});

t.test('openNote rejects malformed notes', async (t) => {
  const good = signNote('a\nb\n', signer1);
  const [body, sigLine] = [good.slice(0, good.indexOf('\n\n') + 1), good.slice(good.indexOf('\n\n') + 2)];
  const b64 = sigLine.slice(sigLine.lastIndexOf(' ') + 1, -1);
  const raw = fromBase64(b64);
  const line = (name: string, sig: string): string => `— ${name} ${sig}\n`;
  // 68 bytes encode as 91 characters and one '='; the last character carries 2 unused bits.
  const nonCanonical = (s: string): string => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    return `${s.slice(0, -2)}${alphabet[alphabet.indexOf(s.at(-2)!) | 1]!}=`;
  };
  const otherLines = Array.from({ length: MAX_NOTE_SIGNATURES }, (_, i) =>
    line(`example.com/w${i}`, toBase64(Uint8Array.from([i, 0, 0, 0, ...new Uint8Array(64)]))),
  );
  const cases: Array<[string, string]> = [
    ['missing final newline', good.slice(0, -1)],
    ['CRLF line endings', good.replace(/\n/g, '\r\n')],
    ['CR in text', good.replace('a\n', 'a\r\n')],
    ['no blank line before the signature', `${body}${sigLine}`],
    ['empty signature block', `${body}\n`],
    ['blank line only at the end', `${good}\n`],
    ['hyphen instead of em dash', `${body}\n${sigLine.replace('—', '-')}`],
    ['en dash instead of em dash', `${body}\n${sigLine.replace('—', '–')}`],
    ['no space after dash', `${body}\n${sigLine.replace('— ', '—')}`],
    ['two spaces before the signature', `${body}\n${line(NAME, ` ${b64}`)}`],
    ['trailing space', `${body}\n— ${NAME} ${b64} \n`],
    ['no signature', `${body}\n— ${NAME}\n`],
    ['empty signature', `${body}\n— ${NAME} \n`],
    ['invalid base64', `${body}\n${line(NAME, b64.slice(1))}`],
    ['base64 non-canonical trailing bits', `${body}\n${line(NAME, nonCanonical(b64))}`],
    ['signature of 4 bytes (key ID only)', `${body}\n${line(NAME, toBase64(raw.subarray(0, 4)))}`],
    ['key name with +', `${body}\n${line('a+b', b64)}`],
    ['key name with no-break space', `${body}\n${line('a\u00a0b', b64)}`],
    ['duplicate signature lines', `${good}${sigLine}`],
    ['two signatures by the same key', `${good}${line(NAME, toBase64(Uint8Array.from([...raw.subarray(0, 4), ...new Uint8Array(64)])))}`],
    ['text after the signatures', `${good}trailing\n`],
    ['NUL in text', good.replace('a\n', 'a\u0000\n')],
    ['tab in text', good.replace('a\n', 'a\t\n')],
    ['escape in signature line', good.replace('— ', '— \u001b')],
    ['lone surrogate', good.replace('a\n', 'a\udc00\n')],
    [`more than ${MAX_NOTE_SIGNATURES} signatures`, good + otherLines.join('')],
    ['too long', `${'x'.repeat(MAX_NOTE_BYTES)}\n${good}`],
  ];
  for (const [what, note] of cases) t.throws(() => openNote(note, [key1]), { code: 'LEDGER_NOTE_MALFORMED' }, what);

  t.same(openNote(good + otherLines.slice(1).join(''), [key1]).verifiedBy, [NAME], `${MAX_NOTE_SIGNATURES} signatures are fine`);
  t.throws(() => openNote(Uint8Array.from([...utf8(body.slice(0, -1)), 0xff, 0x0a, ...utf8(`\n${sigLine}`)]), [key1]), { code: 'LEDGER_NOTE_MALFORMED' }, 'invalid UTF-8');
  t.throws(() => openNote(Uint8Array.from([...utf8('a'), 0xc0, 0xaf, ...utf8(`\n\n${sigLine}`)]), [key1]), { code: 'LEDGER_NOTE_MALFORMED' }, 'overlong UTF-8');
  t.throws(() => openNote(new Uint8Array(MAX_NOTE_BYTES + 1).fill(0x41), [key1]), { code: 'LEDGER_NOTE_MALFORMED' }, 'too many bytes');
  t.throws(() => openNote(null as unknown as string, [key1]), TypeError);
});

t.test('openNote validates the trusted keys it is given', async (t) => {
  const note = signNote('x\n', signer1);
  const tamperedId: VerifierKey = { ...key1, keyId: fromHex('00000000') };
  t.throws(() => openNote(note, [tamperedId]), { code: 'LEDGER_KEY_INVALID' });
  const sameIdOtherKey: VerifierKey = { ...key1, publicKey: nobleEd25519.publicKey(SEED2) };
  t.throws(() => openNote(note, [sameIdOtherKey]), { code: 'LEDGER_KEY_INVALID' }, 'key ID must match');
  t.same(openNote(note, [key1, key1]).verifiedBy, [NAME], 'the same key twice is harmless');

  // Key IDs are 32 bits: a birthday search finds two (non-curve, but well-formed) keys sharing one.
  const seen = new Map<string, Uint8Array>();
  let pair: [Uint8Array, Uint8Array] | undefined;
  for (let i = 0; pair === undefined && i < 1_000_000; i++) {
    const pk = new Uint8Array(32);
    new DataView(pk.buffer).setUint32(0, i);
    const id = toHex(keyId('x', pk));
    const prev = seen.get(id);
    if (prev !== undefined) pair = [prev, pk];
    else seen.set(id, pk);
  }
  t.ok(pair, 'found a key ID collision');
  const [a, b] = pair!;
  const ka: VerifierKey = { name: 'x', keyId: keyId('x', a), publicKey: a };
  const kb: VerifierKey = { name: 'x', keyId: keyId('x', b), publicKey: b };
  t.throws(() => openNote(note, [key1, ka, kb]), { code: 'LEDGER_KEY_INVALID' }, 'two keys with one name and key ID');
  t.throws(() => openNote(note, 'key' as unknown as VerifierKey[]), TypeError);
});

// Key names: any non-empty string without Unicode spaces, '+' or control characters.
const keyName = fc.string({ unit: 'binary', minLength: 1, maxLength: 24 }).filter(isValidKeyName);
// Note texts: lines of arbitrary Unicode (control characters removed), each ending in a newline.
const noteText = fc
  .array(fc.string({ unit: 'binary', maxLength: 30 }).map((s) => s.replace(/[\u0000-\u001f]/g, '').replace(/[\ud800-\udfff]/gu, '')), { minLength: 1, maxLength: 5 })
  .map((lines) => lines.map((l) => `${l}\n`).join(''));

t.test('property: signNote then openNote returns the text', async (t) => {
  fc.assert(
    fc.property(noteText, keyName, fc.uint8Array({ minLength: 32, maxLength: 32 }), (text, name, seed) => {
      const key = parseVerifierKey(formatVerifierKey(name, nobleEd25519.publicKey(seed)));
      const opened = openNote(signNote(text, { name, seed }), [key]);
      return opened.text === text && opened.verifiedBy.length === 1 && opened.verifiedBy[0] === name;
    }),
    { numRuns: 150 },
  );
  t.pass('round trip');
});

t.test('property: any single-character change makes openNote fail', async (t) => {
  const expected = new Set(['LEDGER_NOTE_MALFORMED', 'LEDGER_CHECKPOINT_SIGNATURE_INVALID']);
  fc.assert(
    fc.property(
      noteText,
      fc.nat(),
      fc.oneof(fc.constantFrom('\n', '\r', ' ', '—', '+', '=', 'A', 'a', '/', '0', '\u0000'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
      fc.boolean(),
      (text, at, replacement, remove) => {
        const note = signNote(text, signer1);
        const i = at % note.length;
        const mutated = remove ? note.slice(0, i) + note.slice(i + 1) : note.slice(0, i) + replacement + note.slice(i + 1);
        if (mutated === note) return true;
        try {
          openNote(mutated, [key1]);
        } catch (e) {
          return isLedgerError(e) && expected.has(e.code);
        }
        return false;
      },
    ),
    { numRuns: 300 },
  );
  t.pass('every mutation rejected');
});
