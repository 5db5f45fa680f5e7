/**
 * A read-only look into a trace-ledger SQLite file, for the tools that audit it (`trace-ledger
 * verify --db`, src/audit/db-verify.ts): every column of every row the checks need, including
 * those the LedgerStore interface never shows (the key columns, the key tables, meta, the schema
 * objects), without the store's caches, tails or invariants in between. What it returns comes
 * from a file that may have been edited: values are `unknown` where a column could hold anything,
 * and the caller validates them.
 *
 * The connection is the caller's (a snapshot the auditor made); nothing here writes the main
 * database. The comparison of the derived tables with a rebuild keeps the live rows in TEMP
 * tables of this connection (setAsideDerived), because the rebuild replaces them in the file.
 */
import Database from 'better-sqlite3';
import { MIGRATIONS, schemaVersionOf } from './sqlite/schema.js';
import { KEYS_INDEXED_UPTO, KIDS_INDEXED_UPTO, kidBytes } from './sqlite/key-index.js';
import { merklePos } from './sqlite/merkle-layout.js';

/** A records row, every column as stored. */
export interface InspectedRecord {
  seq: number;
  signer: unknown;
  entry_id: unknown;
  type: unknown;
  payload_hash: unknown;
  leaf: unknown;
  leaf_hash: unknown;
  chain_hash: unknown;
  leaf_key: unknown;
  entry_key: unknown;
}

export interface InspectedCheckpoint {
  id: number;
  size: number;
  root: unknown;
  note: unknown;
}

/** A group of rows sharing what must be unique, with their seqs as SQLite lists them ("3,7"). */
export interface Duplicate {
  seqs: string;
}

export type RecordKeyTable = 'entry_keys' | 'leaf_keys';
export type KidTable = 'kid_keys' | 'participant_kids';

const RECORD_KEY_COLUMN: Record<RecordKeyTable, string> = { entry_keys: 'entry_key', leaf_keys: 'leaf_key' };
const KID_LOOKUP: Record<KidTable, string> = {
  kid_keys: `EXISTS (SELECT 1 FROM kid_keys k WHERE k.kid = ${kidBytes('p.kid')} AND k.seq = p.added_seq)`,
  participant_kids: 'EXISTS (SELECT 1 FROM participant_kids x WHERE x.participant = p.participant AND x.seq = p.added_seq AND x.kid = p.kid)',
};

const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** Schema objects ("type name" → SQL) of a connection, SQLite's own (sqlite_*) left out. */
function objectsOf(db: Database.Database): Map<string, string> {
  const rows = db.prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ type: string; name: string; sql: string | null }>;
  return new Map(rows.map((o) => [`${o.type} ${o.name}`, o.sql ?? '']));
}

/** What the migrations make on an empty database: the schema a file must have, object for object. */
export function expectedSchemaObjects(): Map<string, string> {
  const fresh = new Database(':memory:');
  try {
    for (const step of MIGRATIONS) {
      if (typeof step === 'string') fresh.exec(step);
      else step(fresh);
    }
    return objectsOf(fresh);
  } finally {
    fresh.close();
  }
}

export interface SqliteInspection {
  /**
   * The schema version (1 for a file made before the squash).
   * @throws LedgerError LEDGER_STORE_CORRUPT for a file this program cannot read as a ledger
   */
  schemaVersion(): number;
  /** The file's schema objects, "type name" → SQL. */
  schemaObjects(): Map<string, string>;
  meta(key: string): unknown;
  /** Every record below this seq has its rows in entry_keys and leaf_keys (meta, 0 when absent). */
  keysIndexedUpto(): number;
  /** Likewise every participant key below this added_seq in kid_keys and participant_kids. */
  kidsIndexedUpto(): number;

  recordCount(): number;
  record(seq: number): InspectedRecord | undefined;
  /** Up to `limit` records with seq > after, in seq order. */
  recordsAfter(after: number, limit: number): InspectedRecord[];
  /** The stored hash of Merkle node (level ≥ 1, index), or undefined without a row. */
  node(level: number, index: number): unknown;
  /** Up to `limit` positions of stored nodes outside the tree of `nodes` nodes (pos < 0 or ≥ nodes). */
  nodesOutside(nodes: number, limit: number): number[];

