/**
 * Verifying a bundle file on this machine, at full speed: node:crypto for SHA-256 and Ed25519, and
 * entry signatures checked on a pool of worker threads (src/platform/verify-pool.ts) while the main
 * thread reads, hashes and folds the Merkle tree. verify.ts stays pure; this is its Node edge, used
 * by `trace-ledger verify` and bench/audit.js.
 */
import { createHash, hash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { nodeEd25519 } from '../platform/node-crypto.js';
import { startVerifyPool, type VerifyMany } from '../platform/verify-pool.js';
import { bundleLines, verifyBundle, MAX_LINE_BYTES, type BundleReport, type Sha256, type Sha256Hasher, type VerifyBundleOptions } from './verify.js';

/** node:crypto's SHA-256 in the shape verify.ts takes (one-shot `crypto.hash`, about twice as fast as a Hash object). */
export const nodeSha256: Sha256 = Object.assign((data: Uint8Array): Uint8Array => hash('sha256', data, 'buffer') as unknown as Uint8Array, {
  create(): Sha256Hasher {
    const h = createHash('sha256');
    return {
      update(data: Uint8Array) {
        h.update(data);
      },
      digest: () => new Uint8Array(h.digest()),
    };
  },
});

export interface VerifyFileOptions extends Pick<VerifyBundleOptions, 'trustedKey' | 'oldCheckpoint' | 'maxFailures' | 'maxLineBytes' | 'onProgress'> {
  /**
   * Signature worker threads. Default: none for a bundle under 4 MiB (a few thousand records: a
   * product's chain), where starting the threads would cost more than they save; else one per core.
   */
  readonly workers?: number;
}

/** Below this size a bundle is verified on the main thread alone. */
export const INLINE_BYTES = 4 * 1024 * 1024;

/**
 * Verifies the bundle in `path` (streamed: memory does not grow with its size).
 * @returns the report; a file that cannot be read is a `truncated` failure in it
 */
export async function verifyBundleFile(path: string, options: VerifyFileOptions = {}): Promise<BundleReport> {
  let bytes = Infinity;
  try {
    bytes = statSync(path).size;
  } catch {
    // reading it fails below, and the report says so
  }
  const n = Math.max(0, options.workers ?? (bytes < INLINE_BYTES ? 0 : availableParallelism()));
  const pools = Array.from({ length: n }, () => startVerifyPool());
  let next = 0;
  const verifyMany: VerifyMany | undefined = n === 0 ? undefined : (items) => pools[next++ % n]!.verifyMany(items);
  try {
    const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
    return await verifyBundle(bundleLines(createReadStream(path, { highWaterMark: 1 << 20 }), maxLineBytes), {
      ...options,
      maxLineBytes,
      ed: nodeEd25519,
      verifyMany,
      sha256: nodeSha256,
    });
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
}
