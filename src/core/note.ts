/**
 * C2SP signed-note (https://c2sp.org/signed-note), restricted to Ed25519 signatures (type 0x01).
 *
 * A note is UTF-8 text ending in a newline, a blank line, then signature lines
 * `— <key name> base64(keyID ‖ signature)`. Go's golang.org/x/mod/sumdb/note is the reference
 * implementation: we accept what it accepts and produce what it produces, except that our parser is
 * stricter where the spec leaves room (canonical base64 only, no repeated signature lines, a size
 * cap), because the ledger never emits such notes and every accepted variant is one more way for the
 * same checkpoint to be written.
 *
 * Errors: untrusted input (a note, a verifier key string) fails with LEDGER_NOTE_MALFORMED,
 * LEDGER_KEY_INVALID or LEDGER_CHECKPOINT_SIGNATURE_INVALID. The signing side throws the same
 * codes for a name or text the parser would reject, so that "sign then open" is total over valid
 * values; arguments of the wrong JS type are a TypeError.
 */
import { concatBytes, equalBytes, fromBase64, fromHex, toBase64, toHex, utf8, fromUtf8 } from './bytes.js';
import { nobleEd25519, type Ed25519 } from './ed25519.js';
import { LedgerError } from './errors.js';
import { sha256 } from './hash.js';

/** signed-note §Signature types: `0x01` is Ed25519. */
const ALG_ED25519 = 0x01;
const EM_DASH_PREFIX = '\u2014 ';

/**
 * Go's note package rejects notes with more than 100 signatures; the spec (§Format) requires
 * accepting at least 16. We take Go's number so that whatever it accepts, we accept.
 */
export const MAX_NOTE_SIGNATURES = 100;

/**
 * §Format asks verifiers to bound the note size. 1 MiB holds 100 signatures of the largest
 * post-quantum types the spec mentions (~5 kB each) with room to spare, and is still small enough
 * that parsing cannot be used to exhaust memory.
 */
export const MAX_NOTE_BYTES = 1 << 20;

/** A trusted Ed25519 verifier key: the parsed form of `name+hex(keyID)+base64(0x01‖pubkey)`. */
export interface VerifierKey {
  readonly name: string;
  /** 4 bytes, SHA-256(name ‖ 0x0A ‖ 0x01 ‖ publicKey)[:4]. */
  readonly keyId: Uint8Array;
  /** 32-byte Ed25519 public key (RFC 8032 §5.1.5). */
  readonly publicKey: Uint8Array;
}

/** The secret half of a note key. The seed never leaves the caller except into `ed.sign`. */
export interface NoteSigner {
  readonly name: string;
  /** 32-byte Ed25519 secret seed (RFC 8032 §5.1.5). */
  readonly seed: Uint8Array;
}

export interface OpenedNote {
  /** The signed text, including its final newline but not the separating blank line. */
  readonly text: string;
  /** Names of the trusted keys whose signatures verified, in note order. */
  readonly verifiedBy: string[];
}

// Unicode White_Space as Go's unicode.IsSpace sees it (the reference for "Unicode spaces" in
// §Format): the ASCII spaces, NEL, NBSP and the Zs/Zl/Zp code points.
const UNICODE_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
// In a `u` regex a surrogate range only matches unpaired surrogates, i.e. strings that are not
// valid Unicode and would not survive UTF-8 encoding unchanged.
const LONE_SURROGATE = /[\ud800-\udfff]/u;
// §Format: no ASCII control characters other than newline anywhere in a note.
const FORBIDDEN_CONTROL = /[\u0000-\u0009\u000b-\u001f]/;

function assertString(s: unknown, name: string): asserts s is string {
  if (typeof s !== 'string') throw new TypeError(`${name} must be a string`);
}

function assertBytes(b: unknown, name: string, length?: number): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (length !== undefined && b.length !== length) throw new TypeError(`${name} must be ${length} bytes`);
}

/**
 * Whether `name` may be a key name (§Format): non-empty, well-formed Unicode, no Unicode space and
 * no `+`. We also refuse ASCII control characters, which could never appear in a note anyway.
 */
