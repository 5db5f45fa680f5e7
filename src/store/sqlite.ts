/**
 * SQLite store (better-sqlite3) in WAL mode.
 *
 * Durability without blocking: with synchronous=FULL, SQLite fsyncs the WAL inside every commit,
 * and better-sqlite3 runs on the event loop, so every fsync (0.3-1 ms here) would stall all
 * request handling. Instead we run synchronous=NORMAL (SQLite syncs only around checkpoints: the
 * WAL before copying it into the database, the database before the WAL is reused) and `sync()`
 * fdatasyncs the WAL file on libuv's thread pool. A commit followed by a completed `sync()` is
 * exactly as durable as a synchronous=FULL commit; the ledger acknowledges nothing before that.
 * fdatasync on our own descriptor covers what SQLite wrote through its own: Linux syncs the file,
 * not the descriptor.
 *
 * Checkpoints (copying the WAL back into the database file) are off the event loop too: SQLite's
 * automatic checkpoint would run inside a commit, write megabytes and fsync twice. A worker thread
 * with its own connection runs PASSIVE checkpoints (which never block the writer) once the WAL
 * holds CHECKPOINT_BYTES of frames not yet checkpointed; should it fall behind, the writer
 * checkpoints itself at WAL_MAX_BYTES so the WAL cannot grow without bound. Those frames are
 * counted from the wal-index header (walPendingBytes), not from the WAL file's size: SQLite
 * rewrites a checkpointed WAL from its start without shrinking the file, so the size only says
 * how large the WAL once was, and a trigger on it checkpointed after every sync forever after.
 *
 * The log tables (records, merkle_nodes, checkpoints) reject UPDATE and DELETE with triggers, and
 * a trigger refuses a record whose seq is not the next one: the database itself keeps the log
 * append-only and gap-free, whatever code talks to it. Registry tables are caches of the log and
 * may be rebuilt from it.
 */
