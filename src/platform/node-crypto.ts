/**
 * The server's Ed25519: node:crypto (OpenSSL), about ten times faster than the pure-JS @noble code
 * the browser uses. Both implement RFC 8032 strict verification; test/core/ed25519.test.ts checks
 * that they agree. KeyObjects are cached per public key because building one costs about as much
 * as a verification.
 */
import { createPrivateKey, createPublicKey, hash, sign, verify, type KeyObject } from 'node:crypto';
import { toBase64Url } from '../core/bytes.js';
import { setSha256, type HashFn } from '../core/hash.js';
import { formatPrivateKeyPem } from '../core/keys.js';
import type { Ed25519 } from '../core/ed25519.js';

/** SHA-256 by OpenSSL, as a plain Uint8Array (a Buffer's slice() would not copy). */
export const nodeSha256: HashFn = (data) => {
  const digest = hash('sha256', data, 'buffer');
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
};

// Every server path imports this module (the ledger is opened with nodeEd25519), so loading it
// switches the core's hashing to OpenSSL; the browser bundle never loads it and keeps noble.
setSha256(nodeSha256);

const MAX_CACHED_KEYS = 10_000;
const publicKeys = new Map<string, KeyObject>();
const privateKeys = new Map<string, KeyObject>();

function publicKeyObject(raw: Uint8Array): KeyObject {
  const x = toBase64Url(raw);
  let key = publicKeys.get(x);
  if (key === undefined) {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
    if (publicKeys.size >= MAX_CACHED_KEYS) publicKeys.clear();
    publicKeys.set(x, key);
  }
  return key;
}

function privateKeyObject(seed: Uint8Array): KeyObject {
  const id = toBase64Url(seed);
  let key = privateKeys.get(id);
  if (key === undefined) {
    key = createPrivateKey(formatPrivateKeyPem(seed));
    if (privateKeys.size >= 16) privateKeys.clear();
    privateKeys.set(id, key);
  }
  return key;
}

export const nodeEd25519: Ed25519 = {
  publicKey(seed) {
    // SPKI DER, not JWK: on Node 20.20 exporting a key derived from a private key as JWK
    // deadlocks now and then (a futex wait that never returns; reproduced in a loop). The raw key
    // is the last 32 bytes of the SPKI encoding (RFC 8410 §4).
    const der = createPublicKey(privateKeyObject(seed)).export({ format: 'der', type: 'spki' });
    return new Uint8Array(der.subarray(der.length - 32));
  },
  sign(message, seed) {
    return new Uint8Array(sign(null, message, privateKeyObject(seed)));
  },
  verify(signature, message, publicKey) {
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    try {
      return verify(null, message, publicKeyObject(publicKey), signature);
    } catch {
      // OpenSSL rejects some malformed public keys at import time: that is a failed verification.
      return false;
    }
  },
};