export function isValidKeyName(name: string): boolean {
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    !name.includes('+') &&
    !UNICODE_SPACE.test(name) &&
    !FORBIDDEN_CONTROL.test(name) &&
    !LONE_SURROGATE.test(name)
  );
}

/**
 * Why `text` cannot be the text of a signed note, or `undefined` if it can (§Format: valid UTF-8,
 * no control characters but newline, ends in a newline). Shared with checkpoint.ts so that a
 * checkpoint body is always a valid note text.
 */
export function noteTextProblem(text: string): string | undefined {
  if (!text.endsWith('\n')) return 'text must end with a newline';
  if (FORBIDDEN_CONTROL.test(text)) return 'text contains an ASCII control character other than newline';
  if (LONE_SURROGATE.test(text)) return 'text is not valid Unicode (unpaired surrogate)';
  return undefined;
}

/**
 * Key ID of an Ed25519 key (signed-note §Ed25519 signatures):
 * SHA-256(name ‖ 0x0A ‖ 0x01 ‖ publicKey)[:4]. The name is hashed in so that the same key under
 * two names gives two IDs.
 */
export function keyId(name: string, publicKey: Uint8Array): Uint8Array {
  assertString(name, 'name');
  assertBytes(publicKey, 'publicKey', 32);
  return sha256(concatBytes(utf8(name), Uint8Array.of(0x0a, ALG_ED25519), publicKey)).slice(0, 4);
}

/**
 * The published form of a verifier key, `name+hex(keyID)+base64(0x01‖publicKey)`, byte for byte as
 * Go's note.NewEd25519VerifierKey writes it.
 * @throws LedgerError LEDGER_KEY_INVALID if `name` is not a valid key name
 */
export function formatVerifierKey(name: string, publicKey: Uint8Array): string {
  assertString(name, 'name');
  assertBytes(publicKey, 'publicKey', 32);
  if (!isValidKeyName(name)) throw new LedgerError('LEDGER_KEY_INVALID', `invalid key name ${JSON.stringify(name)}`);
  return `${name}+${toHex(keyId(name, publicKey))}+${toBase64(concatBytes(Uint8Array.of(ALG_ED25519), publicKey))}`;
}

/**
 * Parses a verifier key string, checking that its key ID is the hash of its name and key, so that a
 * typo in either cannot silently select a different key.
 * @throws LedgerError LEDGER_KEY_INVALID on any malformation, another algorithm than Ed25519, or a
 *   key ID that does not match
 */
export function parseVerifierKey(s: string): VerifierKey {
  assertString(s, 'verifier key');
  const bad = (why: string, cause?: unknown): LedgerError =>
    new LedgerError('LEDGER_KEY_INVALID', `verifier key: ${why}`, cause === undefined ? undefined : { cause });
  // Names cannot contain '+', so the first two '+' are the separators; base64 may contain more.
  const p1 = s.indexOf('+');
  const p2 = p1 < 0 ? -1 : s.indexOf('+', p1 + 1);
  if (p2 < 0) throw bad('expected name+keyid+key');
  const name = s.slice(0, p1);
  const idHex = s.slice(p1 + 1, p2);
  const key64 = s.slice(p2 + 1);
  if (!isValidKeyName(name)) throw bad(`invalid key name ${JSON.stringify(name)}`);
  if (!/^[0-9a-fA-F]{8}$/.test(idHex)) throw bad('key ID must be 8 hex digits');
  let raw: Uint8Array;
  try {
    raw = fromBase64(key64);
  } catch (cause) {
    throw bad('key is not valid base64', cause);
  }
  if (raw.length === 0 || raw[0] !== ALG_ED25519) throw bad('unsupported signature algorithm (only Ed25519, 0x01)');
  if (raw.length !== 33) throw bad('Ed25519 public key must be 32 bytes');
  const publicKey = raw.slice(1);
  const id = fromHex(idHex);
  if (!equalBytes(id, keyId(name, publicKey))) throw bad('key ID does not match the name and key');
  return { name, keyId: id, publicKey };
}

