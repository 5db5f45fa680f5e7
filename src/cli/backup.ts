/**
 * `trace-ledger backup --db FILE --out FILE`: a consistent copy of the ledger database while the
 * service runs, through SQLite's online backup API (https://www.sqlite.org/backup.html).
 *
 * The database is opened read-only and takes no data-directory lock: like `verify --db` it may run
 * beside `serve`. The copy is made in steps (so that progress can be shown and the event loop of
 * this process turns), all inside one read transaction held on the source: in WAL mode that
 * transaction is a snapshot, so the service's commits meanwhile neither show up half in the copy
 * nor restart the backup (a stepped backup outside a transaction restarts whenever another
 * connection writes, and may never finish on a busy ledger). The copy is written beside --out and
 * renamed into place once complete, so --out is never a partial file.
 *
 * Only the database: the keys beside it (ledger.key.pem, operator.key.pem) are written once at
 * init and never change, and they are secrets, so they are backed up once, on their own, with
 * the care secrets need (README "Backing up, upgrading, securing").
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { LedgerError } from '../core/errors.js';
import { schemaVersionOf } from '../store/sqlite.js';

/** Pages per backup step: 4096 pages of 4 KiB, 16 MiB, a few ms of copying each. */
const PAGES_PER_STEP = 4096;

export interface BackupResult {
  readonly out: string;
  readonly pages: number;
  /** Records and the newest checkpoint's size in the copy. */
  readonly records: number;
  readonly checkpointSize: number | null;
}

/**
 * Copy the ledger database `db` to `out` (which must not exist).
 * @throws LedgerError LEDGER_NOT_FOUND, LEDGER_STORE_CORRUPT (not a trace-ledger database), Error when --out exists or cannot be written
 */
export async function backupDatabase(db: string, out: string, onProgress?: (donePages: number, totalPages: number) => void): Promise<BackupResult> {
  if (existsSync(out)) throw new Error(`${out} already exists: choose a new file for the backup`);
  let source: Database.Database;
  try {
    source = new Database(db, { readonly: true, fileMustExist: true });
  } catch (cause) {
    throw new LedgerError('LEDGER_NOT_FOUND', `cannot open ${db}: ${(cause as Error).message}`, { cause });
  }
  const partial = `${out}.partial`;
  try {
    // A legacy 0.x file (user_version 10) is schema version 1; a newer or foreign one is refused.
    let version: number;
    try {
      version = schemaVersionOf(source, db);
    } catch (cause) {
      throw new LedgerError('LEDGER_STORE_CORRUPT', `${db} is not a trace-ledger database this program knows: ${(cause as Error).message}`, { cause });
    }
    if (version === 0) throw new LedgerError('LEDGER_STORE_CORRUPT', `${db} is not a trace-ledger database this program knows (schema version 0)`);
    // The snapshot: from the first read on, this connection sees the database as it was then.
    source.exec('BEGIN');
    const snapshot = source.prepare('SELECT (SELECT COUNT(*) FROM records) AS records, (SELECT MAX(size) FROM checkpoints) AS checkpointSize').get() as {
      records: number;
      checkpointSize: number | null;
    };
    rmSync(partial, { force: true });
    let done: { totalPages: number };
    try {
      done = await source.backup(partial, {
        progress: ({ totalPages, remainingPages }) => {
          onProgress?.(totalPages - remainingPages, totalPages);
          return PAGES_PER_STEP;
        },
      });
    } catch (cause) {
      throw new Error(`cannot write the backup ${partial}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
    }
    source.exec('COMMIT');
    onProgress?.(done.totalPages, done.totalPages);
    renameSync(partial, out);
    return { out, pages: done.totalPages, ...snapshot };
  } catch (e) {
    rmSync(partial, { force: true });
    throw e;
  } finally {
    source.close();
  }
}
