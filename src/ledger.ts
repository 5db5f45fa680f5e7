/**
 * The ledger application, composed: verify → check rules → sequence → group commit → durable
 * receipt (src/ledger/sequencer.ts); checkpoints (src/ledger/checkpoints.ts); proofs
 * (src/ledger/proofs.ts); reads (src/ledger/queries/). This file wires them over one store and
 * names what the rest of the service may use: the `Ledger` interface.
 *
 * Two heads (src/ledger/heads.ts): the committed head is what the sequencer appends to; the
 * durable head is what is on disk. Reads, proofs and checkpoints only ever show the durable head,
 * so nothing anyone saw or any checkpoint signed can be lost in a crash.
 */
import type { Ed25519 } from './core/ed25519.js';
import { LedgerError } from './core/errors.js';
import { formatVerifierKey } from './core/note.js';
import type { TraceReader } from './domain/trace.js';
import { createAdmission } from './ledger/admission.js';
import { createCheckpoints } from './ledger/checkpoints.js';
import { createDurability } from './ledger/durability.js';
import { genesisEntry, type GenesisOptions } from './ledger/genesis.js';
import { headsAt } from './ledger/heads.js';
import { createObservers, type LedgerObserver } from './ledger/observers.js';
import { cachedNodeReader, createProofs, type ConsistencyProofResult, type InclusionProof } from './ledger/proofs.js';
import { createAnswerCache } from './ledger/queries/answer-cache.js';
import { createEvidence, type Evidence } from './ledger/queries/evidence.js';
import {
  createObjectQueries,
  type ObjectQueries,
  type CertificatesAnswer,
  type DownstreamAnswer,
  type FootprintAnswer,
  type HistoryAnswer,
  type ObjectState,
  type ObjectSummary,
  type RecallStatus,
  type ShipmentAnswer,
  type UpstreamAnswer,
} from './ledger/queries/objects.js';
import { createParticipantQueries, type ParticipantView } from './ledger/queries/participants.js';
import { createRecordQueries, type RecordView } from './ledger/queries/records.js';
import { createReadiness, type Readiness } from './ledger/readiness.js';
import type { Receipt } from './ledger/sequence.js';
import { createSequencer } from './ledger/sequencer.js';
import { loadHead } from './ledger/startup-check.js';
import { startVerification } from './ledger/startup-verify.js';
import { openServedFile } from './ledger/served-file.js';
import { nodeEd25519 } from './platform/node-crypto.js';
import type { VerifyMany } from './platform/verify-pool.js';
import type { LedgerStore, StoredCheckpoint } from './store/store.js';

export type { ConsistencyProofResult, GenesisOptions, InclusionProof, LedgerObserver, ParticipantView, Receipt, RecordView };
export type { CertificatesAnswer, DownstreamAnswer, Evidence, FootprintAnswer, HistoryAnswer, ObjectState, ObjectSummary, RecallStatus, ShipmentAnswer, UpstreamAnswer };
export { rebuildDerived } from './ledger/rebuild.js';

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
   * Conditions under which writes are refused (src/ledger/readiness.ts); the ledger holds 'sync-failed'
   * and 'closing' itself, others (start-up verification, lock, background verifier) are held by
   * their owners. Default: a fresh one, ready.
   */
  readonly readiness?: Readiness;
  /**
   * Where the start-up verification scans the log (src/ledger/startup-verify.ts): on a worker thread
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

/** What an audit export reads: records, stored Merkle nodes, the registry and the trace projections. */
export type AuditReader = TraceReader & Pick<LedgerStore, 'record' | 'records' | 'node' | 'signersBetween' | 'keysOf'>;

