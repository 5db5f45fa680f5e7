/**
 * Ed25519 (RFC 8032) behind one small interface, so that the pure core can run on @noble/ed25519 in
 * the browser while the server plugs in node:crypto (OpenSSL), which verifies about 10× faster.
 *
 * Both must accept exactly the same signatures. OpenSSL implements RFC 8032 §5.1.7 with the
 * cofactorless equation: it recomputes R' = [S]B - [k]A and compares its encoding with the
 * signature's R bytes, after checking S < L and decoding A canonically. noble's `verify` uses the
 * cofactored equation ([8][S]B = [8]R + [8][k]A), which accepts more signatures when R or A carry a
 * small-order component, and rejects small-order keys that OpenSSL accepts. So the browser path
 * does not call noble's `verify`: it runs the same cofactorless check as OpenSSL on noble's point
 * arithmetic. test/core/ed25519.test.ts holds the two together on crafted points.
 *
 * Small-order keys are refused at registration (`isStrongPublicKey`): with such a key a signature
 * verifies for messages its owner never signed (the identity key accepts R = 0, S = 0 for
 * everything), which would break non-repudiation.
 */
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, equalBytes } from './bytes.js';

// noble/ed25519 v3 needs a synchronous SHA-512 for its sync API.
ed.hashes.sha512 = sha512;

export interface Ed25519 {
  /** Public key (32 bytes) of a 32-byte secret seed. */
  publicKey(seed: Uint8Array): Uint8Array;
  /** Deterministic signature (64 bytes) of `message`. */
  sign(message: Uint8Array, seed: Uint8Array): Uint8Array;
  /** RFC 8032 strict verification; never throws on malformed input, returns false. */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}

function check32(b: Uint8Array, name: string): void {
  if (!(b instanceof Uint8Array) || b.length !== 32) throw new TypeError(`${name} must be 32 bytes`);
}

export const nobleEd25519: Ed25519 = {
  publicKey(seed) {
    check32(seed, 'seed');
    return ed.getPublicKey(seed);
  },
  sign(message, seed) {
    check32(seed, 'seed');
    return ed.sign(message, seed);
  },
  verify(signature, message, publicKey) {
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    const r = signature.subarray(0, 32);
    const s = littleEndian(signature.subarray(32));
    if (s >= L) return false; // RFC 8032 §5.1.7 step 1: S must be canonical
    let A: ed.Point;
    try {
      A = ed.Point.fromBytes(publicKey, false); // canonical encoding only (y < p)
    } catch {
      return false;
    }
    const k = littleEndian(sha512(concatBytes(r, publicKey, message))) % L;
    const expectedR = ed.Point.BASE.multiply(s, false).subtract(A.multiply(k, false));
    return equalBytes(expectedR.toBytes(), r);
  },
};

/** Order of the prime-order subgroup (RFC 8032 §5.1). */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function littleEndian(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

/**
 * y < p for the encoded y (the low 255 bits, little-endian), by bytes rather than BigInt (with
 * the BigInt, isStrongPublicKey took 2.05 µs per key, now 0.98 µs): p = 2^255 - 19 is ed ff…ff 7f,
 * so y ≥ p exactly when bytes 1-30 are ff, byte 31 without the sign bit is 7f and byte 0 is at
 * least ed.
 */
function isCanonicalY(encoded: Uint8Array): boolean {
  if ((encoded[31]! & 0x7f) !== 0x7f || encoded[0]! < 0xed) return true;
  for (let i = 1; i < 31; i++) if (encoded[i] !== 0xff) return true;
  return false;
}

/**
 * Encodings of the eight points of order dividing 8 (identity, order 2, order 4 twice, order 8
 * four times), plus the two encodings of x = 0 with the sign bit set, which RFC 8032 §5.1.3 calls
 * invalid but lenient decoders read as the identity or the order-2 point. test/core/ed25519.test.ts
 * derives the list from the curve itself.
 */
const SMALL_ORDER_ENCODINGS = new Set([
  '0100000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000080',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
]);

/**
 * A public key fit to register: a canonical encoding (y < p) of a point on the curve (RFC 8032
 * §5.1.3: y must have an x) that is not a small-order point. With a small-order key (the identity,
 * say) R = identity, S = 0 "verifies" for every message, so anyone could sign in its name; a
 * string that is no point can sign nothing, but registering it would put a key that is no key in
 * the log, which the README promises never happens (issue 16). The cheap table checks go first;
 * decoding the point (a square root mod p, ~70 µs in pure JS) runs only for what passes them, and
 * only when a key is registered.
 *
 * Keys with a torsion component (aB + T) need no check: under the cofactorless equation both our
 * verifiers use, only the holder of a can sign for them, and what verifies cofactorless also
 * verifies under the looser cofactored rule other tools may use, so every verifier accepts every
 * entry in the log.
 */
export function isStrongPublicKey(publicKey: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
  if (!isCanonicalY(publicKey)) return false;
  let hex = '';
  for (const b of publicKey) hex += (b < 16 ? '0' : '') + b.toString(16);
  if (SMALL_ORDER_ENCODINGS.has(hex)) return false;
  return isCurvePoint(publicKey);
}

/** RFC 8032 §5.1.3 decoding succeeds (strict: not ZIP 215's lenient reading). */
function isCurvePoint(encoded: Uint8Array): boolean {
  try {
    ed.Point.fromBytes(encoded, false);
    return true;
  } catch {
    return false;
  }
}