/**
 * Signs `text` as a C2SP note with one Ed25519 key (§Format, §Ed25519 signatures): the signature
 * covers the UTF-8 bytes of the text including its final newline, not the blank line.
 * @throws LedgerError LEDGER_NOTE_MALFORMED if `text` is not a valid note text or the note would
 *   exceed MAX_NOTE_BYTES; LEDGER_KEY_INVALID if `signer.name` is not a valid key name
 */
export function signNote(text: string, signer: NoteSigner, ed: Ed25519 = nobleEd25519): string {
  assertString(text, 'text');
  if (typeof signer !== 'object' || signer === null) throw new TypeError('signer must be an object');
  assertString(signer.name, 'signer.name');
  assertBytes(signer.seed, 'signer.seed', 32);
  const problem = noteTextProblem(text);
  if (problem !== undefined) throw new LedgerError('LEDGER_NOTE_MALFORMED', problem);
  if (!isValidKeyName(signer.name)) {
    throw new LedgerError('LEDGER_KEY_INVALID', `invalid key name ${JSON.stringify(signer.name)}`);
  }
  const message = utf8(text);
  const publicKey = ed.publicKey(signer.seed);
  const sig = ed.sign(message, signer.seed);
  const note = `${text}\n${EM_DASH_PREFIX}${signer.name} ${toBase64(concatBytes(keyId(signer.name, publicKey), sig))}\n`;
  if (utf8(note).length > MAX_NOTE_BYTES) {
    throw new LedgerError('LEDGER_NOTE_MALFORMED', `note would exceed ${MAX_NOTE_BYTES} bytes`);
  }
  return note;
}

interface SignatureLine {
  readonly name: string;
  readonly keyId: Uint8Array;
  readonly signature: Uint8Array;
}

/** Validated lookup table of trusted keys, keyed by `name + '+' + hex(keyID)`. */
function indexVerifiers(verifiers: readonly VerifierKey[]): Map<string, VerifierKey> {
  if (!Array.isArray(verifiers)) throw new TypeError('verifiers must be an array');
  const index = new Map<string, VerifierKey>();
  for (const v of verifiers) {
    if (typeof v !== 'object' || v === null) throw new TypeError('verifiers must hold VerifierKey objects');
    assertString(v.name, 'verifier.name');
    assertBytes(v.publicKey, 'verifier.publicKey', 32);
    assertBytes(v.keyId, 'verifier.keyId', 4);
    if (!isValidKeyName(v.name) || !equalBytes(v.keyId, keyId(v.name, v.publicKey))) {
      throw new LedgerError('LEDGER_KEY_INVALID', `verifier key ${JSON.stringify(v.name)} is inconsistent`);
    }
    const k = `${v.name}+${toHex(v.keyId)}`;
    const seen = index.get(k);
    // Same name and ID but another key: the list itself is compromised; Go fails the same way.
    if (seen !== undefined && !equalBytes(seen.publicKey, v.publicKey)) {
      throw new LedgerError('LEDGER_KEY_INVALID', `ambiguous verifier keys for ${k}`);
    }
    index.set(k, v);
  }
  return index;
}

function parseSignatureLine(line: string): SignatureLine {
  const bad = (why: string, cause?: unknown): LedgerError =>
    new LedgerError('LEDGER_NOTE_MALFORMED', `signature line: ${why}`, cause === undefined ? undefined : { cause });
  if (!line.startsWith(EM_DASH_PREFIX)) throw bad('must start with an em dash (U+2014) and a space');
  const rest = line.slice(EM_DASH_PREFIX.length);
  const sp = rest.indexOf(' ');
  if (sp < 0) throw bad('expected "— <name> <signature>"');
  const name = rest.slice(0, sp);
  const b64 = rest.slice(sp + 1);
  if (!isValidKeyName(name)) throw bad(`invalid key name ${JSON.stringify(name)}`);
  let raw: Uint8Array;
  try {
    raw = fromBase64(b64);
  } catch (cause) {
    throw bad('signature is not valid base64', cause);
  }
  // §Format: 4 bytes of key ID followed by a non-empty signature.
  if (raw.length < 5) throw bad('signature too short');
  return { name, keyId: raw.slice(0, 4), signature: raw.slice(4) };
}

