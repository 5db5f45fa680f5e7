/**
 * PostgreSQL store (node-postgres) behind the synchronous LedgerStore interface.
 *
 * Why synchronous: the ledger reads the registry inside its single-writer critical section (the
 * rules of one entry read what the previous entry of the same commit wrote), and the domain and
 * trace queries call the store directly; making the interface asynchronous would let other work
 * interleave inside those sections. So the driver runs on a worker thread
 * (src/store/postgres-worker.ts) that holds the connection, and each method here is ONE blocking
 * request to it (src/platform/sync-call.ts): the worker runs all of the method's SQL (a whole
 * batch of effects, a whole trace walk) and answers once. A method blocks this thread for one
 * round trip to the worker plus the statements' round trips to the server.
 *
 * Transactions: `transaction` is BEGIN … COMMIT, a nested one or `savepoint` is SAVEPOINT …
 * RELEASE (ROLLBACK TO on a throw), `readTransaction` is REPEATABLE READ READ ONLY (one snapshot
 * for a whole query). Durability: the worker's session runs with synchronous_commit = on, so the
 * server flushes the commit's WAL to disk before COMMIT returns; `sync()` therefore has nothing
 * left to do and resolves at once.
 *
 * The store caches what never changes once written (payloads by seq) and what the sequencer
 * reads for every entry (participants and keys, dropped when an effect touches them), and drops
 * it all on a rollback. It assumes it is the only writer of its database.
 */
import { LedgerError, type LedgerErrorCode } from '../core/errors.js';
import type { LedgerRecord } from '../core/record.js';
import { toHex } from '../core/bytes.js';
import type { KeyRecord, ParticipantRecord } from '../domain/registry.js';
import type { Payload } from '../domain/schemas.js';
import { startSyncWorker, SyncCallFailed, SyncCallTimeout } from '../platform/sync-call.js';
import { DERIVED_TABLES } from './postgres-schema.js';
import type { WorkerData } from './postgres-worker.js';
import type { LedgerStore, StoredRecord } from './store.js';

export interface PostgresOptions {
  /** Open without creating or migrating the schema, in read-only transactions (verification tools). */
  readonly readonly?: boolean;
  /** How long one store method may wait for the database before LEDGER_STORE_UNWRITABLE (default 60 s). */
  readonly timeoutMs?: number;
}

/** Records fetched per request by iterateRecords. */
const PAGE = 1000;
const CACHE_MAX = 10_000;
/** Merkle nodes kept: a proof reads about log2(size) of them, the newest most often. */
const NODE_CACHE_MAX = 200_000;
/** Queued writes sent at once when no request comes to take them (a large rebuild). */
const MAX_PENDING_WRITES = 1000;

/** True for a postgres:// or postgresql:// URL (what `--db` and DATABASE_URL take for this store). */
export const isPostgresUrl = (s: string): boolean => /^postgres(ql)?:\/\//i.test(s);

/** The URL with its password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

function workerUrl(): URL {
  const ext = new URL(import.meta.url).pathname.endsWith('.ts') ? 'ts' : 'js';
  return new URL(`./postgres-worker.${ext}`, import.meta.url);
}

/**
 * Connect to `url` and bring its schema up to date (create it in an empty database).
 * @throws LedgerError LEDGER_STORE_UNWRITABLE when the server cannot be reached or written;
 *   LEDGER_STORE_CORRUPT when the database holds something that is not a trace-ledger schema we know
 * @throws TypeError when url is not a postgres:// URL
 */
export function openPostgresStore(url: string, options: PostgresOptions = {}): LedgerStore {
  if (!isPostgresUrl(url)) throw new TypeError(`not a postgres:// URL: ${redactUrl(url)}`);
  const shownUrl = redactUrl(url);
  const data: WorkerData = { url, shownUrl, readonly: options.readonly ?? false };
  const worker = startSyncWorker(workerUrl(), { data, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) });
  // Writes that answer nothing wait here and travel with the next request (see `postgresStore`).
  let pending: Array<[string, unknown[]]> = [];
  const call = <T>(op: string, ...args: unknown[]): T => {
    const writes = pending;
    pending = [];
    try {
      return (writes.length === 0 ? worker.call(op, args) : worker.call('many', [writes, op, args])) as T;
    } catch (e) {
      throw fromWorker(e, shownUrl);
    }
  };
  const queue = (op: string, ...args: unknown[]): void => {
    pending.push([op, args]);
    if (pending.length >= MAX_PENDING_WRITES) call('flush');
  };
  const discard = (): void => {
    pending = [];
  };
  try {
    call('open');
  } catch (e) {
    void worker.terminate();
    throw e;
  }
  return postgresStore({ call, queue, discard }, () => worker.terminate());
}

