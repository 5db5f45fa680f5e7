/**
 * The full integrity check of a trace-ledger SQLite file (`trace-ledger verify --db`): finds any
 * change made to the file behind the ledger's back, even by someone who dropped the append-only
 * triggers first. The start-up checks (src/ledger/startup-check.ts, then the scan of every record's
 * hashes in src/audit/log-scan.ts) are the subset run on every open; docs/audit.md says what each
 * catches.
 *
 * Everything is checked from the log itself, trusting only the ledger key (pinned, or taken from
 * the genesis entry):
 * - schema: the tables, indexes and triggers are exactly those the migrations create;
 * - every record in seq order: no gaps, leaf bytes are canonical JSON (RFC 8785) of a record whose
 *   seq is the row's, leaf hash = SHA-256(0x00 ‖ leaf) (RFC 6962 §2.1.1), chain hash links to the
 *   previous row, the index columns agree with the leaf, recordedAt never goes back, and the
 *   entry's signature verifies with the signer's key valid at that seq (the registry is replayed
 *   from the log, not read from its tables);
 * - the Merkle tree: every stored node equals the one recomputed from the leaf hashes, and no
 *   other nodes are stored;
 * - checkpoints: each note verifies with the ledger key, its row agrees with the note, ids have no
 *   gaps (a deleted row), sizes only grow, and the root at each size is the recomputed one;
 * - the served checkpoint kept beside the file (`<db>.checkpoint`), when there is one: signed by
 *   the ledger key, covering no more records than the file has, with the root the file's tree has
 *   at its size (a rolled-back or truncated database is consistent in itself, but not with it);
 * - no entry (signer, id) or leaf appears twice;
 * - derived tables (registry and traceability projections): equal, row for row, to a rebuild from
 *   the log (`rebuildDerived`), naming the table and the row's primary key where they differ.
 *
 * It works on a snapshot: the file is copied with SQLite's online backup in one read transaction
 * (consistent even while the service writes), and the copy is checked and rebuilt, so the original
 * is never written. This file
 * reads SQLite directly rather than through LedgerStore: it audits the file, including rows and
 * columns the store interface never shows (another store engine needs its own audit).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { equalBytes, fromUtf8, toBase64, toHex, utf8 } from '../core/bytes.js';
import type { Ed25519 } from '../core/ed25519.js';
import { signingMessageFromCanonical } from '../core/entry.js';
import { LedgerError, isLedgerError, type LedgerErrorCode } from '../core/errors.js';
import { sha256 } from '../core/hash.js';
import { canonicalize, parseJson } from '../core/jcs.js';
import { appendLeaf, frontierRoot, rootAt, type Frontier } from '../core/merkle.js';
import { parseVerifierKey } from '../core/note.js';
import { originMismatch } from '../core/origin.js';
import { CHAIN_HASH_START } from '../core/record.js';
import { parseEntry, parseTimestamp, type Payload } from '../domain/schemas.js';
import { rebuildDerived } from '../ledger.js';
import { nodeEd25519 } from '../platform/node-crypto.js';
import { DOMAIN_TABLES } from '../store/sqlite-domain.js';
import { PREFIX_TABLES } from '../store/sqlite-prefixes.js';
import { merkleNodeAt, merkleNodesIn, entryKeyOf, leafKeyOf, openSqliteStore, schemaVersionOf } from '../store/sqlite.js';
import { expectedSchemaObjects, inspectSqlite, type InspectedRecord, type SqliteInspection } from '../store/sqlite-inspect.js';
import type { LedgerStore } from '../store/store.js';
import { compareServedCheckpoint, readServedCheckpoint, servedCheckpointPath } from '../store/served-checkpoint.js';
import { checkCheckpoint } from '../verify/checkpoint.js';
import type { CheckFailure, VerifyCode } from '../verify/failure.js';
import { checkChainLink, checkLeafHash } from '../verify/record.js';
import { checkGenesisKey, checkGenesisPosition, isGenesisPosition, missingGenesis, replayRegistry, type RegistryReplay, type TrustedKey } from '../verify/registry.js';
import { checkSignature } from '../verify/signature.js';

/** The name of each check, as reports and tests name them. */
export type DbCheck =
  | 'schema'
  | 'genesis'
  | 'meta'
  | 'seq'
  | 'leaf'
  | 'leaf-seq'
  | 'leaf-hash'
  | 'chain'
  | 'columns'
  | 'recorded-at'
  | 'signature'
  | 'registry'
  | 'merkle'
  | 'checkpoint'
  | 'served-checkpoint'
  | 'duplicate'
  | 'keys'
  | 'replay'
  | 'projection';

export interface DbFailure {
  readonly check: DbCheck;
  /** The record concerned, where there is one. */
  readonly seq?: number;
  /** The table concerned, for rows other than records. */
  readonly table?: string;
  /** The row's key in that table, e.g. `code=…, holder=…` or `level=1, idx=4`. */
  readonly key?: string;
  readonly expected?: string;
  readonly found?: string;
  readonly message: string;
  /** The error code the service would refuse to start with, where there is one (docs/errors.md). */
  readonly code?: LedgerErrorCode;
  /** The record check's code (src/verify, docs/audit.md "Record checks"), when a shared record check failed. */
  readonly verifyCode?: VerifyCode;
}

