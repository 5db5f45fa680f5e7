/**
 * The SQLite LedgerStore: the log, the key index and the derived state over one connection, with
 * the transactions the ledger's group commit uses and the WAL's durability (wal.ts).
 *
 * A rolled-back transaction takes back more than its rows: the key index's tail, the parsed
 * payloads and the registry caches may hold what it wrote, and a rolled-back record's seq is
 * reused by the next entry (the rules would otherwise judge that entry by the rolled-back
 * payload, e.g. a retraction's signer check). `rollingBack` drops them all on a throw.
 */
import type Database from 'better-sqlite3';
import type { LedgerStore } from '../store.js';
import { keyIndex } from './key-index.js';
import { sqliteLog } from './log.js';
import { sqliteDerived } from './derived.js';
import { storeUnwritable } from './unwritable.js';
import { walSyncer } from './wal.js';

export function sqliteLedgerStore(db: Database.Database, path: string, keysMergeAt: number, scratch: boolean): LedgerStore {
  /** Inside this connection's write transaction: no other writer can have added records. */
  let writing = false;
  const keys = keyIndex(db, keysMergeAt, () => writing);
  const log = sqliteLog(db, keys);
  const derived = sqliteDerived(db, keys);
  const wal = walSyncer(db, path, scratch);

  const rollingBack = <T>(run: () => T): T => {
    const mark = keys.mark();
    try {
      return run();
    } catch (e) {
      keys.undoTo(mark);
      log.forget();
      derived.forget();
      throw storeUnwritable(e, path) ?? e;
    }
  };
  // One transaction function for every transaction and savepoint: building one with
  // db.transaction() costs ~12 µs, as much as a savepoint itself (a savepoint per submitted batch
  // cost 15.7 µs with a new one each time, 3.3 µs with this one).
  const inTransaction = db.transaction((fn: () => unknown) => fn());

  return {
    // better-sqlite3 names an in-memory or temporary database ':memory:' or ''.
    file: path === ':memory:' || path === '' ? undefined : path,
    ...derived,
    ...log,
    clearDerived() {
      derived.clearDerived();
      log.forget();
    },

    transaction: (fn) =>
      rollingBack(() => {
        const outer = writing;
        writing = true;
        try {
          return inTransaction.immediate(() => {
            const before = keys.mark().records;
            const result = fn();
            keys.mergeIfFull(keys.mark().records - before);
            return result;
          }) as ReturnType<typeof fn>;
        } finally {
          writing = outer;
        }
      }),
    // One read transaction around a query: in WAL mode every statement outside one takes and
    // drops the read lock (a primary-key lookup cost 17-24 µs alone, 3-8 µs inside one).
    readTransaction: (fn) => (db.inTransaction ? fn() : (inTransaction.deferred(fn) as ReturnType<typeof fn>)),
    // better-sqlite3 turns a nested transaction into a SAVEPOINT that is rolled back on throw.
    savepoint: (fn) => rollingBack(() => inTransaction(fn) as ReturnType<typeof fn>),
    sync: () => wal.sync(),
    async close() {
      await wal.close();
      // The tail's keys go to the key tables now, so a closed ledger is indexed in full (and the
      // database's own uniqueness checks cover every record). Losing this to a crash loses nothing:
      // the next open reads the tail from the records again.
      if (db.open && !db.readonly && keys.pending()) {
        try {
          rollingBack(() => inTransaction.immediate(() => keys.mergeAll()));
        } catch {
          // the keys stay in the tail, read again at the next open
        }
      }
      if (db.open) db.close();
    },
  };
}
