/**
 * One writer per data directory. `serve` holds this lock for as long as it runs; offline commands
 * that write the database (`init`, `rebuild`) hold it while they work; read-only ones (`verify
 * --db`, `backup`) take no lock and may run beside the service.
 *
 * The lock is an OS file lock, not a pid file: a small SQLite database (`trace-ledger.lock` in the
 * data directory) on which the holder keeps a write transaction open (BEGIN IMMEDIATE: SQLite's
 * RESERVED lock, a POSIX fcntl lock on Linux). The kernel drops it when the process dies, kill -9
 * included, so a crash never leaves a stale lock behind; a pid file would need a liveness check
 * that a recycled pid fools. RESERVED and not EXCLUSIVE (`locking_mode=EXCLUSIVE`): it shuts out
 * other writers but not readers, so a refused process can still read who holds the lock (pid,
 * command, since when) from the row the holder committed just before. better-sqlite3 is already
 * here, so this adds no native dependency. Like every fcntl lock it is advisory and does not hold
 * across NFS; docs/internals.md says more.
 */
import { accessSync, constants } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { CliError } from './cli-error.js';

export const dataDirLockPath = (db: string): string => join(dirname(db), 'trace-ledger.lock');

export interface LockHolder {
  readonly pid: number;
  readonly command: string;
  readonly host: string;
  readonly since: string;
}

export interface DataDirLock {
  readonly path: string;
  /** Release the lock (closing the connection ends its transaction). Idempotent. */
  release(): void;
}

const isSqliteError = (e: unknown, ...codes: string[]): boolean =>
  e instanceof Database.SqliteError && codes.some((c) => e.code === c || e.code.startsWith(`${c}_`));

/** Whether this process may create and write files in `dir` (false on a read-only mount, 0555, …). */
function writableDir(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function readOnly(dir: string, cause: unknown): CliError {
  return new CliError(
    'CLI_DATA_DIR_READ_ONLY',
    `the data directory ${dir} is read-only (or not writable by this user): the ledger keeps its lock, database and write-ahead log there`,
    { cause },
  );
}

function readHolder(lock: Database.Database): LockHolder | undefined {
  try {
    return lock.prepare('SELECT pid, command, host, since FROM holder WHERE id = 1').get() as LockHolder | undefined;
  } catch {
    return undefined; // the first holder has not committed its row yet
  }
}

/**
 * Take the data directory's lock for `command` (named to whoever is refused).
 * @throws CliError CLI_DATA_DIR_LOCKED naming the holder, CLI_DATA_DIR_READ_ONLY
 */
export function lockDataDir(db: string, command: string): DataDirLock {
  const dir = dirname(db);
  const path = dataDirLockPath(db);
  let lock: Database.Database;
  try {
    lock = new Database(path);
  } catch (cause) {
    if (isSqliteError(cause, 'SQLITE_CANTOPEN', 'SQLITE_READONLY') && !writableDir(dir)) throw readOnly(dir, cause);
    throw new CliError('CLI_DATA_DIR_LOCKED', `cannot open the lock ${path}: ${(cause as Error).message}`, { cause });
  }
  // Refuse at once rather than wait for the holder: it holds the lock until it stops.
  lock.pragma('busy_timeout = 0');
  const take = (): boolean => {
    try {
      lock.exec('BEGIN IMMEDIATE');
      return true;
    } catch (e) {
      if (isSqliteError(e, 'SQLITE_BUSY')) return false;
      throw e;
    }
  };
  try {
    if (take()) {
      // Leave our name for whoever is refused, then take the lock again at once. Readers only see
      // committed rows; if another process slips in between, it holds the lock and we are refused.
      lock.exec('CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, command TEXT NOT NULL, host TEXT NOT NULL, since TEXT NOT NULL)');
      lock.prepare('INSERT OR REPLACE INTO holder (id, pid, command, host, since) VALUES (1, ?, ?, ?, ?)').run(process.pid, command, hostname(), new Date().toISOString());
      lock.exec('COMMIT');
      if (take()) {
        let released = false;
        return {
          path,
          release() {
            if (released) return;
            released = true;
            lock.close();
          },
        };
      }
    }
  } catch (cause) {
    lock.close();
    if (isSqliteError(cause, 'SQLITE_READONLY', 'SQLITE_CANTOPEN', 'SQLITE_IOERR') && !writableDir(dir)) throw readOnly(dir, cause);
    throw new CliError('CLI_DATA_DIR_LOCKED', `cannot take the lock ${path}: ${(cause as Error).message}`, { cause });
  }
  const holder = readHolder(lock);
  lock.close();
  const who = holder === undefined ? 'another process' : `"${holder.command}" (pid ${holder.pid} on ${holder.host}, since ${holder.since})`;
  throw new CliError('CLI_DATA_DIR_LOCKED', `the data directory ${dir} is in use by ${who}: one process writes a ledger at a time; stop it first (read-only commands such as verify --db and backup may run beside it)`);
}
