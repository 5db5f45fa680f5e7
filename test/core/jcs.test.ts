import t from 'tap';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { canonicalBytes, canonicalize, MAX_DEPTH, parseJson } from '../../src/core/jcs.js';
import { fromHex, toHex } from '../../src/core/bytes.js';

// Resolved from this file, not the cwd: test/core/ → test/vectors/jcs/ (see test/vectors/README.md).
const VECTORS = new URL('../vectors/jcs/', import.meta.url);

t.test('cyberphone/json-canonicalization vectors', async (t) => {
  const names = readdirSync(new URL('input/', VECTORS)).filter((f) => f.endsWith('.json'));
  t.ok(names.length >= 6, 'found the vector files');
  for (const name of names) {
    const input = readFileSync(new URL(`input/${name}`, VECTORS), 'utf8');
    const expected = new Uint8Array(readFileSync(new URL(`output/${name}`, VECTORS)));
    const hex = readFileSync(new URL(`outhex/${name.replace(/\.json$/, '.txt')}`, VECTORS), 'utf8').replace(/\s+/g, '');
    const got = canonicalBytes(parseJson(input));
    t.same(got, expected, `${name}: output bytes`);
    t.equal(toHex(got), toHex(fromHex(hex)), `${name}: outhex`);
  }
});

t.test('RFC 8785 Appendix B numbers', async (t) => {
  const f64 = (hex: string): number => new DataView(fromHex(hex).buffer).getFloat64(0);
  const table: Array<[string, string]> = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'], // -0
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ];
  for (const [bits, want] of table) t.equal(canonicalize(f64(bits)), want, `${bits} → ${want}`);
  t.equal(canonicalize(1e21), '1e+21');
  t.equal(canonicalize(1e-7), '1e-7');
  t.equal(canonicalize(5e-324), '5e-324');
  t.equal(canonicalize(-0), '0');
  t.equal(canonicalize([-0, 0.1 + 0.2, 100, 1e20]), '[0,0.30000000000000004,100,100000000000000000000]');
  for (const bits of ['7ff8000000000000', '7ff0000000000000', 'fff0000000000000']) {
    t.throws(() => canonicalize(f64(bits)), { code: 'LEDGER_CANONICAL_JSON_INVALID' }, `${bits} is not finite`);
  }
});

t.test('strings and names', async (t) => {
  t.equal(canonicalize('\u0000\u0008\t\n\u000b\f\r\u001f"\\/\u007f\u2028é😂'), '"\\u0000\\b\\t\\n\\u000b\\f\\r\\u001f\\"\\\\/\u007f\u2028é😂"');
  // UTF-16 code-unit order: U+FB33 (one unit) sorts after the surrogate pair of U+1F602.
  t.equal(canonicalize({ '\ufb33': 1, '\ud83d\ude02': 2, a: 3, '': 4, A: 5, '10': 6, '9': 7 }), '{"":4,"10":6,"9":7,"A":5,"a":3,"😂":2,"דּ":1}');
  t.equal(canonicalize(Object.assign(Object.create(null) as object, { b: 1, a: 2 })), '{"a":2,"b":1}', 'null-prototype object');
  const many: Record<string, number> = {};
  const names = ['b', 'a', '\ufb33', '\ud83d\ude02', 'é', 'E', '', '10', '9', '_', '~', '\u0000', 'aa', 'a b', 'Z', 'z', '1', '\u007f', '\u2028', 'ab'];
  names.forEach((k, i) => (many[k] = i));
  t.equal(canonicalize(many), reference(many), `${names.length} members (generic sort) in code-unit order`);
  t.equal(canonicalize(Object.fromEntries(names.slice(0, 12).map((k, i) => [k, i]))), reference(Object.fromEntries(names.slice(0, 12).map((k, i) => [k, i]))), 'few members (insertion sort)');
  t.same(canonicalBytes({ 'é': '€' }), new Uint8Array([0x7b, 0x22, 0xc3, 0xa9, 0x22, 0x3a, 0x22, 0xe2, 0x82, 0xac, 0x22, 0x7d]));
});