/** An open ledger: what the HTTP app, the CLI and the audit tools may use. */
export interface Ledger extends ObjectQueries {
  /** C2SP checkpoint origin of this log. */
  readonly origin: string;
  /** The ledger's C2SP verifier key (`<origin>+<hash>+<key>`). */
  readonly verifierKey: string;
  /** The ledger's Ed25519 public key. */
  readonly ledgerPublicKey: Uint8Array;
  /** Largest batch one submission may carry. */
  readonly maxBatchEntries: number;
  /** What keeps writes refused now, if anything (`/readyz`). */
  readonly readiness: Readiness;
  /**
   * Settles when the start-up verification of the whole log ends: resolves when it checked out
   * (writes are taken from then on), rejects with LEDGER_STORE_CORRUPT naming the seq otherwise.
   */
  readonly verified: Promise<void>;
  /** Records on disk (what reads and proofs show). */
  size(): number;
  /** Submissions taken and not yet answered (the queue depth of `/metrics`). */
  pendingSubmissions(): number;
  /** Tell `observer` about commits and failures from now on; returns the function that stops it. */
  observe(observer: LedgerObserver): () => void;
  /**
   * Write the genesis entry of an empty log and its first checkpoint.
   * @throws LedgerError LEDGER_PERMISSION_DENIED when the log already has one
   */
  initGenesis(opts: GenesisOptions): Promise<Receipt>;
  /**
   * Submit a batch of entries; resolves once they are durable. Atomic: either every entry is
   * appended (or recognised as an identical resubmission) or none is.
   * @throws LedgerError (the first violated rule; in a batch of several, details.index names the entry)
   */
  submit(values: readonly unknown[]): Promise<Receipt[]>;
  /** The latest checkpoint; signs one now when `minSize` asks for records it does not cover yet. */
  checkpoint(minSize?: number): StoredCheckpoint;
  /** Signed checkpoints, newest first, up to `limit`, below `beforeSize` when given. */
  checkpointHistory(limit: number, beforeSize?: number): StoredCheckpoint[];
  /**
   * Read-only access to the stored log for audit bundles (src/audit/bundle.ts). It may show
   * records committed but not yet durable: exports read only below a checkpoint's size.
   */
  auditReader(): AuditReader;
  /** The durable record at `seq`. @throws LedgerError LEDGER_ENTRY_NOT_FOUND */
  record(seq: number): RecordView;
  /** Up to `limit` durable records after seq `after`. */
  records(after: number, limit: number): RecordView[];
  /** The seq of the durable record with this leaf hash (hex). @throws LedgerError LEDGER_ENTRY_NOT_FOUND */
  seqOfLeafHash(leafHashHex: string): number;
  /** Audit path for `seq` in the tree of `size` (default: the latest checkpoint's size). @throws LedgerError LEDGER_PROOF_RANGE */
  inclusionProof(seq: number, size?: number): InclusionProof;
  /** Consistency proof between two tree sizes (`to` default: the latest checkpoint's size). @throws LedgerError LEDGER_PROOF_RANGE */
  consistencyProof(from: number, to?: number): ConsistencyProofResult;
  /** Every registered participant with its keys, prefixes and delegations. */
  participants(): ParticipantView[];
  /** One participant. @throws LedgerError LEDGER_PARTICIPANT_NOT_FOUND */
  participant(id: string): ParticipantView;
  /**
   * Everything a verifier needs to check the upstream and downstream answers for `code`: a signed
   * checkpoint and every cited record (and its signers' key registrations) with inclusion proofs.
   * @throws LedgerError LEDGER_QUERY_INVALID when more than `maxRecords` (default 5000) are needed
   */
  evidence(code: string, options?: { maxRecords?: number }): Promise<Evidence>;
  /** Stop accepting writes, sign a final checkpoint of what was committed. */
  close(): Promise<void>;
}

/**
 * Open a ledger over a store. At once it checks the stored head (src/ledger/startup-check.ts) and
 * the served checkpoint kept beside the database (src/ledger/served-file.ts), and refuses a
 * corrupted or rolled-back log. Then, before it accepts a write, it recomputes the whole chain and
 * tree from the records and compares them with every stored checkpoint
 * (src/ledger/startup-verify.ts), serving reads meanwhile: `verified` says how that ended. The
 * full check (signatures, derived tables) is `trace-ledger verify --db`.
 * @throws LedgerError LEDGER_STORE_CORRUPT
 */
