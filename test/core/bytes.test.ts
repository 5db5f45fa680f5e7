import t from 'tap';
import { fromBase64, fromBase64Url, fromHex, toBase64, toBase64Url, toHex, equalBytes, fromUtf8, concatBytes } from '../../src/core/bytes.js';
import fc from 'fast-check';

t.test('round trips', async (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
    t.equal(toHex(b), Buffer.from(b).toString('hex'), 'lower-case hex, as Node writes it');
    t.same(fromHex(toHex(b)), b);
    t.equal(toBase64(b), Buffer.from(b).toString('base64'));
    t.same(fromBase64(toBase64(b)), b);
    t.equal(toBase64Url(b), Buffer.from(b).toString('base64url'));
    t.same(fromBase64Url(toBase64Url(b)), b);
  }), { numRuns: 200 });
  t.equal(toHex(new Uint8Array(0)), '', 'no bytes, no digits');
  t.equal(toHex(new Uint8Array([0, 9, 10, 15, 16, 255]).subarray(1, 5)), '090a0f10', 'a view hexes its own bytes only');
});

t.test('strict decoders reject malformed input', async (t) => {
  const bad: Array<[string, (s: string) => Uint8Array]> = [
    ['abc', fromHex], ['zz', fromHex], ['AAA', fromBase64], ['AA=A', fromBase64], ['A===', fromBase64],
    ['AB==', fromBase64], // non-canonical trailing bits
    ['AA A', fromBase64], ['AA+/', fromBase64Url], ['A', fromBase64Url], ['AAé', fromBase64Url],
  ];
  for (const [s, f] of bad) {
    t.throws(() => f(s), { code: 'LEDGER_ENCODING_INVALID' }, `${f.name}(${JSON.stringify(s)})`);
  }
  t.throws(() => fromHex('00', 2), { code: 'LEDGER_ENCODING_INVALID' });
  t.throws(() => fromUtf8(new Uint8Array([0xc3, 0x28])), { code: 'LEDGER_ENCODING_INVALID' });
});

t.test('equalBytes and concatBytes', async (t) => {
  t.ok(equalBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2])));
  t.notOk(equalBytes(new Uint8Array([1, 2]), new Uint8Array([1, 3])));
  t.notOk(equalBytes(new Uint8Array([1]), new Uint8Array([1, 0])));
  t.same(concatBytes(new Uint8Array([1]), new Uint8Array([]), new Uint8Array([2, 3])), new Uint8Array([1, 2, 3]));
});
