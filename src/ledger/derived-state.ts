/**
 * Is the derived state (the registry and the traceability projections the rules read) what the
 * log derives? Issue 16: an edit of `holdings` let a retailer ship windows it never had, and a row
 * inserted into `participant_keys` let an entry signed with that key in. Three pieces, each
 * resumable in slices so that a check of millions of rows can yield to the event loop:
 *
 * - `scanDerived`: one SHA-256 per derived table over its rows in primary-key order (what a
 *   seal records at a clean close, src/ledger/derived-seal.ts, and what the next open recomputes);
 * - `createReplica`: the log replayed into a scratch store (the rules run again on every record,
 *   reading only the scratch registry and projections, and the log itself), optionally checking
 *   every entry's signature with the key the replayed registry holds at its seq;
 * - `compareDerived`: the live tables against the replica, page by page, naming the table and the
 *   row's key where they differ.
 *
 * The one definition of what the tables should be stays the rules (registryEffects, domainEffects),
 * as for `trace-ledger rebuild` and `verify --db`.
 */
import { createHash } from 'node:crypto';
import { fromBase64Url } from '../core/bytes.js';
import type { Ed25519 } from '../core/ed25519.js';
import { signingMessageFromCanonical, verifyEntrySignature } from '../core/entry.js';
import { isLedgerError } from '../core/errors.js';
import { canonicalize } from '../core/jcs.js';
import { keyIdOf } from '../core/keys.js';
import type { LedgerRecord } from '../core/record.js';
import { LEDGER_SIGNER, registryEffects, signingKeyFor } from '../domain/registry.js';
import { domainEffects } from '../domain/rules.js';
import type { Payload } from '../domain/schemas.js';
import type { DerivedRow, LedgerStore } from '../store/store.js';

/** Hex SHA-256 of each derived table's rows, by table name. */
export type TableDigests = Record<string, string>;

/** Where the derived state and the log disagree; `table`/`key` name the row, `seq` the record. */
export interface DerivedMismatch {
  readonly table?: string;
  readonly key?: string;
  readonly seq?: number;
  readonly message: string;
}

const PAGE_ROWS = 2000;

/** A row's text for a message: one line, and short (a spec can be kilobytes). */
const clip = (text: string): string => {
  const line = text.replace(/\s+/g, ' ');
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
};

const keyText = (key: readonly unknown[]): string => key.map((v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : String(v))).join(', ');

/** A walk over every row of every derived table, a page at a time. */
interface TableCursor {
  /** The table and the key of the last row read, or undefined once every table was read. */
  readonly table: string | undefined;
  readonly after: readonly unknown[] | undefined;
  /** Advance past `rows` (the last page read); an empty page moves on to the next table. */
  advance(rows: readonly DerivedRow[]): void;
}

function tableCursor(tables: readonly string[]): TableCursor {
  let i = 0;
  let after: readonly unknown[] | undefined;
  return {
    get table() {
      return tables[i];
    },
    get after() {
      return after;
    },
    advance(rows) {
      if (rows.length === 0) {
        i++;
        after = undefined;
      } else {
        after = rows.at(-1)!.key;
      }
    },
  };
}

export interface DerivedScan {
  /** Hash up to `maxRows` more rows; true once every table is done. */
  step(maxRows: number): boolean;
  readonly rows: number;
  /** Complete once `step` returned true. */
  readonly digests: TableDigests;
}

/**
 * The per-table digests of a store's derived tables: SHA-256 over each row's text and a newline,
 * in primary-key order. Run it while nothing writes (at close, or before writes are accepted).
 */
export function scanDerived(store: LedgerStore): DerivedScan {
  const tables = store.derivedTables();
  const cursor = tableCursor(tables);
  const digests: TableDigests = {};
  let hash = createHash('sha256');
  let rows = 0;
  return {
    step(maxRows) {
      for (let budget = maxRows; cursor.table !== undefined && budget > 0; ) {
        const table = cursor.table;
        const page = store.derivedPage(table, cursor.after, Math.min(PAGE_ROWS, budget));
        for (const r of page) hash.update(`${r.text}\n`);
        rows += page.length;
        budget -= page.length;
        cursor.advance(page);
        if (page.length === 0) {
          digests[table] = hash.digest('hex');
          hash = createHash('sha256');
        }
      }
      return cursor.table === undefined;
    },
    get rows() {
      return rows;
    },
    digests,
  };
}

/** `scanDerived` in one go (a clean close; tests). */
export function digestDerived(store: LedgerStore): TableDigests {
  const scan = scanDerived(store);
  while (!scan.step(100_000));
  return scan.digests;
}

/** The tables whose digests differ from the sealed ones (or that either side lacks). */
export function differingTables(sealed: TableDigests, live: TableDigests): string[] {
  const names = new Set([...Object.keys(sealed), ...Object.keys(live)]);
  return [...names].filter((t) => sealed[t] !== live[t]);
}

/** A replay of the log into a scratch store, following the live log as it grows. */
export interface Replica {
  /** Records replayed so far (the replica's derived tables are those of a log of this size). */
  readonly size: number;
  /**
   * Replay up to `maxRecords` more records below `upTo`; returns how many it replayed.
   * A record that does not replay (or whose signature does not verify) is returned as a mismatch.
   */
  step(maxRecords: number, upTo: number): number | DerivedMismatch;
  readonly store: LedgerStore;
}

