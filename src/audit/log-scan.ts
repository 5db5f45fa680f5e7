/**
 * The start-up check of the whole log (issue 16, "Tampering and rollback"): before the service
 * accepts a write, every record is read in seq order and, from the bytes alone, its leaf hash
 * (RFC 9162 §2.1.1: SHA-256(0x00 ‖ leaf)), its chain hash, every Merkle node it completes and the
 * root at each stored checkpoint's size are recomputed and compared with what is stored. Hashes
 * only: signatures and the registry are `trace-ledger verify --db`'s (src/audit/db-verify.ts).
 *
 * The scanner does no I/O: a worker thread feeds it rows from its own read-only connection
 * (src/platform/log-scan-worker.ts), or the ledger feeds it in chunks (src/platform/log-scan.ts).
 * A mismatch is a LedgerError LEDGER_STORE_CORRUPT whose details.seq names the record.
 */
import { equalBytes, utf8 } from '../core/bytes.js';
import { LedgerError } from '../core/errors.js';
import { EMPTY_ROOT, appendLeaf, frontierRoot, hashLeaf } from '../core/merkle.js';
import { CHAIN_HASH_START, chainHash } from '../core/record.js';

export interface ScannedRecord {
  readonly seq: number;
  readonly leaf: Uint8Array;
  readonly leafHash: Uint8Array;
  readonly chainHash: Uint8Array;
}

/** A stored checkpoint's claim: the root of the first `size` records. */
export interface CheckpointRoot {
  readonly size: number;
  readonly root: Uint8Array;
}

/**
 * The stored hash of the Merkle node (level ≥ 1, index), which the store keeps at `pos` (the order
 * nodes are made in when leaves are appended one by one: src/store/sqlite.ts merklePos), or
 * undefined when there is none.
 */
export type StoredNodeAt = (pos: number, level: number, index: number) => Uint8Array | undefined;

export interface LogScanner {
  /** Check the next record (seq order) and the nodes it completes. @throws LedgerError LEDGER_STORE_CORRUPT */
  add(record: ScannedRecord, storedNode: StoredNodeAt): void;
  /**
   * After the last record: every record was seen, and no stored node lies beyond the log
   * (`nodesBeyond`: the store holds more nodes than the records make).
   * @throws LedgerError LEDGER_STORE_CORRUPT
   */
  finish(nodesBeyond: boolean): void;
  /** Records checked so far. */
  done(): number;
  /** Nodes the records checked so far make: where the next one is stored. */
  nodesMade(): number;
}

/** A mismatch at `seq`: the start-up refusal, naming the record. */
export function corruptAt(seq: number | undefined, message: string): LedgerError {
  return new LedgerError('LEDGER_STORE_CORRUPT', `refusing to serve a corrupted log: ${message}`, seq === undefined ? {} : { details: { seq } });
}

/** Scan a log of `size` records whose stored checkpoints are `checkpoints` (any order). */
export function createLogScanner(size: number, checkpoints: readonly CheckpointRoot[]): LogScanner {
  const claims = [...checkpoints].sort((a, b) => a.size - b.size);
  const beyond = claims.find((c) => c.size > size);
  if (beyond !== undefined) {
    throw corruptAt(size, `a stored checkpoint covers ${beyond.size} records but the log has ${size}: records from seq ${size} on were removed`);
  }
  let next = 0;
  let chain: Uint8Array = CHAIN_HASH_START;
  let frontier: Uint8Array[] = [];
  let nodes = 0;
  let claim = 0;
  /** The largest size whose checkpoint matched: a root mismatch lies in the records after it. */
  let matchedUpTo = 0;

  /** Compare the checkpoints of the tree's current size (`next` records). */
  function compareClaims(): void {
    for (; claim < claims.length && claims[claim]!.size === next; claim++) {
      const root = next === 0 ? EMPTY_ROOT : frontierRoot(frontier, next);
      if (!equalBytes(root, claims[claim]!.root)) {
        throw corruptAt(
          matchedUpTo,
          `the Merkle root of the first ${next} records, recomputed from their bytes, is not the one the checkpoint of size ${next} signed: ` +
            `a record from seq ${matchedUpTo} to ${next - 1} was changed and its hashes recomputed`,
        );
      }
      matchedUpTo = next;
    }
  }
  compareClaims();

  return {
    add(r, storedNode) {
      const seq = next;
      if (r.seq !== seq) throw corruptAt(seq, r.seq > seq ? `record ${seq} is missing (the next stored record is ${r.seq})` : `record ${r.seq} is stored out of order`);
      // The record's own seq is its last member: JCS (RFC 8785 §3.2.3) sorts "entry" < "recordedAt" < "seq".
      const suffix = utf8(`,"seq":${seq}}`);
      if (r.leaf.length < suffix.length || !equalBytes(r.leaf.subarray(r.leaf.length - suffix.length), suffix)) {
        throw corruptAt(seq, `the record stored at seq ${seq} does not say seq ${seq}: records were moved`);
      }
      const leafHash = hashLeaf(r.leaf);
      if (!equalBytes(leafHash, r.leafHash)) throw corruptAt(seq, `the leaf hash of record ${seq} does not match its bytes`);
      chain = chainHash(chain, leafHash);
      if (!equalBytes(chain, r.chainHash)) throw corruptAt(seq, `the chain hash of record ${seq} does not follow from record ${seq - 1} and its bytes`);
      const appended = appendLeaf(frontier, seq, leafHash);
      frontier = appended.frontier;
      for (const n of appended.newNodes) {
        const stored = storedNode(nodes, n.level, n.index);
        if (stored === undefined || !equalBytes(stored, n.hash)) {
          const first = n.index * 2 ** n.level;
          throw corruptAt(
            first,
            `the stored Merkle node (level ${n.level}, index ${n.index}) over records ${first} to ${seq} is ${stored === undefined ? 'missing' : 'not the hash of those records'}`,
          );
        }
        nodes++;
      }
      next++;
      compareClaims();
    },
    finish(nodesBeyond) {
      if (next !== size) throw corruptAt(next, `records ${next} to ${size - 1} are missing`);
      if (nodesBeyond) throw corruptAt(size, `Merkle nodes are stored for records from seq ${size} on, which the log no longer has: records were removed`);
    },
    done: () => next,
    nodesMade: () => nodes,
  };
}
