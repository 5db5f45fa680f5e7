/**
 * The ledger application: verify → check rules → sequence → commit → receipt; checkpoints; reads.
 *
 * Group commit: submissions are parsed, canonicalised and (when their key is already known)
 * signature-checked as they arrive; they then wait in a queue that is drained on the next turn of
 * the event loop, in one SQLite transaction for everything that arrived meanwhile. Each submitted
 * batch is atomic on its own, so a rejected batch leaves no trace and does not hold back the
 * others (commitGroup: no savepoints unless a batch is rejected, then one per batch). The commit
 * is then made durable by `store.sync()` off the event loop; while one sync is under way, the
 * next groups commit, and one sync covers them all. Submissions are answered only after the sync
 * that covers their commit, so every acknowledged entry is on disk.
 *
 * Two heads: `head` is what is committed (the sequencer appends to it); `durable` is what is on
 * disk. Reads, proofs and checkpoints only ever show the durable head, so nothing anyone saw or
 * any checkpoint signed can be lost in a crash.
 */
import { fromBase64Url, toBase64, toHex, utf8, equalBytes } from './core/bytes.js';
import { signCheckpoint, verifyCheckpoint } from './core/checkpoint.js';
import type { Ed25519 } from './core/ed25519.js';
import { signEntry, signingMessageFromCanonical, verifyEntrySignature } from './core/entry.js';
import { LedgerError } from './core/errors.js';
import { sha256 } from './core/hash.js';
import { canonicalize } from './core/jcs.js';
import { keyIdOf } from './core/keys.js';
import {
  appendLeaf,
  consistencyProof,
  frontierFromReader,
  frontierRoot,
  hashLeaf,
  inclusionProof,
  rootAt,
  verifyConsistency,
  type NodeReader,
} from './core/merkle.js';
import { formatVerifierKey, parseVerifierKey } from './core/note.js';
import { CHAIN_HASH_START, chainHash, recordLeafBytesFromCanonical, type LedgerRecord } from './core/record.js';
import { originMismatch } from './core/origin.js';
import { LEDGER_SIGNER, registryEffects, signingKeyFor, type KeyRecord, type ParticipantRecord } from './domain/registry.js';
import { domainEffects, parseCustomerHolder } from './domain/rules.js';
import { canonicalCode } from './core/codes.js';
import { parseEntry, parseTimestamp, type Entry, type Payload } from './domain/schemas.js';
import { downstream, history, pactFootprint, requireCode, shipmentAt, upstream, type TraceReader } from './domain/trace.js';
import { nodeEd25519 } from './platform/node-crypto.js';
import type { VerifyMany } from './platform/verify-pool.js';
import { createReadiness, notReadyError, type Readiness } from './ledger/readiness.js';
import { startVerification } from './ledger/startup-verify.js';
import { compareServedCheckpoint, readServedCheckpoint, servedCheckpointPath, writeServedCheckpoint } from './store/served-checkpoint.js';
import type { LedgerStore, StoredCheckpoint, StoredRecord } from './store/store.js';

export interface Receipt {
  readonly seq: number;
  /** Hex. */
  readonly leafHash: string;
  /** Hex. */
  readonly chainHash: string;
  readonly recordedAt: string;
}

export interface LedgerOptions {
  readonly store: LedgerStore;
  /** C2SP checkpoint origin; also the name of the ledger's note key. */
  readonly origin: string;
  /** 32-byte Ed25519 seed of the ledger key (signs genesis and checkpoints). */
  readonly ledgerSeed: Uint8Array;
  readonly ed?: Ed25519;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly now?: () => number;
  /** How far in the future an entry's `time` may be (signers' clocks drift). Default 5 minutes. */
  readonly maxClockSkewMs?: number;
  /** Minimum spacing of automatic checkpoints under load. Default 1000 ms. */
  readonly checkpointIntervalMs?: number;
  /** Largest batch one submission may carry. Default 1000. */
  readonly maxBatchEntries?: number;
  /**
   * Verify signatures elsewhere (a worker thread: src/platform/verify-pool.ts) instead of inline on
   * the event loop. Must give the same verdicts as `ed`.
   */
  readonly verifyMany?: VerifyMany;
  /**
   * Conditions under which writes are refused (src/readiness.ts); the ledger holds 'sync-failed'
   * and 'closing' itself, others (start-up verification, lock, background verifier) are held by
   * their owners. Default: a fresh one, ready.
   */
  readonly readiness?: Readiness;
  /**
   * Where the start-up verification scans the log (src/startup-verify.ts): on a worker thread
   * with its own connection (the default for a large log in a file) or in-process, in chunks.
   */
  readonly startupScan?: 'worker' | 'in-process';
  /**
   * The file that keeps the latest served checkpoint outside the database (src/store/served-checkpoint.ts).
   * Default: `<db>.checkpoint` beside a store that is a file; false: none.
   */
  readonly servedCheckpointFile?: string | false;
  /** Told what an operator should know but that does not stop the ledger. Default: process.emitWarning. */
  readonly onWarning?: (message: string) => void;
}

/**
 * What the ledger tells an observer (the metrics of src/http/metrics.ts), so that it need not
 * poll. Calls are synchronous and must not throw.
 */
export interface LedgerObserver {
  /** A group commit is durable: the records it appended, and ms from its commit to the end of its sync. */
  durable(records: number, commitToDurableMs: number): void;
  /** An fdatasync failed (the ledger then holds 'sync-failed'). */
  syncFailed(): void;
  /** A commit failed (nothing of its group was written), e.g. disk full or a read-only store. */
  commitFailed(): void;
}

export interface GenesisOptions {
  readonly operator: { readonly id: string; readonly name: string; readonly publicKey: Uint8Array };
}

interface Head {
  size: number;
  chainHash: Uint8Array;
  frontier: Uint8Array[];
  lastRecordedAtMs: number;
}

interface Prepared {
  readonly entry: Entry;
  readonly payloadJcs: string;
  readonly payloadHash: Uint8Array;
  readonly message: Uint8Array;
  /** Public key the signature was already checked against, if its kid was known on arrival. */
  readonly verifiedWith: Uint8Array | undefined;
}

