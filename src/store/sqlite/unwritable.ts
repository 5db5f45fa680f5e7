/** Telling "the store cannot be written" apart from "what was written is wrong". */
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { LedgerError } from '../../core/errors.js';

/**
 * A write that failed because the store cannot be written (read-only file, directory or mount;
 * disk full), not because of what was written: LEDGER_STORE_UNWRITABLE, never "corrupt".
 */
export function storeUnwritable(cause: unknown, path: string): LedgerError | undefined {
  if (!(cause instanceof Database.SqliteError)) return undefined;
  const { code } = cause;
  const why =
    code === 'SQLITE_FULL' ? 'the disk is full'
    : code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY_') ? `it is read-only (the file ${path}, its directory or the file system)`
    : code === 'SQLITE_CANTOPEN' && !writable(path) ? `its directory is read-only (SQLite keeps ${path}-wal and -shm there)`
    : undefined;
  if (why === undefined) return undefined;
  return new LedgerError('LEDGER_STORE_UNWRITABLE', `cannot write the database ${path}: ${why} (${code}: ${cause.message})`, { cause });
}

function writable(path: string): boolean {
  try {
    accessSync(existsSync(path) ? path : dirname(path), constants.W_OK);
    accessSync(dirname(path), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
