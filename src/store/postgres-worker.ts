/**
 * The PostgreSQL store's worker thread: it holds the connection (node-postgres) and runs the SQL
 * of one store method per request from src/store/postgres.ts, which waits for the answer
 * synchronously (src/platform/sync-call.ts). Transactions are the caller's: it sends `begin`,
 * the methods, then `commit` or `rollback`; every request runs on the one connection, in order.
 *
 * Errors are classified here, where the driver's SQLSTATE is known, and cross to the caller as
 * data: `LEDGER_STORE_UNWRITABLE` when the database cannot take writes at all (server gone,
 * read-only, disk full, no privilege), `LEDGER_STORE_CORRUPT` when it refused what the store
 * wrote because it contradicts what is stored (append-only triggers, unique indexes), a
 * TypeError for an unknown request; anything else is passed on with its SQLSTATE.
 */
import { workerData } from 'node:worker_threads';
import pg from 'pg';
import { LedgerError } from '../core/errors.js';
import { serveSyncCalls, type SyncCallError } from '../platform/sync-call.js';
import { derivedOps } from './postgres-derived.js';
import { domainOps } from './postgres-domain.js';
import { logOps, type Sql } from './postgres-log.js';
import { inlineStatement } from './postgres-literal.js';
import { APPEND_ONLY, POSTGRES_MIGRATIONS } from './postgres-schema.js';

export interface WorkerData {
  readonly url: string;
  /** The URL without its password, for messages. */
  readonly shownUrl: string;
  readonly readonly: boolean;
}

// BIGINT (int8, OID 20) columns come back as JavaScript numbers: every seq, size and micro quantity
// is a safe integer (the ledger checks quantities at the boundary), and the SQLite store returns
// numbers too. The parser is this worker's own: pg's type registry is per module instance.
pg.types.setTypeParser(20, (text) => {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`BIGINT ${text} is beyond JavaScript's safe integers`);
  return n;
});

/** Node and driver errors that mean the server cannot be reached or the connection is gone. */
const CONNECTION_LOST = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

export function classifyError(e: unknown, shownUrl: string): SyncCallError {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: unknown }).code;
  const sqlstate = typeof code === 'string' ? code : undefined;
  const unwritable = (why: string): SyncCallError => ({
    name: 'LedgerError', code: 'LEDGER_STORE_UNWRITABLE', message: `cannot write the database ${shownUrl}: ${why} (${sqlstate ?? 'no SQLSTATE'}: ${err.message})`,
  });
  if (err instanceof LedgerError) return { name: 'LedgerError', code: err.code, message: err.message };
  if (err instanceof TypeError || err instanceof RangeError) return { name: err.name, message: err.message };
  if (sqlstate === undefined && /Connection terminated|not queryable|Client was closed/i.test(err.message)) return unwritable('the connection to the server was lost');
  if (sqlstate === undefined) return { name: 'Error', message: err.message };
  if (CONNECTION_LOST.has(sqlstate) || sqlstate.startsWith('08') || sqlstate.startsWith('57P')) return unwritable('the server cannot be reached or shut down');
  if (sqlstate.startsWith('53')) return unwritable('the server is out of disk space or other resources');
  if (sqlstate === '25006') return unwritable('it is read-only (a standby, or default_transaction_read_only)');
  if (sqlstate === '42501' || sqlstate.startsWith('28') || sqlstate === '3D000') return unwritable('this role may not write it, or it does not exist');
  if (sqlstate.startsWith('23') || (sqlstate === 'P0001' && err.message.includes(APPEND_ONLY))) {
    return { name: 'LedgerError', code: 'LEDGER_STORE_CORRUPT', message: `the database ${shownUrl} refused a write that contradicts what it holds: ${err.message}` };
  }
  return { name: 'Error', message: err.message, code: sqlstate };
}

/** Structured clone turns the caller's Buffers into Uint8Arrays: pg binds only Buffers as BYTEA. */
function toDriver(v: unknown): unknown {
  if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (Array.isArray(v)) return v.map(toDriver);
  return v;
}

