/**
 * Byte helpers shared by the core: hex, base64 (RFC 4648 §4, padded, as C2SP notes and proofs use)
 * and base64url (RFC 4648 §5, unpadded, as entry signatures use), UTF-8, concatenation, and a
 * constant-time comparison. Decoders are strict: attacker-controlled strings either decode exactly
 * or raise LEDGER_ENCODING_INVALID; they never silently skip characters the way atob or
 * Buffer.from(…, 'base64') do.
 */
import { LedgerError } from './errors.js';

const HEX = '0123456789abcdef';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function lookup(alphabet: string): Int16Array {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < alphabet.length; i++) t[alphabet.charCodeAt(i)] = i;
  return t;
}
const B64_REV = lookup(B64);
const B64URL_REV = lookup(B64URL);

function assertBytes(b: unknown, name: string): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
}

const HEX_CODES = Uint8Array.from(HEX, (c) => c.charCodeAt(0));
const asciiDecoder = new TextDecoder();

/**
 * Lower-case hex. The digits' ASCII codes go into one array decoded at once: building the string
 * by concatenation made a string per digit (1.1 KB of garbage and ~0.6 µs for a 32-byte hash,
 * against ~0.15 µs; the ledger hexes a few hashes per appended entry).
 */
export function toHex(bytes: Uint8Array): string {
  assertBytes(bytes, 'bytes');
  const out = new Uint8Array(bytes.length * 2);
  for (let i = 0, j = 0; i < bytes.length; i++, j += 2) {
    const b = bytes[i]!;
    out[j] = HEX_CODES[b >> 4]!;
    out[j + 1] = HEX_CODES[b & 15]!;
  }
  return asciiDecoder.decode(out);
}

/** Lower- or upper-case hex of even length. @throws LedgerError LEDGER_ENCODING_INVALID */
export function fromHex(hex: string, expectedLength?: number): Uint8Array {
  if (typeof hex !== 'string') throw new TypeError('hex must be a string');
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new LedgerError('LEDGER_ENCODING_INVALID', 'not a hex string');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  if (expectedLength !== undefined && out.length !== expectedLength) {
    throw new LedgerError('LEDGER_ENCODING_INVALID', `expected ${expectedLength} bytes of hex, got ${out.length}`);
  }
  return out;
}

function encode64(bytes: Uint8Array, alphabet: string, pad: boolean): string {
  let s = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    s += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + alphabet[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    s += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + (pad ? '==' : '');
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    s += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + (pad ? '=' : '');
  }
  return s;
}

function decode64(s: string, rev: Int16Array, padded: boolean, what: string): Uint8Array {
  if (typeof s !== 'string') throw new TypeError(`${what} must be a string`);
  let body = s;
  if (padded) {
    if (s.length % 4 !== 0) throw new LedgerError('LEDGER_ENCODING_INVALID', `${what}: length is not a multiple of 4`);
    if (s.endsWith('==')) body = s.slice(0, -2);
    else if (s.endsWith('=')) body = s.slice(0, -1);
  } else if (s.length % 4 === 1) {
    throw new LedgerError('LEDGER_ENCODING_INVALID', `${what}: impossible length`);
  }
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    const v = c < 128 ? rev[c]! : -1;
    if (v < 0) throw new LedgerError('LEDGER_ENCODING_INVALID', `${what}: illegal character at ${i}`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  // Canonical encoding only: the unused low bits of the last character must be zero, so that each
  // byte string has exactly one accepted text form (no signature malleability through encoding).
  if ((acc & ((1 << bits) - 1)) !== 0) {
    throw new LedgerError('LEDGER_ENCODING_INVALID', `${what}: non-canonical trailing bits`);
  }
  return out;
}

export const toBase64 = (bytes: Uint8Array): string => (assertBytes(bytes, 'bytes'), encode64(bytes, B64, true));
/** Standard padded base64. @throws LedgerError LEDGER_ENCODING_INVALID */
export const fromBase64 = (s: string): Uint8Array => decode64(s, B64_REV, true, 'base64');
export const toBase64Url = (bytes: Uint8Array): string => (assertBytes(bytes, 'bytes'), encode64(bytes, B64URL, false));
/** Unpadded base64url. @throws LedgerError LEDGER_ENCODING_INVALID */
export const fromBase64Url = (s: string): Uint8Array => decode64(s, B64URL_REV, false, 'base64url');

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export const utf8 = (s: string): Uint8Array => encoder.encode(s);

/** Strict UTF-8 decoding. @throws LedgerError LEDGER_ENCODING_INVALID on invalid sequences */
export function fromUtf8(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch (cause) {
    throw new LedgerError('LEDGER_ENCODING_INVALID', 'invalid UTF-8', { cause });
  }
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Constant-time equality for digests (the time depends only on the lengths). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  assertBytes(a, 'a');
  assertBytes(b, 'b');
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
