/**
 * `GET /v1/checkpoint?minSize=N` signs a checkpoint on demand when the latest does not cover N
 * records. Under steady commits every such request signed and stored one (616 in 15 s, issue 16).
 * The gate signs at most one per interval: a request that finds a recent signature waits for the
 * next slot, and every request waiting for it shares that one signature. It signs at the durable
 * size at that moment, which is at least the size any waiter saw, so each still gets a checkpoint
 * covering min(N, records on disk when it asked) — the ledger's own contract for `minSize`.
 */
import type { Ledger } from '../ledger.js';
import type { StoredCheckpoint } from '../store/store.js';

export interface CheckpointGate {
  /** The latest checkpoint if it covers `minSize` (or the whole durable log), else a newly signed one. */
  checkpoint(minSize: number): Promise<StoredCheckpoint>;
}

export interface CheckpointGateOptions {
  /** Least time between two signatures made for requests. Default 1 s. */
  readonly minIntervalMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export const CHECKPOINT_MIN_INTERVAL_MS = 1_000;

/** @throws RangeError when `minIntervalMs` is not a non-negative integer. */
export function createCheckpointGate(ledger: Pick<Ledger, 'checkpoint' | 'size'>, options: CheckpointGateOptions = {}): CheckpointGate {
  const { minIntervalMs = CHECKPOINT_MIN_INTERVAL_MS, now = Date.now, sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)) } = options;
  if (!Number.isSafeInteger(minIntervalMs) || minIntervalMs < 0) throw new RangeError(`minIntervalMs must be a non-negative integer, got ${minIntervalMs}`);
  let lastSignedAt = -Infinity;
  let next: Promise<StoredCheckpoint> | undefined;

  const sign = (minSize: number): StoredCheckpoint => {
    lastSignedAt = now();
    return ledger.checkpoint(minSize);
  };

  return {
    async checkpoint(minSize) {
      const latest = ledger.checkpoint();
      if (latest.size >= Math.min(minSize, ledger.size())) return latest;
      if (next !== undefined) return next;
      const wait = lastSignedAt + minIntervalMs - now();
      if (wait <= 0) return sign(minSize);
      next = sleep(wait)
        .then(() => sign(ledger.size()))
        .finally(() => {
          next = undefined;
        });
      return next;
    },
  };
}
