/** Opening a SQLite ledger database: the connection's settings, the schema, the write probe. */
import Database from 'better-sqlite3';
import { LedgerError } from '../../core/errors.js';
import type { LedgerStore } from '../store.js';
import { KEYS_MERGE_AT } from './key-index.js';
import { sqliteLedgerStore } from './ledger-store.js';
import { migrate } from './schema.js';
import { storeUnwritable } from './unwritable.js';

export interface SqliteOptions {
  /** Open without creating or migrating (verification tools). */
  readonly readonly?: boolean;
  /** Records whose keys go to the key tables at once (default KEYS_MERGE_AT; tests use small ones). */
  readonly keysMergeAt?: number;
  /**
   * A throwaway database (the replay the derived-state checks compare with, src/ledger/derived-state.ts):
   * nothing is synced and the rollback journal stays in memory; the file is deleted by its owner.
   */
  readonly scratch?: boolean;
}

/**
 * Open (and create or migrate, unless read-only) the ledger database at `path`.
 * @throws LedgerError LEDGER_STORE_CORRUPT when the file is not a trace-ledger database,
 *   LEDGER_STORE_UNWRITABLE when it cannot be written (read-only file or directory, full disk)
 */
export function openSqliteStore(path: string, options: SqliteOptions = {}): LedgerStore {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
    if (options.scratch) {
      db.pragma('journal_mode = MEMORY');
      db.pragma('synchronous = OFF');
      db.pragma('cache_size = -65536'); // 64 MiB: a replay of a large log reads back what it wrote
    } else {
      // Durability without blocking the event loop: see wal.ts.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // Checkpoints run on a second connection in a worker thread (wal.ts).
    if (!options.readonly && !options.scratch) db.pragma('wal_autocheckpoint = 0');
    migrate(db, options.readonly ?? false);
    // SQLite opens a file it may not write read-only without a word, and says so only at the first
    // write: find out now, while the answer is a clear refusal rather than a failed submission.
    if (!options.readonly) probeWrite(db);
    // Preparing the statements is the schema check of a read-only open.
    return sqliteLedgerStore(db, path, options.keysMergeAt ?? KEYS_MERGE_AT, options.scratch ?? false);
  } catch (cause) {
    if (db?.open) db.close();
    if (cause instanceof LedgerError) throw cause;
    throw (
      storeUnwritable(cause, path) ??
      new LedgerError('LEDGER_STORE_CORRUPT', `cannot open database ${path}: ${(cause as Error).message}`, { cause })
    );
  }
}

/** Write page 1 (the schema version, unchanged) and roll back: BEGIN IMMEDIATE alone succeeds on a read-only file. */
function probeWrite(db: Database.Database): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.pragma(`user_version = ${db.pragma('user_version', { simple: true }) as number}`);
  } finally {
    db.exec('ROLLBACK');
  }
}
