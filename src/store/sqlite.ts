/**
 * The SQLite store (better-sqlite3, WAL mode), in src/store/sqlite/:
 *
 * - open.ts: opening a database (connection settings, schema, write probe): `openSqliteStore`
 * - schema.ts: the one schema (version 1) and the migration path from it
 * - ledger-store.ts: the LedgerStore over one connection (transactions, rollback bookkeeping)
 * - log.ts: records, Merkle nodes, checkpoints, meta
 * - key-index.ts: the deduplication indexes, written in bulk (the "key tail")
 * - derived.ts: the registry and the projections (with ../sqlite-domain.ts, ../sqlite-prefixes.ts)
 * - wal.ts: durable sync and WAL checkpoints off the event loop
 * - merkle-layout.ts: where each Merkle node is stored
 *
 * The log tables (records, merkle_nodes, checkpoints) reject UPDATE and DELETE with triggers, and
 * a trigger refuses a record whose seq is not the next one: the database itself keeps the log
 * append-only and gap-free, whatever code talks to it. Registry tables are caches of the log and
 * may be rebuilt from it. Tools that read a database file to check it use ./sqlite-inspect.ts.
 */
export { openSqliteStore, type SqliteOptions } from './sqlite/open.js';
export { MIGRATIONS, SCHEMA_VERSION, schemaVersionOf, type MigrationStep } from './sqlite/schema.js';
export { KEYS_INDEXED_UPTO, KIDS_INDEXED_UPTO, KEYS_MERGE_AT, entryKeyOf, kidBytes, leafKeyOf } from './sqlite/key-index.js';
export { merkleNodeAt, merkleNodesIn, merklePos } from './sqlite/merkle-layout.js';
export { walPendingBytes } from './sqlite/wal.js';