t.test('malformed values are rejected with the JSON path', async (t) => {
  class Point {
    x = 1;
  }
  const cyclic: Record<string, unknown> = { a: [] };
  (cyclic.a as unknown[]).push(cyclic);
  const sparse = [1, , 3]; // eslint-disable-line no-sparse-arrays
  const table: Array<[string, unknown, RegExp]> = [
    ['NaN', { a: [1, NaN] }, /^\$\.a\[1\]: NaN/],
    ['Infinity', { n: Infinity }, /^\$\.n: Infinity/],
    ['-Infinity', [-Infinity], /^\$\[0\]/],
    ['lone high surrogate', { s: 'x\ud800' }, /^\$\.s: string contains an unpaired surrogate/],
    ['lone low surrogate', ['\udc00x'], /^\$\[0\]/],
    ['reversed pair', '\ude02\ud83d', /^\$: /],
    ['lone surrogate in a name', { 'k\udbff': 1 }, /property name contains an unpaired surrogate/],
    ['undefined', undefined, /^\$: undefined/],
    ['undefined member', { a: 1, b: undefined }, /^\$\.b: undefined/],
    ['array hole', sparse, /^\$\[1\]: undefined/],
    ['function', { f() {} }, /^\$\.f: function/],
    ['symbol', { s: Symbol('x') }, /^\$\.s: symbol/],
    ['bigint', { 'a b': 1n }, /^\$\["a b"\]: bigint/],
    ['Date', { d: new Date(0) }, /^\$\.d: a Date/],
    ['Map', new Map(), /a Map/],
    ['Set', [new Set()], /a Set/],
    ['class instance', { p: new Point() }, /a Point/],
    ['boxed string', [Object('s')], /a String/],
    ['Uint8Array', { b: new Uint8Array(1) }, /a Uint8Array/],
    ['Array subclass', class extends Array {}.from([1]), /^\$: /],
    ['cycle', cyclic, /^\$\.a\[0\]: cyclic reference/],
  ];
  for (const [name, value, message] of table) {
    t.throws(() => canonicalize(value), { code: 'LEDGER_CANONICAL_JSON_INVALID', message }, name);
  }
  const shared = { x: 1 };
  t.equal(canonicalize({ a: shared, b: [shared, shared] }), '{"a":{"x":1},"b":[{"x":1},{"x":1}]}', 'shared references are not cycles');
  let deep: unknown = 0;
  for (let i = 0; i < MAX_DEPTH; i++) deep = [deep];
  t.equal(canonicalize(deep).length, 2 * MAX_DEPTH + 1, `${MAX_DEPTH} levels are fine`);
  t.throws(() => canonicalize([deep]), { code: 'LEDGER_CANONICAL_JSON_INVALID', message: /nested deeper/ });
  t.throws(() => canonicalize(parseJson('['.repeat(100_000) + ']'.repeat(100_000))), { code: 'LEDGER_CANONICAL_JSON_INVALID' });
});

t.test('parseJson', async (t) => {
  t.same(parseJson('{"a":[1,{"b":null}],"c":"x:y\\":{"}'), { a: [1, { b: null }], c: 'x:y":{' });
  t.same(parseJson('{"__proto__":1}'), JSON.parse('{"__proto__":1}'));
  t.equal(canonicalize(parseJson('{"__proto__":{"a":1}}')), '{"__proto__":{"a":1}}', '__proto__ is an own member, not a prototype');
  t.equal(parseJson(' 1 '), 1);
  const bad: Array<[string, RegExp | undefined]> = [
    ['', undefined],
    ['{', undefined],
    ['{"a":1,}', undefined],
    ["{'a':1}", undefined],
    ['[1 2]', undefined],
    ['NaN', undefined],
    ['\ufeff{}', undefined],
    ['{"a":1} x', undefined],
    ['{"a":1,"a":2}', /duplicate member "a" in \$$/],
    ['{"a":1,"\\u0061":2}', /duplicate member "a" in \$$/],
    ['{"x":[{"k":1},{"k":1,"y":{"z":1},"k":2}]}', /duplicate member "k" in \$\.x\[1\]$/],
    ['{"s":"a\\"b:c","o":{"p q":{"r":1,"r":1}}}', /duplicate member "r" in \$\.o\["p q"\]$/],
    ['[{"a":1}, {"a":1, "a" : 1}]', /duplicate member "a" in \$\[1\]$/],
  ];
  for (const [text, message] of bad) {
    t.throws(() => parseJson(text), message ? { code: 'LEDGER_JSON_INVALID', message } : { code: 'LEDGER_JSON_INVALID' }, JSON.stringify(text));
  }
  t.throws(() => parseJson(1 as unknown as string), TypeError);
});

