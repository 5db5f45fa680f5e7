import t from 'tap';
import fc from 'fast-check';
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { isStrongPublicKey, nobleEd25519 } from '../../src/core/ed25519.js';
import { fromHex, toBase64Url, toHex, utf8 } from '../../src/core/bytes.js';

// RFC 8032 §7.1 TEST 1-3, as copied in test/vectors/README.md.
const VECTORS = [
  {
    name: 'TEST 1',
    seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    pub: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    msg: '',
    sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    name: 'TEST 2',
    seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    pub: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    msg: '72',
    sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    name: 'TEST 3',
    seed: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    pub: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    msg: 'af82',
    sig: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
] as const;

/** Group order L of edwards25519 (RFC 8032 §5.1). */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

const leToBigint = (b: Uint8Array): bigint => {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
};
const bigintTo32Le = (n: bigint): Uint8Array => {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
};

/** S + L as a 32-byte little-endian scalar: same signature modulo L, rejected by §5.1.7 step 1. */
function addLToS(sig: Uint8Array): Uint8Array | undefined {
  const s = leToBigint(sig.subarray(32)) + L;
  if (s >= 2n ** 256n) return undefined;
  const out = sig.slice();
  out.set(bigintTo32Le(s), 32);
  return out;
}

const nodePublicKey = (pub: Uint8Array): KeyObject =>
  createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: toBase64Url(pub) }, format: 'jwk' });

/** OpenSSL's verdict; a key or signature it refuses to load counts as "does not verify". */
function nodeVerifies(sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean {
  try {
    return nodeVerify(null, msg, nodePublicKey(pub), sig);
  } catch {
    return false;
  }
}

function flipBit(b: Uint8Array, bit: number): Uint8Array {
  const out = b.slice();
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
}

t.test('RFC 8032 §7.1 known answers with nobleEd25519', async (t) => {
  for (const v of VECTORS) {
    const seed = fromHex(v.seed);
    const msg = fromHex(v.msg);
    const pub = nobleEd25519.publicKey(seed);
    const sig = nobleEd25519.sign(msg, seed);
    t.equal(toHex(pub), v.pub, `${v.name} public key`);
    t.equal(toHex(sig), v.sig, `${v.name} signature`);
    t.ok(nobleEd25519.verify(fromHex(v.sig), msg, fromHex(v.pub)), `${v.name} verifies`);
    t.notOk(nobleEd25519.verify(flipBit(sig, 0), msg, pub), `${v.name} flipped R bit`);
    t.notOk(nobleEd25519.verify(flipBit(sig, 300), msg, pub), `${v.name} flipped S bit`);
    t.notOk(nobleEd25519.verify(sig, flipBit(new Uint8Array([...msg, 0]), 3), pub), `${v.name} other message`);
    t.notOk(nobleEd25519.verify(sig, msg, flipBit(pub, 9)), `${v.name} other key`);
    const sPlusL = addLToS(sig);
    t.ok(sPlusL, `${v.name}: S + L fits in 32 bytes`);
    t.notOk(nobleEd25519.verify(sPlusL!, msg, pub), `${v.name} S + L rejected (non-canonical S)`);
  }
});

t.test('nobleEd25519 rejects malformed arguments without throwing in verify', async (t) => {
  const v = VECTORS[0];
  const pub = fromHex(v.pub);
  const sig = fromHex(v.sig);
  t.equal(nobleEd25519.verify(sig.subarray(0, 63), new Uint8Array(), pub), false);
  t.equal(nobleEd25519.verify(sig, new Uint8Array(), pub.subarray(0, 31)), false);
  t.equal(nobleEd25519.verify(new Uint8Array(64), new Uint8Array(), pub), false);
  t.equal(nobleEd25519.verify(sig, new Uint8Array(), new Uint8Array(32).fill(0xff)), false);
  t.throws(() => nobleEd25519.publicKey(new Uint8Array(31)), TypeError);
  t.throws(() => nobleEd25519.sign(new Uint8Array(), new Uint8Array(33)), TypeError);
});

t.test('node:crypto (OpenSSL) agrees with nobleEd25519 on the RFC 8032 vectors', async (t) => {
  for (const v of VECTORS) {
    const pub = fromHex(v.pub);
    const msg = fromHex(v.msg);
    const sig = fromHex(v.sig);
    t.equal(nodeVerifies(sig, msg, pub), true, `${v.name} node verifies`);
    const priv = createPrivateKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: toBase64Url(pub), d: toBase64Url(fromHex(v.seed)) },
      format: 'jwk',
    });
    t.equal(toHex(nodeSign(null, msg, priv)), v.sig, `${v.name} node signs the same bytes`);
    const sPlusL = addLToS(sig)!;
    t.equal(nodeVerifies(sPlusL, msg, pub), false, `${v.name} node rejects S + L`);
    t.equal(nobleEd25519.verify(sPlusL, msg, pub), false, `${v.name} noble rejects S + L`);
  }
});