  checkpointCount(): number;
  /** Up to `limit` checkpoint rows with id > after, by id. */
  checkpointsById(after: number, limit: number): InspectedCheckpoint[];
  /** Up to `limit` checkpoint rows after (size, id), by size then id. */
  checkpointsBySize(afterSize: number, afterId: number, limit: number): Array<Omit<InspectedCheckpoint, 'note'>>;

  /** Entries stored more than once, (signer, entry_id) with their seqs. */
  duplicateEntries(limit: number): Array<Duplicate & { signer: string; entry_id: string }>;
  /** Leaf hashes stored more than once. */
  duplicateLeaves(limit: number): Array<Duplicate & { leaf_hash: unknown }>;
  /** Records with seq < upto whose key has no row in `table`. */
  recordsMissingFrom(table: RecordKeyTable, upto: number, limit: number): number[];
  /** Rows of `table` that are not the key of a record below upto. */
  strayRecordKeys(table: RecordKeyTable, upto: number, limit: number): Array<{ key: number; seq: number }>;
  /** Participant keys with added_seq < upto that have no row in `table`. */
  keysMissingFrom(table: KidTable, upto: number, limit: number): Array<{ kid: string; seq: number }>;
  /** kid_keys rows (kid as hex) that are not an indexed key of participant_keys. */
  strayKidKeys(upto: number, limit: number): Array<{ kid: string; seq: number }>;
  /** participant_kids rows that are not an indexed key of participant_keys. */
  strayParticipantKids(upto: number, limit: number): Array<{ participant: string; kid: string; seq: number }>;
  /** Kids registered more than once, with their added_seqs. */
  kidsTwice(limit: number): Array<{ kid: string; seqs: string }>;

  /** Copy the rows of these derived tables to TEMP tables, before a rebuild replaces them. */
  setAsideDerived(tables: readonly string[]): void;
  /** The columns of a table, with their place in its primary key (0: not in it). */
  columns(table: string): Array<{ name: string; pk: number }>;
  /** Up to `limit` rows only in the set-aside copy (live) and only in the table now (rebuilt). */
  derivedDifferences(table: string, limit: number): { live: Array<Record<string, unknown>>; rebuilt: Array<Record<string, unknown>> };
}