export function openLedger(options: LedgerOptions): Ledger {
  const { store, origin, ledgerSeed } = options;
  const ed = options.ed ?? nodeEd25519;
  const now = options.now ?? Date.now;
  const ledgerPublicKey = ed.publicKey(ledgerSeed);
  const verifierKey = formatVerifierKey(origin, ledgerPublicKey);
  const readiness = options.readiness ?? createReadiness();
  const warn = options.onWarning ?? ((message: string) => process.emitWarning(message));
  const maxBatchEntries = options.maxBatchEntries ?? 1000;
  const readNode = cachedNodeReader(store);

  const heads = headsAt(loadHead({ store, origin, verifierKey, ed, readNode }));
  const served = openServedFile({ store, servedCheckpointFile: options.servedCheckpointFile, verifierKey, ed, head: heads.durable, readNode });
  const verification = startVerification({ store, size: heads.durable.size, readiness, ...(options.startupScan === undefined ? {} : { mode: options.startupScan }) });
  const checkpoints = createCheckpoints({
    store, heads, readNode, origin, ledgerSeed, ed, now, served, readiness,
    intervalMs: options.checkpointIntervalMs ?? 1000,
    verificationPassed: () => verification.passed(),
  });
  const observers = createObservers();
  const durability = createDurability({ store, heads, readiness, observers, afterSync: () => checkpoints.schedule() });
  const sequencer = createSequencer({
    store, heads, ed, now, durability, readiness, observers,
    admission: createAdmission({ store, ed, now, maxClockSkewMs: options.maxClockSkewMs ?? 5 * 60_000, verifyMany: options.verifyMany }),
    maxBatchEntries,
  });

  const verified = verification.done.then(() => {
    if (!sequencer.isClosed()) served.createIfMissing(checkpoints.latest(), warn);
  });
  verified.catch(() => undefined); // awaiting it is optional

  const barrier = () => durability.barrier();
  const cache = createAnswerCache(store, () => heads.committed.size);
  return {
    origin,
    verifierKey,
    ledgerPublicKey,
    maxBatchEntries,
    readiness,
    verified,
    size: () => heads.durable.size,
    pendingSubmissions: () => sequencer.pending(),
    observe: (observer) => observers.add(observer),
    async initGenesis(opts) {
      if (heads.committed.size !== 0) throw new LedgerError('LEDGER_PERMISSION_DENIED', 'the log already has a genesis entry');
      const entry = genesisEntry({ origin, verifierKey, ledgerPublicKey, ledgerSeed, ed }, opts, now());
      store.transaction(() => store.setMeta('origin', origin));
      const [receipt] = await sequencer.submit([entry]);
      checkpoints.signNow();
      return receipt!;
    },
    submit: (values) => sequencer.submit(values),
    checkpoint: (minSize = 0) => checkpoints.atLeast(minSize),
    checkpointHistory: (limit, beforeSize) => store.checkpoints(limit, beforeSize),
    auditReader: () => store,
    ...createRecordQueries(store, heads),
    ...createProofs({ store, heads, readNode, latestCheckpoint: () => checkpoints.latest() }),
    ...createParticipantQueries(store),
    ...createObjectQueries({ store, heads, barrier, cache, now, verifierKey }),
    evidence: createEvidence({ store, barrier, readNode, verifierKey, checkpointAtLeast: (minSize) => checkpoints.atLeast(minSize) }),
    async close() {
      if (sequencer.isClosed()) return;
      await sequencer.drain();
      sequencer.close();
      readiness.hold('closing', 'the ledger is shutting down');
      checkpoints.stop();
      if (!verification.passed()) await verification.cancel();
      if (heads.durable.size > 0 && durability.failure() === undefined && verification.passed()) {
        checkpoints.signNow();
        await store.sync();
      }
    },
  };
}