export interface ReplicaOptions {
  /** Check every entry's signature with its signer's key valid at its seq, from the replayed registry. */
  readonly verifySignatures: boolean;
  readonly ed: Ed25519;
}

/**
 * Replay `live`'s log into `scratch` (an empty store of the same engine). The rules read the
 * scratch registry and projections; what they read of the log itself (payloads of earlier
 * records, a leaf hash's seq) comes from `live`, limited to the records replayed so far.
 */
export function createReplica(live: LedgerStore, scratch: LedgerStore, options: ReplicaOptions): Replica {
  let size = 0;
  const view: LedgerStore = {
    ...scratch,
    payloadAt: (seq) => live.payloadAt(seq),
    seqOfLeafHash: (leafHash) => {
      const seq = live.seqOfLeafHash(leafHash);
      return seq !== undefined && seq < size ? seq : undefined;
    },
  };

  /** The signature of `record` with the key the replayed registry holds for its signer at its seq. */
  function checkSignature(record: LedgerRecord, payload: Payload): void {
    const { signature } = record.entry;
    let publicKey: Uint8Array;
    if (record.seq === 0 && payload.type === 'ledger.genesis') {
      // The genesis entry carries the key that signs it (the start-up check pins it to the ledger key).
      publicKey = fromBase64Url(payload.ledgerPublicKey);
      if (keyIdOf(publicKey) !== signature.kid) throw new Error(`the genesis entry is signed by ${signature.kid}, not by the ledger key it names`);
    } else {
      if (payload.signer === LEDGER_SIGNER) throw new Error('the ledger key signs only the genesis entry and checkpoints');
      publicKey = signingKeyFor(view, payload.signer, signature.kid, record.seq).publicKey;
    }
    verifyEntrySignature(signingMessageFromCanonical(canonicalize(payload)), signature, publicKey, options.ed);
  }

  return {
    get size() {
      return size;
    },
    store: scratch,
    step(maxRecords, upTo) {
      const page = live.records(size - 1, Math.min(maxRecords, upTo - size));
      let failure: DerivedMismatch | undefined;
      scratch.transaction(() => {
        for (const r of page) {
          if (r.seq !== size) {
            failure = { seq: size, message: `record ${size} is missing from the log` };
            return;
          }
          try {
            const record = JSON.parse(new TextDecoder().decode(r.leaf)) as LedgerRecord;
            const payload = record.entry.payload as unknown as Payload;
            if (options.verifySignatures) checkSignature(record, payload);
            scratch.applyEffects(registryEffects(view, payload, r.seq));
            scratch.applyDomainEffects(domainEffects(view, payload, r.seq));
          } catch (e) {
            const why = isLedgerError(e) ? `${e.code}: ${e.message}` : (e as Error).message;
            failure = { seq: r.seq, message: `record ${r.seq} does not replay: ${why}` };
            return;
          }
          size++;
        }
      });
      return failure ?? page.length;
    },
  };
}

/** The live derived tables against a replica, a page at a time. */
export interface DerivedComparison {
  /**
   * Compare up to about `maxRows` more rows; true once every table is done, or the first
   * difference. The replica must be of the live log's current size.
   */
  step(maxRows: number): boolean | DerivedMismatch;
  readonly rows: number;
}

export function compareDerived(live: LedgerStore, replica: LedgerStore): DerivedComparison {
  const cursor = tableCursor(live.derivedTables());
  let rows = 0;
  return {
    step(maxRows) {
      for (let budget = maxRows; cursor.table !== undefined && budget > 0; ) {
        const table = cursor.table;
        const limit = Math.min(PAGE_ROWS, budget);
        const found = live.derivedPage(table, cursor.after, limit);
        // The replica's rows in the same key range: up to the live page's last key or, at the end
        // of the live table, one more than it has (a row beyond is one the live table lacks).
        const expected = found.length < limit
          ? replica.derivedPage(table, cursor.after, found.length + 1)
          : replica.derivedPage(table, cursor.after, 0, found.at(-1)!.key);
        const mismatch = firstDifference(table, found, expected);
        if (mismatch !== undefined) return mismatch;
        rows += found.length;
        budget -= Math.max(found.length, 1);
        cursor.advance(found);
      }
      return cursor.table === undefined;
    },
    get rows() {
      return rows;
    },
  };
}

function firstDifference(table: string, found: readonly DerivedRow[], expected: readonly DerivedRow[]): DerivedMismatch | undefined {
  const want = new Map(expected.map((r) => [keyText(r.key), r.text]));
  for (const r of found) {
    const key = keyText(r.key);
    const text = want.get(key);
    if (text === undefined) return { table, key, message: `${table} has a row the log does not produce (${key}): ${clip(r.text)}` };
    if (text !== r.text) return { table, key, message: `${table} row (${key}) is ${clip(r.text)} but the log gives ${clip(text)}` };
    want.delete(key);
  }
  const [key, text] = want.entries().next().value ?? [];
  return key === undefined ? undefined : { table, key, message: `${table} lacks a row the log produces (${key}): ${clip(text ?? '')}` };
}