type Outcome = { ok: true; receipts: Receipt[] } | { ok: false; error: unknown };

interface Job {
  readonly entries: readonly Prepared[];
  readonly resolve: (r: Receipt[]) => void;
  readonly reject: (e: unknown) => void;
}

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

export interface RecordView {
  readonly record: LedgerRecord;
  readonly leafHash: string;
  readonly chainHash: string;
}

export interface ParticipantView {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly string[];
  readonly gln: string | null;
  readonly registeredSeq: number;
  readonly keys: Array<{
    kid: string; publicKey: string; addedSeq: number; revokedSeq: number | null; valid: boolean;
    /** Signer of the entry that added the key; operatorAdded: a recovery key (domain/key-rules.ts). */
    addedBy: string; operatorAdded: boolean;
  }>;
  /** GS1 Company Prefixes; null for a participant registered before prefixes existed. */
  readonly prefixes: readonly string[] | null;
  /** Prefixes other participants let it commission under (standing delegations). */
  readonly delegatedPrefixes: Array<{ prefix: string; from: string; seq: number; until: string | null }>;
}

/** Name the failing entry of a batch (details.index, and the message when it does not say so yet). */
function signatureBytes(sig: string): Uint8Array {
  try {
    return fromBase64Url(sig);
  } catch {
    return new Uint8Array(0); // fails verification, and verifyEntrySignature then names why
  }
}

const withIndex = (e: unknown, i: number, batch: boolean): unknown =>
  e instanceof LedgerError && batch
    ? new LedgerError(e.code, e.message.startsWith(`entries[${i}]`) ? e.message : `entries[${i}]: ${e.message}`, {
        cause: e.cause,
        details: { ...e.details, index: i },
      })
    : e;

/**
 * Open a ledger over a store. At once it checks the stored head (last record's hashes, the record
 * count, Merkle frontier, the latest checkpoint's signature and root) and the served checkpoint
 * kept beside the database, and refuses a corrupted or rolled-back log. Then, before it accepts a
 * write, it recomputes the whole chain and tree from the records and compares them with every
 * stored checkpoint (src/startup-verify.ts), serving reads meanwhile: `verified` says how that
 * ended. The full check (signatures, derived tables) is `trace-ledger verify --db`.
 * @throws LedgerError LEDGER_STORE_CORRUPT
 */
