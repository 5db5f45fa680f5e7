/**
 * A parameterised statement with its values written in as SQL literals, so that the writes of a
 * whole commit go to the server as ONE simple query (several statements separated by `;`): the
 * simple-query protocol takes no parameters, and node-postgres sends the extended-protocol
 * statements of a connection one round trip at a time.
 *
 * Only for the store's own statements (fixed texts whose `$n` are all placeholders), and only for
 * the value types the store binds. Strings are quoted as PostgreSQL's quote_literal does
 * (https://www.postgresql.org/docs/15/sql-syntax-lexical.html#SQL-SYNTAX-STRINGS-ESCAPE): quotes
 * doubled, and an E'' string with doubled backslashes when there are backslashes, which is right
 * whatever standard_conforming_strings says.
 */

/**
 * SQL literal of one bound value.
 * @throws TypeError for a value the store never binds (NaN, a NUL in text, an object)
 */
export function sqlLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`no SQL literal for the number ${v}`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'string') {
    if (v.includes('\u0000')) throw new TypeError('a NUL character cannot be stored in PostgreSQL text');
    const quoted = v.replaceAll("'", "''");
    return v.includes('\\') ? `E'${quoted.replaceAll('\\', '\\\\')}'` : `'${quoted}'`;
  }
  if (v instanceof Uint8Array) return `'\\x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}'::bytea`;
  if (Array.isArray(v)) return `ARRAY[${v.map(sqlLiteral).join(', ')}]`;
  throw new TypeError(`no SQL literal for a value of type ${typeof v}`);
}

/**
 * `text` with each `$n` replaced by the literal of `values[n - 1]`.
 * @throws TypeError when a placeholder has no value, or a value no literal
 */
export function inlineStatement(text: string, values: readonly unknown[]): string {
  return text.replace(/\$(\d+)/g, (_, n: string) => {
    const i = Number(n) - 1;
    if (i < 0 || i >= values.length) throw new TypeError(`placeholder $${n} has no value (${values.length} given)`);
    return sqlLiteral(values[i]);
  });
}