/** A look into the database open on `db`; the caller owns (and closes) the connection. */
export function inspectSqlite(db: Database.Database): SqliteInspection {
  const metaValue = db.prepare('SELECT value FROM meta WHERE key = ?').pluck();
  const recordPage = db.prepare('SELECT seq, signer, entry_id, type, payload_hash, leaf, leaf_hash, chain_hash, leaf_key, entry_key FROM records WHERE seq > ? ORDER BY seq LIMIT ?');
  const recordAt = db.prepare('SELECT seq, signer, entry_id, type, payload_hash, leaf, leaf_hash, chain_hash, leaf_key, entry_key FROM records WHERE seq = ?');
  const nodeAt = db.prepare('SELECT hash FROM merkle_nodes WHERE pos = ?').pluck();
  const checkpointsById = db.prepare('SELECT id, size, root, note FROM checkpoints WHERE id > ? ORDER BY id LIMIT ?');
  const checkpointsBySize = db.prepare('SELECT id, size, root FROM checkpoints WHERE size > ? OR (size = ? AND id > ?) ORDER BY size, id LIMIT ?');
  const upto = (key: string) => Number(metaValue.get(key) ?? 0);

  return {
    schemaVersion: () => schemaVersionOf(db),
    schemaObjects: () => objectsOf(db),
    meta: (key) => metaValue.get(key),
    keysIndexedUpto: () => upto(KEYS_INDEXED_UPTO),
    kidsIndexedUpto: () => upto(KIDS_INDEXED_UPTO),

    recordCount: () => db.prepare('SELECT COUNT(*) FROM records').pluck().get() as number,
    record: (seq) => recordAt.get(seq) as InspectedRecord | undefined,
    recordsAfter: (after, limit) => recordPage.all(after, limit) as InspectedRecord[],
    node: (level, index) => nodeAt.get(merklePos(level, index)),
    nodesOutside: (nodes, limit) => db.prepare('SELECT pos FROM merkle_nodes WHERE pos < 0 OR pos >= ? ORDER BY pos LIMIT ?').pluck().all(nodes, limit) as number[],

    checkpointCount: () => db.prepare('SELECT COUNT(*) FROM checkpoints').pluck().get() as number,
    checkpointsById: (after, limit) => checkpointsById.all(after, limit) as InspectedCheckpoint[],
    checkpointsBySize: (size, id, limit) => checkpointsBySize.all(size, size, id, limit) as Array<Omit<InspectedCheckpoint, 'note'>>,

    duplicateEntries: (limit) =>
      db.prepare('SELECT signer, entry_id, GROUP_CONCAT(seq) AS seqs FROM records GROUP BY signer, entry_id HAVING COUNT(*) > 1 LIMIT ?').all(limit) as Array<Duplicate & { signer: string; entry_id: string }>,
    duplicateLeaves: (limit) =>
      db.prepare('SELECT leaf_hash, GROUP_CONCAT(seq) AS seqs FROM records GROUP BY leaf_hash HAVING COUNT(*) > 1 LIMIT ?').all(limit) as Array<Duplicate & { leaf_hash: unknown }>,
    recordsMissingFrom(table, below, limit) {
      const column = RECORD_KEY_COLUMN[table];
      return db.prepare(`SELECT seq FROM records r WHERE seq < ? AND NOT EXISTS (SELECT 1 FROM ${table} k WHERE k.seq = r.seq AND k.key = r.${column}) ORDER BY seq LIMIT ?`).pluck().all(below, limit) as number[];
    },
    strayRecordKeys(table, below, limit) {
      const column = RECORD_KEY_COLUMN[table];
      return db.prepare(`SELECT k.key, k.seq FROM ${table} k LEFT JOIN records r ON r.seq = k.seq WHERE k.seq >= ? OR r.seq IS NULL OR r.${column} IS NOT k.key ORDER BY k.seq LIMIT ?`).all(below, limit) as Array<{ key: number; seq: number }>;
    },
    keysMissingFrom: (table, below, limit) =>
      db.prepare(`SELECT kid, added_seq AS seq FROM participant_keys p WHERE added_seq < ? AND NOT ${KID_LOOKUP[table]} ORDER BY added_seq LIMIT ?`).all(below, limit) as Array<{ kid: string; seq: number }>,
    strayKidKeys: (below, limit) =>
      db.prepare(`SELECT lower(hex(k.kid)) AS kid, k.seq FROM kid_keys k WHERE k.seq >= ? OR NOT EXISTS (SELECT 1 FROM participant_keys p WHERE p.added_seq = k.seq AND ${kidBytes('p.kid')} = k.kid) ORDER BY k.seq LIMIT ?`).all(below, limit) as Array<{ kid: string; seq: number }>,
    strayParticipantKids: (below, limit) =>
      db.prepare('SELECT x.participant, x.seq, x.kid FROM participant_kids x WHERE x.seq >= ? OR NOT EXISTS (SELECT 1 FROM participant_keys p WHERE p.added_seq = x.seq AND p.kid = x.kid AND p.participant = x.participant) ORDER BY x.seq LIMIT ?').all(below, limit) as Array<{ participant: string; kid: string; seq: number }>,
    kidsTwice: (limit) =>
      db.prepare('SELECT kid, GROUP_CONCAT(added_seq) AS seqs FROM participant_keys GROUP BY kid HAVING COUNT(*) > 1 ORDER BY kid LIMIT ?').all(limit) as Array<{ kid: string; seqs: string }>,

    setAsideDerived(tables) {
      for (const t of tables) db.exec(`CREATE TEMP TABLE ${ident(`live_${t}`)} AS SELECT * FROM main.${ident(t)}`);
    },
    columns: (table) => db.prepare(`PRAGMA main.table_info(${ident(table)})`).all() as Array<{ name: string; pk: number }>,
    derivedDifferences(table, limit) {
      const live = ident(`live_${table}`);
      const main = ident(table);
      return {
        live: db.prepare(`SELECT * FROM temp.${live} EXCEPT SELECT * FROM main.${main} LIMIT ?`).all(limit) as Array<Record<string, unknown>>,
        rebuilt: db.prepare(`SELECT * FROM main.${main} EXCEPT SELECT * FROM temp.${live} LIMIT ?`).all(limit) as Array<Record<string, unknown>>,
      };
    },
  };
}
