import t from 'tap';
import { inlineStatement, sqlLiteral } from '../../src/store/postgres-literal.js';

t.test('literals of the values the store binds', async (t) => {
  const cases: Array<[unknown, string]> = [
    [null, 'NULL'],
    [undefined, 'NULL'],
    [0, '0'],
    [-12, '-12'],
    [9007199254740991, '9007199254740991'],
    [true, 'TRUE'],
    ['', "''"],
    ["o'hara", "'o''hara'"],
    ['a\\b', "E'a\\\\b'"],
    ["it's a\\'b", "E'it''s a\\\\''b'"],
    ['π ✓ 😀', "'π ✓ 😀'"],
    [new Uint8Array([0, 1, 0xab]), "'\\x0001ab'::bytea"],
    [Buffer.from('ff', 'hex'), "'\\xff'::bytea"],
    [[1, 2], 'ARRAY[1, 2]'],
    [[], 'ARRAY[]'],
    [[new Uint8Array([1])], "ARRAY['\\x01'::bytea]"],
  ];
  for (const [v, want] of cases) t.equal(sqlLiteral(v), want, JSON.stringify(v) ?? String(v));
});

t.test('values the store never binds are refused', async (t) => {
  for (const v of [NaN, Infinity, 'a\u0000b', { a: 1 }, 10n, Symbol('s')]) t.throws(() => sqlLiteral(v), TypeError, String(typeof v));
});

t.test('placeholders are replaced by their literals; a missing value is refused', async (t) => {
  t.equal(inlineStatement('INSERT INTO t VALUES ($1, $2, $1, $10)', ['a', null, 0, 0, 0, 0, 0, 0, 0, 7]), "INSERT INTO t VALUES ('a', NULL, 'a', 7)");
  t.throws(() => inlineStatement('SELECT $2', [1]), TypeError);
  t.throws(() => inlineStatement('SELECT $0', [1]), TypeError);
});
