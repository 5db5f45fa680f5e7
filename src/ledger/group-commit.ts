/**
 * Group commit: every batch that arrived during one turn of the event loop is sequenced in one
 * store transaction, and each batch stays atomic on its own, so a refused batch leaves no trace
 * and does not hold back the others.
 */
import type { Prepared } from './admission.js';
import { isStoreUnwritable } from './readiness.js';
import { sequenceBatch, type Receipt, type SequenceContext } from './sequence.js';

/** How one batch of a group ended. */
export type Outcome = { ok: true; receipts: Receipt[] } | { ok: false; error: unknown };

/**
 * Sequence a group in one transaction; every batch is atomic on its own. Optimistic first: the
 * batches run without savepoints, because a savepoint makes SQLite copy every page it then touches
 * into a sub-journal, which doubled the cost of the inserts (measured: 38 µs of statements per
 * key.add entry without, 72 µs with a savepoint per batch of 100). Rejections are rare; when one
 * happens the whole transaction is rolled back and the group runs again with a savepoint per
 * batch, so the others still go through. A group of one batch needs no second run: its
 * transaction is its savepoint. The committed head is put back wherever a batch is rolled back.
 * @throws the error of the commit itself (nothing of the group was written; the head is put back)
 */
export function commitGroup(ctx: SequenceContext, batches: ReadonlyArray<readonly Prepared[]>): Outcome[] {
  const { store, heads } = ctx;
  const before = heads.committed;
  const optimistic: Outcome[] = [];
  let rejected: { error: unknown } | undefined;
  try {
    store.transaction(() => {
      for (const entries of batches) {
        try {
          optimistic.push({ ok: true, receipts: sequenceBatch(ctx, entries) });
        } catch (error) {
          rejected = { error };
          throw error;
        }
      }
    });
    return optimistic;
  } catch (cause) {
    heads.committed = before;
    if (rejected === undefined || isStoreUnwritable(cause)) throw cause; // the commit failed, not a batch
    if (batches.length === 1) return [{ ok: false, error: rejected.error }];
  }
  const outcomes: Outcome[] = [];
  try {
    store.transaction(() => {
      for (const entries of batches) {
        const saved = heads.committed;
        try {
          outcomes.push({ ok: true, receipts: store.savepoint(() => sequenceBatch(ctx, entries)) });
        } catch (error) {
          heads.committed = saved;
          if (isStoreUnwritable(error)) throw error;
          outcomes.push({ ok: false, error });
        }
      }
    });
  } catch (cause) {
    heads.committed = before;
    throw cause;
  }
  return outcomes;
}