t.test('node:crypto and nobleEd25519 agree on random and mutated signatures', async (t) => {
  type Mutation =
    | { kind: 'none' }
    | { kind: 'sigBit'; bit: number }
    | { kind: 'msgBit'; bit: number }
    | { kind: 'msgAppend'; byte: number }
    | { kind: 'keyBit'; bit: number }
    | { kind: 'sPlusL' }
    | { kind: 'randomSig'; sig: Uint8Array };
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.constant<Mutation>({ kind: 'none' }),
    fc.nat({ max: 511 }).map((bit): Mutation => ({ kind: 'sigBit', bit })),
    fc.nat({ max: 1023 }).map((bit): Mutation => ({ kind: 'msgBit', bit })),
    fc.nat({ max: 255 }).map((byte): Mutation => ({ kind: 'msgAppend', byte })),
    fc.nat({ max: 255 }).map((bit): Mutation => ({ kind: 'keyBit', bit })),
    fc.constant<Mutation>({ kind: 'sPlusL' }),
    fc.uint8Array({ minLength: 64, maxLength: 64 }).map((sig): Mutation => ({ kind: 'randomSig', sig })),
  );
  let accepted = 0;
  let rejected = 0;
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ minLength: 1, maxLength: 128 }),
      mutation,
      (seed, message, m) => {
        let pub = nobleEd25519.publicKey(seed);
        let sig = nobleEd25519.sign(message, seed);
        let msg: Uint8Array = message;
        switch (m.kind) {
          case 'none':
            break;
          case 'sigBit':
            sig = flipBit(sig, m.bit);
            break;
          case 'msgBit':
            msg = flipBit(msg, m.bit % (msg.length * 8));
            break;
          case 'msgAppend':
            msg = Uint8Array.from([...msg, m.byte]);
            break;
          case 'keyBit':
            pub = flipBit(pub, m.bit);
            break;
          case 'sPlusL':
            sig = addLToS(sig) ?? sig.fill(0xff, 32);
            break;
          case 'randomSig':
            sig = m.sig;
            break;
        }
        const noble = nobleEd25519.verify(sig, msg, pub);
        const node = nodeVerifies(sig, msg, pub);
        if (noble !== node) throw new Error(`disagreement on ${m.kind}: noble=${noble} node=${node}`);
        if (m.kind === 'none' && !noble) throw new Error('valid signature rejected');
        if (m.kind !== 'none' && m.kind !== 'randomSig' && noble) throw new Error(`${m.kind} accepted`);
        if (noble) accepted++;
        else rejected++;
      },
    ),
    { numRuns: 400 },
  );
  t.ok(accepted > 0 && rejected > 0, `exercised both outcomes (${accepted} accepted, ${rejected} rejected)`);
});

// Crafted keys and signatures where a cofactored verifier (noble's own `verify`) and OpenSSL's
// cofactorless one disagree. nobleEd25519 runs the cofactorless check, so both must agree on every
// one; small-order keys are also refused at registration (isStrongPublicKey).
t.test('crafted keys and signatures: noble adapter and OpenSSL agree', async (t) => {
  const torsion8 = ed.Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
  const B = ed.Point.BASE;
  const challenge = (R: Uint8Array, A: Uint8Array, msg: Uint8Array): bigint =>
    leToBigint(sha512(Uint8Array.from([...R, ...A, ...msg]))) % L;
  /** Signs with secret scalar `a` under public key `A`, nonce point `rPoint` = [r]B (+ torsion). */
  const craft = (a: bigint, A: Uint8Array, r: bigint, rPoint: InstanceType<typeof ed.Point>, msg: Uint8Array): Uint8Array => {
    const R = rPoint.toBytes();
    const S = (r + challenge(R, A, msg) * a) % L;
    return Uint8Array.from([...R, ...bigintTo32Le(S)]);
  };
  const msgs = Array.from({ length: 8 }, (_, i) => utf8(`message ${i}`));

  t.test('small-order public key (identity): R = identity, S = 0 verifies for any message in both', async (t) => {
    const identity = ed.Point.ZERO.toBytes();
    const sig = Uint8Array.from([...identity, ...new Uint8Array(32)]);
    t.notOk(isStrongPublicKey(identity), 'refused at registration');
    for (const [i, msg] of msgs.entries()) {
      t.equal(nobleEd25519.verify(sig, msg, identity), nodeVerifies(sig, msg, identity), `agree, message ${i}`);
    }
  });

  t.test('mixed-order public key A = aB + T', async (t) => {
    for (const [i, msg] of msgs.entries()) {
      const a = 1000003n + BigInt(i);
      const A = B.multiply(a).add(torsion8).toBytes();
      t.ok(isStrongPublicKey(A), `key ${i} may be registered: only the holder of a can sign for it`);
      const sig = craft(a, A, 7919n + BigInt(i), B.multiply(7919n + BigInt(i)), msg);
      t.equal(nobleEd25519.verify(sig, msg, A), nodeVerifies(sig, msg, A), `agree on message ${i}`);
    }
  });

  t.test('honest key, R with an order-8 component: both reject', async (t) => {
    for (const [i, msg] of msgs.entries()) {
      const a = 1000003n + BigInt(i);
      const A = B.multiply(a).toBytes();
      t.ok(isStrongPublicKey(A), `honest key ${i} is accepted at registration`);
      const r = 7919n + BigInt(i);
      const sig = craft(a, A, r, B.multiply(r).add(torsion8), msg);
      t.equal(nodeVerifies(sig, msg, A), false, `node rejects message ${i}`);
      t.equal(nobleEd25519.verify(sig, msg, A), false, `noble rejects message ${i}`);
      const honest = craft(a, A, r, B.multiply(r), msg);
      t.ok(nobleEd25519.verify(honest, msg, A) && nodeVerifies(honest, msg, A), `both accept the honest signature ${i}`);
    }
  });
});

