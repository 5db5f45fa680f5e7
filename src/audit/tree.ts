/**
 * RFC 9162 §2.1 Merkle computations in bulk, with the caller's SHA-256: the tree hash folded over a
 * stream of leaves, audit paths for many leaves of one tree, and the root an audit path leads to.
 * They are the algorithms of src/core/merkle.ts, which stays the reference (tests hold the two
 * together, and the verifier asks the core to name what is wrong whenever these reject); they
 * exist because a bundle needs them thousands to millions of times, where the core's pure-JS
 * SHA-256 and its per-proof recomputation of the tree's right edge dominate.
 */
import type { NodeReader } from '../core/merkle.js';

/** One-shot SHA-256. */
export type HashFn = (data: Uint8Array) => Uint8Array;

/** RFC 9162 §2.1.1: HASH(0x01 ‖ left ‖ right). */
function nodeHash(hash: HashFn, left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(65);
  buf[0] = 0x01;
  buf.set(left, 1);
  buf.set(right, 33);
  return hash(buf);
}

const isPowerOfTwo = (n: number): boolean => n > 0 && 2 ** Math.round(Math.log2(n)) === n;

/** Largest power of two strictly less than n (n ≥ 2): the split point k of RFC 9162 §2.1.1. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * MTH over leaf hashes given one at a time (RFC 9162 §2.1.1), in O(log n) memory: the stack holds
 * the perfect subtrees of the tree so far, largest first (the frontier of core/merkle.ts).
 */
export function leafFolder(hash: HashFn) {
  const stack: Uint8Array[] = [];
  let size = 0;
  return {
    get size(): number {
      return size;
    },
    append(leafHash: Uint8Array): void {
      let h = leafHash;
      // Each trailing one-bit of size is a perfect subtree that now gets its right sibling.
      for (let s = size; s % 2 === 1; s = (s - 1) / 2) h = nodeHash(hash, stack.pop()!, h);
      stack.push(h);
      size++;
    },
    root(): Uint8Array {
      if (size === 0) return hash(new Uint8Array(0));
      let r = stack[stack.length - 1]!;
      for (let i = stack.length - 2; i >= 0; i--) r = nodeHash(hash, stack[i]!, r);
      return r;
    },
  };
}

/**
 * The root that `proof` leads to from leaf `index` of a tree of `size` leaves, by RFC 9162
 * §2.1.3.2, or undefined when the algorithm rejects the proof (too long, too short, a hash that is
 * not 32 bytes, index not below size). The caller compares the root with the trusted one.
 */
export function rootFromInclusionProof(hash: HashFn, leafHash: Uint8Array, index: number, size: number, proof: readonly Uint8Array[]): Uint8Array | undefined {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size || leafHash.length !== 32) return undefined;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0 || p.length !== 32) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(hash, p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(hash, r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}

/**
 * Audit paths (RFC 9162 §2.1.3.1, leaf side first, as core/merkle.ts inclusionProof) of many
 * leaves of the tree of `size` leaves. Stored subtrees are read once each, and the ragged nodes of
 * the tree's right edge (at most log2(size) of them, which the core recomputes for every proof)
 * are computed once.
 */
export function inclusionPaths(read: NodeReader, size: number, hash: HashFn): (index: number) => Uint8Array[] {
  const perfect = new Map<number, Uint8Array>();
  const ragged = new Map<number, Uint8Array>();
  const readCached = (level: number, index: number): Uint8Array => {
    const key = index * 64 + level;
    let h = perfect.get(key);
    if (h === undefined) {
      h = read(level, index);
      if (perfect.size >= 100_000) perfect.clear();
      perfect.set(key, h);
    }
    return h;
  };
  // Every range a path needs is either a perfect subtree or [lo, size): keyed by lo.
  const rangeHash = (lo: number, hi: number): Uint8Array => {
    const n = hi - lo;
    if (isPowerOfTwo(n) && lo % n === 0) return readCached(Math.log2(n), lo / n);
    if (hi === size) {
      const hit = ragged.get(lo);
      if (hit !== undefined) return hit;
    }
    const k = splitPoint(n);
    const h = nodeHash(hash, rangeHash(lo, lo + k), rangeHash(lo + k, hi));
    if (hi === size) ragged.set(lo, h);
    return h;
  };
  return (index) => {
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw new RangeError(`no leaf ${index} in a tree of size ${size}`);
    const siblings: Uint8Array[] = [];
    let lo = 0;
    let hi = size;
    while (hi - lo > 1) {
      const k = splitPoint(hi - lo);
      if (index < lo + k) {
        siblings.push(rangeHash(lo + k, hi));
        hi = lo + k;
      } else {
        siblings.push(rangeHash(lo, lo + k));
        lo += k;
      }
    }
    return siblings.reverse();
  };
}
