/**
 * Quantity values (src/domain/quantity.ts, the Quantity schema and parseEntry): only a whole
 * number of millionths of the unit, at least one, is accepted (issue 16, near-zero quantities).
 */
import t from 'tap';
import { exactMicro, MAX_QUANTITY, MICRO, toMicro } from '../../src/domain/quantity.js';
import { requireHeld, type DomainView, type ObjectRow } from '../../src/domain/rules.js';
import { parseEntry, Quantity } from '../../src/domain/schemas.js';

/** value → the micro units it stands for, or undefined when it must be refused. */
const TABLE: Array<[string, unknown, number | undefined]> = [
  ['one millionth', 0.000001, 1],
  ['written with an exponent', 1e-6, 1],
  ['six decimals', 1.000001, 1_000_001],
  ['0.1 (not exact in binary, exact as a decimal)', 0.1, 100_000],
  ['0.3', 0.3, 300_000],
  ['many six-decimal digits', 123456.789012, 123_456_789_012],
  ['the largest', MAX_QUANTITY, 1e15],
  ['the largest but one millionth', 999999999.999999, 999_999_999_999_999],
  ['1e-10 (rounded to 0 before)', 1e-10, undefined],
  ['5e-10', 5e-10, undefined],
  ['1e-9', 1e-9, undefined],
  ['just below 1e-9', 1e-9 - 1e-24, undefined],
  ['just above 1e-9', 1e-9 + 1e-24, undefined],
  ['half a millionth', 5e-7, undefined],
  ['just below one millionth', 9.999999e-7, undefined],
  ['just above one millionth', 1.0000001e-6, undefined],
  ['seven decimals', 1.0000001, undefined],
  ['one and a half millionths', 0.0000015, undefined],
  ['0.1 plus 1e-10', 0.1 + 1e-10, undefined],
  ['six decimals off by one ulp', 1.000001 + 2 ** -52, undefined],
  ['zero', 0, undefined],
  ['negative zero', -0, undefined],
  ['negative', -1, undefined],
  ['negative millionth', -0.000001, undefined],
  ['above the largest', MAX_QUANTITY + 0.000001, undefined],
  ['MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER, undefined],
  ['2^53', 2 ** 53, undefined],
  ['1e300', 1e300, undefined],
  ['Infinity', Infinity, undefined],
  ['NaN', NaN, undefined],
  ['Number.MIN_VALUE', Number.MIN_VALUE, undefined],
  ['a numeric string', '1', undefined],
  ['"NaN"', 'NaN', undefined],
  ['"1e-10"', '1e-10', undefined],
  ['null', null, undefined],
];

t.test('exactMicro and the Quantity schema agree on every value', async (t) => {
  for (const [name, value, micro] of TABLE) {
    if (typeof value === 'number') t.equal(exactMicro(value), micro, `exactMicro: ${name}`);
    t.equal(Quantity.safeParse({ value, unit: 'KGM' }).success, micro !== undefined, `schema: ${name}`);
  }
});

t.test('micro units round-trip to the same number for every six-decimal value tried', async (t) => {
  // Random decimals with up to six places across the whole range: parse the decimal text as JSON does.
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  for (let n = 0; n < 20_000; n++) {
    const k = (next() * 2 ** 31 + next()) % 1e15 + 1;
    const value = Number(`${Math.floor(k / MICRO)}.${String(k % MICRO).padStart(6, '0')}`);
    if (exactMicro(value) !== k) {
      t.fail(`${value} should be ${k} micro units`);
      return;
    }
  }
  t.pass('20 000 values');
});

t.test('toMicro refuses what cannot be recorded exactly', async (t) => {
  t.equal(toMicro({ value: 2.5, unit: 'KGM' }), 2_500_000);
  t.throws(() => toMicro({ value: 1e-10, unit: 'H87' }, 'objects[0]'), { code: 'TRACE_QUANTITY_INVALID' });
  t.throws(() => toMicro({ value: 0, unit: 'KGM' }), { code: 'TRACE_QUANTITY_INVALID' });
});

const entry = (value: unknown, extra: Record<string, unknown> = {}) => ({
  payload: {
    type: 'ship', id: 'e-1', signer: 'car', time: '2026-11-02T08:00:00Z', to: 'man',
    objects: [{ code: 'urn:trace:sup:window-1', quantity: { value, unit: 'H87' } }], ...extra,
  },
  signature: { kid: '0123456789abcdef', sig: 'A'.repeat(86) },
});

t.test('parseEntry: quantity problems get TRACE_QUANTITY_INVALID, other problems LEDGER_ENTRY_INVALID', async (t) => {
  t.equal(parseEntry(entry(1)).payload.type, 'ship');
  for (const [name, value, micro] of TABLE) {
    if (micro !== undefined) continue;
    t.throws(() => parseEntry(entry(value)), { code: 'TRACE_QUANTITY_INVALID' }, name);
  }
  t.throws(() => parseEntry(entry(1, { to: 'Not An Id' })), { code: 'LEDGER_ENTRY_INVALID' }, 'another field is wrong');
  t.throws(() => parseEntry(entry(1e-10, { to: 'Not An Id' })), { code: 'LEDGER_ENTRY_INVALID' }, 'a quantity and another field are wrong');
  t.throws(() => parseEntry(entry(1, { objects: [{ code: 'urn:trace:sup:w', quantity: { value: 1, unit: 'XXX' } }] })), { code: 'LEDGER_ENTRY_INVALID' }, 'unknown unit');
});

t.test('requireHeld: holding nothing never satisfies a holder check', async (t) => {
  const obj = { code: 'urn:trace:sup:window-1', unit: 'H87' } as ObjectRow;
  const viewHolding = (held: number) => ({ holding: () => held, inTransitTo: () => 0, containersOf: () => [] }) as unknown as DomainView;
  t.throws(() => requireHeld(viewHolding(0), obj, 'car', 0, 'objects[0]'), { code: 'TRACE_QUANTITY_INVALID' }, '0 of 0');
  t.throws(() => requireHeld(viewHolding(5), obj, 'car', 0, 'objects[0]'), { code: 'TRACE_QUANTITY_INVALID' }, '0 of 5');
  t.throws(() => requireHeld(viewHolding(5), obj, 'car', 0.5, 'objects[0]'), { code: 'TRACE_QUANTITY_INVALID' }, 'a fraction of a micro unit');
  t.throws(() => requireHeld(viewHolding(0), obj, 'car', 1, 'objects[0]'), { code: 'TRACE_NOT_HOLDER' }, '1 of 0');
  t.throws(() => requireHeld(viewHolding(-3), obj, 'car', 1, 'objects[0]'), { code: 'TRACE_NOT_HOLDER' }, '1 of a negative holding');
  t.throws(() => requireHeld(viewHolding(1), obj, 'car', 2, 'objects[0]'), { code: 'TRACE_QUANTITY_EXCEEDED' }, '2 of 1');
  t.doesNotThrow(() => requireHeld(viewHolding(1), obj, 'car', 1, 'objects[0]'), '1 of 1');
});