export interface DbVerifyReport {
  /** True only when no check failed. */
  readonly ok: boolean;
  readonly file: string;
  readonly origin: string | null;
  readonly ledgerKey: string | null;
  /** Where the ledger key came from: pinned by the caller, or read from the genesis entry. */
  readonly keySource: 'pinned' | 'genesis' | 'none';
  readonly records: number;
  readonly checkpoints: number;
  readonly checks: readonly DbCheck[];
  readonly failures: readonly DbFailure[];
  /** Failures per check, including those left out of `failures` beyond the per-check limit. */
  readonly counts: Partial<Record<DbCheck, number>>;
  readonly durationMs: number;
}

export interface DbVerifyOptions {
  /** Pinned verifier key (`origin+keyid+base64`); default: the one in the genesis entry. */
  readonly ledgerKey?: string;
  /** Called now and then with the phase and how far it got. */
  readonly onProgress?: (phase: DbVerifyPhase, done: number, total: number) => void;
  /** Failures kept per check (all are counted). Default 100. */
  readonly maxFailuresPerCheck?: number;
  /** Where the snapshot is made. Default: the system's temporary directory. */
  readonly tmpDir?: string;
  readonly ed?: Ed25519;
}

export type DbVerifyPhase = 'copy' | 'checkpoints' | 'records' | 'rebuild' | 'projections';

/** Every check run, in report order. */
export const DB_CHECKS: readonly DbCheck[] = [
  'schema', 'genesis', 'meta', 'seq', 'leaf', 'leaf-seq', 'leaf-hash', 'chain', 'columns', 'recorded-at', 'signature', 'registry',
  'merkle', 'checkpoint', 'served-checkpoint', 'duplicate', 'keys', 'replay', 'projection',
];

/** The derived tables compared with a rebuild: what `dumpProjections()` dumps. */
const DERIVED_TABLES = ['participants', 'participant_keys', ...PREFIX_TABLES, ...DOMAIN_TABLES] as const;

const PAGE = 1000;

type RecordRow = InspectedRecord;

const bytesOf = (v: unknown): Uint8Array | undefined => (v instanceof Uint8Array ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : undefined);
const hex = (v: unknown): string => {
  const b = bytesOf(v);
  return b === undefined ? JSON.stringify(v) : toHex(b);
};
const show = (v: unknown): string => {
  const s = v instanceof Uint8Array ? `x'${toHex(v)}'` : v === null ? 'NULL' : typeof v === 'string' ? JSON.stringify(v) : String(v);
  return s.length > 200 ? `${s.slice(0, 197)}...` : s;
};

/**
 * Check a trace-ledger database file; never writes it.
 * @throws LedgerError LEDGER_STORE_CORRUPT when the file cannot be read as a trace-ledger database
 *   at all (missing, not SQLite, unknown schema version); every other finding is in the report
 */
