/**
 * Signed checkpoints (C2SP tlog-checkpoint) of the durable log: signing one, the latest one
 * served, and the automatic ones after each sync, at most one per interval under load.
 */
import { equalBytes } from '../core/bytes.js';
import { signCheckpoint } from '../core/checkpoint.js';
import type { Ed25519 } from '../core/ed25519.js';
import { consistencyProof, frontierRoot, verifyConsistency, type NodeReader } from '../core/merkle.js';
import type { LedgerStore, StoredCheckpoint } from '../store/store.js';
import type { Heads } from './heads.js';
import { holdStoreUnwritable, isStoreUnwritable, notReadyError, type Readiness } from './readiness.js';
import type { ServedFile } from './served-file.js';

export interface Checkpoints {
  /** The newest signed checkpoint, if any. */
  latest(): StoredCheckpoint | undefined;
  /**
   * The latest checkpoint; signs one now when `minSize` asks for records it does not cover yet.
   * @throws LedgerError as signNow
   */
  atLeast(minSize: number): StoredCheckpoint;
  /**
   * Sign a checkpoint of the durable head, after proving it consistent with the previous one.
   * @throws LedgerError LEDGER_NOT_READY before the start-up verification passed; LEDGER_UNAVAILABLE when the served file cannot be written
   */
  signNow(): StoredCheckpoint;
  /** After a sync: sign a checkpoint of the grown log now, or when the interval since the last one is over. */
  schedule(): void;
  /** The ledger is closing: no more automatic checkpoints. */
  stop(): void;
}

export interface CheckpointsOptions {
  readonly store: LedgerStore;
  readonly heads: Readonly<Heads>;
  readonly readNode: NodeReader;
  /** C2SP origin line, also the name of the signing key. */
  readonly origin: string;
  readonly ledgerSeed: Uint8Array;
  readonly ed: Ed25519;
  readonly now: () => number;
  /** Minimum spacing of automatic checkpoints (ms). */
  readonly intervalMs: number;
  readonly served: ServedFile;
  /** Has the start-up verification found the log intact? */
  readonly verificationPassed: () => boolean;
  readonly readiness: Readiness;
}

export function createCheckpoints(o: CheckpointsOptions): Checkpoints {
  const { store, heads, readNode, now } = o;
  const state = {
    /** Only this ledger writes checkpoints, so the newest is read once. */
    latest: store.latestCheckpoint(),
    lastSignedAt: 0,
    timer: undefined as NodeJS.Timeout | undefined,
    stopped: false,
  };

  function signNow(): StoredCheckpoint {
    const size = heads.durable.size;
    const root = frontierRoot(heads.durable.frontier, size);
    const previous = state.latest;
    if (previous !== undefined) {
      if (previous.size === size && equalBytes(previous.root, root)) return previous;
      // The ledger never signs two inconsistent checkpoints: prove it from the stored tree first.
      verifyConsistency(previous.size, size, consistencyProof(readNode, previous.size, size), previous.root, root);
    }
    // Never sign what the start-up verification has not (yet) found intact: that would launder a tamper.
    if (!o.verificationPassed()) throw notReadyError(o.readiness);
    const note = signCheckpoint({ origin: o.origin, size, root }, { name: o.origin, seed: o.ledgerSeed }, o.ed);
    const cp: StoredCheckpoint = { size, root, note, signedAt: new Date(now()).toISOString() };
    // On disk beside the database before anyone can see it.
    o.served.write(note);
    store.transaction(() => store.insertCheckpoint(cp));
    state.latest = cp;
    // Losing this row in a crash is harmless (the same size re-signs to the same note), so the
    // sync is not awaited; it only keeps the history complete.
    store.sync().catch(() => undefined);
    state.lastSignedAt = now();
    return cp;
  }

  /** An automatic checkpoint runs on a timer: a store that cannot be written is reported, not thrown. */
  function signScheduled(): void {
    try {
      signNow();
    } catch (e) {
      // From a timer: never throw. An unwritable store holds writes back; anything else (e.g. the
      // served-checkpoint file cannot be written) is tried again after the next sync, and a reader
      // asking for the checkpoint gets the error.
      if (isStoreUnwritable(e)) holdStoreUnwritable(o.readiness, e);
    }
  }

  return {
    latest: () => state.latest,
    atLeast(minSize) {
      const latest = state.latest;
      if (latest !== undefined && latest.size >= Math.min(minSize, heads.durable.size)) return latest;
      return signNow();
    },
    signNow,
    schedule() {
      const latest = state.latest;
      if (state.stopped || (latest !== undefined && latest.size >= heads.durable.size) || state.timer !== undefined) return;
      const wait = state.lastSignedAt + o.intervalMs - now();
      if (wait <= 0) {
        signScheduled();
        return;
      }
      state.timer = setTimeout(() => {
        state.timer = undefined;
        if (!state.stopped) signScheduled();
      }, wait);
      state.timer.unref();
    },
    stop() {
      state.stopped = true;
      if (state.timer) clearTimeout(state.timer);
    },
  };
}