export function openLedger(options: LedgerOptions) {
  const { store, origin, ledgerSeed } = options;
  const ed = options.ed ?? nodeEd25519;
  const now = options.now ?? Date.now;
  const maxSkew = options.maxClockSkewMs ?? 5 * 60_000;
  const checkpointInterval = options.checkpointIntervalMs ?? 1000;
  const maxBatch = options.maxBatchEntries ?? 1000;
  const ledgerPublicKey = ed.publicKey(ledgerSeed);
  const verifierKey = formatVerifierKey(origin, ledgerPublicKey);
  // Nodes never change once written, and every proof and root passes through the few upper ones:
  // those (level ≥ 6, each over 64 leaves or more) are kept. Only complete subtrees of the durable
  // log are ever read (proofs, checkpoints, the start-up check), never a node a rollback could undo.
  const upperNodes = new Map<number, Uint8Array>();
  const readNode: NodeReader = (level, index) => {
    if (level < 6) return store.node(level, index);
    const key = level * 2 ** 47 + index; // index < 2^47 for any log of safe-integer size at level ≥ 6
    let h = upperNodes.get(key);
    if (h === undefined) {
      h = store.node(level, index);
      if (h === undefined) return h;
      if (upperNodes.size >= 100_000) upperNodes.clear();
      upperNodes.set(key, h);
    }
    return h;
  };

  let head: Head = loadHead();
  let durable: Head = head;
  /** The newest signed checkpoint: only this ledger writes checkpoints, so it is read once. */
  let latestCp: StoredCheckpoint | undefined = store.latestCheckpoint();
  let queue: Job[] = [];
  let flushScheduled = false;
  /** Committed groups waiting for a sync: how to answer them, and the head they leave. */
  let unsynced: Array<{ settle: (failure?: LedgerError) => void; head: Head; records: number; committedAt: number }> = [];
  let syncing: Promise<void> | undefined;
  let failed: LedgerError | undefined;
  const knownKeys = new Map<string, Uint8Array>();
  const verifyMany = options.verifyMany;
  const readiness = options.readiness ?? createReadiness();
  let checkpointTimer: NodeJS.Timeout | undefined;
  /** Queries waiting for the commits they could see to be durable. */
  let barrierWaiters: Array<{ size: number; resolve: () => void }> = [];
  let lastCheckpointAt = 0;
  let closed = false;
  /** Submissions taken and not yet answered (queued, committing or waiting for their sync). */
  let pending = 0;
  const observers = new Set<LedgerObserver>();
  const tell = (f: (o: LedgerObserver) => void): void => observers.forEach(f);
  const warn = options.onWarning ?? ((message: string) => process.emitWarning(message));

  // A checkpoint that was served must never disappear: the one kept beside the database must
  // still be in it (src/store/served-checkpoint.ts).
  const servedFile =
    options.servedCheckpointFile === false ? undefined : (options.servedCheckpointFile ?? (store.file === undefined ? undefined : servedCheckpointPath(store.file)));
  const servedAtOpen = servedFile === undefined ? undefined : readServedCheckpoint(servedFile);
  if (servedFile !== undefined && servedAtOpen !== undefined) {
    const rootOf = (n: number) => (n === head.size ? frontierRoot(head.frontier, n) : rootAt(readNode, n));
    const refusal = compareServedCheckpoint(servedAtOpen, servedFile, verifierKey, ed, head.size, rootOf);
    if (refusal !== undefined) throw refusal;
  }
  let servedWritten = false;

  const verification = startVerification({ store, size: head.size, readiness, ...(options.startupScan === undefined ? {} : { mode: options.startupScan }) });
  const verified = verification.done.then(() => {
    // Data directories from before the file existed: start keeping it now, once the log checked out.
    if (servedFile !== undefined && servedAtOpen === undefined && !servedWritten && latestCp !== undefined && !closed) {
      warn(`${servedFile} did not exist (a data directory from an older version?): created it from the latest checkpoint (size ${latestCp.size}); from now on a rollback of the database below it is refused`);
      writeServed(latestCp.note);
    }
  });
  verified.catch(() => undefined); // awaiting it is optional

  function writeServed(note: string): void {
    if (servedFile === undefined) return;
    writeServedCheckpoint(servedFile, note);
    servedWritten = true;
  }

  function corrupt(why: string): never {
    throw new LedgerError('LEDGER_STORE_CORRUPT', `refusing to serve a corrupted log: ${why}`);
  }

  function loadHead(): Head {
    const size = store.size();
    if (size === 0) return { size: 0, chainHash: CHAIN_HASH_START, frontier: [], lastRecordedAtMs: 0 };
    const genesis = store.record(0) ?? corrupt('record 0 is missing');
    const genesisPayload = (JSON.parse(new TextDecoder().decode(genesis.leaf)) as LedgerRecord).entry.payload;
    if (genesisPayload.type !== 'ledger.genesis' || typeof genesisPayload['origin'] !== 'string') corrupt('record 0 is not a ledger.genesis entry');
    // Before the key: a changed meta.origin would otherwise read as a wrong ledger key.
    const mismatch = originMismatch(genesisPayload['origin'], store.meta('origin'), origin);
    if (mismatch !== undefined) throw mismatch;
    if (genesisPayload['ledgerKey'] !== verifierKey) {
      throw new LedgerError('LEDGER_STORE_CORRUPT', 'the ledger key given does not match the key in this log\'s genesis entry');
    }
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
    const frontier = frontierFromReader(readNode, size);
    const cp = store.latestCheckpoint();
    if (cp !== undefined) {
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
    return { size, chainHash: last.chainHash, frontier, lastRecordedAtMs: Date.parse(lastRecord.recordedAt) };
  }

  /** Public key of a registered kid. kid → key never changes once registered (kids are unique). */
  function knownKey(kid: string): Uint8Array | undefined {
    let key = knownKeys.get(kid);
    if (key === undefined) {
      key = store.key(kid)?.publicKey;
      if (key === undefined) return undefined;
      if (knownKeys.size >= 100_000) knownKeys.clear();
      knownKeys.set(kid, key);
    }
    return key;
  }

  /**
   * Parse and canonicalise; check the signature now, outside the commit, when the key is already
   * registered (the result still holds at sequencing time, where only the key's validity at that
   * seq remains to be checked). Entries whose key is not registered yet (added in the same batch)
   * are checked while sequencing.
   */
  function prepare(value: unknown, where: string): Prepared & { publicKey: Uint8Array | undefined } {
    const entry = parseEntry(value, where);
    const payloadJcs = canonicalize(entry.payload);
    const message = signingMessageFromCanonical(payloadJcs);
    const time = parseTimestamp(entry.payload.time)!;
    if (time > now() + maxSkew) {
      throw new LedgerError('LEDGER_TIME_IN_FUTURE', `${where}.payload.time ${entry.payload.time} is more than ${maxSkew / 1000} s ahead of the ledger's clock`);
    }
    const publicKey = knownKey(entry.signature.kid);
    if (publicKey !== undefined && verifyMany === undefined) verifyEntrySignature(message, entry.signature, publicKey, ed);
    return { entry, payloadJcs, payloadHash: sha256(utf8(payloadJcs)), message, verifiedWith: verifyMany ? undefined : publicKey, publicKey };
  }

  /** With a verification worker: check the signatures of entries with known keys there. */
  async function verifyOffThread(entries: Array<Prepared & { publicKey: Uint8Array | undefined }>, batch: boolean): Promise<Prepared[]> {
    const toCheck = entries.flatMap((p, i) => (p.publicKey === undefined ? [] : [{ i, p, publicKey: p.publicKey }]));
    const ok = await verifyMany!(
      toCheck.map(({ p, publicKey }) => ({ signature: signatureBytes(p.entry.signature.sig), message: p.message, publicKey })),
    );
    const out: Array<{ -readonly [K in keyof Prepared]: Prepared[K] }> = entries.map((p) => ({ ...p, verifiedWith: undefined }));
    toCheck.forEach(({ i, p, publicKey }, j) => {
      if (!ok[j]) {
        // Same verdict and error as verifying inline (verifyEntrySignature names the reason).
        try {
          verifyEntrySignature(p.message, p.entry.signature, publicKey, ed);
        } catch (e) {
          throw withIndex(e, i, batch);
        }
      }
      out[i]!.verifiedWith = publicKey;
    });
    return out;
  }

  function receiptOf(r: StoredRecord): Receipt {
    const rec = JSON.parse(new TextDecoder().decode(r.leaf)) as LedgerRecord;
    return { seq: r.seq, leafHash: toHex(r.leafHash), chainHash: toHex(r.chainHash), recordedAt: rec.recordedAt };
  }

  function keyForGenesis(payload: Extract<Payload, { type: 'ledger.genesis' }>): KeyRecord {
    const publicKey = fromBase64Url(payload.ledgerPublicKey);
    let parsed;
    try {
      parsed = parseVerifierKey(payload.ledgerKey);
    } catch (cause) {
      throw new LedgerError('LEDGER_ENTRY_INVALID', 'ledger.genesis: ledgerKey is not a verifier key', { cause });
    }
    if (parsed.name !== payload.origin || !equalBytes(parsed.publicKey, publicKey)) {
      throw new LedgerError('LEDGER_ENTRY_INVALID', 'ledger.genesis: ledgerKey does not match origin and ledgerPublicKey');
    }
    return { kid: keyIdOf(publicKey), participant: LEDGER_SIGNER, publicKey, addedSeq: 0, revokedSeq: null, addedBy: LEDGER_SIGNER, operatorAdded: false };
  }

  /**
   * Check an entry's signature with the signer's key valid at `seq` (skipped when prepare already
   * verified it with that very key).
   * @throws LedgerError LEDGER_SIGNER_UNKNOWN, LEDGER_KEY_UNKNOWN, LEDGER_KEY_REVOKED, LEDGER_SIGNATURE_INVALID
   */
  function verifySignatureAt(p: Prepared, seq: number): void {
    const { payload, signature } = p.entry;
    const key = payload.type === 'ledger.genesis' ? keyForGenesis(payload) : signingKeyFor(store, payload.signer, signature.kid, seq);
    if (p.verifiedWith === undefined || !equalBytes(p.verifiedWith, key.publicKey)) {
      verifyEntrySignature(p.message, signature, key.publicKey, ed);
    }
  }

  /** Sequence one submitted batch inside the open transaction; throws to roll the batch back. */
  function sequence(job: Job): Receipt[] {
    const receipts: Receipt[] = [];
    const inBatch = new Map<string, { hash: Uint8Array; receipt: Receipt }>();
    const batch = job.entries.length > 1;
    job.entries.forEach((p, i) => {
      try {
        const { payload, signature } = p.entry;
        const dupKey = `${payload.signer}\u0000${payload.id}`;
        const earlier = inBatch.get(dupKey) ?? (() => {
          const ref = store.entryBySignerId(payload.signer, payload.id);
          return ref && { hash: ref.payloadHash, receipt: receiptOf(store.record(ref.seq)!), seq: ref.seq };
        })();
        if (earlier !== undefined) {
          if (!equalBytes(earlier.hash, p.payloadHash)) {
            throw new LedgerError('LEDGER_ENTRY_CONFLICT', `"${payload.signer}" already used id "${payload.id}" for a different payload (seq ${earlier.receipt.seq})`, {
              details: { seq: earlier.receipt.seq },
            });
          }
          // Identical resubmission: the original receipt, but only for an entry whose own signature
          // verifies with a key valid for the original; an equal payload alone proves nothing.
          verifySignatureAt(p, earlier.receipt.seq);
          receipts.push(earlier.receipt);
          return;
        }
        const seq = head.size;
        if (payload.signer === LEDGER_SIGNER && payload.type !== 'ledger.genesis') {
          throw new LedgerError('LEDGER_PERMISSION_DENIED', 'the ledger key signs only the genesis entry and checkpoints');
        }
        verifySignatureAt(p, seq);
        const effects = registryEffects(store, payload, seq);
        const domain = domainEffects(store, payload, seq);
        // recordedAt never goes backwards, even if the server clock is stepped back.
        const recordedAtMs = Math.max(now(), head.lastRecordedAtMs);
        const recordedAt = new Date(recordedAtMs).toISOString();
        const leaf = recordLeafBytesFromCanonical(seq, recordedAt, p.payloadJcs, signature);
        const leafHash = hashLeaf(leaf);
        const chain = chainHash(head.chainHash, leafHash);
        const { frontier, newNodes } = appendLeaf(head.frontier, seq, leafHash);
        store.insertRecord({ seq, signer: payload.signer, entryId: payload.id, type: payload.type, payloadHash: p.payloadHash, leaf, leafHash, chainHash: chain });
        store.insertNodes(newNodes);
        store.applyEffects(effects);
        store.applyDomainEffects(domain);
        head = { size: seq + 1, chainHash: chain, frontier, lastRecordedAtMs: recordedAtMs };
        const receipt = { seq, leafHash: toHex(leafHash), chainHash: toHex(chain), recordedAt };
        inBatch.set(dupKey, { hash: p.payloadHash, receipt });
        receipts.push(receipt);
      } catch (e) {
        throw withIndex(e, i, batch);
      }
    });
    return receipts;
  }

  /**
   * Sequence a group in one transaction; every job is atomic on its own. Optimistic first: the
   * jobs run without savepoints, because a savepoint makes SQLite copy every page it then touches
   * into a sub-journal, which doubled the cost of the inserts (measured: 38 µs of statements per
   * key.add entry without, 72 µs with a savepoint per batch of 100). Rejections are rare; when one
   * happens the whole transaction is rolled back and the group runs again with a savepoint per
   * job, so the others still go through. A group of one job needs no second run: its transaction
   * is its savepoint.
   * @throws the error of the commit itself (nothing of the group was written)
   */
  function commitGroup(jobs: readonly Job[]): Outcome[] {
    const before = head;
    const optimistic: Outcome[] = [];
    let rejected: { error: unknown } | undefined;
    try {
      store.transaction(() => {
        for (const job of jobs) {
          try {
            optimistic.push({ ok: true, receipts: sequence(job) });
          } catch (error) {
            rejected = { error };
            throw error;
          }
        }
      });
      return optimistic;
    } catch (cause) {
      head = before;
      if (rejected === undefined || isUnwritable(cause)) throw cause; // the commit failed, not a job
      if (jobs.length === 1) return [{ ok: false, error: rejected.error }];
    }
    const outcomes: Outcome[] = [];
    store.transaction(() => {
      for (const job of jobs) {
        const saved = head;
        try {
          outcomes.push({ ok: true, receipts: store.savepoint(() => sequence(job)) });
        } catch (error) {
          head = saved;
          if (isUnwritable(error)) throw error;
          outcomes.push({ ok: false, error });
        }
      }
    });
    return outcomes;
  }

  function flush(): void {
    flushScheduled = false;
    const jobs = queue;
    queue = [];
    if (jobs.length === 0) return;
    if (failed !== undefined) {
      for (const job of jobs) job.reject(failed);
      return;
    }
    if (!readiness.ready()) {
      const error = notReadyError(readiness);
      for (const job of jobs) job.reject(error);
      return;
    }
    let outcomes: Outcome[];
    const before = head;
    try {
      outcomes = commitGroup(jobs);
    } catch (cause) {
      // The commit itself failed (disk full, I/O error): nothing of this group was written.
      head = before;
      const error = new LedgerError('LEDGER_UNAVAILABLE', `commit failed: ${(cause as Error).message}`, { cause });
      // Not a refused entry: nothing can be written until an operator frees space or makes the
      // store writable. /readyz says so (writes are refused with LEDGER_NOT_READY until a restart).
      if (isUnwritable(cause)) holdUnwritable(cause);
      tell((o) => o.commitFailed());
      for (const job of jobs) job.reject(error);
      return;
    }
    // Rejections wait for the sync too: they may depend on entries of this very commit.
    const settle = (failure?: LedgerError) =>
      jobs.forEach((job, i) => {
        const o = outcomes[i]!;
        if (failure !== undefined) job.reject(failure);
        else if (o.ok) job.resolve(o.receipts);
        else job.reject(o.error);
      });
    unsynced.push({ settle, head, records: head.size - before.size, committedAt: performance.now() });
    startSync();
  }

  /** One sync at a time; it covers every group committed before it started. */
  function startSync(): void {
    if (syncing !== undefined || unsynced.length === 0) return;
    const covered = unsynced;
    unsynced = [];
    syncing = store.sync().then(
      () => {
        durable = covered.at(-1)!.head;
        for (const group of covered) group.settle();
        const at = performance.now();
        for (const group of covered) tell((o) => o.durable(group.records, at - group.committedAt));
        releaseBarriers();
      },
      (cause: unknown) => {
        // After a failed fsync the kernel may have dropped the dirty pages: what is committed is
        // no longer known to be on disk. Stop writing (as PostgreSQL does) rather than guess; on
        // restart the start-up check and SQLite's recovery decide what survived.
        failed = new LedgerError('LEDGER_UNAVAILABLE', `the ledger stopped accepting writes: syncing to disk failed (${(cause as Error).message}); restart it`, { cause });
        readiness.hold('sync-failed', failed.message);
        tell((o) => o.syncFailed());
        for (const group of [...covered, ...unsynced]) group.settle(failed);
        unsynced = [];
        releaseBarriers();
      },
    ).finally(() => {
      syncing = undefined;
      if (failed === undefined) {
        scheduleCheckpoint();
        startSync();
      }
    });
  }

  function scheduleCheckpoint(): void {
    const latest = latestCp;
    if (closed || (latest !== undefined && latest.size >= durable.size) || checkpointTimer !== undefined) return;
    const wait = lastCheckpointAt + checkpointInterval - now();
    if (wait <= 0) {
      signScheduledCheckpoint();
      return;
    }
    checkpointTimer = setTimeout(() => {
      checkpointTimer = undefined;
      if (!closed) signScheduledCheckpoint();
    }, wait);
    checkpointTimer.unref();
  }

  /** An automatic checkpoint runs on a timer: a store that cannot be written is reported, not thrown. */
  function signScheduledCheckpoint(): void {
    try {
      signCheckpointNow();
    } catch (e) {
      // From a timer: never throw. An unwritable store holds writes back; anything else (e.g. the
      // served-checkpoint file cannot be written) is tried again after the next sync, and a reader
      // asking for the checkpoint gets the error.
      if (isUnwritable(e)) holdUnwritable(e);
    }
  }

  function holdUnwritable(e: unknown): void {
    readiness.hold('store-unwritable', `${(e as Error).message}; fix it and restart the service`);
  }

  /** Sign a checkpoint of the durable head, after proving it consistent with the previous one. */
  function signCheckpointNow(): StoredCheckpoint {
    const size = durable.size;
    const root = frontierRoot(durable.frontier, size);
    const previous = latestCp;
    if (previous !== undefined) {
      if (previous.size === size && equalBytes(previous.root, root)) return previous;
      // The ledger never signs two inconsistent checkpoints: prove it from the stored tree first.
      verifyConsistency(previous.size, size, consistencyProof(readNode, previous.size, size), previous.root, root);
    }
    // Never sign what the start-up verification has not (yet) found intact: that would launder a tamper.
    if (!verification.passed()) throw notReadyError(readiness);
    const note = signCheckpoint({ origin, size, root }, { name: origin, seed: ledgerSeed }, ed);
    const cp: StoredCheckpoint = { size, root, note, signedAt: new Date(now()).toISOString() };
    // On disk beside the database before anyone can see it.
    writeServed(note);
    store.transaction(() => store.insertCheckpoint(cp));
    latestCp = cp;
    // Losing this row in a crash is harmless (the same size re-signs to the same note), so the
    // sync is not awaited; it only keeps the history complete.
    store.sync().catch(() => undefined);
    lastCheckpointAt = now();
    return cp;
  }

  function recordView(r: StoredRecord): RecordView {
    return {
      record: JSON.parse(new TextDecoder().decode(r.leaf)) as LedgerRecord,
      leafHash: toHex(r.leafHash),
      chainHash: toHex(r.chainHash),
    };
  }

  /**
   * Trace answers are a function of the log: cache them per (kind, code) until the log grows. The
   * demo's and a busy product's answers are then computed once per change, not per scan.
   */
  const answers = new Map<string, unknown>();
  let answersAt = -1;
  function cached<T>(kind: string, code: string, compute: () => T): T {
    if (answersAt !== head.size) {
      answers.clear();
      answersAt = head.size;
    }
    // By canonical code (any spelling finds the answer); a bounded number, since one answer about
    // a thousand-ancestor product is megabytes. An invalid code fails in compute() with its reason.
    let canonical: string;
    try {
      canonical = canonicalCode(code);
    } catch {
      return store.readTransaction(compute);
    }
    const key = `${kind}\u0000${canonical}`;
    let v = answers.get(key) as T | undefined;
    if (v === undefined) {
      v = store.readTransaction(compute);
      if (answers.size >= 256) answers.delete(answers.keys().next().value!);
      answers.set(key, v);
    }
    return v;
  }

  function releaseBarriers(): void {
    const ready = barrierWaiters.filter((w) => w.size <= durable.size || failed !== undefined);
    barrierWaiters = barrierWaiters.filter((w) => !ready.includes(w));
    ready.forEach((w) => w.resolve());
  }

  /**
   * Projections are written with their records, before the sync that makes them durable. A query
   * waits (about one fsync at most) until everything it could see is on disk, so no answer shows
   * an effect that a crash could still take back.
   */
  function durableBarrier(): Promise<void> {
    if (head.size <= durable.size || failed !== undefined) return Promise.resolve();
    return new Promise((resolve) => barrierWaiters.push({ size: head.size, resolve }));
  }

  function checkSize(size: number, what: string): void {
    if (!Number.isSafeInteger(size) || size < 0) throw new LedgerError('LEDGER_PROOF_RANGE', `${what} must be a non-negative integer`);
    if (size > durable.size) throw new LedgerError('LEDGER_PROOF_RANGE', `${what} ${size} is beyond the log (size ${durable.size})`);
  }

  const ledger = {
    origin,
    verifierKey,
    ledgerPublicKey,
    maxBatchEntries: maxBatch,
    /** What keeps writes refused now, if anything (`/readyz`). */
    readiness,

    /** Records on disk (what reads and proofs show). */
    size: () => durable.size,

    /** Submissions taken and not yet answered (the queue depth of `/metrics`). */
    pendingSubmissions: () => pending,

    /** Tell `observer` about commits and failures from now on; returns the function that stops it. */
    observe(observer: LedgerObserver): () => void {
      observers.add(observer);
      return () => void observers.delete(observer);
    },
    /**
     * Settles when the start-up verification of the whole log ends: resolves when it checked out
     * (writes are taken from then on), rejects with LEDGER_STORE_CORRUPT naming the seq otherwise.
     */
    verified,

    /** Write the genesis entry of an empty log and its first checkpoint. */
    async initGenesis(opts: GenesisOptions): Promise<Receipt> {
      if (head.size !== 0) throw new LedgerError('LEDGER_PERMISSION_DENIED', 'the log already has a genesis entry');
      const payload = {
        type: 'ledger.genesis',
        id: 'genesis',
        signer: LEDGER_SIGNER,
        time: new Date(now()).toISOString(),
        origin,
        ledgerKey: verifierKey,
        ledgerPublicKey: toBase64UrlKey(ledgerPublicKey),
        operator: { id: opts.operator.id, name: opts.operator.name, publicKey: toBase64UrlKey(opts.operator.publicKey) },
      } as const;
      store.transaction(() => store.setMeta('origin', origin));
      const [receipt] = await ledger.submit([signEntry(payload, ledgerSeed, ed)]);
      signCheckpointNow();
      return receipt!;
    },

    /**
     * Submit a batch of entries; resolves once they are durable. Atomic: either every entry is
     * appended (or recognised as an identical resubmission) or none is.
     * @throws LedgerError (the first violated rule; in a batch of several, details.index names the entry)
     */
    submit(values: readonly unknown[]): Promise<Receipt[]> {
      if (closed) return Promise.reject(new LedgerError('LEDGER_UNAVAILABLE', 'the ledger is closed'));
      if (failed !== undefined) return Promise.reject(failed);
      if (!readiness.ready()) return Promise.reject(notReadyError(readiness));
      if (values.length === 0) return Promise.reject(new LedgerError('LEDGER_ENTRY_INVALID', 'empty batch'));
      if (values.length > maxBatch) {
        return Promise.reject(new LedgerError('LEDGER_BATCH_TOO_LARGE', `a batch may carry at most ${maxBatch} entries, got ${values.length}`));
      }
      const batch = values.length > 1;
      let prepared: Array<Prepared & { publicKey: Uint8Array | undefined }>;
      try {
        prepared = values.map((v, i) => {
          try {
            return prepare(v, batch ? `entries[${i}]` : 'entry');
          } catch (e) {
            throw withIndex(e, i, batch);
          }
        });
      } catch (e) {
        return Promise.reject(e);
      }
      const enqueue = (entries: readonly Prepared[]) =>
        new Promise<Receipt[]>((resolve, reject) => {
          queue.push({ entries, resolve, reject });
          if (!flushScheduled) {
            flushScheduled = true;
            setImmediate(flush);
          }
        });
      pending++;
      const answered = verifyMany === undefined ? enqueue(prepared) : verifyOffThread(prepared, batch).then(enqueue);
      return answered.finally(() => pending--);
    },

    /** The latest checkpoint; signs one now when `minSize` asks for records it does not cover yet. */
    checkpoint(minSize = 0): StoredCheckpoint {
      const latest = latestCp;
      if (latest !== undefined && latest.size >= Math.min(minSize, durable.size)) return latest;
      return signCheckpointNow();
    },

    checkpointHistory: (limit: number, beforeSize?: number) => store.checkpoints(limit, beforeSize),

    /**
     * Read-only access to the stored log for audit bundles (src/audit/bundle.ts). It may show
     * records committed but not yet durable: exports read only below a checkpoint's size.
     */
    auditReader: (): AuditReader => store,

    record(seq: number): RecordView {
      const r = Number.isSafeInteger(seq) && seq >= 0 && seq < durable.size ? store.record(seq) : undefined;
      if (r === undefined) throw new LedgerError('LEDGER_ENTRY_NOT_FOUND', `no record with seq ${seq} (the log has ${durable.size})`);
      return recordView(r);
    },

    records: (after: number, limit: number): RecordView[] =>
      store.records(after, Math.max(0, Math.min(limit, durable.size - 1 - after))).map(recordView),

    seqOfLeafHash(leafHashHex: string): number {
      const seq = /^[0-9a-f]{64}$/i.test(leafHashHex) ? store.seqOfLeafHash(Buffer.from(leafHashHex, 'hex')) : undefined;
      if (seq === undefined || seq >= durable.size) throw new LedgerError('LEDGER_ENTRY_NOT_FOUND', `no record with leaf hash ${leafHashHex}`);
      return seq;
    },

    /** Audit path for `seq` in the tree of `size` (default: the latest checkpoint's size). */
    inclusionProof(seq: number, size?: number): InclusionProof {
      const treeSize = size ?? latestCp?.size ?? durable.size;
      checkSize(treeSize, 'size');
      if (!Number.isSafeInteger(seq) || seq < 0 || seq >= treeSize) {
        throw new LedgerError('LEDGER_PROOF_RANGE', `seq ${seq} is not in a tree of size ${treeSize}`);
      }
      return {
        seq,
        treeSize,
        leafHash: toHex(store.node(0, seq)),
        rootHash: toBase64(treeSize === durable.size ? frontierRoot(durable.frontier, treeSize) : rootAt(readNode, treeSize)),
        hashes: inclusionProof(readNode, seq, treeSize).map(toBase64),
      };
    },

    consistencyProof(from: number, to?: number): ConsistencyProofResult {
      const toSize = to ?? latestCp?.size ?? durable.size;
      checkSize(from, 'from');
      checkSize(toSize, 'to');
      if (from > toSize) throw new LedgerError('LEDGER_PROOF_RANGE', `from (${from}) is greater than to (${toSize})`);
      return {
        from,
        to: toSize,
        fromRoot: toBase64(rootAt(readNode, from)),
        toRoot: toBase64(toSize === durable.size ? frontierRoot(durable.frontier, toSize) : rootAt(readNode, toSize)),
        hashes: consistencyProof(readNode, from, toSize).map(toBase64),
      };
    },

    participants: (): ParticipantView[] => store.participants().map(participantView),

    participant(id: string): ParticipantView {
      const p = store.participant(id);
      if (p === undefined) throw new LedgerError('LEDGER_PARTICIPANT_NOT_FOUND', `no participant "${id}"`);
      return participantView(p);
    },

    /** Current state of an object: what it is, who holds how much, where it is packed. */
    async object(code: string) {
      await durableBarrier();
      const o = requireCode(store, code);
      const holdings = store.holdingsOf([o.code]);
      return {
        ...upstreamSummary(o),
        holders: holdings.map((h) => {
          const customer = parseCustomerHolder(h.holder);
          return customer === undefined
            ? { holder: h.holder, quantity: { value: h.quantity / 1e6, unit: o.unit } }
            : { customer: customer.recipient, deliveredBy: customer.deliverer, quantity: { value: h.quantity / 1e6, unit: o.unit } };
        }),
        packedIn: store.containersOf(o.code).map((c) => ({ parent: c.parent, quantity: { value: c.quantity / 1e6, unit: o.unit } })),
        contents: store.contents(o.code).filter((c) => c.quantity > 0).map((c) => ({ child: c.child, quantity: c.quantity / 1e6 })),
        recalled: o.recalledSeq !== null,
      };
    },
    async upstream(code: string) {
      await durableBarrier();
      return cached('up', code, () => upstream(store, code));
    },
    async downstream(code: string) {
      await durableBarrier();
      return cached('down', code, () => downstream(store, code));
    },
    /** The shipment dispatched at seq, retracted or not (the handoff report's subject). */
    async shipment(seq: number) {
      await durableBarrier();
      return shipmentAt(store, seq);
    },
    async history(code: string) {
      await durableBarrier();
      return cached('history', code, () => history(store, code));
    },
    async footprint(code: string) {
      await durableBarrier();
      return cached('footprint', code, () => pactFootprint(store, code, durable.size, new Date(now()).toISOString()));
    },

    /** What a customer or a machine needs first about an object (the resolver's JSON answer). */
    async summary(code: string, extra: { resolvedFrom?: string | undefined; links?: unknown } = {}) {
      await durableBarrier();
      const up = cached('up', code, () => upstream(store, code));
      const down = cached('down', code, () => downstream(store, code));
      // The journey below cites downstream entries: their recovery-key flags belong here too.
      const upKeyFlags = new Set(up.flags.filter((f) => f['kind'] === 'operator_added_key').map((f) => f['seq']));
      const flags = [...up.flags, ...down.flags.filter((f) => f.kind === 'operator_added_key' && !upKeyFlags.has(f.seq))];
      return {
        code: up.code,
        ...(extra.resolvedFrom === undefined ? {} : { resolvedFrom: extra.resolvedFrom, note: 'this serial was never commissioned on its own: the answer is about its lot' }),
        object: up.object,
        status: flags.length === 0 ? 'ok' : flags.some((f) => f['kind'] === 'recall') ? 'recalled' : 'warning',
        flags,
        footprint: up.footprint,
        provenance: up.nodes.slice(1).map((n) => ({ code: n.code, depth: n.depth, level: n.level, product: n.product.name, producer: n.producer, inspections: n.inspections.map((i) => ({ result: i.result, seq: i.seq })) })),
        journey: down.shipments.map((s) => ({ seq: s.seq, from: s.sender, to: s.receiver, status: s.status, dispatchedAt: s.dispatchedAt, receivedAt: s.receivedAt })),
        deliveries: down.deliveries.map((d) => ({ seq: d.seq, status: d.status, time: d.time })),
        verification: { ledgerKey: verifierKey, evidence: `/v1/objects/${encodeURIComponent(up.code)}/evidence` },
        ...(extra.links === undefined ? {} : { links: extra.links }),
      };
    },

    /** Certificates (commissioned with objects, or on inspections) of the object and its ancestors. */
    async certificates(code: string) {
      await durableBarrier();
      const up = cached('up', code, () => upstream(store, code));
      return {
        code: up.code,
        certificates: up.nodes.flatMap((n) => [
          ...n.certificates.map((c) => ({ code: n.code, depth: n.depth, ...c })),
          ...n.inspections.filter((i) => i.certificate !== undefined).map((i) => ({ code: n.code, depth: n.depth, ...i.certificate!, seq: i.seq })),
        ]),
        inspections: up.nodes.flatMap((n) => n.inspections.map((i) => ({ code: n.code, depth: n.depth, ...i }))),
      };
    },

    /** Is the object, or anything it was made from, recalled or failed an inspection? */
    async recallStatus(code: string) {
      await durableBarrier();
      const up = cached('up', code, () => upstream(store, code));
      return {
        code: up.code,
        recalled: up.flags.some((f) => f['kind'] === 'recall'),
        failedInspection: up.flags.some((f) => f['kind'] === 'failed_inspection'),
        flags: up.flags,
        asOfSize: durable.size,
      };
    },

    /**
     * Everything a verifier needs to check what the upstream and downstream answers for `code`
     * rest on, trusting nothing but the pinned ledger key: a checkpoint signed by it, and every
     * cited record with its inclusion proof in that checkpoint's tree, plus the records that
     * register the signers' keys (down to genesis, which carries the operator's key).
     */
    async evidence(code: string, options: { maxRecords?: number } = {}) {
      await durableBarrier();
      const up = upstream(store, code);
      const down = downstream(store, code);
      const seqs = new Set<number>([0]);
      const add = (s: number | null | undefined) => {
        if (typeof s === 'number') seqs.add(s);
      };
      for (const n of up.nodes) {
        add(n.createdSeq);
        n.inputs.forEach((i) => ('seq' in i ? add(i.seq) : i.seqs.forEach(add)));
        n.inspections.forEach((i) => add(i.seq));
        n.recalls.forEach((r) => add(r.seq));
      }
      for (const sh of down.shipments) {
        add(sh.seq);
        add(sh.receivedSeq);
        sh.timeline.forEach((t) => add(t.seq));
      }
      down.deliveries.forEach((d) => add(d.seq));
      down.derived.forEach((d) => add(d.createdSeq));
      down.impact.recalls.forEach((r) => add(r.seq));
      // The signers' registrations and keys, so every signature can be checked from the log alone.
      const signers = new Set<string>();
      for (const s of seqs) signers.add(store.payloadAt(s).signer);
      for (const id of signers) {
        const p = store.participant(id);
        if (p === undefined) continue;
        add(p.registeredSeq);
        for (const k of store.keysOf(id)) {
          add(k.addedSeq);
          add(k.revokedSeq);
        }
      }
      for (const s of [...seqs]) if (store.payloadAt(s).type === 'participant.register') add(0);
      const max = options.maxRecords ?? 5000;
      if (seqs.size > max) throw new LedgerError('LEDGER_QUERY_INVALID', `the evidence for ${up.code} has ${seqs.size} records, more than ${max}: export a bundle instead`);
      const sorted = [...seqs].sort((a, b) => a - b);
      const cp = ledger.checkpoint(sorted.at(-1)! + 1);
      return {
        code: up.code,
        ledgerKey: verifierKey,
        checkpoint: cp.note,
        treeSize: cp.size,
        records: sorted.map((seq) => {
          const r = store.record(seq)!;
          return {
            seq,
            record: JSON.parse(new TextDecoder().decode(r.leaf)) as LedgerRecord,
            leafHash: toHex(r.leafHash),
            inclusion: inclusionProof(readNode, seq, cp.size).map(toBase64),
          };
        }),
      };
    },

    /** Stop accepting writes, sign a final checkpoint of what was committed. */
    async close(): Promise<void> {
      if (closed) return;
      while (queue.length > 0 || flushScheduled || syncing !== undefined || unsynced.length > 0) {
        await (syncing ?? new Promise((r) => setImmediate(r)));
      }
      closed = true;
      readiness.hold('closing', 'the ledger is shutting down');
      if (checkpointTimer) clearTimeout(checkpointTimer);
      if (!verification.passed()) await verification.cancel();
      if (durable.size > 0 && failed === undefined && verification.passed()) {
        signCheckpointNow();
        await store.sync();
      }
    },
  };

  function upstreamSummary(o: ReturnType<typeof requireCode>) {
    return {
      code: o.code, level: o.level, product: o.spec.product, producer: o.producer, quantity: { value: o.quantity / 1e6, unit: o.unit },
      createdSeq: o.createdSeq, createdBy: o.createdBy, recalledSeq: o.recalledSeq,
      ...(o.spec.attributes === undefined ? {} : { attributes: o.spec.attributes }),
      ...(o.spec.certificates === undefined ? {} : { certificates: o.spec.certificates }),
      ...(o.spec.footprint === undefined ? {} : { declaredFootprint: o.spec.footprint }),
    };
  }

  function participantView(p: ParticipantRecord): ParticipantView {
    return {
      ...p,
      keys: store.keysOf(p.id).map((k) => ({
        kid: k.kid,
        publicKey: toBase64UrlKey(k.publicKey),
        addedSeq: k.addedSeq,
        revokedSeq: k.revokedSeq,
        valid: k.revokedSeq === null,
        addedBy: k.addedBy,
        operatorAdded: k.operatorAdded,
      })),
      prefixes: store.prefixesOf(p.id) ?? null,
      delegatedPrefixes: store.delegationsTo(p.id).map((d) => ({ prefix: d.prefix, from: d.grantor, seq: d.seq, until: d.until })),
    };
  }

  return ledger;
}

const toBase64UrlKey = (k: Uint8Array): string => Buffer.from(k).toString('base64url');

/** The store cannot be written at all (disk full, read-only): the commit failed, no entry was at fault. */
const isUnwritable = (e: unknown): boolean => e instanceof LedgerError && e.code === 'LEDGER_STORE_UNWRITABLE';

export type Ledger = ReturnType<typeof openLedger>;

/** What an audit export reads: records, stored Merkle nodes, the registry and the trace projections. */
export type AuditReader = TraceReader & Pick<LedgerStore, 'record' | 'records' | 'node' | 'signersBetween' | 'keysOf'>;

/**
 * Recreate every derived table (registry and traceability projections) from the log alone, in one
 * transaction: either the rebuilt tables replace the old ones or nothing changes. The rules run
 * again on every entry; one that no longer holds means the log and this program disagree, and is
 * reported with its seq.
 * @throws LedgerError LEDGER_STORE_CORRUPT naming the first record that does not replay
 */
export function rebuildDerived(store: LedgerStore, onProgress?: (done: number, total: number) => void): { records: number } {
  const total = store.size();
  store.transaction(() => {
    store.clearDerived();
    let seq = 0;
    // In pages: SQLite refuses writes on a connection while one of its statements is iterating.
    for (let page = store.records(-1, 1000); page.length > 0; page = store.records(page.at(-1)!.seq, 1000))
    for (const r of page) {
      let payload: Payload;
      try {
        payload = (JSON.parse(new TextDecoder().decode(r.leaf)) as LedgerRecord).entry.payload as unknown as Payload;
        store.applyEffects(registryEffects(store, payload, r.seq));
        store.applyDomainEffects(domainEffects(store, payload, r.seq));
      } catch (e) {
        throw new LedgerError('LEDGER_STORE_CORRUPT', `record ${r.seq} does not replay: ${(e as Error).message}`, { cause: e, details: { seq: r.seq } });
      }
      seq++;
      if (onProgress !== undefined && (seq % 10_000 === 0 || seq === total)) onProgress(seq, total);
    }
  });
  return { records: total };
}