export async function verifyDatabase(path: string, options: DbVerifyOptions = {}): Promise<DbVerifyReport> {
  const started = Date.now();
  const ed = options.ed ?? nodeEd25519;
  const perCheck = options.maxFailuresPerCheck ?? 100;
  const progress = options.onProgress ?? (() => undefined);
  const failures: DbFailure[] = [];
  const counts: Partial<Record<DbCheck, number>> = {};
  const fail = (f: DbFailure): void => {
    const n = (counts[f.check] ?? 0) + 1;
    counts[f.check] = n;
    if (n <= perCheck) failures.push(f);
  };

  const dir = mkdtempSync(join(options.tmpDir ?? tmpdir(), 'trace-ledger-verify-'));
  const copy = join(dir, 'snapshot.db');
  let store: LedgerStore | undefined;
  let conn: Database.Database | undefined;
  try {
    // Before the snapshot: the service writes the file only after the records it covers, so the
    // snapshot taken next covers at least as much.
    const served = readServedCheckpoint(servedCheckpointPath(path));
    await snapshot(path, copy, progress);
    try {
      store = openSqliteStore(copy);
    } catch (e) {
      throw new LedgerError('LEDGER_STORE_CORRUPT', `${path}: ${(e as Error).message}`, { cause: e });
    }
    conn = new Database(copy, { fileMustExist: true });
    const raw = inspectSqlite(conn);

    checkSchema(raw, fail);
    const key = ledgerKeyOf(raw, options.ledgerKey, fail);
    const checkpoints = checkCheckpointRows(raw, key.verifierKey, ed, fail, progress);
    const scan = scanRecords(raw, ed, fail, progress);
    checkDuplicates(raw, fail);
    checkKeyTables(raw, fail);
    compareDerived(raw, store, fail, progress);
    if (served !== undefined) checkServedCheckpoint(served, servedCheckpointPath(path), store, key.verifierKey, ed, fail);

    return {
      ok: failures.length === 0,
      file: path,
      origin: key.origin,
      ledgerKey: key.verifierKey,
      keySource: key.source,
      records: scan.records,
      checkpoints,
      checks: DB_CHECKS,
      failures,
      counts,
      durationMs: Date.now() - started,
    };
  } finally {
    conn?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A consistent copy through SQLite's online backup (readers and the writer carry on meanwhile). */
async function snapshot(path: string, copy: string, progress: (phase: DbVerifyPhase, done: number, total: number) => void): Promise<void> {
  let source: Database.Database;
  try {
    source = new Database(path, { readonly: true, fileMustExist: true });
  } catch (cause) {
    throw new LedgerError('LEDGER_STORE_CORRUPT', `cannot open ${path}: ${(cause as Error).message}`, { cause });
  }
  try {
    const version = schemaVersionOf(source, path);
    if (version === 0) throw new LedgerError('LEDGER_STORE_CORRUPT', `${path} is not a trace-ledger database (schema version 0)`);
    // The rest in one step, that is one read transaction: a backup done in small steps restarts
    // whenever the service writes in between, and might never finish on a busy ledger.
    const done = await source.backup(copy, {
      progress: ({ totalPages, remainingPages }) => {
        progress('copy', totalPages - remainingPages, totalPages);
        return 0x7fffffff;
      },
    });
    progress('copy', done.totalPages, done.totalPages);
  } catch (cause) {
    if (cause instanceof LedgerError) throw cause;
    throw new LedgerError('LEDGER_STORE_CORRUPT', `cannot read ${path}: ${(cause as Error).message}`, { cause });
  } finally {
    source.close();
  }
}

// ---------------------------------------------------------------------------------------------

/** The checkpoint kept outside the database must still be in it (src/store/served-checkpoint.ts). */
function checkServedCheckpoint(note: string, where: string, store: LedgerStore, verifierKey: string | null, ed: Ed25519, fail: (f: DbFailure) => void): void {
  if (verifierKey === null) {
    fail({ check: 'served-checkpoint', key: where, message: `${where} not verified: no ledger key` });
    return;
  }
  let refusal;
  try {
    refusal = compareServedCheckpoint(note, where, verifierKey, ed, store.size(), (n) => rootAt(store.node, n));
  } catch (e) {
    // A stored node is missing: the merkle check reports which.
    refusal = { message: `${where} could not be compared: ${(e as Error).message}`, details: undefined };
  }
  if (refusal !== undefined) {
    const seq = refusal.details?.['seq'];
    fail({ check: 'served-checkpoint', key: where, ...(typeof seq === 'number' ? { seq } : {}), message: refusal.message });
  }
}

/** Tables, indexes and triggers must be exactly what the migrations create on an empty database. */
function checkSchema(raw: SqliteInspection, fail: (f: DbFailure) => void): void {
  const want = expectedSchemaObjects();
  const have = raw.schemaObjects();
  for (const [name, sql] of want) {
    const found = have.get(name);
    if (found === undefined) {
      const guard = name.startsWith('trigger ') ? ': the append-only guard was removed' : '';
      fail({ check: 'schema', key: name, expected: sql, message: `${name} is missing${guard}` });
    } else if (found !== sql) {
      fail({ check: 'schema', key: name, expected: sql, found, message: `${name} was altered` });
    }
  }
  for (const [name, sql] of have) {
    if (!want.has(name)) fail({ check: 'schema', key: name, found: sql, message: `${name} is not part of the trace-ledger schema` });
  }
}

interface LedgerKeyInfo {
  readonly verifierKey: string | null;
  readonly publicKey: Uint8Array | null;
  readonly origin: string | null;
  readonly source: 'pinned' | 'genesis' | 'none';
}

function samePublicKey(verifierKey: string, other: { publicKey: Uint8Array } | undefined): boolean {
  try {
    return other !== undefined && equalBytes(parseVerifierKey(verifierKey).publicKey, other.publicKey);
  } catch {
    return false;
  }
}

/**
 * The ledger key checkpoints are verified with: the pinned one, else the genesis entry's (its
 * signature and fields are checked with the other records in scanRecords).
 */
function ledgerKeyOf(raw: SqliteInspection, pinned: string | undefined, fail: (f: DbFailure) => void): LedgerKeyInfo {
  let genesis: { origin: string; ledgerKey: string } | undefined;
  const row = raw.record(0);
  if (row === undefined) {
    fail({ check: 'genesis', seq: 0, verifyCode: missingGenesis().code, message: 'record 0 (the genesis entry) is missing' });
  } else {
    try {
      const p = (parseJson(fromUtf8(bytesOf(row.leaf) ?? new Uint8Array())) as { entry: { payload: Record<string, unknown> } }).entry.payload;
      if (p['type'] === 'ledger.genesis' && typeof p['ledgerKey'] === 'string' && typeof p['origin'] === 'string') {
        genesis = { origin: p['origin'], ledgerKey: p['ledgerKey'] };
      }
    } catch {
      // reported by scanRecords
    }
    if (genesis === undefined) fail({ check: 'genesis', seq: 0, message: 'record 0 is not a readable ledger.genesis entry' });
  }
  const storedOrigin = raw.meta('origin') as string | undefined;
  let pinnedKey: { name: string; publicKey: Uint8Array } | undefined;
  try {
    pinnedKey = pinned === undefined ? undefined : parseVerifierKey(pinned);
  } catch {
    // a malformed pinned key is the caller's mistake: thrown below
  }
  let originReported = false;
  if (genesis !== undefined) {
    const changed = originMismatch(genesis.origin, storedOrigin, undefined);
    if (changed !== undefined) {
      fail({ check: 'meta', table: 'meta', key: 'origin', expected: genesis.origin, found: storedOrigin, code: changed.code, message: changed.message });
    }
    const other = originMismatch(genesis.origin, undefined, pinnedKey?.name);
    if (other !== undefined) {
      originReported = true;
      fail({ check: 'genesis', seq: 0, expected: pinnedKey?.name, found: genesis.origin, code: other.code, message: other.message });
    }
  }
  const chosen = pinned ?? genesis?.ledgerKey;
  // A pinned key that differs from the genesis entry's only in its name was reported as the origin.
  if (pinned !== undefined && genesis !== undefined && genesis.ledgerKey !== pinned && !(originReported && samePublicKey(genesis.ledgerKey, pinnedKey))) {
    fail({ check: 'genesis', seq: 0, expected: pinned, found: genesis.ledgerKey, message: 'the genesis entry names another ledger key than the pinned one' });
  }
  if (chosen === undefined) return { verifierKey: null, publicKey: null, origin: genesis?.origin ?? storedOrigin ?? null, source: 'none' };
  try {
    const parsed = parseVerifierKey(chosen);
    return { verifierKey: chosen, publicKey: parsed.publicKey, origin: parsed.name, source: pinned === undefined ? 'genesis' : 'pinned' };
  } catch (e) {
    if (pinned !== undefined) throw e; // the caller's mistake, not the file's
    fail({ check: 'genesis', seq: 0, found: chosen, message: `the genesis entry's ledger key is malformed: ${(e as Error).message}` });
    return { verifierKey: null, publicKey: null, origin: genesis?.origin ?? null, source: 'none' };
  }
}

/** Checkpoint rows by id: signed by the ledger key, row = note, no deleted rows, sizes grow. */
function checkCheckpointRows(
  raw: SqliteInspection,
  verifierKey: string | null,
  ed: Ed25519,
  fail: (f: DbFailure) => void,
  progress: (phase: DbVerifyPhase, done: number, total: number) => void,
): number {
  const total = raw.checkpointCount();
  if (verifierKey === null && total > 0) {
    fail({ check: 'checkpoint', table: 'checkpoints', message: `${total} checkpoints not verified: no ledger key (pin one with --ledger-key)` });
  }
  // ledgerKeyOf returned this key only once it parsed.
  const trusted = verifierKey === null ? null : parseVerifierKey(verifierKey);
  const page = { all: (after: number, limit: number) => raw.checkpointsById(after, limit) };
  let expectedId = 1;
  let previousSize = -1;
  let done = 0;
  for (let rows = page.all(0, PAGE) as Array<{ id: number; size: number; root: unknown; note: unknown }>; rows.length > 0; rows = page.all(rows.at(-1)!.id, PAGE) as typeof rows) {
    for (const cp of rows) {
      const key = `id=${cp.id} (size ${cp.size})`;
      if (cp.id !== expectedId) {
        fail({
          check: 'checkpoint', table: 'checkpoints', key, expected: `id ${expectedId}`, found: `id ${cp.id}`,
          message: cp.id > expectedId ? `checkpoint rows ${expectedId}..${cp.id - 1} were deleted` : `unexpected checkpoint id ${cp.id}`,
        });
      }
      expectedId = Math.max(expectedId, cp.id) + 1;
      if (cp.size <= previousSize) {
        fail({ check: 'checkpoint', table: 'checkpoints', key, expected: `size > ${previousSize}`, found: `size ${cp.size}`, message: 'checkpoint sizes do not grow with their ids' });
      }
      previousSize = Math.max(previousSize, cp.size);
      if (trusted !== null) {
        const checked = checkCheckpoint(typeof cp.note === 'string' ? cp.note : '', trusted, ed);
        const signed = checked.ok ? checked.value : undefined;
        const root = bytesOf(cp.root);
        if (!checked.ok) {
          fail({ check: 'checkpoint', table: 'checkpoints', key, verifyCode: checked.failure.code, message: `the note does not verify with the ledger key: ${checked.failure.message}` });
        } else if (signed!.size !== cp.size || root === undefined || !equalBytes(signed!.root, root)) {
          fail({
            check: 'checkpoint', table: 'checkpoints', key,
            expected: `size ${signed!.size}, root ${toBase64(signed!.root)} (signed note)`,
            found: `size ${cp.size}, root ${root === undefined ? show(cp.root) : toBase64(root)}`,
            message: 'the checkpoint row differs from its signed note',
          });
        }
      }
      if (++done % 1000 === 0 || done === total) progress('checkpoints', done, total);
    }
  }
  return total;
}

/** Checkpoints by size, paged, for the root comparison during the record scan. */
function checkpointsBySize(raw: SqliteInspection) {
  let buffer: Array<{ id: number; size: number; root: unknown }> = [];
  let after = { size: -1, id: 0 };
  let exhausted = false;
  return {
    peek() {
      if (buffer.length === 0 && !exhausted) {
        buffer = raw.checkpointsBySize(after.size, after.id, PAGE);
        exhausted = buffer.length < PAGE;
      }
      return buffer[0];
    },
    next() {
      const cp = buffer.shift()!;
      after = { size: cp.size, id: cp.id };
      return cp;
    },
  };
}

function scanRecords(
  raw: SqliteInspection,
  ed: Ed25519,
  fail: (f: DbFailure) => void,
  progress: (phase: DbVerifyPhase, done: number, total: number) => void,
): { records: number } {
  const total = raw.recordCount();
  const page = { all: (after: number, limit: number) => raw.recordsAfter(after, limit) };
  const cps = checkpointsBySize(raw);
  const registry = replayRegistry();

  let expectedSeq = 0;
  let previousChain: Uint8Array | undefined = CHAIN_HASH_START;
  let previousRecordedAt = -Infinity;
  let frontier: Frontier = [];
  /** Leaves appended to the recomputed tree; stops growing at the first gap (nothing after it can be placed). */
  let treeSize = 0;
  let treeBroken = false;
  let done = 0;

  // Called at every tree size, so each checkpoint is met exactly at its own size.
  const compareCheckpointRoots = () => {
    for (let cp = cps.peek(); cp !== undefined && cp.size <= treeSize; cp = cps.peek()) {
      cps.next();
      if (cp.size !== treeSize) {
        fail({ check: 'checkpoint', table: 'checkpoints', key: `id=${cp.id} (size ${cp.size})`, found: `size ${cp.size}`, message: 'the checkpoint size is not a tree size' });
        continue;
      }
      const root = frontierRoot(frontier, treeSize);
      const stored = bytesOf(cp.root);
      if (stored === undefined || !equalBytes(root, stored)) {
        fail({
          check: 'checkpoint', table: 'checkpoints', key: `id=${cp.id} (size ${cp.size})`,
          expected: `root ${toBase64(root)} (recomputed from the stored leaf hashes)`, found: `root ${stored === undefined ? show(cp.root) : toBase64(stored)}`,
          message: `the Merkle root of the first ${cp.size} records is not the checkpointed one`,
        });
      }
    }
  };
  compareCheckpointRoots(); // a checkpoint of the empty log, if any

  for (let rows = page.all(Number.MIN_SAFE_INTEGER, PAGE) as RecordRow[]; rows.length > 0; rows = page.all(rows.at(-1)!.seq, PAGE) as RecordRow[]) {
    for (const row of rows) {
      const seq = row.seq;
      if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < expectedSeq) {
        fail({ check: 'seq', seq, expected: `seq ${expectedSeq}`, found: `seq ${String(seq)}`, message: `unexpected record seq ${String(seq)}` });
        continue;
      }
      if (seq > expectedSeq) {
        fail({
          check: 'seq', seq: expectedSeq, expected: `seq ${expectedSeq}`, found: `seq ${seq}`,
          message: seq - expectedSeq === 1 ? `record ${expectedSeq} is missing` : `records ${expectedSeq}..${seq - 1} are missing`,
        });
        treeBroken = true;
        previousChain = undefined; // the link across a gap cannot be checked
      }
      expectedSeq = seq + 1;
      checkRecord(row, previousChain, previousRecordedAt, registry, ed, fail, (recordedAt) => (previousRecordedAt = recordedAt));
      const chain = bytesOf(row.chain_hash);
      previousChain = chain?.length === 32 ? chain : undefined;

      // The tree over the stored leaf hashes (level 0 of the tree is the leaf_hash column).
      const leafHash = bytesOf(row.leaf_hash);
      if (!treeBroken && (leafHash === undefined || leafHash.length !== 32)) treeBroken = true;
      if (!treeBroken) {
        const appended = appendLeaf(frontier, treeSize, leafHash!);
        frontier = appended.frontier;
        treeSize++;
        for (const n of appended.newNodes) {
          const stored = bytesOf(raw.node(n.level, n.index));
          if (stored === undefined || !equalBytes(stored, n.hash)) {
            fail({
              check: 'merkle', seq, table: 'merkle_nodes', key: `level=${n.level}, idx=${n.index}`,
              expected: toHex(n.hash), found: stored === undefined ? 'no row' : toHex(stored),
              message: `Merkle node (level ${n.level}, index ${n.index}) ${stored === undefined ? 'is missing' : 'differs from the one recomputed from the leaf hashes'}`,
            });
          }
        }
        compareCheckpointRoots();
      }
      if (++done % 1000 === 0 || done === total) progress('records', done, total);
    }
  }
  const size = expectedSeq;

  // Nodes that no record completed (a forged subtree, or nodes of records deleted from the end).
  if (!treeBroken) {
    const extra = raw.nodesOutside(merkleNodesIn(treeSize), 100);
    for (const pos of extra) {
      const n = pos >= 0 ? merkleNodeAt(pos) : undefined;
      fail({
        check: 'merkle', table: 'merkle_nodes', key: n === undefined ? `pos=${pos}` : `level=${n.level}, idx=${n.index}`, found: 'a row', expected: 'no row',
        message: n === undefined ? `Merkle node at pos ${pos} is not a place in any tree` : `Merkle node (level ${n.level}, index ${n.index}) covers leaves beyond the log's ${treeSize} records`,
      });
    }
  } else {
    fail({ check: 'merkle', message: `Merkle nodes and checkpoint roots beyond seq ${treeSize - 1} not checked: records are missing` });
  }
  // Checkpoints that cover more than the log holds.
  for (let cp = cps.peek(); cp !== undefined; cp = cps.peek()) {
    cps.next();
    if (cp.size > size) {
      fail({
        check: 'checkpoint', table: 'checkpoints', key: `id=${cp.id} (size ${cp.size})`, expected: `size ≤ ${size}`, found: `size ${cp.size}`,
        message: `the checkpoint covers ${cp.size} records but the log has ${size}: records were removed from the end`,
      });
    }
  }
  return { records: total };
}

interface LeafRecord {
  readonly record: { readonly seq?: unknown; readonly recordedAt?: unknown; readonly entry?: unknown };
  readonly payload: Payload;
  readonly signature: { readonly kid: string; readonly sig: string };
}

/**
 * The leaf as a record: canonical JSON (RFC 8785) of {seq, recordedAt, entry} with a valid entry.
 * @throws Error naming what is wrong
 */
function parseLeafRecord(leaf: Uint8Array, seq: number): LeafRecord {
  const text = fromUtf8(leaf);
  const parsed = parseJson(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
  const record = parsed as LeafRecord['record'];
  const extra = Object.keys(record).filter((k) => !['seq', 'recordedAt', 'entry'].includes(k));
  if (extra.length > 0) throw new Error(`unexpected member ${extra[0]}`);
  if (canonicalize(record) !== text) throw new Error('not in canonical form (RFC 8785)');
  const entry = parseEntry(record.entry, `record ${seq} entry`);
  return { record, payload: entry.payload, signature: entry.signature };
}

/** The per-record checks; `setRecordedAt` keeps the running maximum of recordedAt. */
function checkRecord(
  row: RecordRow,
  previousChain: Uint8Array | undefined,
  previousRecordedAt: number,
  registry: RegistryReplay,
  ed: Ed25519,
  fail: (f: DbFailure) => void,
  setRecordedAt: (ms: number) => void,
): void {
  const seq = row.seq;
  const leaf = bytesOf(row.leaf);
  const leafHash = bytesOf(row.leaf_hash);
  const chain = bytesOf(row.chain_hash);

  if (leaf === undefined) {
    fail({ check: 'leaf', seq, found: typeof row.leaf, message: 'the leaf is not a blob' });
  } else {
    const hashed = checkLeafHash(sha256, leaf, leafHash ?? new Uint8Array(0));
    if (hashed.failure !== undefined) {
      fail({ check: 'leaf-hash', seq, verifyCode: hashed.failure.code, expected: hashed.failure.expected, found: hex(row.leaf_hash), message: 'the stored leaf hash is not SHA-256(0x00 ‖ leaf): the leaf bytes or the hash were changed' });
    }
  }
  if (previousChain !== undefined && leafHash !== undefined && leafHash.length === 32) {
    const link = checkChainLink(sha256, previousChain, leafHash, chain ?? new Uint8Array(0));
    if (link.failure !== undefined) {
      fail({ check: 'chain', seq, verifyCode: link.failure.code, expected: link.failure.expected, found: hex(row.chain_hash), message: `the chain hash does not follow from record ${seq - 1}'s and this leaf hash` });
    }
  }
  if (leaf === undefined) return;

  let parsed: LeafRecord;
  try {
    parsed = parseLeafRecord(leaf, seq);
  } catch (e) {
    fail({ check: 'leaf', seq, message: `the leaf is not a valid record: ${(e as Error).message}` });
    return;
  }
  const { record, payload, signature } = parsed;
  if (record.seq !== seq) {
    fail({ check: 'leaf-seq', seq, expected: `seq ${seq}`, found: `seq ${String(record.seq)}`, message: `the record stored at seq ${seq} says it is seq ${String(record.seq)} (records moved or swapped)` });
  }
  const recordedAt = typeof record.recordedAt === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(record.recordedAt) ? parseTimestamp(record.recordedAt) : undefined;
  if (recordedAt === undefined) {
    fail({ check: 'recorded-at', seq, found: String(record.recordedAt), message: 'recordedAt is not a UTC time with milliseconds' });
  } else {
    if (recordedAt < previousRecordedAt) {
      fail({ check: 'recorded-at', seq, expected: `≥ ${new Date(previousRecordedAt).toISOString()}`, found: record.recordedAt as string, message: 'recordedAt goes back in time (the ledger never records out of order)' });
    }
    setRecordedAt(Math.max(previousRecordedAt, recordedAt));
  }

  // Index columns: lookups (receipts by leaf hash, resubmissions by (signer, id)) go through them.
  const payloadJcs = canonicalize(payload);
  const columns: Array<[string, unknown, unknown]> = [
    ['signer', row.signer, payload.signer],
    ['entry_id', row.entry_id, payload.id],
    ['type', row.type, payload.type],
    ['payload_hash', hex(row.payload_hash), toHex(sha256(utf8(payloadJcs)))],
    ['leaf_key', row.leaf_key, leafHash?.length === 32 ? leafKeyOf(leafHash) : null],
    ['entry_key', row.entry_key, entryKeyOf(payload.signer, payload.id)],
  ];
  for (const [name, found, expected] of columns) {
    if (found !== expected) fail({ check: 'columns', seq, key: name, expected: show(expected), found: show(found), message: `column ${name} does not match the leaf` });
  }

  // Signature with the key valid at this seq, from the registry replayed so far.
  const publicKey = recordSigningKey(seq, payload, signature.kid, registry, fail);
  if (publicKey !== undefined) {
    const bad = checkSignature(ed, signingMessageFromCanonical(payloadJcs), signature, publicKey);
    if (bad !== undefined) {
      fail({ check: 'signature', seq, verifyCode: bad.code, message: `the entry's signature does not verify with ${payload.signer}'s key ${signature.kid}: ${bad.message}` });
    }
  }
  const effects = registry.effectsOf(payload, seq);
  if (effects.ok) registry.apply(effects.value);
  else fail({ check: 'registry', seq, verifyCode: effects.failure.code, message: `the registry entry does not replay: ${withReason(effects.failure)}` });
}

const withReason = (f: CheckFailure): string => `${f.reason === undefined ? '' : `${f.reason}: `}${f.message}`;

/**
 * The key the record's signature must verify with: for the genesis, the ledger key it names
 * (which must agree with its origin, public key and kid; the pinned key is compared in
 * ledgerKeyOf), else the signer's key valid at this seq. Undefined, with the reason reported, when
 * there is none.
 */
function recordSigningKey(seq: number, payload: Payload, kid: string, registry: RegistryReplay, fail: (f: DbFailure) => void): Uint8Array | undefined {
  if (!isGenesisPosition(seq, payload)) {
    const key = registry.keyAt(payload.signer, kid, seq);
    if (key.ok) return key.value.publicKey;
    fail({ check: 'signature', seq, verifyCode: key.failure.code, message: withReason(key.failure) });
    return undefined;
  }
  const position = checkGenesisPosition(seq, payload);
  if (position !== undefined) {
    fail({ check: 'genesis', seq, verifyCode: position.code, message: seq === 0 ? `record 0 is a ${payload.type} entry, not ledger.genesis` : 'a ledger.genesis entry after seq 0' });
  }
  if (payload.type !== 'ledger.genesis') return undefined;
  let named: TrustedKey;
  try {
    named = { text: payload.ledgerKey, key: parseVerifierKey(payload.ledgerKey) };
  } catch (e) {
    fail({ check: 'genesis', seq, verifyCode: 'REGISTRY_GENESIS', message: `the genesis entry is inconsistent: ${(e as Error).message}` });
    return undefined;
  }
  // The genesis against the key it names itself: a file's genesis must at least be self-consistent.
  const mismatch = checkGenesisKey(payload, kid, named)[0];
  if (mismatch !== undefined) {
    fail({ check: 'genesis', seq, verifyCode: mismatch.code, message: `the genesis entry is inconsistent: ${mismatch.message}` });
    return undefined;
  }
  return named.key.publicKey;
}

/** The same entry twice (a replay) or the same leaf twice: the columns were checked against the leaves. */
function checkDuplicates(raw: SqliteInspection, fail: (f: DbFailure) => void): void {
  const entries = raw.duplicateEntries(100);
  const sorted = (seqs: string) => seqs.split(',').map(Number).sort((a, b) => a - b);
  for (const d of entries) {
    const seqs = sorted(d.seqs);
    fail({ check: 'duplicate', seq: seqs[1]!, key: `signer=${d.signer}, id=${d.entry_id}`, found: `seqs ${seqs.join(',')}`, message: `entry "${d.entry_id}" of ${d.signer} appears more than once (seqs ${seqs.join(',')}): a replayed entry` });
  }
  const leaves = raw.duplicateLeaves(100);
  for (const d of leaves) {
    const seqs = sorted(d.seqs);
    fail({ check: 'duplicate', seq: seqs[1]!, key: `leaf_hash=${hex(d.leaf_hash)}`, found: `seqs ${seqs.join(',')}`, message: `the same leaf hash is stored at seqs ${seqs.join(',')}` });
  }
}

/**
 * The key tables (src/store/sqlite.ts) against the records' key columns, which were checked
 * against the leaves: every record below 'keys_indexed_upto' has its row in each, and no row
 * points at another record's key or at a record above it. A missing row would let the database
 * take a replay of that record. Likewise kid_keys and participant_kids against participant_keys below
 * 'kids_indexed_upto', and no kid registered twice (participant_keys no longer has kid as its key).
 */
function checkKeyTables(raw: SqliteInspection, fail: (f: DbFailure) => void): void {
  const upto = raw.keysIndexedUpto();
  for (const table of ['entry_keys', 'leaf_keys'] as const) {
    const missing = raw.recordsMissingFrom(table, upto, 100);
    for (const seq of missing) {
      fail({ check: 'keys', seq, table, message: `record ${seq} is below keys_indexed_upto (${upto}) but has no row in ${table}` });
    }
    const stray = raw.strayRecordKeys(table, upto, 100);
    for (const k of stray) {
      fail({ check: 'keys', seq: k.seq, table, key: String(k.key), message: `${table} row (${k.key}, ${k.seq}) is not the key of an indexed record` });
    }
  }
  // kid_keys and participant_kids against participant_keys (itself compared with a rebuild from the log in 'projection').
  const kidsUpto = raw.kidsIndexedUpto();
  for (const table of ['kid_keys', 'participant_kids'] as const) {
    const unindexed = raw.keysMissingFrom(table, kidsUpto, 100);
    for (const k of unindexed) {
      fail({ check: 'keys', seq: k.seq, table, key: k.kid, message: `key ${k.kid} (added at seq ${k.seq}) is below kids_indexed_upto (${kidsUpto}) but has no row in ${table}` });
    }
  }
  const strayKids = raw.strayKidKeys(kidsUpto, 100);
  for (const k of strayKids) {
    fail({ check: 'keys', seq: k.seq, table: 'kid_keys', key: k.kid, message: `kid_keys row (${k.kid}, ${k.seq}) is not an indexed key of participant_keys` });
  }
  const strayParticipants = raw.strayParticipantKids(kidsUpto, 100);
  for (const x of strayParticipants) {
    fail({ check: 'keys', seq: x.seq, table: 'participant_kids', key: x.kid, message: `participant_kids row (${x.participant}, ${x.seq}, ${x.kid}) is not an indexed key of participant_keys` });
  }
  const twice = raw.kidsTwice(100);
  for (const k of twice) {
    const seqs = k.seqs.split(',').map(Number).sort((a, b) => a - b);
    fail({ check: 'keys', seq: seqs[1]!, table: 'participant_keys', key: k.kid, found: `seqs ${seqs.join(',')}`, message: `key ${k.kid} is registered more than once (seqs ${seqs.join(',')})` });
  }
}

/**
 * Derived tables against a rebuild from the log: the live rows are set aside in temporary tables,
 * the snapshot is rebuilt by `rebuildDerived` (the one definition of what the tables should be),
 * and the two are compared in SQL, so a log of millions of rows needs no memory for it.
 */
function compareDerived(
  raw: SqliteInspection,
  store: LedgerStore,
  fail: (f: DbFailure) => void,
  progress: (phase: DbVerifyPhase, done: number, total: number) => void,
): void {
  raw.setAsideDerived(DERIVED_TABLES);
  try {
    rebuildDerived(store, (done, total) => progress('rebuild', done, total));
  } catch (e) {
    const seq = isLedgerError(e) && typeof e.details?.['seq'] === 'number' ? (e.details['seq'] as number) : undefined;
    fail({ check: 'replay', ...(seq === undefined ? {} : { seq }), message: `${(e as Error).message}; the derived tables were not compared` });
    return;
  }
  DERIVED_TABLES.forEach((t, i) => {
    const info = raw.columns(t);
    const pk = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
    const keyOf = (r: Record<string, unknown>) => pk.map((c) => `${c}=${r[c] instanceof Uint8Array ? toHex(r[c] as Uint8Array) : String(r[c])}`).join(', ');
    const { live, rebuilt } = raw.derivedDifferences(t, 101);
    const rebuiltByKey = new Map(rebuilt.map((r) => [keyOf(r), r]));
    for (const found of live) {
      const k = keyOf(found);
      const expected = rebuiltByKey.get(k);
      rebuiltByKey.delete(k);
      if (expected === undefined) {
        fail({ check: 'projection', table: t, key: k, found: rowText(found), expected: 'no row', message: `${t} has a row the log does not produce` });
      } else {
        const cols = info.map((c) => c.name).filter((c) => !sameValue(found[c], expected[c]));
        fail({
          check: 'projection', table: t, key: k,
          expected: cols.map((c) => `${c}=${show(expected[c])}`).join(', '),
          found: cols.map((c) => `${c}=${show(found[c])}`).join(', '),
          message: `${t} row differs from the rebuild from the log in ${cols.join(', ')}`,
        });
      }
    }
    for (const [k, expected] of rebuiltByKey) {
      fail({ check: 'projection', table: t, key: k, expected: rowText(expected), found: 'no row', message: `${t} lacks a row the log produces` });
    }
    progress('projections', i + 1, DERIVED_TABLES.length);
  });
}

const rowText = (r: Record<string, unknown>) => Object.entries(r).map(([c, v]) => `${c}=${show(v)}`).join(', ');
const sameValue = (a: unknown, b: unknown) => (a instanceof Uint8Array && b instanceof Uint8Array ? equalBytes(a, b) : a === b);

/** One line per failure, for people. */
export function formatDbFailure(f: DbFailure): string {
  const where = [f.seq === undefined ? undefined : `seq ${f.seq}`, f.table === undefined ? undefined : f.table, f.key].filter((x) => x !== undefined).join(' ');
  const diff = f.expected !== undefined || f.found !== undefined ? ` (expected ${f.expected ?? '-'}; found ${f.found ?? '-'})` : '';
  return `${f.check}${where === '' ? '' : ` [${where}]`}: ${f.code === undefined ? '' : `${f.code}: `}${f.message}${diff}${f.verifyCode === undefined ? '' : ` [${f.verifyCode}]`}`;
}

/** The report for people: a verdict line, then one line per failure kept. */
export function formatDbReport(r: DbVerifyReport): string {
  const key = r.ledgerKey === null ? 'no ledger key' : `ledger key ${r.ledgerKey}, ${r.keySource === 'pinned' ? 'pinned key' : 'key from the genesis entry, NOT pinned: pass --key'}`;
  const facts = `${r.records} records, ${r.checkpoints} checkpoints (${key})`;
  if (r.ok) return `OK: ${r.file}: ${facts}; every check passed: ${r.checks.join(', ')}`;
  const total = Object.values(r.counts).reduce((a, b) => a + (b ?? 0), 0);
  const lines = [`FAILED: ${total} problem${total === 1 ? '' : 's'} in ${r.file}: ${facts}`, ...r.failures.map((f) => `  ${formatDbFailure(f)}`)];
  for (const [check, n] of Object.entries(r.counts)) {
    const shown = r.failures.filter((f) => f.check === check).length;
    if (n !== undefined && n > shown) lines.push(`  ... and ${n - shown} more ${check} problems (all are counted above; --json lists those kept)`);
  }
  return lines.join('\n');
}
