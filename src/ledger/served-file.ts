/**
 * The ledger's side of the served checkpoint kept beside the database (the file itself:
 * src/store/served-checkpoint.ts). A checkpoint that was served must never disappear: at open the
 * one in the file must still be in the log, and every checkpoint is written to the file before
 * anyone can see it.
 */
import type { Ed25519 } from '../core/ed25519.js';
import type { NodeReader } from '../core/merkle.js';
import { compareServedCheckpoint, readServedCheckpoint, servedCheckpointPath, writeServedCheckpoint } from '../store/served-checkpoint.js';
import type { LedgerStore, StoredCheckpoint } from '../store/store.js';
import type { Head } from './heads.js';
import { rootOfSize } from './proofs.js';

export interface ServedFile {
  /**
   * Write `note` to the file (nothing when the ledger keeps none).
   * @throws LedgerError LEDGER_UNAVAILABLE when it cannot be written
   */
  write(note: string): void;
  /**
   * Data directories from before the file existed: start keeping it from `latest`, once the log
   * checked out. Nothing when the file existed at open or was written since.
   */
  createIfMissing(latest: StoredCheckpoint | undefined, warn: (message: string) => void): void;
}

export interface ServedFileOptions {
  readonly store: LedgerStore;
  /** The option of LedgerOptions: a path, false for none, or undefined for `<db>.checkpoint` beside a file store. */
  readonly servedCheckpointFile: string | false | undefined;
  readonly verifierKey: string;
  readonly ed: Ed25519;
  /** The head loaded at open. */
  readonly head: Head;
  readonly readNode: NodeReader;
}

/**
 * Find the file, and refuse a log rolled back below the checkpoint it holds.
 * @throws LedgerError LEDGER_STORE_CORRUPT (details.seq: the first record concerned), LEDGER_UNAVAILABLE when it cannot be read
 */
export function openServedFile(o: ServedFileOptions): ServedFile {
  const path = o.servedCheckpointFile === false ? undefined : (o.servedCheckpointFile ?? (o.store.file === undefined ? undefined : servedCheckpointPath(o.store.file)));
  const atOpen = path === undefined ? undefined : readServedCheckpoint(path);
  if (path !== undefined && atOpen !== undefined) {
    const refusal = compareServedCheckpoint(atOpen, path, o.verifierKey, o.ed, o.head.size, (n) => rootOfSize(o.head, o.readNode, n));
    if (refusal !== undefined) throw refusal;
  }
  let written = false;
  const served: ServedFile = {
    write(note) {
      if (path === undefined) return;
      writeServedCheckpoint(path, note);
      written = true;
    },
    createIfMissing(latest, warn) {
      if (path === undefined || atOpen !== undefined || written || latest === undefined) return;
      warn(`${path} did not exist (a data directory from an older version?): created it from the latest checkpoint (size ${latest.size}); from now on a rollback of the database below it is refused`);
      served.write(latest.note);
    },
  };
  return served;
}
