/**
 * SHA-256 (FIPS 180-4) for the pure core. @noble/hashes runs unchanged in the browser; the server
 * uses the same function (hashing is not its bottleneck: signature verification is, see ed25519.ts).
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

export type HashFn = (data: Uint8Array) => Uint8Array;

export const sha256: HashFn = (data) => nobleSha256(data);
