/**
 * The latest checkpoint the ledger signed, kept outside the database (`<db>.checkpoint`, the
 * signed note text): a checkpoint that was served must never disappear. A database rolled back
 * (a lost or truncated WAL, an old copy put back) or with its last records deleted, triggers and
 * all, can be consistent in itself; compared with this file it is not (issue 16, "Tampering and
 * rollback"). What this cannot see (the file rolled back together with the database) monitors
 * see: `trace-ledger monitor` raises `ALERT: rollback` (docs/audit.md).
 */
import { readFileSync } from 'node:fs';
import { verifyCheckpoint } from '../core/checkpoint.js';
import type { Ed25519 } from '../core/ed25519.js';
import { equalBytes } from '../core/bytes.js';
import { LedgerError } from '../core/errors.js';
import { writeFileAtomic } from '../platform/atomic-file.js';

/** Where the served checkpoint of the database `db` is kept (beside it). */
export const servedCheckpointPath = (db: string): string => `${db}.checkpoint`;

/** The note text in the file, or undefined when there is no file. */
export function readServedCheckpoint(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LedgerError('LEDGER_UNAVAILABLE', `cannot read the served checkpoint ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Replace the file atomically and durably: write a temporary file, fsync it, rename it over the
 * old one, fsync the directory (so the rename itself survives a crash). A crash leaves either the
 * old note or the new one, never a torn one.
 * @throws LedgerError LEDGER_UNAVAILABLE when it cannot be written
 */
export function writeServedCheckpoint(path: string, note: string): void {
  try {
    writeFileAtomic(path, note);
  } catch (e) {
    throw new LedgerError('LEDGER_UNAVAILABLE', `cannot write the served checkpoint ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Does the log (of `size` records, whose root at any size `rootAt` gives) still hold what the
 * served checkpoint `note` committed to? The note must verify with the ledger key; it may not
 * cover more records than the log has, and the log's root at its size must be its root.
 * @returns undefined when it does, else the refusal (LEDGER_STORE_CORRUPT, details.seq: the first record concerned)
 */
export function compareServedCheckpoint(
  note: string,
  where: string,
  verifierKey: string,
  ed: Ed25519,
  size: number,
  rootAt: (size: number) => Uint8Array,
): LedgerError | undefined {
  const refuse = (seq: number | undefined, why: string) =>
    new LedgerError('LEDGER_STORE_CORRUPT', `refusing to serve a rolled-back log: ${why}`, seq === undefined ? {} : { details: { seq } });
  let served;
  try {
    served = verifyCheckpoint(note, verifierKey, ed);
  } catch (e) {
    return refuse(undefined, `the served checkpoint ${where} does not verify with the ledger key (${(e as Error).message}); if it is not this ledger's, move it away`);
  }
  if (served.size > size) {
    return refuse(
      size,
      `a checkpoint of ${served.size} records was served (${where}) but the database has ${size}: records ${size} to ${served.size - 1} disappeared ` +
        '(the database was rolled back, its WAL truncated, or records deleted)',
    );
  }
  if (!equalBytes(rootAt(served.size), served.root)) {
    return refuse(served.size - 1, `the database's Merkle root at size ${served.size} is not the one served in ${where}: records before seq ${served.size} were replaced`);
  }
  return undefined;
}
