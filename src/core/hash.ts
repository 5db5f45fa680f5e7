/**
 * SHA-256 (FIPS 180-4) for the pure core. @noble/hashes runs unchanged in the browser and is the
 * default; the server installs node:crypto's one-shot hash instead (platform/node-crypto.ts),
 * which is 1.4-3× faster on the inputs the ledger hashes (1.4 against 1.9 µs for 64 bytes, 1.8
 * against 5.3 µs for a 700-byte leaf), about five hashes per appended entry.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

export type HashFn = (data: Uint8Array) => Uint8Array;

export const nobleSha256Fn: HashFn = (data) => nobleSha256(data);

let implementation: HashFn = nobleSha256Fn;

export const sha256: HashFn = (data) => implementation(data);

/**
 * Replace the SHA-256 implementation for the whole process. It must compute SHA-256 exactly
 * (test/platform/node-crypto.test.ts checks node:crypto's against noble's and the vectors).
 */
export function setSha256(fn: HashFn): void {
  implementation = fn;
}

/** The implementation in use (tests check which one the server runs). */
export function sha256Implementation(): HashFn {
  return implementation;
}