function main(): void {
  const data = (workerData as { data: WorkerData }).data;
  const client = new pg.Client({ connectionString: data.url });
  // A lost connection surfaces as the next query's error; without a listener it would kill the thread.
  client.on('error', () => undefined);
  const statementNames = new Map<string, string>();
  // Each text is prepared once per connection (named statements): parse and plan once, then only Bind/Execute.
  const sql: Sql = async <R>(text: string, values: readonly unknown[] = []) => {
    let name = statementNames.get(text);
    if (name === undefined) {
      name = `s${statementNames.size}`;
      statementNames.set(text, name);
    }
    const result = await client.query({ name, text, values: values.map(toDriver) });
    return result.rows as R[];
  };
  /** A statement whose result is not sent back (the driver's result object cannot cross threads). */
  const run = async (text: string): Promise<void> => {
    await client.query(text);
  };
  // The writes the caller queued (src/store/postgres.ts) are collected as literal statements and
  // sent as one simple query: one round trip to the server for a commit's records, nodes and
  // effects instead of one per statement. Write operations never read their own results.
  let collected: string[] = [];
  const collect: Sql = async <R>(text: string, values: readonly unknown[] = []) => {
    collected.push(inlineStatement(text, values.map(toDriver)));
    return [] as R[];
  };
  const log = logOps(collect);
  const domain = domainOps(collect);
  const writes: Record<string, (...args: never[]) => Promise<unknown>> = {
    insertRecord: log.insertRecord, insertNodes: log.insertNodes, applyEffects: log.applyEffects, insertCheckpoint: log.insertCheckpoint,
    setMeta: log.setMeta, applyDomainEffects: domain.applyDomainEffects,
  };
  async function runWrites(queued: ReadonlyArray<readonly [string, readonly unknown[]]>): Promise<void> {
    collected = [];
    for (const [op, args] of queued) {
      const write = Object.hasOwn(writes, op) ? writes[op] : undefined;
      if (write === undefined) throw new TypeError(`${op} is not a write the PostgreSQL store can queue`);
      await write(...(args as never[]));
    }
    const text = collected.join(';\n');
    collected = [];
    if (text !== '') await client.query(text);
  }
  const handlers: Record<string, (...args: never[]) => Promise<unknown>> = {
    ...logOps(sql),
    ...domainOps(sql),
    ...derivedOps(sql),
    open: () => open(client, sql, data.readonly),
    begin: () => run('BEGIN'),
    readBegin: () => run('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'),
    commit: () => run('COMMIT'),
    rollback: () => run('ROLLBACK'),
    savepoint: (name: string) => run(`SAVEPOINT ${savepointName(name)}`),
    release: (name: string) => run(`RELEASE SAVEPOINT ${savepointName(name)}`),
    rollbackTo: async (name: string) => {
      await run(`ROLLBACK TO SAVEPOINT ${savepointName(name)}`);
      await run(`RELEASE SAVEPOINT ${savepointName(name)}`);
    },
    close: () => client.end(),
    /** Writes the caller queued, in order, then its request (src/store/postgres.ts). */
    many: async (queued: ReadonlyArray<readonly [string, readonly unknown[]]>, op: string, args: readonly unknown[]) => {
      await runWrites(queued);
      return dispatch(op, args);
    },
    flush: async () => undefined,
  };
  const dispatch = (op: string, args: readonly unknown[]): Promise<unknown> => {
    const handler = Object.hasOwn(handlers, op) ? handlers[op] : undefined;
    if (handler === undefined) throw new TypeError(`the PostgreSQL store has no request ${op}`);
    return handler(...(args as never[]));
  };
  serveSyncCalls(async (op, args) => dispatch(op, args), (e) => classifyError(e, data.shownUrl));
}

const savepointName = (name: string): string => {
  if (!/^[a-z][a-z0-9_]{0,30}$/.test(name)) throw new TypeError(`bad savepoint name ${name}`);
  return name;
};

/**
 * Connect, make this session's commits durable, and bring the schema up to date (or, read-only,
 * check it is one we know). An advisory lock serialises two instances creating the schema at once.
 */
async function open(client: pg.Client, sql: Sql, readonly: boolean): Promise<void> {
  await client.connect();
  // A COMMIT that returned is on disk (the WAL is flushed before the server answers), whatever
  // the server's default: this is what lets the store's sync() resolve at once.
  await client.query('SET synchronous_commit = on');
  if (readonly) await client.query('SET default_transaction_read_only = on');
  const version = await schemaVersion(sql);
  if (version > POSTGRES_MIGRATIONS.length) throw corrupt(`database schema version ${version} is newer than this program (${POSTGRES_MIGRATIONS.length})`);
  if (readonly && version === 0) throw corrupt('not a trace-ledger database (no schema)');
  if (readonly || version === POSTGRES_MIGRATIONS.length) return;
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('trace-ledger schema'))`);
    // Read again under the lock: another instance may have created the schema meanwhile.
    for (let v = await schemaVersion(sql); v < POSTGRES_MIGRATIONS.length; v++) {
      await client.query(POSTGRES_MIGRATIONS[v]!);
      await sql(`INSERT INTO meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [String(v + 1)]);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/** 0 for an empty database. @throws LedgerError LEDGER_STORE_CORRUPT for a meta table without a version (not ours) */
async function schemaVersion(sql: Sql): Promise<number> {
  // to_regclass is NULL for a table that does not exist (rather than an error that aborts the transaction).
  if ((await sql<{ t: string | null }>(`SELECT to_regclass('meta')::text AS t`))[0]!.t === null) return 0;
  const value = (await sql<{ value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`))[0]?.value;
  const version = Number(value);
  if (value === undefined || !Number.isSafeInteger(version) || version < 1) throw corrupt('not a trace-ledger database (a meta table without a schema_version)');
  return version;
}

const corrupt = (message: string) => new LedgerError('LEDGER_STORE_CORRUPT', message);

main();
