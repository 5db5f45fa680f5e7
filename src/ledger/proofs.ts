/**
 * Inclusion and consistency proofs over the durable log (RFC 6962 §2.1.1, §2.1.2; paths and
 * layout in src/core/merkle.ts), and the cache of upper Merkle nodes that every proof, root and
 * checkpoint reads through.
 */
import { toBase64, toHex } from '../core/bytes.js';
import { LedgerError } from '../core/errors.js';
import { consistencyProof, frontierRoot, inclusionProof, rootAt, type NodeReader } from '../core/merkle.js';
import type { LedgerStore, StoredCheckpoint } from '../store/store.js';
import type { Head, Heads } from './heads.js';

export interface InclusionProof {
  readonly seq: number;
  readonly treeSize: number;
  readonly leafHash: string;
  readonly rootHash: string;
  readonly hashes: string[];
}

export interface ConsistencyProofResult {
  readonly from: number;
  readonly to: number;
  readonly fromRoot: string;
  readonly toRoot: string;
  readonly hashes: string[];
}

/** Nodes at this level and above (each over 64 leaves or more) are kept in memory. */
const CACHED_LEVEL = 6;
const CACHED_NODES_MAX = 100_000;

/**
 * The store's node reader with the upper nodes kept. Nodes never change once written, and every
 * proof and root passes through the few upper ones. Only complete subtrees of the durable log are
 * ever read (proofs, checkpoints, the start-up check), never a node a rollback could undo.
 */
export function cachedNodeReader(store: Pick<LedgerStore, 'node'>): NodeReader {
  const upperNodes = new Map<number, Uint8Array>();
  return (level, index) => {
    if (level < CACHED_LEVEL) return store.node(level, index);
    const key = level * 2 ** 47 + index; // index < 2^47 for any log of safe-integer size at level ≥ 6
    let h = upperNodes.get(key);
    if (h === undefined) {
      h = store.node(level, index);
      if (h === undefined) return h;
      if (upperNodes.size >= CACHED_NODES_MAX) upperNodes.clear();
      upperNodes.set(key, h);
    }
    return h;
  };
}

/** Merkle root of the first `size` leaves: from the head's frontier when it is the head's size. */
export const rootOfSize = (head: Head, readNode: NodeReader, size: number): Uint8Array =>
  size === head.size ? frontierRoot(head.frontier, size) : rootAt(readNode, size);

export interface Proofs {
  /**
   * Audit path for `seq` in the tree of `size` (default: the latest checkpoint's size).
   * @throws LedgerError LEDGER_PROOF_RANGE
   */
  inclusionProof(seq: number, size?: number): InclusionProof;
  /**
   * Proof that the tree of `from` leaves is a prefix of the tree of `to` (default: the latest checkpoint's size).
   * @throws LedgerError LEDGER_PROOF_RANGE
   */
  consistencyProof(from: number, to?: number): ConsistencyProofResult;
}

export interface ProofsOptions {
  readonly store: LedgerStore;
  readonly heads: Readonly<Heads>;
  readonly readNode: NodeReader;
  /** The newest signed checkpoint, whose size proofs default to. */
  readonly latestCheckpoint: () => StoredCheckpoint | undefined;
}

export function createProofs({ store, heads, readNode, latestCheckpoint }: ProofsOptions): Proofs {
  function checkSize(size: number, what: string): void {
    if (!Number.isSafeInteger(size) || size < 0) throw new LedgerError('LEDGER_PROOF_RANGE', `${what} must be a non-negative integer`);
    if (size > heads.durable.size) throw new LedgerError('LEDGER_PROOF_RANGE', `${what} ${size} is beyond the log (size ${heads.durable.size})`);
  }

  return {
    inclusionProof(seq, size) {
      const treeSize = size ?? latestCheckpoint()?.size ?? heads.durable.size;
      checkSize(treeSize, 'size');
      if (!Number.isSafeInteger(seq) || seq < 0 || seq >= treeSize) {
        throw new LedgerError('LEDGER_PROOF_RANGE', `seq ${seq} is not in a tree of size ${treeSize}`);
      }
      return {
        seq,
        treeSize,
        leafHash: toHex(store.node(0, seq)),
        rootHash: toBase64(rootOfSize(heads.durable, readNode, treeSize)),
        hashes: inclusionProof(readNode, seq, treeSize).map(toBase64),
      };
    },

    consistencyProof(from, to) {
      const toSize = to ?? latestCheckpoint()?.size ?? heads.durable.size;
      checkSize(from, 'from');
      checkSize(toSize, 'to');
      if (from > toSize) throw new LedgerError('LEDGER_PROOF_RANGE', `from (${from}) is greater than to (${toSize})`);
      return {
        from,
        to: toSize,
        fromRoot: toBase64(rootAt(readNode, from)),
        toRoot: toBase64(rootOfSize(heads.durable, readNode, toSize)),
        hashes: consistencyProof(readNode, from, toSize).map(toBase64),
      };
    },
  };
}
