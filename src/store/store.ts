/**
 * The storage interface the ledger needs. SQLite (sqlite.ts) implements it today; another engine
 * (PostgreSQL) implements the same interface without touching core, domain or HTTP.
 *
 * Writes happen only inside `transaction`, which the ledger uses for group commit: one commit for
 * every submission that arrived during the previous one. Inside it, `savepoint` makes each
 * submitted batch atomic on its own, so a rejected batch leaves no trace while the others in the
 * same commit go through; the ledger uses it only once a group had a rejection, because a
 * savepoint makes the engine keep the prior image of every page it touches. Reads inside a
 * transaction see its earlier writes.
 *
 * A commit is atomic but not yet durable; `sync()` makes every transaction committed before the
 * call durable (on disk), without blocking the event loop. Nothing is acknowledged before it.
 */
import type { RegistryEffect, RegistryView, ParticipantRecord, KeyRecord } from '../domain/registry.js';
import type { DomainEffect, DomainView } from '../domain/rules.js';
import type { TraceReader } from '../domain/trace.js';

export interface StoredRecord {
  readonly seq: number;
  /** JCS(record): exactly the bytes the leaf hash covers. */
  readonly leaf: Uint8Array;
  readonly leafHash: Uint8Array;
  readonly chainHash: Uint8Array;
}

export interface NewRecord extends StoredRecord {
  readonly signer: string;
  readonly entryId: string;
  readonly type: string;
  /** SHA-256 of JCS(payload): how an identical resubmission is recognised. */
  readonly payloadHash: Uint8Array;
}

export interface EntryRef {
  readonly seq: number;
  readonly payloadHash: Uint8Array;
}

export interface MerkleNode {
  readonly level: number;
  readonly index: number;
  readonly hash: Uint8Array;
}

/** One row of a derived table: its primary key, and one text of every column (compared as is). */
export interface DerivedRow {
  readonly key: readonly unknown[];
  readonly text: string;
}

export interface StoredCheckpoint {
  readonly size: number;
  readonly root: Uint8Array;
  readonly note: string;
  readonly signedAt: string;
}

/**
 * The log itself: records appended in seq order and looked up by seq, leaf hash or (signer, id).
 * The ledger appends through it; the audit exports and proofs read it.
 */
export interface RecordLog {
  /** Number of records (the next seq). */
  size(): number;
  /**
   * Rows actually stored in the log; equals size() unless a record was deleted behind the
   * ledger's back (the start-up check compares the two).
   */
  recordCount(): number;
  record(seq: number): StoredRecord | undefined;
  /** Up to `limit` records with seq > after (after = -1 for the start). */
  records(after: number, limit: number): StoredRecord[];
  /** Records with seq in [from, to), in order, without materialising them all. */
  iterateRecords(from: number, to: number): IterableIterator<StoredRecord>;
  /** Distinct signers of the records with seq in [from, to) (audit exports of a range). */
  signersBetween(from: number, to: number): string[];
  seqOfLeafHash(leafHash: Uint8Array): number | undefined;
  /** How a replayed (signer, id) is recognised: the record that already carries it, if any. */
  entryBySignerId(signer: string, id: string): EntryRef | undefined;
  insertRecord(record: NewRecord): void;
}

/** The stored Merkle tree (RFC 6962 §2.1): the hash of every completed perfect subtree. */
export interface MerkleNodeStore {
  /** Hash of the perfect subtree (level, index); level 0 is the leaf hash. */
  node(level: number, index: number): Uint8Array;
  insertNodes(nodes: readonly MerkleNode[]): void;
}

/** Signed checkpoints (append-only) and the small key/value settings of the ledger (origin, …). */
export interface CheckpointLog {
  latestCheckpoint(): StoredCheckpoint | undefined;
  checkpoints(limit: number, beforeSize?: number): StoredCheckpoint[];
  insertCheckpoint(cp: StoredCheckpoint): void;
  meta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
}

/**
 * The state derived from the log (registry and traceability projections): read by the rules and
 * the queries, changed only by the effects of appended entries, and rebuilt from the log when in
 * doubt (src/ledger/derived-state.ts).
 */
export interface DerivedStateStore extends RegistryView, DomainView {
  participants(): ParticipantRecord[];
  keysOf(participant: string): KeyRecord[];
  applyEffects(effects: readonly RegistryEffect[]): void;
  applyDomainEffects(effects: readonly DomainEffect[]): void;
  /** Every derived (projection and registry) row, ordered, for comparing a rebuild with the live tables. */
  dumpProjections(): Record<string, unknown[]>;
  /**
   * The derived tables (registry and projections) the derived-state checks read
   * (src/ledger/derived-state.ts), in the order they take them: those `dumpProjections()` dumps.
   */
  derivedTables(): readonly string[];
  /**
   * Up to `limit` rows of a derived table in primary-key order, after the row keyed `after` (from
   * the start when undefined); with `upTo`, every row after `after` up to and including `upTo`.
   */
  derivedPage(table: string, after: readonly unknown[] | undefined, limit: number, upTo?: readonly unknown[]): DerivedRow[];
  /** Empty every derived table (registry and projections), inside a transaction, before a rebuild. */
  clearDerived(): void;
}

/** Transactions, durability and the store's life: see the comment at the top of this file. */
export interface StoreLifecycle {
  /**
   * The database file, when the store is one another connection can open (the start-up
   * verification reads it on a worker thread, and the served checkpoint is kept beside it).
   */
  readonly file?: string | undefined;
  transaction<T>(fn: () => T): T;
  /** Run reads in one read transaction (a consistent snapshot, and cheaper statements). */
  readTransaction<T>(fn: () => T): T;
  savepoint<T>(fn: () => T): T;
  /** Resolves once every transaction committed before the call is on disk. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Everything the ledger needs of a store. A consumer that needs less asks for less: the proofs a
 * `MerkleNodeStore`, the exports a `RecordLog`, the trace queries a `TraceReader`.
 */
export interface LedgerStore extends RecordLog, MerkleNodeStore, CheckpointLog, DerivedStateStore, TraceReader, StoreLifecycle {}
