/**
 * The derived tables (registry and projections) in PostgreSQL, read a page at a time in
 * primary-key order, and emptied before a rebuild: what src/ledger/derived-state.ts compares and digests.
 *
 * A row's text must be the one the SQLite store gives (src/store/sqlite-derived.ts), because the
 * background check compares a live PostgreSQL ledger with a replay into a scratch SQLite store,
 * and a seal's digests are over these texts: SQLite's quote() of each column, joined by commas
 * (https://www.sqlite.org/lang_corefunc.html#quote): strings in single quotes with ' doubled,
 * integers in decimal, blobs as X'…' in upper-case hex, NULL as NULL. Computed here in
 * JavaScript from the typed column values. Both engines order text by bytes (COLLATE "C").
 */
import { DERIVED_TABLES, PROJECTION_TABLES, REGISTRY_TABLES } from './postgres-schema.js';
import type { Sql } from './postgres-log.js';
import type { DerivedRow } from './store.js';

/** SQLite's quote() of a value read from PostgreSQL (numbers are safe integers: see the int8 parser). */
export function sqliteQuote(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `'${v.replaceAll("'", "''")}'`;
  if (v instanceof Uint8Array) return `X'${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex').toUpperCase()}'`;
  throw new TypeError(`no SQLite text for a value of type ${typeof v}`);
}

interface Pager {
  readonly columns: readonly string[];
  readonly key: readonly string[];
}

const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;

export function derivedOps(sql: Sql) {
  let pagers: Map<string, Pager> | undefined;

  /** Columns (in table order) and primary-key columns (in key order) of every derived table, read once. */
  async function pagerOf(table: string): Promise<Pager> {
    if (pagers === undefined) {
      const rows = await sql<{ table_name: string; column_name: string; key_position: number | null }>(
        `SELECT c.table_name, c.column_name, k.ordinal_position AS key_position
         FROM information_schema.columns c
         LEFT JOIN information_schema.table_constraints tc
           ON tc.table_schema = c.table_schema AND tc.table_name = c.table_name AND tc.constraint_type = 'PRIMARY KEY'
         LEFT JOIN information_schema.key_column_usage k
           ON k.constraint_name = tc.constraint_name AND k.table_schema = c.table_schema AND k.column_name = c.column_name
         WHERE c.table_schema = current_schema() AND c.table_name = ANY($1::text[])
         ORDER BY c.table_name, c.ordinal_position`,
        [DERIVED_TABLES],
      );
      pagers = new Map();
      for (const t of DERIVED_TABLES) {
        const own = rows.filter((r) => r.table_name === t);
        const key = own.filter((r) => r.key_position !== null).sort((a, b) => a.key_position! - b.key_position!).map((r) => r.column_name);
        if (key.length === 0) throw new RangeError(`derived table ${t} has no primary key`);
        pagers.set(t, { columns: own.map((r) => r.column_name), key });
      }
    }
    const p = pagers.get(table);
    if (p === undefined) throw new RangeError(`${table} is not a derived table`);
    return p;
  }

  return {
    /**
     * Up to `limit` rows after the row keyed `after` (from the start when undefined); with `upTo`,
     * every row after `after` up to and including the row keyed `upTo`, whatever the limit.
     */
    async derivedPage(table: string, after: readonly unknown[] | undefined, limit: number, upTo?: readonly unknown[]): Promise<DerivedRow[]> {
      const p = await pagerOf(table);
      const keyList = p.key.map(ident).join(', ');
      const values: unknown[] = [];
      const params = (key: readonly unknown[]) => key.map((v) => `$${values.push(v)}`).join(', ');
      const where: string[] = [];
      if (after !== undefined) where.push(`(${keyList}) > (${params(after)})`);
      if (upTo !== undefined) where.push(`(${keyList}) <= (${params(upTo)})`);
      const limitClause = upTo === undefined ? ` LIMIT $${values.push(limit)}` : '';
      const rows = await sql<Record<string, unknown>>(
        `SELECT ${p.columns.map(ident).join(', ')} FROM ${ident(table)}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${keyList}${limitClause}`,
        values,
      );
      return rows.map((r) => ({ key: p.key.map((c) => r[c]), text: p.columns.map((c) => sqliteQuote(r[c])).join(',') }));
    },
    /** Every derived row, ordered by all its columns: what a rebuild must reproduce exactly. */
    async dumpProjections(): Promise<Record<string, unknown[]>> {
      const out: Record<string, unknown[]> = {};
      for (const t of DERIVED_TABLES) {
        const p = await pagerOf(t);
        out[t] = await sql(`SELECT * FROM ${ident(t)} ORDER BY ${p.columns.map(ident).join(', ')}`);
      }
      return out;
    },
    /** Empty every derived table, children before the tables they reference. */
    async clearDerived(): Promise<void> {
      for (const t of PROJECTION_TABLES) await sql(`DELETE FROM ${ident(t)}`);
      for (const t of [...REGISTRY_TABLES].reverse()) await sql(`DELETE FROM ${ident(t)}`);
    },
  };
}
