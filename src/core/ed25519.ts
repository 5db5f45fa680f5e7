/**
 * Ed25519 (RFC 8032) behind one small interface, so that the pure core can run on @noble/ed25519 in
 * the browser while the server plugs in node:crypto (OpenSSL), which verifies about 10× faster.
 *
 * Both must accept exactly the same signatures. OpenSSL follows RFC 8032 §5.1.7 strictly (canonical
 * S < L, canonical point encodings), while noble's default is the looser ZIP-215 rule; we therefore
 * always call noble with `{ zip215: false }`. test/core/ed25519.test.ts checks the two agree.
 */
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';

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
    try {
      return ed.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
};
