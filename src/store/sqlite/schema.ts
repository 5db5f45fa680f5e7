/**
 * The SQLite schema of a trace-ledger database, and how a file is brought to it.
 *
 * Version 1 is the schema of the unreleased 0.x squashed into one: what its ten migrations left,
 * table by table. A database those migrations made (`user_version` 10, application_id 0) already
 * has exactly this schema, so it is read as version 1 and nothing in it is rewritten (the
 * benchmark caches and users' ledgers are such files). New files are stamped with
 * APPLICATION_ID (https://www.sqlite.org/pragma.html#pragma_application_id), which tells the two
 * numberings apart from now on: `user_version` counts MIGRATIONS only in a stamped file.
 *
 * Changing the schema from now on: append a step to MIGRATIONS (SQL, or a function for a
 * backfill); it runs once, in a transaction, on every database of an older version. Never edit
 * a step that has shipped. `trace-ledger verify --db` compares a file's schema objects with what
 * MIGRATIONS make on an empty database, text for text (src/audit/db-verify.ts): that is why the
 * statements below keep the exact text SQLite stored for the legacy files, including the column
 * list that ALTER TABLE extended and the quoted names that RENAME TO wrote.
 */
import type Database from 'better-sqlite3';
import { LedgerError } from '../../core/errors.js';
import { DOMAIN_SCHEMA } from '../sqlite-domain.js';
import { PREFIX_SCHEMA } from '../sqlite-prefixes.js';

/**
 * The log: records, Merkle nodes and checkpoints, append-only in the database itself. Triggers
 * refuse UPDATE and DELETE, a record whose seq is not the next one, and a second row under the
 * same key: INSERT OR REPLACE deletes the conflicting row without firing DELETE triggers
 * (recursive_triggers is off by default), so it could otherwise overwrite a node or a checkpoint.
 * Merkle nodes are keyed by their place in the order they are made (merklePos, merkle-layout.ts),
 * so that every new node goes after the last one.
 */
const LOG_SCHEMA = `
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
  , leaf_key INTEGER, entry_key INTEGER);
CREATE TRIGGER records_next_seq BEFORE INSERT ON records
    WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), -1) + 1 FROM records)
    BEGIN SELECT RAISE(ABORT, 'records are append-only: seq must be the next one'); END;
CREATE TRIGGER records_no_update BEFORE UPDATE ON records
        BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;
CREATE TRIGGER records_no_delete BEFORE DELETE ON records
    BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;

CREATE TABLE "merkle_nodes" (pos INTEGER PRIMARY KEY, hash BLOB NOT NULL);
CREATE TRIGGER merkle_nodes_no_update BEFORE UPDATE ON merkle_nodes
        BEGIN SELECT RAISE(ABORT, 'merkle_nodes are append-only'); END;
CREATE TRIGGER merkle_nodes_no_delete BEFORE DELETE ON merkle_nodes
        BEGIN SELECT RAISE(ABORT, 'merkle_nodes are append-only'); END;
CREATE TRIGGER merkle_nodes_no_replace BEFORE INSERT ON merkle_nodes
        WHEN EXISTS (SELECT 1 FROM merkle_nodes WHERE pos = NEW.pos)
        BEGIN SELECT RAISE(ABORT, 'merkle_nodes are append-only'); END;

CREATE TABLE checkpoints (id INTEGER PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL, note TEXT NOT NULL, signed_at TEXT NOT NULL);
CREATE INDEX checkpoints_size ON checkpoints (size);
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
    BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
    BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER checkpoints_no_replace BEFORE INSERT ON checkpoints
    WHEN EXISTS (SELECT 1 FROM checkpoints WHERE id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
`;

/**
 * The deduplication indexes of the log, filled in bulk (see key-index.ts for why and how): a
 * record's (signer, entry_id) and leaf hash by their 6-byte integer keys (leaf_key, entry_key).
 * The trigger refuses a record without keys, or one that repeats a record already in the key
 * tables; lookups compare the full values, so a key row can only ever lead to its own record.
 */
const RECORD_KEYS_SCHEMA = `
CREATE TABLE entry_keys (key INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (key, seq)) WITHOUT ROWID;
CREATE TABLE leaf_keys (key INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (key, seq)) WITHOUT ROWID;
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
INSERT INTO meta (key, value) VALUES ('keys_indexed_upto', '0');
`;