/** The worker's error as the store's callers expect it: a LedgerError with its code, a TypeError, or an Error with the SQLSTATE. */
function fromWorker(e: unknown, shownUrl: string): Error {
  if (e instanceof SyncCallTimeout) {
    return new LedgerError('LEDGER_STORE_UNWRITABLE', `cannot write the database ${shownUrl}: no answer in time (${e.message})`, { cause: e });
  }
  if (!(e instanceof SyncCallFailed)) return e as Error;
  const { name, message, code } = e.error;
  if (name === 'LedgerError') return new LedgerError(code as LedgerErrorCode, message);
  if (name === 'TypeError') return new TypeError(message);
  if (name === 'RangeError') return new RangeError(message);
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

interface Channel {
  /** Run a request (after the queued writes) and return its answer. */
  call<T>(op: string, ...args: unknown[]): T;
  /** Queue a write that answers nothing, to go with the next request. */
  queue(op: string, ...args: unknown[]): void;
  /** Drop the queued writes (their transaction is being rolled back). */
  discard(): void;
}

/**
 * Inside a write transaction, writes that answer nothing (records, nodes, effects, checkpoints,
 * meta) are queued and go with the next request, in order on the same connection: a sequenced
 * entry costs one round trip to the worker instead of five. The transaction's COMMIT (or the
 * savepoint's RELEASE) is a request, so a refused write still fails inside the transaction or
 * savepoint that made it and is rolled back with it; it is only reported at the next request
 * rather than at the write itself. Outside a transaction a write is sent at once (autocommit).
 */
function postgresStore({ call, queue, discard }: Channel, terminate: () => Promise<void>): LedgerStore {
  /** 0 outside a write transaction; n ≥ 1 inside one with n − 1 savepoints open. */
  let depth = 0;
  let reading = false;
  let closed = false;
  const payloads = new Map<number, Payload>();
  const participants = new Map<string, ParticipantRecord | undefined>();
  const keys = new Map<string, KeyRecord | undefined>();
  const nodes = new Map<string, Uint8Array>();
  const remember = <K, V>(cache: Map<K, V>, key: K, value: V, max = CACHE_MAX): V => {
    if (cache.size >= max) cache.delete(cache.keys().next().value!);
    cache.set(key, value);
    return value;
  };
  // A rolled-back record's seq is reused by the next entry, and rolled-back effects may have been cached.
  const forget = () => {
    payloads.clear();
    participants.clear();
    keys.clear();
    nodes.clear();
  };
  const corrupt = (what: string): never => {
    throw new LedgerError('LEDGER_STORE_CORRUPT', `missing ${what}: the database is incomplete or was modified`);
  };
  const parsedRecord = (seq: number): LedgerRecord => {
    const r = call<StoredRecord | undefined>('record', seq);
    if (r === undefined) return corrupt(`record ${seq}`);
    return JSON.parse(Buffer.from(r.leaf).toString('utf8')) as LedgerRecord;
  };
  /** Undo after a throw, keeping the first error: a failed rollback (connection gone) says less than it. */
  const undo = (op: string, ...args: unknown[]) => {
    forget();
    discard();
    try {
      call(op, ...args);
    } catch {
      // the transaction is gone with the connection; the next request reports that
    }
  };
  const write = (op: string, ...args: unknown[]): void => {
    if (depth > 0) queue(op, ...args);
    else call(op, ...args);
  };
  function transaction<T>(fn: () => T): T {
    if (closed) throw new TypeError('the PostgreSQL store is closed');
    if (depth > 0) return savepoint(fn);
    if (reading) throw new TypeError('a write transaction cannot start inside a read transaction');
    call('begin');
    depth = 1;
    try {
      const result = fn();
      call('commit');
      return result;
    } catch (e) {
      undo('rollback');
      throw e;
    } finally {
      depth = 0;
    }
  }
  function savepoint<T>(fn: () => T): T {
    if (depth === 0) return transaction(fn);
    const name = `sp${depth}`;
    call('savepoint', name);
    depth++;
    try {
      const result = fn();
      call('release', name);
      return result;
    } catch (e) {
      undo('rollbackTo', name);
      throw e;
    } finally {
      depth--;
    }
  }

  return {
    file: undefined,
    size: () => call('size'),
    recordCount: () => call('recordCount'),
    record: (seq) => call('record', seq),
    records: (after, limit) => call('records', after, limit),
    *iterateRecords(from, to) {
      for (let after = from - 1; after < to - 1; ) {
        const page = call<StoredRecord[]>('records', after, Math.min(PAGE, to - 1 - after));
        if (page.length === 0) return;
        for (const r of page) if (r.seq < to) yield r;
        after = page.at(-1)!.seq;
      }
    },
    signersBetween: (from, to) => call('signersBetween', from, to),
    seqOfLeafHash: (leafHash) => (leafHash.length === 32 ? call('seqOfLeafHash', leafHash) : undefined),
    entryBySignerId: (signer, id) => call('entryBySignerId', signer, id),
    node(level, index) {
      // Committed nodes never change (the database refuses it); those of a rolled-back commit are forgotten with it.
      const key = `${level}:${index}`;
      const cached = nodes.get(key);
      if (cached !== undefined) return cached;
      const hash = call<Uint8Array | undefined>('node', level, index) ?? corrupt(`Merkle node (${level}, ${index})`);
      return remember(nodes, key, hash, NODE_CACHE_MAX);
    },
    participant: (id) => (participants.has(id) ? participants.get(id) : remember(participants, id, call('participant', id))),
    key: (kid) => (keys.has(kid) ? keys.get(kid) : remember(keys, kid, call('key', kid))),
    participants: () => call('participants'),
    keysOf: (participant) => call('keysOf', participant),
    latestCheckpoint: () => call('latestCheckpoint'),
    checkpoints: (limit, beforeSize = Number.MAX_SAFE_INTEGER) => call('checkpoints', limit, beforeSize),
    meta: (key) => call('meta', key),
    overlappingPrefixes: (digits) => call('overlappingPrefixes', digits),
    prefixesOf: (participant) => call('prefixesOf', participant),
    delegationsTo: (to) => call('delegationsTo', to),

    object: (code) => call('object', code),
    objects: (codes) => call('objects', codes),
    holding: (code, holder) => call('holding', code, holder),
    holdingsOf: (codes) => call('holdingsOf', codes),
    inTransitTo: (code, receiver) => call('inTransitTo', code, receiver),
    containersOf: (code) => call('containersOf', code),
    contents: (parent) => call('contents', parent),
    shipment: (seq) => call('shipment', seq),
    shipmentsOf: (codes) => call('shipmentsOf', codes),
    retractionOf: (seq) => call('retractionOf', seq),
    touchesOf: (seq) => call('touchesOf', seq),
    laterTouches: (codes, after, signer) => call('laterTouches', codes, after, signer),
    standingRecalls: (code) => call('standingRecalls', code),
    standingPackings: (parent, child) => call('standingPackings', parent, child),
    touchesFor: (codes, roles) => call('touchesFor', codes, roles),
    upstreamEdges: (code) => call('upstreamEdges', code),
    downstreamEdges: (code) => call('downstreamEdges', code),
    payloadAt(seq) {
      const cached = payloads.get(seq);
      return cached ?? remember(payloads, seq, parsedRecord(seq).entry.payload as unknown as Payload);
    },
    operatorAddedKeys: () => call('operatorAddedKeys'),
    signingKidAt: (seq) => parsedRecord(seq).entry.signature.kid,
    recordMeta(seq) {
      const r = call<StoredRecord | undefined>('record', seq);
      if (r === undefined) return corrupt(`record ${seq}`);
      return { recordedAt: (JSON.parse(Buffer.from(r.leaf).toString('utf8')) as LedgerRecord).recordedAt, leafHash: toHex(r.leafHash) };
    },

    transaction,
    savepoint,
    readTransaction<T>(fn: () => T): T {
      if (depth > 0 || reading) return fn();
      call('readBegin');
      reading = true;
      try {
        const result = fn();
        call('commit');
        return result;
      } catch (e) {
        undo('rollback');
        throw e;
      } finally {
        reading = false;
      }
    },
    insertRecord: (record) => write('insertRecord', record),
    insertNodes: (list) => write('insertNodes', list),
    applyEffects(effects) {
      for (const e of effects) {
        if (e.kind === 'participant.insert') participants.delete(e.participant.id);
        else if (e.kind === 'key.insert') keys.delete(e.key.kid);
        else if (e.kind === 'key.revoke') keys.delete(e.kid);
      }
      write('applyEffects', effects);
    },
    applyDomainEffects: (effects) => write('applyDomainEffects', effects),
    dumpProjections: () => call('dumpProjections'),
    derivedTables: () => DERIVED_TABLES,
    derivedPage: (table, after, limit, upTo) => call('derivedPage', table, after, limit, upTo),
    clearDerived() {
      forget();
      call('clearDerived');
    },
    insertCheckpoint: (cp) => write('insertCheckpoint', cp),
    setMeta: (key, value) => write('setMeta', key, value),
    // synchronous_commit = on: every COMMIT that returned is already durable (see the module comment).
    sync: () => Promise.resolve(),
    async close() {
      if (closed) return;
      closed = true;
      try {
        call('close');
      } catch {
        // the connection was lost already: there is nothing left to end
      } finally {
        await terminate();
      }
    },
  };
}
