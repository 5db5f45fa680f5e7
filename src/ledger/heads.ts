/**
 * The two heads of the log. `committed` is what the sequencer has appended inside the store (the
 * transaction is committed, not yet synced); `durable` is what a sync has put on disk. Reads,
 * proofs and checkpoints only ever show the durable head, so nothing anyone saw or any checkpoint
 * signed can be lost in a crash.
 *
 * One owner moves them: the sequencer (src/ledger/sequence.ts and group-commit.ts move
 * `committed`, src/ledger/durability.ts moves `durable` after each sync). Everyone else reads.
 */
import { CHAIN_HASH_START } from '../core/record.js';

/** The end of the log: enough to append the next record without reading the store. */
export interface Head {
  readonly size: number;
  /** Chain hash of the last record (CHAIN_HASH_START for an empty log). */
  readonly chainHash: Uint8Array;
  /** Merkle frontier: the roots of the complete subtrees, largest first (src/core/merkle.ts). */
  readonly frontier: readonly Uint8Array[];
  /** recordedAt of the last record, so that it never goes backwards (ms since the epoch). */
  readonly lastRecordedAtMs: number;
}

export interface Heads {
  committed: Head;
  durable: Head;
}

export const EMPTY_HEAD: Head = { size: 0, chainHash: CHAIN_HASH_START, frontier: [], lastRecordedAtMs: 0 };

/** At open the log is on disk as it stands: both heads are the loaded one. */
export const headsAt = (loaded: Head): Heads => ({ committed: loaded, durable: loaded });
