import t from 'tap';
import fc from 'fast-check';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { fromHex, utf8 } from '../../src/core/bytes.js';
import { nobleEd25519 } from '../../src/core/ed25519.js';
import { nodeEd25519 } from '../../src/platform/node-crypto.js';
import { keyedNobleEd25519, multiplyByTable, tableOf } from '../../src/web/keyed-ed25519.js';

/** Group order L of edwards25519 (RFC 8032 §5.1). */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const le = (b: Uint8Array): bigint => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n);
const le32 = (n: bigint): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
/** Reference [k]A for any k ≥ 0 (noble's multiply wants k < L). */
function doubleAndAdd(A: InstanceType<typeof ed.Point>, k: bigint) {
  let p = ed.Point.ZERO;
  for (let d = A; k > 0n; k >>= 1n, d = d.double()) if (k & 1n) p = p.add(d);
  return p;
}
const torsion8 = ed.Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');

t.test('the table gives [k]A for every kind of scalar and point', async (t) => {
  const points = [ed.Point.BASE, ed.Point.BASE.multiply(123456789n), ed.Point.BASE.multiply(987n).add(torsion8), torsion8, ed.Point.ZERO];
  const edges = [0n, 1n, 7n, 8n, 9n, 15n, 16n, 17n, L - 1n, L, 2n ** 252n, 2n ** 253n - 1n, 2n ** 256n - 1n, 0x8888888888888888888888888888888888888888888888888888888888888888n];
  for (const [i, A] of points.entries()) {
    const table = tableOf(A);
    for (const k of edges) {
      const expected = k === 0n ? ed.Point.ZERO : k < L ? A.multiply(k, false) : doubleAndAdd(A, k);
      t.ok(multiplyByTable(table, k).equals(expected), `point ${i}, k = ${k.toString(16)}`);
    }
  }
  const A = ed.Point.BASE.multiply(31337n);
  const table = tableOf(A);
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: L - 1n }), (k) => multiplyByTable(table, k).equals(k === 0n ? ed.Point.ZERO : A.multiply(k, false))),
    { numRuns: 200 },
  );
  t.throws(() => multiplyByTable(table, -1n), RangeError);
  t.throws(() => multiplyByTable(table, 2n ** 256n), RangeError);
});

t.test('same verdicts as nobleEd25519 and OpenSSL, with keys seen again and again', async (t) => {
  const keyed = keyedNobleEd25519();
  const seeds = [1, 2, 3].map((i) => new Uint8Array(32).fill(i));
  const flip = (b: Uint8Array, bit: number) => {
    const c = b.slice();
    c[bit >> 3]! ^= 1 << (bit & 7);
    return c;
  };
  let accepted = 0;
  fc.assert(
    fc.property(
      fc.constantFrom(0, 1, 2),
      fc.uint8Array({ minLength: 0, maxLength: 64 }),
      fc.oneof(fc.constant(-1), fc.nat({ max: 511 })),
      fc.boolean(),
      (who, message, bit, flipKey) => {
        let pub = nobleEd25519.publicKey(seeds[who]!);
        let sig = nobleEd25519.sign(message, seeds[who]!);
        if (bit >= 0 && flipKey) pub = flip(pub, bit % 256);
        else if (bit >= 0) sig = flip(sig, bit);
        const verdict = keyed.verify(sig, message, pub);
        if (verdict !== nobleEd25519.verify(sig, message, pub)) throw new Error('keyed and noble disagree');
        if (verdict !== nodeEd25519.verify(sig, message, pub)) throw new Error('keyed and OpenSSL disagree');
        if (bit < 0 && !verdict) throw new Error('honest signature rejected');
        if (verdict) accepted++;
      },
    ),
    { numRuns: 300 },
  );
  t.ok(accepted > 50, `${accepted} honest signatures accepted, the rest of 300 rejected as both others do`);
});

t.test('crafted cases: torsion in R or A, S ≥ L, small-order and non-canonical keys', async (t) => {
  const keyed = keyedNobleEd25519();
  const B = ed.Point.BASE;
  const craft = (a: bigint, A: Uint8Array, r: bigint, rPoint: InstanceType<typeof ed.Point>, msg: Uint8Array) => {
    const R = rPoint.toBytes();
    const S = (r + (le(sha512(Uint8Array.from([...R, ...A, ...msg]))) % L) * a) % L;
    return Uint8Array.from([...R, ...le32(S)]);
  };
  const agree = (sig: Uint8Array, msg: Uint8Array, pub: Uint8Array, what: string) => {
    // Three times, so that the third goes through the key's table.
    const first = keyed.verify(sig, msg, pub);
    keyed.verify(sig, msg, pub);
    const second = keyed.verify(sig, msg, pub);
    t.equal(first, nobleEd25519.verify(sig, msg, pub), `${what}: as noble`);
    t.equal(second, first, `${what}: same verdict from the table`);
    t.equal(first, nodeEd25519.verify(sig, msg, pub), `${what}: as OpenSSL`);
    return first;
  };
  for (let i = 0; i < 3; i++) {
    const msg = utf8(`message ${i}`);
    const a = 1000003n + BigInt(i);
    const r = 7919n + BigInt(i);
    const mixed = B.multiply(a).add(torsion8).toBytes();
    agree(craft(a, mixed, r, B.multiply(r), msg), msg, mixed, `mixed-order key ${i}`);
    const honest = B.multiply(a).toBytes();
    t.notOk(agree(craft(a, honest, r, B.multiply(r).add(torsion8), msg), msg, honest, `R with torsion ${i}`));
    t.ok(agree(craft(a, honest, r, B.multiply(r), msg), msg, honest, `honest ${i}`));
    const good = craft(a, honest, r, B.multiply(r), msg);
    const sPlusL = Uint8Array.from([...good.subarray(0, 32), ...le32(le(good.subarray(32)) + L)]);
    t.notOk(agree(sPlusL, msg, honest, `S + L ${i}`));
  }
  const identity = ed.Point.ZERO.toBytes();
  agree(Uint8Array.from([...identity, ...new Uint8Array(32)]), utf8('anything'), identity, 'identity key, R = identity, S = 0');
  // y = p (non-canonical encoding of y = 0): refused by the canonical decoding.
  const nonCanonical = fromHex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f');
  t.notOk(agree(new Uint8Array(64), utf8('x'), nonCanonical, 'non-canonical key'));
  t.notOk(keyed.verify(new Uint8Array(63), utf8('x'), identity), 'short signature');
  t.notOk(keyed.verify(new Uint8Array(64), utf8('x'), new Uint8Array(31)), 'short key');
});