import { hash } from 'node:crypto';
import { accessSync, closeSync, constants, existsSync, fdatasync, fstatSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { endianness } from 'node:os';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { LedgerError } from '../core/errors.js';
import type { KeyRecord, ParticipantRecord, RegistryEffect } from '../domain/registry.js';
import { DOMAIN_SCHEMA, DOMAIN_TABLES, domainStore } from './sqlite-domain.js';
import { PREFIX_SCHEMA, PREFIX_TABLES, prefixStore } from './sqlite-prefixes.js';
import { derivedPager } from './sqlite-derived.js';
import type { Payload } from '../domain/schemas.js';
import type { LedgerRecord } from '../core/record.js';
import { toHex } from '../core/bytes.js';
import type { EntryRef, LedgerStore, MerkleNode, NewRecord, StoredCheckpoint, StoredRecord } from './store.js';

export const MIGRATIONS: ReadonlyArray<string | ((db: Database.Database) => void)> = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE records (
    seq INTEGER PRIMARY KEY,
    signer TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    type TEXT NOT NULL,
    payload_hash BLOB NOT NULL,
    leaf BLOB NOT NULL,
    leaf_hash BLOB NOT NULL,
    chain_hash BLOB NOT NULL
  );
  CREATE UNIQUE INDEX records_signer_entry ON records (signer, entry_id);
  CREATE UNIQUE INDEX records_leaf_hash ON records (leaf_hash);
  CREATE TRIGGER records_next_seq BEFORE INSERT ON records
    WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), -1) + 1 FROM records)
    BEGIN SELECT RAISE(ABORT, 'records are append-only: seq must be the next one'); END;
  CREATE TRIGGER records_no_update BEFORE UPDATE ON records
    BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;
  CREATE TRIGGER records_no_delete BEFORE DELETE ON records
    BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;

  CREATE TABLE merkle_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;
  CREATE TRIGGER merkle_nodes_no_update BEFORE UPDATE ON merkle_nodes
    BEGIN SELECT RAISE(ABORT, 'merkle_nodes are append-only'); END;
  CREATE TRIGGER merkle_nodes_no_delete BEFORE DELETE ON merkle_nodes
    BEGIN SELECT RAISE(ABORT, 'merkle_nodes are append-only'); END;

  CREATE TABLE checkpoints (id INTEGER PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL, note TEXT NOT NULL, signed_at TEXT NOT NULL);
  CREATE INDEX checkpoints_size ON checkpoints (size);
  CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
    BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
  CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
    BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;

  CREATE TABLE participants (id TEXT PRIMARY KEY, name TEXT NOT NULL, roles TEXT NOT NULL, gln TEXT, registered_seq INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE participant_keys (
    kid TEXT PRIMARY KEY, participant TEXT NOT NULL REFERENCES participants (id),
    public_key BLOB NOT NULL, added_seq INTEGER NOT NULL, revoked_seq INTEGER
  ) WITHOUT ROWID;
  CREATE INDEX participant_keys_participant ON participant_keys (participant);
  `,
  // INSERT OR REPLACE (and REPLACE) deletes the conflicting row without firing DELETE triggers
  // (recursive_triggers is off by default), which would overwrite a node or a checkpoint, or drop
  // a record from the middle of the log through the (signer, entry_id) or leaf_hash index.
  `
  CREATE TRIGGER records_no_replace BEFORE INSERT ON records
    WHEN EXISTS (SELECT 1 FROM records WHERE signer = NEW.signer AND entry_id = NEW.entry_id)
      OR EXISTS (SELECT 1 FROM records WHERE leaf_hash = NEW.leaf_hash)
    BEGIN SELECT RAISE(ABORT, 'records are append-only: (signer, entry_id) and leaf_hash are unique'); END;
  CREATE TRIGGER merkle_nodes_no_replace BEFORE INSERT ON merkle_nodes
    WHEN EXISTS (SELECT 1 FROM merkle_nodes WHERE level = NEW.level AND idx = NEW.idx)
    BEGIN SELECT RAISE(ABORT, 'merkle_nodes are append-only'); END;
  CREATE TRIGGER checkpoints_no_replace BEFORE INSERT ON checkpoints
    WHEN EXISTS (SELECT 1 FROM checkpoints WHERE id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
  `,
  // The unique indexes on the full leaf hash and (signer, entry_id) put random keys of 40-80 bytes
  // into B-trees: every batch dirtied about one index page per record, most of a commit's WAL.
  // 6-byte integer prefixes make the indexes ~3× smaller (measured: 13.7 instead of 20.4 µs per
  // row, 289 instead of 424 MB of WAL for 50,000 rows); lookups compare the full value after the
  // prefix. Uniqueness moves from the indexes into a trigger, which also refuses rows without
  // keys, so INSERT OR REPLACE still has no unique index to delete through.
  (db) => {
    db.exec(`
      ALTER TABLE records ADD COLUMN leaf_key INTEGER;
      ALTER TABLE records ADD COLUMN entry_key INTEGER;
      DROP TRIGGER records_no_update;
    `);
    const rows = db.prepare('SELECT seq, signer, entry_id, leaf_hash FROM records').all() as Array<{ seq: number; signer: string; entry_id: string; leaf_hash: Buffer }>;
    const set = db.prepare('UPDATE records SET leaf_key = ?, entry_key = ? WHERE seq = ?');
    for (const r of rows) set.run(leafKeyOf(r.leaf_hash), entryKeyOf(r.signer, r.entry_id), r.seq);
    db.exec(`
      CREATE TRIGGER records_no_update BEFORE UPDATE ON records
        BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;
      DROP TRIGGER records_no_replace;
      DROP INDEX records_signer_entry;
      DROP INDEX records_leaf_hash;
      CREATE INDEX records_leaf_key ON records (leaf_key);
      CREATE INDEX records_entry_key ON records (entry_key);
      CREATE TRIGGER records_unique BEFORE INSERT ON records
        WHEN NEW.leaf_key IS NULL OR NEW.entry_key IS NULL
          OR EXISTS (SELECT 1 FROM records WHERE entry_key = NEW.entry_key AND signer = NEW.signer AND entry_id = NEW.entry_id)
          OR EXISTS (SELECT 1 FROM records WHERE leaf_key = NEW.leaf_key AND leaf_hash = NEW.leaf_hash)
        BEGIN SELECT RAISE(ABORT, 'records are append-only: (signer, entry_id) and leaf_hash are unique, keys required'); END;
    `);
  },
  // Traceability projections (src/store/sqlite-domain.ts). Earlier logs hold no traceability
  // entries, so the new tables start empty and consistent with them.
  DOMAIN_SCHEMA,
  // Deferred key indexes. Both keys are hashes, so each record's index entries landed on a random
  // page of each index and every commit wrote one index page per record and index to the WAL: with
  // 100-entry batches the two indexes cost ~15 % of the server's CPU (measured without them: 7,211
  // → 8,423 entries/s). The keys now go to two key tables in bulk, sorted, every KEYS_MERGE_AT
  // records (and when the store closes), so one page takes many keys at once; the newest records
  // are found through an in-memory map that the store rebuilds from the records themselves
  // (seq ≥ meta 'keys_indexed_upto'). The database still refuses a record that repeats the
  // (signer, entry_id) or leaf hash of any record in the key tables (all but the newest few
  // thousand of a running ledger; every record once it is closed); the newest are checked by the
  // ledger, and in full by `trace-ledger verify --db`. Lookups join the key tables with the records
  // and compare the full values, so a key row can only ever lead to its own record.
  (db) => {
    db.exec(`
      CREATE TABLE entry_keys (key INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (key, seq)) WITHOUT ROWID;
      CREATE TABLE leaf_keys (key INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (key, seq)) WITHOUT ROWID;
      INSERT INTO entry_keys (key, seq) SELECT entry_key, seq FROM records ORDER BY entry_key, seq;
      INSERT INTO leaf_keys (key, seq) SELECT leaf_key, seq FROM records ORDER BY leaf_key, seq;
      INSERT INTO meta (key, value) VALUES ('keys_indexed_upto', (SELECT COALESCE(MAX(seq), -1) + 1 FROM records))
        ON CONFLICT (key) DO UPDATE SET value = excluded.value;
      DROP TRIGGER records_unique;
      DROP INDEX records_leaf_key;
      DROP INDEX records_entry_key;
      CREATE TRIGGER records_unique BEFORE INSERT ON records
        WHEN NEW.leaf_key IS NULL OR NEW.entry_key IS NULL
          OR EXISTS (SELECT 1 FROM entry_keys k JOIN records r ON r.seq = k.seq WHERE k.key = NEW.entry_key AND r.signer = NEW.signer AND r.entry_id = NEW.entry_id)
          OR EXISTS (SELECT 1 FROM leaf_keys k JOIN records r ON r.seq = k.seq WHERE k.key = NEW.leaf_key AND r.leaf_hash = NEW.leaf_hash)
        BEGIN SELECT RAISE(ABORT, 'records are append-only: (signer, entry_id) and leaf_hash are unique, keys required'); END;
      CREATE TRIGGER entry_keys_no_update BEFORE UPDATE ON entry_keys
        BEGIN SELECT RAISE(ABORT, 'entry_keys are append-only'); END;
      CREATE TRIGGER entry_keys_no_delete BEFORE DELETE ON entry_keys
        BEGIN SELECT RAISE(ABORT, 'entry_keys are append-only'); END;
      CREATE TRIGGER leaf_keys_no_update BEFORE UPDATE ON leaf_keys
        BEGIN SELECT RAISE(ABORT, 'leaf_keys are append-only'); END;
      CREATE TRIGGER leaf_keys_no_delete BEFORE DELETE ON leaf_keys
        BEGIN SELECT RAISE(ABORT, 'leaf_keys are append-only'); END;
    `);
  },
  // Keys stored in the order they were added. participant_keys was keyed by kid, a hash, so each
  // new key went to a random page and every commit wrote one page of it per key added: with
  // 100-entry batches of key.add entries, 60-66 µs of transaction time per entry against 41-48
  // with the keys appended instead (measured with the kid index left out). Rows are now keyed by
  // (added_seq, kid), so new keys fill the last page. The index on participant went too: a commit
  // of 9 single key.add entries wrote 12 of its pages (27 pages in all) to the WAL. A key is found
  // by kid, and a participant's keys by participant, through kid_keys and its index, which are
  // filled in bulk, sorted, together with the record key tables (same merge, own watermark:
  // meta 'kids_indexed_upto', below which every key has its kid_keys row). The newest keys are
  // found through an in-memory list rebuilt at open from participant_keys itself. kid_keys is
  // derived from participant_keys (itself derived from the log): a rebuild clears and refills it.
  (db) => {
    db.exec(`
      CREATE TABLE participant_keys_by_seq (
        added_seq INTEGER NOT NULL, kid TEXT NOT NULL, participant TEXT NOT NULL REFERENCES participants (id),
        public_key BLOB NOT NULL, revoked_seq INTEGER,
        PRIMARY KEY (added_seq, kid)
      ) WITHOUT ROWID;
      INSERT INTO participant_keys_by_seq (added_seq, kid, participant, public_key, revoked_seq)
        SELECT added_seq, kid, participant, public_key, revoked_seq FROM participant_keys ORDER BY added_seq, kid;
      DROP TABLE participant_keys;
      ALTER TABLE participant_keys_by_seq RENAME TO participant_keys;
      CREATE TABLE kid_keys (kid TEXT NOT NULL, seq INTEGER NOT NULL, participant TEXT NOT NULL, PRIMARY KEY (kid, seq)) WITHOUT ROWID;
      CREATE INDEX kid_keys_participant ON kid_keys (participant, seq);
      INSERT INTO kid_keys (kid, seq, participant) SELECT kid, added_seq, participant FROM participant_keys ORDER BY kid, added_seq;
      INSERT INTO meta (key, value) VALUES ('kids_indexed_upto', (SELECT COALESCE(MAX(added_seq), -1) + 1 FROM participant_keys))
        ON CONFLICT (key) DO UPDATE SET value = excluded.value;
    `);
  },
  // Merkle nodes by their place in the order they are made (merklePos), not by (level, idx): each
  // level's newest nodes sat in its own part of the B-tree, so a commit of 9 single entries wrote
  // 6.9 pages of merkle_nodes to the WAL, and pages split in the middle were left half full. Now
  // every new node goes after the last one.
  (db) => {
    db.function('merkle_pos', { deterministic: true }, (level, idx) => merklePos(Number(level), Number(idx)));
    db.exec(`
      CREATE TABLE merkle_nodes_by_pos (pos INTEGER PRIMARY KEY, hash BLOB NOT NULL);
      INSERT INTO merkle_nodes_by_pos (pos, hash) SELECT merkle_pos(level, idx), hash FROM merkle_nodes ORDER BY 1;
      DROP TABLE merkle_nodes;
      ALTER TABLE merkle_nodes_by_pos RENAME TO merkle_nodes;
      CREATE TRIGGER merkle_nodes_no_update BEFORE UPDATE ON merkle_nodes
        BEGIN SELECT RAISE(ABORT, 'merkle_nodes are append-only'); END;
      CREATE TRIGGER merkle_nodes_no_delete BEFORE DELETE ON merkle_nodes
        BEGIN SELECT RAISE(ABORT, 'merkle_nodes are append-only'); END;
      CREATE TRIGGER merkle_nodes_no_replace BEFORE INSERT ON merkle_nodes
        WHEN EXISTS (SELECT 1 FROM merkle_nodes WHERE pos = NEW.pos)
        BEGIN SELECT RAISE(ABORT, 'merkle_nodes are append-only'); END;
    `);
  },
  // kid_keys held the kid as text with its participant, and an index on participant: ~40 bytes a
  // row, and once the table outgrew the tail's 4,096 keys every merge rewrote most of its pages
  // (7-21 ms per merge at 20,000-100,000 keys). It now holds the kid's 8 bytes (kidBytes), and a
  // participant's keys are found through participant_kids, whose rows lie in one run per
  // participant (the two merges: 2.4-5.8 and 2.5-3.9 ms). Same watermark, kids_indexed_upto.
  `
  DROP TABLE kid_keys;
  CREATE TABLE kid_keys (kid BLOB NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (kid, seq)) WITHOUT ROWID;
  CREATE TABLE participant_kids (participant TEXT NOT NULL, seq INTEGER NOT NULL, kid TEXT NOT NULL, PRIMARY KEY (participant, seq, kid)) WITHOUT ROWID;
  INSERT INTO kid_keys (kid, seq) SELECT ${kidBytes('kid')}, added_seq FROM participant_keys
    WHERE added_seq < (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'kids_indexed_upto') ORDER BY 1, 2;
  INSERT INTO participant_kids (participant, seq, kid) SELECT participant, added_seq, kid FROM participant_keys
    WHERE added_seq < (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'kids_indexed_upto') ORDER BY 1, 2, 3;
  `,
  // Who added each key (issue 16: the operator could add a key to any participant and sign as it).
  // Filled from the record that added it, as a rebuild from the log would: its signer, and whether
  // it was a participant.key.add signed by someone else (an operator's recovery key, key-rules.ts).
  // The partial index lists those few keys for the trace answers' flags.
  `
  ALTER TABLE participant_keys ADD COLUMN added_by TEXT NOT NULL DEFAULT '';
  ALTER TABLE participant_keys ADD COLUMN operator_added INTEGER NOT NULL DEFAULT 0;
  UPDATE participant_keys SET
    added_by = COALESCE((SELECT r.signer FROM records r WHERE r.seq = participant_keys.added_seq), ''),
    operator_added = COALESCE((SELECT r.type = 'participant.key.add' AND r.signer <> participant_keys.participant FROM records r WHERE r.seq = participant_keys.added_seq), 0);
  CREATE INDEX participant_keys_operator_added ON participant_keys (added_seq) WHERE operator_added = 1;
  `,
  // GS1 Company Prefixes and their delegations (src/store/sqlite-prefixes.ts).
  PREFIX_SCHEMA,
];

/** Set bits of a non-negative safe integer. */
function popcount(n: number): number {
  let bits = 0;
  for (let x = n; x > 0; x = Math.floor(x / 0x1_0000_0000)) {
    let low = x % 0x1_0000_0000;
    while (low !== 0) {
      low &= low - 1;
      bits++;
    }
  }
  return bits;
}

/** Merkle nodes above the leaves in a tree of `size` leaves: one per completed subtree of two or more. */
export const merkleNodesIn = (size: number): number => size - popcount(size);

/**
 * Where the node at `level` ≥ 1 and `index` is stored: the nodes made before it when the leaves
 * are appended one by one (each append makes its leaf, then the parents it completes, bottom up).
 * The node covers leaves up to m − 1, m = (index + 1)·2^level; the nodes of the first m − 1 leaves
 * come first, then those of leaf m − 1 below it.
 */
export function merklePos(level: number, index: number): number {
  const m = (index + 1) * 2 ** level;
  return merkleNodesIn(m - 1) + level - 1;
}

/** The (level, index) stored at `pos` (the inverse of merklePos), for reports. */
export function merkleNodeAt(pos: number): { level: number; index: number } {
  // The smallest m whose tree has more than pos nodes: the node is made by leaf m − 1.
  let lo = 1;
  let hi = 2 * (pos + 1);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (merkleNodesIn(mid) > pos) hi = mid;
    else lo = mid + 1;
  }
  const level = pos - merkleNodesIn(lo - 1) + 1;
  return { level, index: lo / 2 ** level - 1 };
}

/**
 * The derived tables whose rows the log determines: the registry and the projections. The key
 * tables (kid_keys, participant_kids) index participant_keys and are checked against it by
 * `trace-ledger verify --db`.
 */
const DERIVED_TABLES: readonly string[] = ['participants', 'participant_keys', ...PREFIX_TABLES, ...DOMAIN_TABLES];

/** meta key: every record with a smaller seq has its rows in entry_keys and leaf_keys. */
export const KEYS_INDEXED_UPTO = 'keys_indexed_upto';
/**
 * SQL for the kid_keys key of a kid: its bytes (a kid is 16 hex digits); a kid that is not hex
 * (none the ledger writes) by its text, so that the merge never meets a NULL.
 */
export function kidBytes(column: string): string {
  return `COALESCE(unhex(${column}), CAST(${column} AS BLOB))`;
}

/** meta key: every participant_keys row with a smaller added_seq has its rows in kid_keys and participant_kids. */
export const KIDS_INDEXED_UPTO = 'kids_indexed_upto';
/** Records whose keys are moved to the key tables at once (and what the in-memory map holds at most, plus one commit). */
export const KEYS_MERGE_AT = 4096;

/** Index key of a leaf hash: its first 6 bytes, big-endian (a safe integer). */
export function leafKeyOf(leafHash: Uint8Array): number {
  return Buffer.from(leafHash.buffer, leafHash.byteOffset, leafHash.byteLength).readUIntBE(0, 6);
}

/** Index key of (signer, entry id): the first 6 bytes of SHA-256(signer ‖ 0x00 ‖ id). */
export function entryKeyOf(signer: string, entryId: string): number {
  return hash('sha256', `${signer}\u0000${entryId}`, 'buffer').readUIntBE(0, 6);
}

interface RecordRow { seq: number; leaf: Buffer; leaf_hash: Buffer; chain_hash: Buffer }
interface ParticipantRow { id: string; name: string; roles: string; gln: string | null; registered_seq: number }
interface KeyRow { kid: string; participant: string; public_key: Buffer; added_seq: number; revoked_seq: number | null; added_by: string; operator_added: number }
interface CheckpointRow { size: number; root: Buffer; note: string; signed_at: string }

const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
const toRecord = (r: RecordRow): StoredRecord => ({ seq: r.seq, leaf: u8(r.leaf), leafHash: u8(r.leaf_hash), chainHash: u8(r.chain_hash) });
const toParticipant = (r: ParticipantRow): ParticipantRecord => ({
  id: r.id, name: r.name, roles: JSON.parse(r.roles) as string[], gln: r.gln, registeredSeq: r.registered_seq,
});
const toKey = (r: KeyRow): KeyRecord => ({
  kid: r.kid, participant: r.participant, publicKey: u8(r.public_key), addedSeq: r.added_seq, revokedSeq: r.revoked_seq,
  addedBy: r.added_by, operatorAdded: r.operator_added === 1,
});
const toCheckpoint = (r: CheckpointRow): StoredCheckpoint => ({ size: r.size, root: u8(r.root), note: r.note, signedAt: r.signed_at });

export interface SqliteOptions {
  /** Open without creating or migrating (verification tools). */
  readonly readonly?: boolean;
  /** Records whose keys go to the key tables at once (default KEYS_MERGE_AT; tests use small ones). */
  readonly keysMergeAt?: number;
  /**
   * A throwaway database (the replay the derived-state checks compare with, src/derived-state.ts):
   * nothing is synced and the rollback journal stays in memory; the file is deleted by its owner.
   */
  readonly scratch?: boolean;
}

/** @throws LedgerError LEDGER_STORE_CORRUPT when the file is not a trace-ledger database */
export function openSqliteStore(path: string, options: SqliteOptions = {}): LedgerStore {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
    if (options.scratch) {
      db.pragma('journal_mode = MEMORY');
      db.pragma('synchronous = OFF');
      db.pragma('cache_size = -65536'); // 64 MiB: a replay of a large log reads back what it wrote
    } else {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // Checkpoints run on a second connection in a worker thread (see startCheckpointer).
    if (!options.readonly && !options.scratch) db.pragma('wal_autocheckpoint = 0');
    migrate(db, options.readonly ?? false);
    // SQLite opens a file it may not write read-only without a word, and says so only at the first
    // write: find out now, while the answer is a clear refusal rather than a failed submission.
    if (!options.readonly) probeWrite(db);
    // Preparing the statements is the schema check of a read-only open.
    return sqliteStore(db, path, options.keysMergeAt ?? KEYS_MERGE_AT, options.scratch ?? false);
  } catch (cause) {
    if (db?.open) db.close();
    if (cause instanceof LedgerError) throw cause;
    throw (
      storeUnwritable(cause, path) ??
      new LedgerError('LEDGER_STORE_CORRUPT', `cannot open database ${path}: ${(cause as Error).message}`, { cause })
    );
  }
}

/** Write page 1 (the schema version, unchanged) and roll back: BEGIN IMMEDIATE alone succeeds on a read-only file. */
function probeWrite(db: Database.Database): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.pragma(`user_version = ${db.pragma('user_version', { simple: true }) as number}`);
  } finally {
    db.exec('ROLLBACK');
  }
}

/**
 * A write that failed because the store cannot be written (read-only file, directory or mount;
 * disk full), not because of what was written: LEDGER_STORE_UNWRITABLE, never "corrupt".
 */
function storeUnwritable(cause: unknown, path: string): LedgerError | undefined {
  if (!(cause instanceof Database.SqliteError)) return undefined;
  const { code } = cause;
  const why =
    code === 'SQLITE_FULL' ? 'the disk is full'
    : code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY_') ? `it is read-only (the file ${path}, its directory or the file system)`
    : code === 'SQLITE_CANTOPEN' && !writable(path) ? `its directory is read-only (SQLite keeps ${path}-wal and -shm there)`
    : undefined;
  if (why === undefined) return undefined;
  return new LedgerError('LEDGER_STORE_UNWRITABLE', `cannot write the database ${path}: ${why} (${code}: ${cause.message})`, { cause });
}

function writable(path: string): boolean {
  try {
    accessSync(existsSync(path) ? path : dirname(path), constants.W_OK);
    accessSync(dirname(path), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Bring the schema up to date; a read-only open only checks that the schema is one we know. */
function migrate(db: Database.Database, readonly: boolean): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new LedgerError('LEDGER_STORE_CORRUPT', `database schema version ${version} is newer than this program (${MIGRATIONS.length})`);
  }
  if (readonly) {
    if (version === 0) throw new LedgerError('LEDGER_STORE_CORRUPT', 'not a trace-ledger database (schema version 0)');
    return;
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    const step = MIGRATIONS[v]!;
    db.transaction(() => {
      if (typeof step === 'string') db.exec(step);
      else step(db);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

const CHECKPOINT_BYTES = 16 * 1024 * 1024;
const WAL_MAX_BYTES = 256 * 1024 * 1024;

// Plain CommonJS evaluated in the worker, so it runs the same from dist/ and under the test loader.
const CHECKPOINTER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 10000');
parentPort.on('message', (m) => {
  if (m === 'close') { db.close(); parentPort.close(); return; }
  try { parentPort.postMessage({ ok: true, result: db.pragma('wal_checkpoint(PASSIVE)')[0] }); }
  catch (e) { parentPort.postMessage({ ok: false, error: String(e && e.message || e) }); }
});
`;

/** A worker thread that checkpoints the WAL on request; one request at a time. */
function startCheckpointer(path: string) {
  const worker = new Worker(CHECKPOINTER, {
    eval: true,
    workerData: { path, driver: createRequire(import.meta.url).resolve('better-sqlite3') },
  });
  worker.unref();
  let busy = false;
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  let closing: Promise<unknown> | undefined;
  worker.on('message', () => {
    busy = false;
  });
  worker.on('error', () => {
    busy = true; // never ask a broken worker again; the writer's fallback checkpoint takes over
  });
  return {
    request(): void {
      if (busy) return;
      busy = true;
      worker.postMessage('checkpoint');
    },
    async close(): Promise<void> {
      if (closing === undefined) {
        worker.ref(); // keep the process alive until the worker's connection is closed
        worker.postMessage('close');
        closing = exited;
      }
      await closing;
    },
  };
}

const WAL_FRAME_HEADER_BYTES = 24;

/**
 * Bytes of WAL frames not yet copied into the database, from the wal-index header in the -shm file
 * (https://www.sqlite.org/walformat.html): two copies of a 48-byte WalIndexHdr (mxFrame, the last
 * valid frame, at byte 16; szPage at byte 14), then WalCkptInfo (nBackfill, the frames already
 * checkpointed, at byte 96), in native byte order. Undefined when it cannot be read consistently
 * (no -shm file, or a writer between the two copies); the caller then uses the WAL file's size.
 */
export function walPendingBytes(shmFd: number, buf: Buffer = Buffer.alloc(100)): number | undefined {
  if (readSync(shmFd, buf, 0, 100, 0) < 100 || !buf.subarray(0, 48).equals(buf.subarray(48, 96))) return undefined;
  const le = endianness() === 'LE';
  const u32 = (at: number) => (le ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  const szPage = le ? buf.readUInt16LE(14) : buf.readUInt16BE(14);
  const pageBytes = szPage === 1 ? 65_536 : szPage;
  const frames = u32(16) - u32(96);
  return frames >= 0 && pageBytes >= 512 ? frames * (pageBytes + WAL_FRAME_HEADER_BYTES) : undefined;
}

function sqliteStore(db: Database.Database, path: string, keysMergeAt: number, scratch: boolean): LedgerStore {
  let walFd: number | undefined;
  let shmFd: number | undefined;
  const shmBuf = Buffer.alloc(100);
  // A scratch database (the replay of src/derived-state.ts) has no WAL to checkpoint.
  const checkpointer = db.readonly || scratch ? undefined : startCheckpointer(path);

  const syncsInFlight = new Set<Promise<void>>();

  /**
   * After a sync: hand the WAL to the checkpointer, or checkpoint here if it fell far behind. A
   * checkpoint is housekeeping: if it cannot run now (busy, closing), the next sync tries again.
   */
  function maybeCheckpoint(fd: number): void {
    if (fd !== walFd || !db.open) return;
    try {
      if (shmFd === undefined) shmFd = openSync(`${path}-shm`, 'r');
      const walBytes = walPendingBytes(shmFd, shmBuf) ?? fstatSync(fd).size;
      if (walBytes >= WAL_MAX_BYTES) db.pragma('wal_checkpoint(RESTART)');
      else if (walBytes >= CHECKPOINT_BYTES) checkpointer?.request();
    } catch {
      // retried after the next sync
    }
  }
  const q = {
    size: db.prepare('SELECT COALESCE(MAX(seq), -1) + 1 AS n FROM records').pluck(),
    // An index-only scan of the smallest index: about 20-35 ms per million records.
    count: db.prepare('SELECT COUNT(*) FROM records').pluck(),
    record: db.prepare('SELECT seq, leaf, leaf_hash, chain_hash FROM records WHERE seq = ?'),
    records: db.prepare('SELECT seq, leaf, leaf_hash, chain_hash FROM records WHERE seq > ? ORDER BY seq LIMIT ?'),
    range: db.prepare('SELECT seq, leaf, leaf_hash, chain_hash FROM records WHERE seq >= ? AND seq < ? ORDER BY seq'),
    signersBetween: db.prepare('SELECT DISTINCT signer FROM records WHERE seq >= ? AND seq < ? ORDER BY signer').pluck(),
    seqOfLeaf: db.prepare('SELECT k.seq FROM leaf_keys k JOIN records r ON r.seq = k.seq WHERE k.key = ? AND r.leaf_hash = ?').pluck(),
    bySignerId: db.prepare(
      'SELECT r.seq, r.payload_hash AS payloadHash FROM entry_keys k JOIN records r ON r.seq = k.seq WHERE k.key = ? AND r.signer = ? AND r.entry_id = ?',
    ),
    payloadHash: db.prepare('SELECT payload_hash FROM records WHERE seq = ?').pluck(),
    tail: db.prepare('SELECT seq, signer, entry_id, leaf_key FROM records WHERE seq >= ? ORDER BY seq'),
    // The merge: SQLite sorts the tail's keys itself, so each index page is written once per merge.
    mergeEntryKeys: db.prepare('INSERT INTO entry_keys (key, seq) SELECT entry_key, seq FROM records WHERE seq >= ? ORDER BY entry_key, seq'),
    mergeLeafKeys: db.prepare('INSERT INTO leaf_keys (key, seq) SELECT leaf_key, seq FROM records WHERE seq >= ? ORDER BY leaf_key, seq'),
    leafHash: db.prepare('SELECT leaf_hash FROM records WHERE seq = ?').pluck(),
    node: db.prepare('SELECT hash FROM merkle_nodes WHERE pos = ?').pluck(),
    participant: db.prepare('SELECT * FROM participants WHERE id = ?'),
    participants: db.prepare('SELECT * FROM participants ORDER BY registered_seq, id'),
    keyAt: db.prepare('SELECT * FROM participant_keys WHERE added_seq = ? AND kid = ?'),
    keyIndexed: db.prepare(`SELECT p.* FROM kid_keys k JOIN participant_keys p ON p.added_seq = k.seq AND p.kid = @kid WHERE k.kid = ${kidBytes('@kid')}`),
    tailKids: db.prepare('SELECT kid, added_seq AS seq, participant FROM participant_keys WHERE added_seq >= ? ORDER BY added_seq, kid'),
    mergeKids: db.prepare(`INSERT INTO kid_keys (kid, seq) SELECT ${kidBytes('kid')}, added_seq FROM participant_keys WHERE added_seq >= ? ORDER BY 1, 2`),
    mergeParticipantKids: db.prepare(
      'INSERT INTO participant_kids (participant, seq, kid) SELECT participant, added_seq, kid FROM participant_keys WHERE added_seq >= ? ORDER BY 1, 2, 3',
    ),
    keysOfIndexed: db.prepare(
      'SELECT p.* FROM participant_kids x JOIN participant_keys p ON p.added_seq = x.seq AND p.kid = x.kid WHERE x.participant = ? ORDER BY x.seq, x.kid',
    ),
    latestCheckpoint: db.prepare('SELECT size, root, note, signed_at FROM checkpoints ORDER BY id DESC LIMIT 1'),
    checkpoints: db.prepare('SELECT size, root, note, signed_at FROM checkpoints WHERE size < ? ORDER BY id DESC LIMIT ?'),
    meta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
    insertRecord: db.prepare(
      'INSERT INTO records (seq, signer, entry_id, type, payload_hash, leaf, leaf_hash, chain_hash, leaf_key, entry_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    insertNode: db.prepare('INSERT INTO merkle_nodes (pos, hash) VALUES (?, ?)'),
    insertParticipant: db.prepare('INSERT INTO participants (id, name, roles, gln, registered_seq) VALUES (?, ?, ?, ?, ?)'),
    insertKey: db.prepare('INSERT INTO participant_keys (kid, participant, public_key, added_seq, revoked_seq, added_by, operator_added) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    operatorAddedKeys: db.prepare('SELECT * FROM participant_keys WHERE operator_added = 1 ORDER BY added_seq'),
    revokeKey: db.prepare('UPDATE participant_keys SET revoked_seq = ? WHERE added_seq = ? AND kid = ? AND revoked_seq IS NULL'),
    insertCheckpoint: db.prepare('INSERT INTO checkpoints (size, root, note, signed_at) VALUES (?, ?, ?, ?)'),
    setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
  };
  const domain = domainStore(db);
  const prefixes = prefixStore(db);
  const derived = derivedPager(db, DERIVED_TABLES);

  // The newest records' keys (seq ≥ keysUpto), not yet in entry_keys / leaf_keys: see the
  // migration that made the key tables. `tailLog` lists them in seq order, so that a rollback can
  // take back its own and a merge can write them out.
  let keysUpto = 0;
  let tailLog: Array<{ seq: number; entry: string; leafKey: number }> = [];
  const tailEntries = new Map<string, number>();
  const tailLeaves = new Map<number, number[]>();
  // Likewise the newest keys (added_seq ≥ kidsUpto), not yet in kid_keys and participant_kids:
  // kid → added_seq, and the list in the order they were added (rollbacks, merges, keysOf).
  let kidsUpto = 0;
  let kidLog: Array<{ seq: number; kid: string; participant: string }> = [];
  const tailKids = new Map<string, number>();
  /** Merges (and clears) so far: a rollback after one cannot be undone entry by entry (loadTail instead). */
  let merges = 0;
  /** Inside this connection's write transaction: no other writer can have added records. */
  let writing = false;
  const entryOf = (signer: string, entryId: string) => `${signer}\u0000${entryId}`;
  // Sequencing an entry looks up its (signer, id) and then inserts it: one SHA-256 for both.
  let lastEntryKey: { signer: string; entryId: string; key: number } | undefined;
  function entryKey(signer: string, entryId: string): number {
    const last = lastEntryKey;
    if (last !== undefined && last.signer === signer && last.entryId === entryId) return last.key;
    const key = entryKeyOf(signer, entryId);
    lastEntryKey = { signer, entryId, key };
    return key;
  }
  function addTail(seq: number, signer: string, entryId: string, leafKey: number): void {
    const entry = entryOf(signer, entryId);
    tailEntries.set(entry, seq);
    const same = tailLeaves.get(leafKey);
    if (same === undefined) tailLeaves.set(leafKey, [seq]);
    else same.push(seq);
    tailLog.push({ seq, entry, leafKey });
  }
  function addKid(seq: number, kid: string, participant: string): void {
    tailKids.set(kid, seq);
    kidLog.push({ seq, kid, participant });
  }
  /** One past the last record the tail (or the key tables) covers. */
  const tailEnd = (): number => (tailLog.length > 0 ? tailLog.at(-1)!.seq + 1 : keysUpto);
  /** Read the records not yet in the key tables: at open, after a failed merge, or if another connection wrote. */
  function extendTail(): void {
    for (const r of q.tail.iterate(tailEnd()) as IterableIterator<{ seq: number; signer: string; entry_id: string; leaf_key: number }>) {
      addTail(r.seq, r.signer, r.entry_id, r.leaf_key);
    }
    const kidsFrom = kidLog.length > 0 ? kidLog.at(-1)!.seq + 1 : kidsUpto;
    for (const k of q.tailKids.iterate(kidsFrom) as IterableIterator<{ seq: number; kid: string; participant: string }>) addKid(k.seq, k.kid, k.participant);
  }
  function loadTail(): void {
    keysUpto = Number(q.meta.get(KEYS_INDEXED_UPTO) ?? 0);
    kidsUpto = Number(q.meta.get(KIDS_INDEXED_UPTO) ?? 0);
    tailLog = [];
    tailEntries.clear();
    tailLeaves.clear();
    kidLog = [];
    tailKids.clear();
    extendTail();
  }
  /** Take back the tail entries after `mark` and the keys after `kidMark` (their rows were rolled back). */
  function undoTail(mark: number, kidMark: number): void {
    for (const { seq, entry, leafKey } of tailLog.splice(mark)) {
      tailEntries.delete(entry);
      const same = tailLeaves.get(leafKey)!.filter((s) => s !== seq);
      if (same.length === 0) tailLeaves.delete(leafKey);
      else tailLeaves.set(leafKey, same);
    }
    for (const { kid } of kidLog.splice(kidMark)) tailKids.delete(kid);
  }
  /** Write the tail's record keys into entry_keys and leaf_keys, sorted (one page takes many), inside the open transaction. */
  function mergeRecordKeys(): void {
    if (tailLog.length === 0) return;
    merges++;
    q.mergeEntryKeys.run(keysUpto);
    q.mergeLeafKeys.run(keysUpto);
    keysUpto = tailEnd();
    q.setMeta.run(KEYS_INDEXED_UPTO, String(keysUpto));
    tailLog = [];
    tailEntries.clear();
    tailLeaves.clear();
  }
  /** Likewise the tail's participant keys into kid_keys and participant_kids. */
  function mergeKids(): void {
    if (kidLog.length === 0) return;
    merges++;
    q.mergeKids.run(kidsUpto);
    q.mergeParticipantKids.run(kidsUpto);
    kidsUpto = kidLog.at(-1)!.seq + 1;
    q.setMeta.run(KIDS_INDEXED_UPTO, String(kidsUpto));
    kidLog = [];
    tailKids.clear();
  }
  function mergeTail(): void {
    mergeRecordKeys();
    mergeKids();
  }
  /**
   * At the end of a write transaction that appended `records`: a full tail goes to the key tables,
   * but one of the two tails per transaction, so that a commit stalls the event loop for at most
   * one of the merges (key.add entries fill both tails at once: the two merges took 13-22 ms
   * together at ~4,000 single-entry requests/s, the longest stalls of the loop). Small commits
   * (1 to keysMergeAt / 128 records: single entries, clients waiting on each) merge a tail at a
   * quarter of keysMergeAt, so each merge is shorter; larger ones wait for the whole keysMergeAt,
   * where a merge writes fewer pages per key (batches ran 4-5 % faster that way).
   */
  function mergeIfFull(records: number): void {
    const small = records > 0 && records <= keysMergeAt / 128;
    const at = small ? Math.max(1, Math.floor(keysMergeAt / 4)) : keysMergeAt;
    if (tailLog.length >= at) mergeRecordKeys();
    else if (kidLog.length >= at) mergeKids();
  }
  /** Outside our own write transaction another connection may have appended: look once more. */
  function tailMayBeStale(): boolean {
    if (writing) return false;
    const size = q.size.get() as number;
    if (size <= tailEnd()) return false;
    if (tailLog.length > 4 * keysMergeAt) loadTail(); // a long-lived reader: start from the key tables again
    else extendTail();
    return true;
  }
  loadTail();
  // Records never change: parsed payloads are cached (the trace queries read many).
  const payloads = new Map<number, Payload>();
  const participantCache = new Map<string, ParticipantRecord | undefined>();
  // Every entry's signing key is looked up while sequencing, and a new key's kid once more to
  // refuse duplicates: cached (misses too) and dropped when an effect changes that kid's row.
  const keyCache = new Map<string, KeyRecord | undefined>();
  const parseRecord = (seq: number): LedgerRecord => {
    const r = q.record.get(seq) as RecordRow | undefined;
    if (r === undefined) corrupt(`record ${seq}`);
    return JSON.parse(r!.leaf.toString('utf8')) as LedgerRecord;
  };
  const payloadAt = (seq: number): Payload => {
    let p = payloads.get(seq);
    if (p === undefined) {
      p = parseRecord(seq).entry.payload as unknown as Payload;
      if (payloads.size >= 50_000) payloads.delete(payloads.keys().next().value!);
      payloads.set(seq, p);
    }
    return p;
  };
  // A rolled-back record's seq is reused by the next entry: what was cached of it must go too, or
  // the rules would judge that entry by the rolled-back payload (e.g. a retraction's signer check).
  const forgetOnRollback = <T>(run: () => T): T => {
    const mark = tailLog.length;
    const kidMark = kidLog.length;
    const mergesBefore = merges;
    try {
      return run();
    } catch (e) {
      if (merges === mergesBefore) undoTail(mark, kidMark);
      else loadTail(); // the merge was rolled back too
      payloads.clear();
      participantCache.clear();
      keyCache.clear();
      domain.forget();
      throw storeUnwritable(e, path) ?? e;
    }
  };
  /** A key by kid: the cache, then the tail, then kid_keys (and the tail again if another connection wrote). */
  function findKey(kid: string): KeyRecord | undefined {
    if (keyCache.has(kid)) return keyCache.get(kid);
    const inTail = (): KeyRow | undefined => {
      const seq = tailKids.get(kid);
      return seq === undefined ? undefined : (q.keyAt.get(seq, kid) as KeyRow | undefined);
    };
    const r = inTail() ?? (q.keyIndexed.get({ kid }) as KeyRow | undefined) ?? (tailMayBeStale() ? inTail() : undefined);
    const k = r && toKey(r);
    if (keyCache.size >= 10_000) keyCache.clear();
    keyCache.set(kid, k);
    return k;
  }
  // One transaction function for every transaction and savepoint: building one with
  // db.transaction() costs ~12 µs, as much as a savepoint itself (a savepoint per submitted batch
  // cost 15.7 µs with a new one each time, 3.3 µs with this one).
  const inTransaction = db.transaction((fn: () => unknown) => fn());
  const corrupt = (what: string): never => {
    throw new LedgerError('LEDGER_STORE_CORRUPT', `missing ${what}: the database is incomplete or was modified`);
  };

  return {
    // better-sqlite3 names an in-memory or temporary database ':memory:' or ''.
    file: path === ':memory:' || path === '' ? undefined : path,
    size: () => q.size.get() as number,
    recordCount: () => q.count.get() as number,
    record(seq) {
      const r = q.record.get(seq) as RecordRow | undefined;
      return r && toRecord(r);
    },
    records: (after, limit) => (q.records.all(after, limit) as RecordRow[]).map(toRecord),
    *iterateRecords(from, to) {
      for (const r of q.range.iterate(from, to) as IterableIterator<RecordRow>) yield toRecord(r);
    },
    signersBetween: (from, to) => q.signersBetween.all(from, to) as string[],
    seqOfLeafHash(leafHash) {
      if (leafHash.length !== 32) return undefined;
      const key = leafKeyOf(leafHash);
      const inTail = () => tailLeaves.get(key)?.find((seq) => (q.leafHash.get(seq) as Buffer).equals(leafHash));
      return inTail() ?? (q.seqOfLeaf.get(key, leafHash) as number | undefined) ?? (tailMayBeStale() ? inTail() : undefined);
    },
    entryBySignerId(signer, id) {
      const entry = entryOf(signer, id);
      const inTail = (): EntryRef | undefined => {
        const seq = tailEntries.get(entry);
        return seq === undefined ? undefined : { seq, payloadHash: u8(q.payloadHash.get(seq) as Buffer) };
      };
      const indexed = (): EntryRef | undefined => {
        const r = q.bySignerId.get(entryKey(signer, id), signer, id) as { seq: number; payloadHash: Buffer } | undefined;
        return r && { seq: r.seq, payloadHash: u8(r.payloadHash) };
      };
      return inTail() ?? indexed() ?? (tailMayBeStale() ? inTail() : undefined);
    },
    node(level, index) {
      const h = (level === 0 ? q.leafHash.get(index) : q.node.get(merklePos(level, index))) as Buffer | undefined;
      return h === undefined ? corrupt(`Merkle node (${level}, ${index})`) : u8(h);
    },
    participant(id) {
      // Participants are few and read for every node of a trace: cached until the registry changes.
      if (participantCache.has(id)) return participantCache.get(id);
      const r = q.participant.get(id) as ParticipantRow | undefined;
      const p = r && toParticipant(r);
      if (participantCache.size >= 10_000) participantCache.clear();
      participantCache.set(id, p);
      return p;
    },
    key: findKey,
    participants: () => (q.participants.all() as ParticipantRow[]).map(toParticipant),
    keysOf(participant) {
      tailMayBeStale();
      const indexed = q.keysOfIndexed.all(participant) as KeyRow[];
      const newest = kidLog
        .filter((k) => k.participant === participant)
        .sort((a, b) => a.seq - b.seq || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0))
        .map((k) => q.keyAt.get(k.seq, k.kid) as KeyRow);
      return [...indexed, ...newest].map(toKey);
    },
    latestCheckpoint() {
      const r = q.latestCheckpoint.get() as CheckpointRow | undefined;
      return r && toCheckpoint(r);
    },
    checkpoints: (limit, beforeSize = Number.MAX_SAFE_INTEGER) =>
      (q.checkpoints.all(beforeSize, limit) as CheckpointRow[]).map(toCheckpoint),
    meta: (key) => q.meta.get(key) as string | undefined,

    ...domain.reader,
    ...prefixes.reader,
    payloadAt,
    operatorAddedKeys: () => (q.operatorAddedKeys.all() as KeyRow[]).map(toKey),
    signingKidAt: (seq) => parseRecord(seq).entry.signature.kid,
    recordMeta(seq) {
      const r = q.record.get(seq) as RecordRow | undefined;
      if (r === undefined) return corrupt(`record ${seq}`);
      return { recordedAt: (JSON.parse(r.leaf.toString('utf8')) as LedgerRecord).recordedAt, leafHash: toHex(r.leaf_hash) };
    },
    applyDomainEffects: domain.applyDomainEffects,
    dumpProjections: () => domain.dumpProjections(['participants', 'participant_keys', ...PREFIX_TABLES]),
    derivedTables: () => DERIVED_TABLES,
    derivedPage: (table, after, limit, upTo) => derived.page(table, after, limit, upTo),
    clearDerived() {
      domain.clearProjections();
      prefixes.clear();
      db.prepare('DELETE FROM participant_keys').run();
      db.prepare('DELETE FROM kid_keys').run();
      db.prepare('DELETE FROM participant_kids').run();
      db.prepare('DELETE FROM participants').run();
      // Every key the rebuild adds goes to the tail again; a rollback reads the tail back (as after a merge).
      merges++;
      kidsUpto = 0;
      q.setMeta.run(KIDS_INDEXED_UPTO, '0');
      kidLog = [];
      tailKids.clear();
      payloads.clear();
      participantCache.clear();
      keyCache.clear();
    },

    transaction: (fn) =>
      forgetOnRollback(() => {
        const outer = writing;
        writing = true;
        try {
          return inTransaction.immediate(() => {
            const before = tailLog.length;
            const result = fn();
            mergeIfFull(tailLog.length - before);
            return result;
          }) as ReturnType<typeof fn>;
        } finally {
          writing = outer;
        }
      }),
    // One read transaction around a query: in WAL mode every statement outside one takes and
    // drops the read lock (a primary-key lookup cost 17-24 µs alone, 3-8 µs inside one).
    readTransaction: (fn) => (db.inTransaction ? fn() : (inTransaction.deferred(fn) as ReturnType<typeof fn>)),
    // better-sqlite3 turns a nested transaction into a SAVEPOINT that is rolled back on throw.
    savepoint: (fn) => forgetOnRollback(() => inTransaction(fn) as ReturnType<typeof fn>),
    insertRecord(r: NewRecord) {
      const leafKey = leafKeyOf(r.leafHash);
      q.insertRecord.run(r.seq, r.signer, r.entryId, r.type, r.payloadHash, r.leaf, r.leafHash, r.chainHash, leafKey, entryKey(r.signer, r.entryId));
      addTail(r.seq, r.signer, r.entryId, leafKey);
    },
    insertNodes(nodes: readonly MerkleNode[]) {
      for (const n of nodes) q.insertNode.run(merklePos(n.level, n.index), n.hash);
    },
    applyEffects(effects: readonly RegistryEffect[]) {
      for (const e of effects) {
        switch (e.kind) {
          case 'participant.insert': {
            // Key effects leave participant rows alone: only a new participant changes what is cached.
            participantCache.delete(e.participant.id);
            const p = e.participant;
            q.insertParticipant.run(p.id, p.name, JSON.stringify(p.roles), p.gln, p.registeredSeq);
            break;
          }
          case 'key.insert': {
            const k = e.key;
            q.insertKey.run(k.kid, k.participant, k.publicKey, k.addedSeq, k.revokedSeq, k.addedBy, k.operatorAdded ? 1 : 0);
            addKid(k.addedSeq, k.kid, k.participant);
            keyCache.delete(k.kid);
            break;
          }
          case 'key.revoke': {
            const k = findKey(e.kid);
            if (k !== undefined) q.revokeKey.run(e.seq, k.addedSeq, e.kid);
            keyCache.delete(e.kid);
            break;
          }
          default:
            prefixes.apply(e);
        }
      }
    },
    insertCheckpoint(cp: StoredCheckpoint) {
      q.insertCheckpoint.run(cp.size, cp.root, cp.note, cp.signedAt);
    },
    setMeta(key, value) {
      q.setMeta.run(key, value);
    },
    sync() {
      if (walFd === undefined) {
        try {
          walFd = openSync(`${path}-wal`, 'r');
        } catch (e) {
          // No WAL file: nothing was ever written through this connection.
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') return Promise.resolve();
          return Promise.reject(e);
        }
      }
      const fd = walFd;
      const done = new Promise<void>((resolve, reject) =>
        fdatasync(fd, (err) => {
          if (err) return reject(err);
          maybeCheckpoint(fd);
          resolve();
        }),
      );
      syncsInFlight.add(done);
      const forget = () => void syncsInFlight.delete(done);
      done.then(forget, forget);
      return done;
    },
    async close() {
      // A sync still running holds the WAL descriptor: let it finish before closing it.
      await Promise.allSettled([...syncsInFlight]);
      await checkpointer?.close();
      // The tail's keys go to the key tables now, so a closed ledger is indexed in full (and the
      // database's own uniqueness checks cover every record). Losing this to a crash loses nothing:
      // the next open reads the tail from the records again.
      if (db.open && !db.readonly && (tailLog.length > 0 || kidLog.length > 0)) {
        try {
          forgetOnRollback(() => inTransaction.immediate(mergeTail));
        } catch {
          // the keys stay in the tail, read again at the next open
        }
      }
      if (walFd !== undefined) closeSync(walFd);
      if (shmFd !== undefined) closeSync(shmFd);
      walFd = undefined;
      shmFd = undefined;
      if (db.open) db.close();
    },
  };
}
