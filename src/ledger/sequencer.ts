/**
 * The write path: verify → check rules → sequence → group commit → durable receipt.
 *
 * Submissions are parsed, canonicalised and (when their key is already known) signature-checked
 * as they arrive (src/ledger/admission.ts); they then wait in a queue that is drained on the next
 * turn of the event loop, in one store transaction for everything that arrived meanwhile
 * (src/ledger/group-commit.ts). The commit is then made durable by `store.sync()` off the event
 * loop, and submissions are answered only after the sync that covers their commit
 * (src/ledger/durability.ts), so every acknowledged entry is on disk.
 */
import { LedgerError } from '../core/errors.js';
import type { Admission, Prepared } from './admission.js';
import type { Durability } from './durability.js';
import { commitGroup, type Outcome } from './group-commit.js';
import type { Observers } from './observers.js';
import { holdStoreUnwritable, isStoreUnwritable, notReadyError, type Readiness } from './readiness.js';
import type { Receipt, SequenceContext } from './sequence.js';

export interface Sequencer {
  /**
   * Submit a batch of entries; resolves once they are durable. Atomic: either every entry is
   * appended (or recognised as an identical resubmission) or none is.
   * @throws LedgerError (the first violated rule; in a batch of several, details.index names the entry)
   */
  submit(values: readonly unknown[]): Promise<Receipt[]>;
  /** Submissions taken and not yet answered (queued, committing or waiting for their sync). */
  pending(): number;
  /** Resolves when nothing is queued, committing or waiting for a sync. */
  drain(): Promise<void>;
  /** Refuse every submission from now on (LEDGER_UNAVAILABLE: the ledger is closed). */
  close(): void;
  isClosed(): boolean;
}

export interface SequencerOptions extends SequenceContext {
  readonly admission: Admission;
  readonly durability: Durability;
  readonly readiness: Readiness;
  readonly observers: Observers;
  /** Largest batch one submission may carry. */
  readonly maxBatchEntries: number;
}

/** A submitted batch waiting in the queue. */
interface Job {
  readonly entries: readonly Prepared[];
  readonly resolve: (r: Receipt[]) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Commit a group of queued jobs and hand it to durability, which answers each job after its sync.
 * A failed commit (nothing of the group was written) refuses every job of the group.
 */
function commitJobs(o: SequencerOptions, jobs: readonly Job[]): void {
  const { heads, durability, readiness } = o;
  const failed = durability.failure();
  if (failed !== undefined) {
    for (const job of jobs) job.reject(failed);
    return;
  }
  if (!readiness.ready()) {
    const error = notReadyError(readiness);
    for (const job of jobs) job.reject(error);
    return;
  }
  let outcomes: Outcome[];
  const before = heads.committed;
  try {
    outcomes = commitGroup(o, jobs.map((job) => job.entries));
  } catch (cause) {
    // The commit itself failed (disk full, I/O error): nothing of this group was written.
    heads.committed = before;
    const error = new LedgerError('LEDGER_UNAVAILABLE', `commit failed: ${(cause as Error).message}`, { cause });
    if (isStoreUnwritable(cause)) holdStoreUnwritable(readiness, cause);
    o.observers.tell((ob) => ob.commitFailed());
    for (const job of jobs) job.reject(error);
    return;
  }
  // Rejections wait for the sync too: they may depend on entries of this very commit.
  const settle = (failure?: LedgerError) =>
    jobs.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if (failure !== undefined) job.reject(failure);
      else if (outcome.ok) job.resolve(outcome.receipts);
      else job.reject(outcome.error);
    });
  durability.committed({ settle, head: heads.committed, records: heads.committed.size - before.size, committedAt: performance.now() });
}

export function createSequencer(o: SequencerOptions): Sequencer {
  const { durability, readiness } = o;
  const state = { queue: [] as Job[], flushScheduled: false, pending: 0, closed: false };

  /** Commit everything queued since the last flush as one group. */
  function flush(): void {
    state.flushScheduled = false;
    const jobs = state.queue;
    state.queue = [];
    if (jobs.length > 0) commitJobs(o, jobs);
  }

  function enqueue(entries: readonly Prepared[]): Promise<Receipt[]> {
    return new Promise<Receipt[]>((resolve, reject) => {
      state.queue.push({ entries, resolve, reject });
      if (!state.flushScheduled) {
        state.flushScheduled = true;
        setImmediate(flush);
      }
    });
  }

  return {
    submit(values) {
      if (state.closed) return Promise.reject(new LedgerError('LEDGER_UNAVAILABLE', 'the ledger is closed'));
      const failed = durability.failure();
      if (failed !== undefined) return Promise.reject(failed);
      if (!readiness.ready()) return Promise.reject(notReadyError(readiness));
      if (values.length === 0) return Promise.reject(new LedgerError('LEDGER_ENTRY_INVALID', 'empty batch'));
      if (values.length > o.maxBatchEntries) {
        return Promise.reject(new LedgerError('LEDGER_BATCH_TOO_LARGE', `a batch may carry at most ${o.maxBatchEntries} entries, got ${values.length}`));
      }
      let prepared;
      try {
        prepared = o.admission.prepare(values);
      } catch (e) {
        return Promise.reject(e);
      }
      state.pending++;
      // Inline verification queues at once (same turn as the submission), so a close() right
      // after it still sees the batch and waits for it.
      const verifyOffThread = o.admission.verifyOffThread;
      const answered = verifyOffThread === undefined ? enqueue(prepared) : verifyOffThread(prepared).then(enqueue);
      return answered.finally(() => state.pending--);
    },
    pending: () => state.pending,
    async drain() {
      while (state.queue.length > 0 || state.flushScheduled || !durability.idle()) {
        await (durability.inFlight() ?? new Promise((r) => setImmediate(r)));
      }
    },
    close() {
      state.closed = true;
    },
    isClosed: () => state.closed,
  };
}