t.test('the server adapter (nodeEd25519) reproduces the RFC 8032 vectors', async (t) => {
  const { nodeEd25519 } = await import('../../src/platform/node-crypto.js');
  for (const v of VECTORS) {
    const seed = fromHex(v.seed);
    t.equal(toHex(nodeEd25519.publicKey(seed)), v.pub, `${v.name} public key`);
    t.equal(toHex(nodeEd25519.sign(fromHex(v.msg), seed)), v.sig, `${v.name} signature`);
    t.ok(nodeEd25519.verify(fromHex(v.sig), fromHex(v.msg), fromHex(v.pub)), `${v.name} verifies`);
  }
  t.notOk(nodeEd25519.verify(new Uint8Array(64), new Uint8Array(), new Uint8Array(31)), 'bad lengths are a failed verification');
});

/**
 * Reference for RFC 8032 §5.1.3 step 2-3, independent of noble: some x has
 * x² = (y² − 1) / (d·y² + 1) mod p, i.e. the quotient is 0 or a square (Euler's criterion).
 */
function hasCurveX(y: bigint, p: bigint): boolean {
  const mod = (a: bigint) => ((a % p) + p) % p;
  const pow = (b: bigint, e: bigint) => {
    let r = 1n;
    for (b = mod(b); e > 0n; e >>= 1n, b = mod(b * b)) if (e & 1n) r = mod(r * b);
    return r;
  };
  const d = mod(-121665n * pow(121666n, p - 2n));
  const u = mod(y * y - 1n);
  const v = mod(d * y * y + 1n);
  const x2 = mod(u * pow(v, p - 2n));
  return x2 === 0n || pow(x2, (p - 1n) / 2n) === 1n;
}

t.test('isStrongPublicKey refuses exactly the small-order points, non-canonical encodings and points off the curve', async (t) => {
  // The eight points of order dividing 8: the 8-torsion subgroup, generated by an order-8 point.
  const t8 = ed.Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
  let q = ed.Point.ZERO;
  for (let i = 0; i < 8; i++, q = q.add(t8)) {
    const enc = q.toBytes();
    t.notOk(isStrongPublicKey(enc), `small-order point ${i} refused`);
    if (q.x === 0n) {
      const signed = Uint8Array.from(enc);
      signed[31]! |= 0x80; // x = 0 with the sign bit set: invalid, but lenient decoders accept it
      t.notOk(isStrongPublicKey(signed), `small-order point ${i} with sign bit refused`);
    }
  }
  const nonCanonical = new Uint8Array(32).fill(0xff);
  nonCanonical[31] = 0x7f; // y = 2^255 - 1 ≥ p
  t.notOk(isStrongPublicKey(nonCanonical), 'y ≥ p refused');
  // Around p = 2^255 - 19, against a BigInt reference: every y ≥ p is refused, with or without the
  // sign bit; below p the small-order encodings and the y with no x on the curve are.
  const smallOrder = new Set<string>();
  q = ed.Point.ZERO;
  for (let i = 0; i < 8; i++, q = q.add(t8)) {
    const enc = q.toBytes();
    smallOrder.add(toHex(enc));
    if (q.x === 0n) smallOrder.add(toHex(Uint8Array.from(enc, (b, j) => (j === 31 ? b | 0x80 : b))));
  }
  const p = 2n ** 255n - 19n;
  let checked = 0;
  for (let low = 0xe0; low <= 0xff; low++) {
    for (const top of [0x7f, 0x7e, 0xff, 0xfe]) {
      for (const dent of [-1, 1, 15, 30]) {
        const enc = new Uint8Array(32).fill(0xff);
        enc[0] = low;
        enc[31] = top;
        if (dent > 0) enc[dent] = 0xfe;
        let y = 0n;
        for (let j = 31; j >= 0; j--) y = (y << 8n) | BigInt(j === 31 ? enc[j]! & 0x7f : enc[j]!);
        const expected = y < p && !smallOrder.has(toHex(enc)) && hasCurveX(y, p);
        if (isStrongPublicKey(enc) !== expected) t.fail(`${toHex(enc)}: expected ${expected}`);
        checked++;
      }
    }
  }
  t.equal(checked, 512, 'encodings around p checked against the reference');
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
      t.ok(isStrongPublicKey(nobleEd25519.publicKey(seed)), 'honest keys pass');
    }),
    { numRuns: 100 },
  );
});
