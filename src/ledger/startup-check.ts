/**
 * The checks on open, before the ledger serves anything: the stored head (last record's hashes,
 * the record count, the Merkle frontier, the latest checkpoint's signature and root) must hold
 * together, or the log is refused as corrupted. They cost a few reads; the check of every record
 * against every checkpoint runs afterwards (src/ledger/startup-verify.ts), and the full check
 * (signatures, derived tables) is `trace-ledger verify --db`. What start-up catches and what only
 * `verify --db` does: docs/audit.md.
 */
import { equalBytes } from '../core/bytes.js';
import { verifyCheckpoint } from '../core/checkpoint.js';
import type { Ed25519 } from '../core/ed25519.js';
import { LedgerError } from '../core/errors.js';
import { frontierFromReader, frontierRoot, hashLeaf, rootAt, type NodeReader } from '../core/merkle.js';
import { originMismatch } from '../core/origin.js';
import { CHAIN_HASH_START, chainHash, type LedgerRecord } from '../core/record.js';
import type { LedgerStore } from '../store/store.js';
import { EMPTY_HEAD, type Head } from './heads.js';

export interface StartupCheckOptions {
  readonly store: LedgerStore;
  /** The origin the ledger was opened with. */
  readonly origin: string;
  /** The ledger's note verifier key (from its seed). */
  readonly verifierKey: string;
  readonly ed: Ed25519;
  readonly readNode: NodeReader;
}

function corrupt(why: string): never {
  throw new LedgerError('LEDGER_STORE_CORRUPT', `refusing to serve a corrupted log: ${why}`);
}

/**
 * Read the head of the stored log and check it holds together.
 * @throws LedgerError LEDGER_STORE_CORRUPT, or the origin mismatch of src/core/origin.ts
 */
export function loadHead(o: StartupCheckOptions): Head {
  const { store } = o;
  const size = store.size();
  if (size === 0) return EMPTY_HEAD;
  checkGenesis(o);
  const last = store.record(size - 1) ?? corrupt(`record ${size - 1} is missing although the log has ${size} records`);
  const previousChain = size > 1 ? (store.record(size - 2) ?? corrupt(`record ${size - 2} is missing`)).chainHash : CHAIN_HASH_START;
  if (!equalBytes(hashLeaf(last.leaf), last.leafHash)) corrupt(`leaf hash of record ${last.seq} does not match its bytes`);
  if (!equalBytes(chainHash(previousChain, last.leafHash), last.chainHash)) corrupt(`chain hash of record ${last.seq} does not follow from record ${last.seq - 1}`);
  let lastRecord: LedgerRecord;
  try {
    lastRecord = JSON.parse(new TextDecoder().decode(last.leaf)) as LedgerRecord;
  } catch {
    return corrupt(`record ${last.seq} is not JSON`);
  }
  if (lastRecord.seq !== last.seq) corrupt(`record stored at seq ${last.seq} says seq ${lastRecord.seq}`);
  // A record deleted from the middle leaves MAX(seq) as it was, not the number of rows. What
  // start-up catches and what only `trace-ledger verify --db` does: docs/audit.md.
  const count = store.recordCount();
  if (count !== size) corrupt(`the log has ${count} records but its seqs run to ${size - 1}: records were deleted (run trace-ledger verify --db)`);
  const frontier = frontierFromReader(o.readNode, size);
  checkLatestCheckpoint(o, size, frontier);
  return { size, chainHash: last.chainHash, frontier, lastRecordedAtMs: Date.parse(lastRecord.recordedAt) };
}

/** Record 0 is this ledger's genesis: same origin, same ledger key. */
function checkGenesis({ store, origin, verifierKey }: StartupCheckOptions): void {
  const genesis = store.record(0) ?? corrupt('record 0 is missing');
  const genesisPayload = (JSON.parse(new TextDecoder().decode(genesis.leaf)) as LedgerRecord).entry.payload;
  if (genesisPayload.type !== 'ledger.genesis' || typeof genesisPayload['origin'] !== 'string') corrupt('record 0 is not a ledger.genesis entry');
  // Before the key: a changed meta.origin would otherwise read as a wrong ledger key.
  const mismatch = originMismatch(genesisPayload['origin'], store.meta('origin'), origin);
  if (mismatch !== undefined) throw mismatch;
  if (genesisPayload['ledgerKey'] !== verifierKey) {
    throw new LedgerError('LEDGER_STORE_CORRUPT', 'the ledger key given does not match the key in this log\'s genesis entry');
  }
}

/** The latest checkpoint is signed by this ledger, matches its row, and roots the stored tree. */
function checkLatestCheckpoint({ store, verifierKey, ed, readNode }: StartupCheckOptions, size: number, frontier: readonly Uint8Array[]): void {
  const cp = store.latestCheckpoint();
  if (cp === undefined) return;
  let signed;
  try {
    signed = verifyCheckpoint(cp.note, verifierKey, ed);
  } catch (e) {
    return corrupt(`latest checkpoint does not verify: ${(e as Error).message}`);
  }
  if (signed.size !== cp.size || !equalBytes(signed.root, cp.root)) corrupt('latest checkpoint row does not match its signed note');
  if (cp.size > size) corrupt(`latest checkpoint covers ${cp.size} records but the log has only ${size}: records were removed`);
  const root = cp.size === size ? frontierRoot(frontier, size) : rootAt(readNode, cp.size);
  if (!equalBytes(root, cp.root)) corrupt(`Merkle root at size ${cp.size} does not match the signed checkpoint`);
  // Every record against it, and against every other checkpoint: the start-up verification.
}