/** Same value with every object's members inserted in a different order. */
function reorder(v: unknown, rnd: () => number): unknown {
  if (Array.isArray(v)) return v.map((x) => reorder(x, rnd));
  if (typeof v !== 'object' || v === null) return v;
  const entries = Object.entries(v).map(([k, x]) => [k, reorder(x, rnd)] as const);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of entries) Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
  return out;
}

/**
 * Reference: RFC 8785 §3.2 read literally, JSON.stringify for every primitive and the generic
 * code-unit sort for names (an object cannot be used to re-order, since JS always lists
 * integer-like names first).
 */
function reference(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(reference).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${reference(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

t.test('properties', async (t) => {
  const json = fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 4 });
  fc.assert(
    fc.property(json, fc.integer(), (x, seed) => {
      const c = canonicalize(x);
      let s = seed;
      const rnd = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) < 0 ? -s : s) / 2147483648;
      return canonicalize(JSON.parse(c)) === c && canonicalize(parseJson(c)) === c && canonicalize(reorder(x, rnd)) === c && c === reference(x);
    }),
    { numRuns: 500 },
  );
  t.pass('idempotent, order-independent, equal to the reference');

  // Names that JS objects order specially (integer-like, __proto__) and objects big enough for the
  // generic sort.
  const name = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 3 }), fc.nat(300).map(String), fc.constantFrom('__proto__', 'constructor', '-1', '01'));
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ unit: 'grapheme' }), tie('arr'), tie('obj')),
    arr: fc.array(tie('value'), { maxLength: 4 }),
    obj: fc.dictionary(name, tie('value'), { maxKeys: 24 }),
  }));
  fc.assert(
    fc.property(value, fc.integer(), (x, seed) => {
      const c = canonicalize(x);
      let s = seed;
      const rnd = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) < 0 ? -s : s) / 2147483648;
      return canonicalize(parseJson(c)) === c && canonicalize(reorder(x, rnd)) === c && c === reference(x);
    }),
    { numRuns: 500 },
  );
  t.pass('tricky names');

  // Arbitrary UTF-16 (including lone surrogates): rejected exactly when not well-formed.
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (k, v) => {
      const wellFormed = !/\p{Cs}/u.test(k + '\u0000' + v);
      try {
        return canonicalize({ [k]: v }) === reference({ [k]: v }) && wellFormed;
      } catch (e) {
        return !wellFormed && (e as { code?: string }).code === 'LEDGER_CANONICAL_JSON_INVALID';
      }
    }),
    { numRuns: 500 },
  );
  t.pass('surrogates');

  fc.assert(
    fc.property(fc.double(), (d) => {
      if (!Number.isFinite(d)) return true;
      const c = canonicalize(d);
      return c === JSON.stringify(d) && Object.is(Number(c), d === 0 ? 0 : d);
    }),
    { numRuns: 2000 },
  );
  t.pass('numbers round-trip');
});

t.test('speed (hot path sanity check, not a benchmark)', async (t) => {
  const record = {
    seq: 123456,
    recordedAt: '2026-11-28T01:30:00.123Z',
    entry: {
      payload: {
        type: 'ship',
        id: '7d7c3f5e-1b6a-4c9e-9a53-0f3c2b1d4e5f',
        signer: 'acme-steel',
        time: '2026-11-28T09:30:00.000+08:00',
        objects: [{ code: 'https://id.gs1.org/01/09506000134352/10/LOT-42', quantity: 500, unit: 'kg' }],
        to: 'bolt-works',
        carrier: 'fast-freight',
        expectedDelivery: '2026-11-30',
        emissions: { kgCO2e: 12.75 },
      },
      signature: { kid: '0123456789abcdef', sig: 'A'.repeat(86) },
    },
  };
  const n = 20_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) canonicalBytes(record);
  const us = ((performance.now() - t0) * 1000) / n;
  t.comment(`canonicalBytes of a ${canonicalBytes(record).length}-byte record: ${us.toFixed(2)} µs`);
  t.ok(us < 200, 'well under a millisecond per record');
});