/**
 * Parses a signed note and verifies it against trusted keys (§Signatures): signatures from unknown
 * keys (name or key ID not both matching a trusted key) are ignored; a signature from a trusted key
 * that fails to verify rejects the whole note, as Go's note.Open does; at least one trusted
 * signature must verify. Only then may the caller look at the text.
 *
 * Accepts the note as a string or as raw bytes (decoded as strict UTF-8).
 * @throws LedgerError LEDGER_NOTE_MALFORMED on any structural error (invalid UTF-8, control
 *   characters, no blank line before the signatures, a bad signature line, a repeated key, more than
 *   MAX_NOTE_SIGNATURES signatures, more than MAX_NOTE_BYTES bytes);
 *   LEDGER_CHECKPOINT_SIGNATURE_INVALID if no trusted signature verifies or a trusted one is wrong;
 *   LEDGER_KEY_INVALID if `verifiers` holds an inconsistent key
 */
export function openNote(note: string | Uint8Array, verifiers: readonly VerifierKey[], ed: Ed25519 = nobleEd25519): OpenedNote {
  const index = indexVerifiers(verifiers);
  const malformed = (why: string, cause?: unknown): LedgerError =>
    new LedgerError('LEDGER_NOTE_MALFORMED', why, cause === undefined ? undefined : { cause });

  let s: string;
  if (note instanceof Uint8Array) {
    if (note.length > MAX_NOTE_BYTES) throw malformed(`note exceeds ${MAX_NOTE_BYTES} bytes`);
    try {
      s = fromUtf8(note);
    } catch (cause) {
      throw malformed('note is not valid UTF-8', cause);
    }
  } else {
    assertString(note, 'note');
    // UTF-16 length never exceeds UTF-8 length, so this cheap test is safe to do first.
    if (note.length > MAX_NOTE_BYTES || utf8(note).length > MAX_NOTE_BYTES) {
      throw malformed(`note exceeds ${MAX_NOTE_BYTES} bytes`);
    }
    s = note;
  }
  if (FORBIDDEN_CONTROL.test(s)) throw malformed('note contains an ASCII control character other than newline');
  if (LONE_SURROGATE.test(s)) throw malformed('note is not valid Unicode (unpaired surrogate)');

  // §Format: "the text is separated from the signatures by the last empty line in the note".
  const split = s.lastIndexOf('\n\n');
  if (split < 0) throw malformed('no blank line before the signatures');
  const text = s.slice(0, split + 1);
  const block = s.slice(split + 2);
  if (block.length === 0) throw malformed('no signature lines');
  if (!block.endsWith('\n')) throw malformed('note must end with a newline');

  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) throw malformed(`more than ${MAX_NOTE_SIGNATURES} signatures`);
  const sigs: SignatureLine[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    const sig = parseSignatureLine(line);
    // The (name, key ID) pair identifies a key (§Signatures); a second signature by the same key is
    // never produced by a conforming signer, and accepting it would make one note have many forms.
    const k = `${sig.name}+${toHex(sig.keyId)}`;
    if (seen.has(k)) throw malformed(`repeated signature by key ${k}`);
    seen.add(k);
    sigs.push(sig);
  }

  const message = utf8(text);
  const verifiedBy: string[] = [];
  for (const sig of sigs) {
    const v = index.get(`${sig.name}+${toHex(sig.keyId)}`);
    if (v === undefined) continue;
    if (!ed.verify(sig.signature, message, v.publicKey)) {
      throw new LedgerError('LEDGER_CHECKPOINT_SIGNATURE_INVALID', `signature by ${sig.name}+${toHex(sig.keyId)} does not verify`);
    }
    verifiedBy.push(v.name);
  }
  if (verifiedBy.length === 0) {
    throw new LedgerError('LEDGER_CHECKPOINT_SIGNATURE_INVALID', 'note carries no signature from a trusted key');
  }
  return { text, verifiedBy };
}
