/**
 * Ed25519 verification (RFC 8032 §5.1.7, cofactorless) for many signatures under a few keys: the
 * customer page's badge checks hundreds of entries signed by a dozen participants.
 *
 * The verdict is core's `nobleEd25519.verify` step for step (S < L, canonical decoding of A,
 * k = SHA-512(R ‖ A ‖ M) mod L, R' = [S]B − [k]A, encoding of R' equals R), so it accepts exactly
 * what OpenSSL accepts (src/core/ed25519.ts explains why that check and not noble's cofactored
 * one). Only the arithmetic is arranged for reuse: the decoded key is kept, and from a key's third
 * signature on, [k]A comes from a table of that key's multiples d·16^w·A (d = 1..8, signed 4-bit
 * digits, 65 windows): 64 point additions instead of noble's ~380 doublings and additions. The
 * table is built with noble's own (complete) point addition, in about the time of 1.5 plain
 * multiplications, and lives as long as this verifier: make one per verification run.
 * test/web/keyed-ed25519.test.ts holds its verdicts to nobleEd25519's and OpenSSL's.
 */
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, equalBytes, toHex } from '../core/bytes.js';
import { nobleEd25519, type Ed25519 } from '../core/ed25519.js';

type Point = InstanceType<typeof ed.Point>;

/** Order of the prime-order subgroup (RFC 8032 §5.1). */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const WINDOWS = 65; // 4-bit digits of a scalar < 2^253, plus one for the last carry
const MAX_KEYS = 256;
const TABLE_FROM_USE = 3; // bound on memory (a table is ~520 points) for hostile inputs with many keys

function littleEndian(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

/** rows[w][d-1] = d·16^w·A for d = 1..8. */
function multiplesOf(A: Point): Point[][] {
  const rows: Point[][] = [];
  let base = A;
  for (let w = 0; w < WINDOWS; w++) {
    const row = [base];
    for (let d = 1; d < 8; d++) row.push(row[d - 1]!.add(base));
    rows.push(row);
    base = row[7]!.double();
  }
  return rows;
}

/** [k]A from the table, 0 ≤ k < 2^256, by signed 4-bit digits in [-8, 8]. */
export function multiplyByTable(rows: readonly (readonly Point[])[], k: bigint): Point {
  if (rows.length !== WINDOWS) throw new RangeError(`table must have ${WINDOWS} rows`);
  if (k < 0n || k >= 2n ** 256n) throw new RangeError('scalar out of range');
  let p = ed.Point.ZERO;
  let n = k;
  for (let w = 0; w < WINDOWS; w++) {
    let d = Number(n & 15n);
    n >>= 4n;
    if (d > 8) {
      d -= 16;
      n += 1n;
    }
    if (d > 0) p = p.add(rows[w]![d - 1]!);
    else if (d < 0) p = p.add(rows[w]![-d - 1]!.negate());
  }
  if (n !== 0n) throw new RangeError('scalar does not fit the table');
  return p;
}

/** The table of a point, exported for tests. */
export const tableOf = (A: Point): Point[][] => multiplesOf(A);

interface KeyState {
  readonly point: Point;
  uses: number;
  table?: Point[][];
}

/** A verifier that remembers keys; sign and publicKey are core's. */
export function keyedNobleEd25519(): Ed25519 {
  const keys = new Map<string, KeyState>();
  const stateOf = (publicKey: Uint8Array): KeyState | undefined => {
    const id = toHex(publicKey);
    let state = keys.get(id);
    if (state === undefined) {
      let point: Point;
      try {
        point = ed.Point.fromBytes(publicKey, false); // canonical encoding only (y < p)
      } catch {
        return undefined;
      }
      state = { point, uses: 0 };
      if (keys.size < MAX_KEYS) keys.set(id, state);
    }
    return state;
  };
  return {
    publicKey: nobleEd25519.publicKey,
    sign: nobleEd25519.sign,
    verify(signature, message, publicKey) {
      if (signature.length !== 64 || publicKey.length !== 32) return false;
      const r = signature.subarray(0, 32);
      const s = littleEndian(signature.subarray(32));
      if (s >= L) return false; // RFC 8032 §5.1.7 step 1: S must be canonical
      const key = stateOf(publicKey);
      if (key === undefined) return false;
      const k = littleEndian(sha512(concatBytes(r, publicKey, message))) % L;
      key.uses++;
      // A table costs about 1.5 plain multiplications and saves 0.8 of one per later use: from
      // the third signature under a key on, it has paid for itself by the fifth.
      if (key.table === undefined && key.uses >= TABLE_FROM_USE) key.table = multiplesOf(key.point);
      const kA = key.table === undefined ? key.point.multiply(k, false) : multiplyByTable(key.table, k);
      const expectedR = ed.Point.BASE.multiply(s, false).subtract(kA);
      return equalBytes(expectedR.toBytes(), r);
    },
  };
}
