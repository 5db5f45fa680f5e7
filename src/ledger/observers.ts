/**
 * Who is told about commits and failures (the metrics of src/http/metrics.ts), so that it need
 * not poll.
 */

/** What the ledger tells an observer. Calls are synchronous and must not throw. */
export interface LedgerObserver {
  /** A group commit is durable: the records it appended, and ms from its commit to the end of its sync. */
  durable(records: number, commitToDurableMs: number): void;
  /** An fdatasync failed (the ledger then holds 'sync-failed'). */
  syncFailed(): void;
  /** A commit failed (nothing of its group was written), e.g. disk full or a read-only store. */
  commitFailed(): void;
}

export interface Observers {
  /** Tell `observer` from now on; returns the function that stops it. */
  add(observer: LedgerObserver): () => void;
  /** Call `f` on every observer. */
  tell(f: (o: LedgerObserver) => void): void;
}

export function createObservers(): Observers {
  const observers = new Set<LedgerObserver>();
  return {
    add(observer) {
      observers.add(observer);
      return () => void observers.delete(observer);
    },
    tell: (f) => observers.forEach(f),
  };
}