/**
 * The registry (derived from the log, rebuilt from it when in doubt). Keys are stored in the
 * order they were added, (added_seq, kid), so that new keys fill the last page; kid_keys (a kid's
 * 8 bytes) and participant_kids find them by kid and by participant, filled in bulk like the
 * record keys (key-index.ts). added_by and operator_added say who added a key (issue 16: an
 * operator's recovery key, src/domain/key-rules.ts); the partial index lists those few keys.
 */
const REGISTRY_SCHEMA = `
CREATE TABLE participants (id TEXT PRIMARY KEY, name TEXT NOT NULL, roles TEXT NOT NULL, gln TEXT, registered_seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE "participant_keys" (
        added_seq INTEGER NOT NULL, kid TEXT NOT NULL, participant TEXT NOT NULL REFERENCES participants (id),
        public_key BLOB NOT NULL, revoked_seq INTEGER, added_by TEXT NOT NULL DEFAULT '', operator_added INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (added_seq, kid)
      ) WITHOUT ROWID;
CREATE INDEX participant_keys_operator_added ON participant_keys (added_seq) WHERE operator_added = 1;
CREATE TABLE kid_keys (kid BLOB NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (kid, seq)) WITHOUT ROWID;
CREATE TABLE participant_kids (participant TEXT NOT NULL, seq INTEGER NOT NULL, kid TEXT NOT NULL, PRIMARY KEY (participant, seq, kid)) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('kids_indexed_upto', '0');
`;

/** One migration: SQL, or a function for what SQL alone cannot do (a backfill computed in JavaScript). */
export type MigrationStep = string | ((db: Database.Database) => void);

/** Schema version 1, complete: the log, its key indexes, the registry, the traceability projections and the company prefixes. */
export const SCHEMA_V1 = [LOG_SCHEMA, RECORD_KEYS_SCHEMA, REGISTRY_SCHEMA, DOMAIN_SCHEMA, PREFIX_SCHEMA].join('\n');

/**
 * MIGRATIONS[v] takes a database from version v to v + 1; the schema version of this program is
 * MIGRATIONS.length. Step 0 creates version 1 on an empty file.
 */
export const MIGRATIONS: readonly MigrationStep[] = [SCHEMA_V1];

/** The schema version this program writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** 'TLDG': marks a file whose user_version counts MIGRATIONS (every file made since the squash). */
export const APPLICATION_ID = 0x544c4447;

/** user_version of a database made before the squash: the last of the ten 0.x migrations, whose schema is version 1. */
export const LEGACY_USER_VERSION = 10;

/**
 * The schema version of an open database: 0 for an empty file, 1 for a legacy 0.x file.
 * @throws LedgerError LEDGER_STORE_CORRUPT for a file of another program, a 0.x file from before
 *   its last migration (those steps were squashed away), or a version newer than this program
 */
export function schemaVersionOf(db: Database.Database, file = db.name, steps: readonly MigrationStep[] = MIGRATIONS): number {
  const appId = db.pragma('application_id', { simple: true }) as number;
  const userVersion = db.pragma('user_version', { simple: true }) as number;
  let version: number;
  if (appId === APPLICATION_ID) version = userVersion;
  else if (appId !== 0) throw new LedgerError('LEDGER_STORE_CORRUPT', `${file} is not a trace-ledger database (application_id ${appId})`);
  else if (userVersion === LEGACY_USER_VERSION) version = 1;
  else if (userVersion === 0) version = 0;
  else {
    throw new LedgerError(
      'LEDGER_STORE_CORRUPT',
      `${file} was made by an early 0.x trace-ledger (schema ${userVersion} of ${LEGACY_USER_VERSION}): open it once with a 0.x release before the schema was squashed`,
    );
  }
  if (version > steps.length) {
    throw new LedgerError('LEDGER_STORE_CORRUPT', `${file} has schema version ${version}, newer than this program (${steps.length})`);
  }
  return version;
}

/**
 * Bring the schema up to date, each step in its own transaction; a read-only open only checks
 * that the schema is one this program knows. A legacy file at version 1 is left untouched.
 * `steps` is MIGRATIONS but in the tests of the migration path.
 * @throws LedgerError LEDGER_STORE_CORRUPT as schemaVersionOf, and for an empty file opened read-only
 */
export function migrate(db: Database.Database, readonly: boolean, steps: readonly MigrationStep[] = MIGRATIONS): void {
  const version = schemaVersionOf(db, db.name, steps);
  if (readonly) {
    if (version === 0) throw new LedgerError('LEDGER_STORE_CORRUPT', 'not a trace-ledger database (schema version 0)');
    return;
  }
  for (let v = version; v < steps.length; v++) {
    const step = steps[v]!;
    db.transaction(() => {
      if (typeof step === 'string') db.exec(step);
      else step(db);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
