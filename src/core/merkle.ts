/**
 * RFC 9162 §2.1 (the RFC 6962 Merkle tree, unchanged): tree hash, inclusion and consistency proofs,
 * their verification, and the append-side bookkeeping that lets a store serve any proof in
 * O(log n) reads.
 *
 * Storage model: the ledger persists the hash of every *perfect* subtree (2^level leaves starting at
 * a multiple of 2^level) once it is complete, and never rewrites it; a NodeReader reads them back.
 * Every node an RFC 9162 proof needs is either such a subtree or a "ragged" node on the right edge
 * of the tree, which is recomputed from at most log2(n) perfect subtrees.
 *
 * Sizes and indices are JavaScript numbers and must be safe integers (< 2^53), so bit operations
 * are written as arithmetic rather than with 32-bit `>>`/`&`.
 *
 * Every function that hashes takes the SHA-256 as an optional last argument (default: core/hash.ts),
 * so a verifier can pass node:crypto or noble explicitly; the bulk helpers at the end (a leaf folder,
 * many audit paths of one tree) are the same algorithms as the single-proof ones, sharing their
 * split point, node hash and path walk.
 */
import { equalBytes } from './bytes.js';
import { LedgerError, type LedgerErrorCode } from './errors.js';
import { sha256, type HashFn } from './hash.js';

/** SHA-256 output length: every leaf hash, node hash, root and proof element. */
export const HASH_SIZE = 32;

/** RFC 9162 §2.1.1: MTH({}) = HASH(), the root of the empty tree. Do not mutate. */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));
// Private copy used for comparisons, so that a caller mutating the export cannot change verification.
const EMPTY_ROOT_COPY = EMPTY_ROOT.slice();

/**
 * RFC 9162 §2.1.1: MTH({d(0)}) = HASH(0x00 || d(0)). The 0x00/0x01 prefixes keep a leaf from ever
 * being passed off as an interior node (second-preimage resistance).
 */
export function hashLeaf(leafBytes: Uint8Array, hash: HashFn = sha256): Uint8Array {
  if (!(leafBytes instanceof Uint8Array)) throw new TypeError('leafBytes must be a Uint8Array');
  const buf = new Uint8Array(1 + leafBytes.length);
  buf.set(leafBytes, 1);
  return hash(buf);
}

/** RFC 9162 §2.1.1: HASH(0x01 || left || right). */
export function hashChildren(left: Uint8Array, right: Uint8Array, hash: HashFn = sha256): Uint8Array {
  if (!(left instanceof Uint8Array) || !(right instanceof Uint8Array)) throw new TypeError('left and right must be Uint8Arrays');
  const buf = new Uint8Array(1 + left.length + right.length);
  buf[0] = 0x01;
  buf.set(left, 1);
  buf.set(right, 1 + left.length);
  return hash(buf);
}

// ---------------------------------------------------------------------------------------------
// Integer helpers valid up to 2^53

const isSize = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

/** Largest power of two strictly less than n (n ≥ 2): the split point k of RFC 9162 §2.1.1. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/** Number of one bits (= perfect subtrees in the frontier of a tree of n leaves). */
function popCount(n: number): number {
  let c = 0;
  for (; n > 0; n = Math.floor(n / 2)) c += n % 2;
  return c;
}

/** Number of binary digits (0 for 0). */
function bitLength(n: number): number {
  let c = 0;
  for (; n > 0; n = Math.floor(n / 2)) c++;
  return c;
}

function xor(a: number, b: number): number {
  let r = 0;
  for (let bit = 1; a > 0 || b > 0; bit *= 2, a = Math.floor(a / 2), b = Math.floor(b / 2)) {
    if (a % 2 !== b % 2) r += bit;
  }
  return r;
}

function trailingZeros(n: number): number {
  let c = 0;
  for (; n > 0 && n % 2 === 0; n /= 2) c++;
  return c;
}

// ---------------------------------------------------------------------------------------------
// Tree hash

/**
 * MTH(D[n]) (RFC 9162 §2.1.1) of a whole list of leaf hashes, in O(n) hashes and O(log n) memory:
 * folding the leaves through a frontier builds the same tree as the recursive definition.
 */
export function rootFromLeafHashes(leafHashes: readonly Uint8Array[]): Uint8Array {
  if (!Array.isArray(leafHashes)) throw new TypeError('leafHashes must be an array');
  if (leafHashes.length === 0) return EMPTY_ROOT_COPY.slice();
  const stack: Uint8Array[] = [];
  for (let size = 0; size < leafHashes.length; size++) {
    let h = leafHashes[size]!;
    for (let s = size; s % 2 === 1; s = (s - 1) / 2) h = hashChildren(stack.pop()!, h);
    stack.push(h);
  }
  let root = stack.pop()!;
  while (stack.length > 0) root = hashChildren(stack.pop()!, root);
  return root;
}

// ---------------------------------------------------------------------------------------------
// Reading stored subtrees

/**
 * Returns the hash of the perfect subtree of 2^level leaves covering
 * [index·2^level, (index+1)·2^level); level 0 is the leaf hash of leaf `index`. Only subtrees that
 * are complete in the tree being proved are ever requested.
 */
export type NodeReader = (level: number, index: number) => Uint8Array;

/** A completed perfect subtree, as returned by {@link appendLeaf} for the store to persist. */
export interface MerkleNode {
  readonly level: number;
  readonly index: number;
  readonly hash: Uint8Array;
}

function readNode(read: NodeReader, level: number, index: number): Uint8Array {
  const h = read(level, index);
  // The store is outside the pure core: a truncated or missing row must not become a wrong proof.
  if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
    throw new LedgerError('LEDGER_STORE_CORRUPT', `node (level ${level}, index ${index}) is not a ${HASH_SIZE}-byte hash`);
  }
  return h;
}

function rangeError(message: string): never {
  throw new LedgerError('LEDGER_PROOF_RANGE', message);
}

/**
 * MTH(D[start:end]) (RFC 9162 §2.1.1) from stored subtrees. An aligned perfect range is one read;
 * any other range is split at the largest power of two below its length, as the definition does.
 * For a node of the tree (every range a proof needs), the left part of each split is aligned, so
 * a ragged right-edge node costs popcount(end - start) reads.
 *
 * @throws LedgerError LEDGER_PROOF_RANGE unless 0 ≤ start ≤ end are safe integers
 */
export function subtreeHash(read: NodeReader, start: number, end: number): Uint8Array {
  if (!isSize(start) || !isSize(end) || start > end) rangeError(`invalid leaf range [${start}, ${end})`);
  if (start === end) return EMPTY_ROOT_COPY.slice();
  return rangeHash(read, start, end);
}

function rangeHash(read: NodeReader, start: number, end: number): Uint8Array {
  const n = end - start;
  if (isPowerOfTwo(n) && start % n === 0) return readNode(read, Math.log2(n), start / n);
  const k = splitPoint(n);
  return hashChildren(rangeHash(read, start, start + k), rangeHash(read, start + k, end));
}

/**
 * Root of the tree of the first `size` leaves, in popcount(size) reads.
 * @throws LedgerError LEDGER_PROOF_RANGE if size is not a safe non-negative integer
 */
export function rootAt(read: NodeReader, size: number): Uint8Array {
  return subtreeHash(read, 0, size);
}

/**
 * PATH(index, D[size]) of RFC 9162 §2.1.3.1, leaf-side first. Walks the definition top-down,
 * collecting the sibling of each node on the path. Every left sibling is a perfect subtree (one
 * read); at most one right sibling is a ragged right-edge node (the first time the path turns
 * left), so the proof costs at most 2·⌈log2 size⌉ reads.
 *
 * @throws LedgerError LEDGER_PROOF_RANGE unless 0 ≤ index < size are safe integers
 */
export function inclusionProof(read: NodeReader, index: number, size: number): Uint8Array[] {
  if (!isSize(index) || !isSize(size) || index >= size) rangeError(`no leaf ${index} in a tree of size ${size}`);
  return auditPath(index, size, (lo, hi) => rangeHash(read, lo, hi));
}

/**
 * The walk of PATH(index, D[size]) (RFC 9162 §2.1.3.1), leaf-side first, with the caller's way of
 * hashing a range of leaves: {@link inclusionProof} recomputes ranges, {@link inclusionPaths}
 * caches them across many paths of one tree.
 */
function auditPath(index: number, size: number, rangeHashOf: (lo: number, hi: number) => Uint8Array): Uint8Array[] {
  const siblings: Uint8Array[] = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index < lo + k) {
      siblings.push(rangeHashOf(lo + k, hi));
      hi = lo + k;
    } else {
      siblings.push(rangeHashOf(lo, lo + k));
      lo += k;
    }
  }
  return siblings.reverse();
}

/**
 * PROOF(size1, D[size2]) = SUBPROOF(size1, D[size2], true) of RFC 9162 §2.1.4.1, iteratively.
 * Same read bound as {@link inclusionProof} plus one read for the old tree's own subtree:
 * at most 2·⌈log2 size2⌉ + 1.
 *
 * size1 = size2 gives the empty proof. size1 = 0 is refused: the RFC defines proofs only for
 * 0 < size1, and verifiers (§2.1.4.2, and ours) reject any proof from the empty tree.
 *
 * @throws LedgerError LEDGER_PROOF_RANGE unless 0 < size1 ≤ size2 are safe integers (or both are 0)
 */
export function consistencyProof(read: NodeReader, size1: number, size2: number): Uint8Array[] {
  if (!isSize(size1) || !isSize(size2) || size1 > size2) rangeError(`no consistency proof from size ${size1} to size ${size2}`);
  if (size1 === size2) return [];
  if (size1 === 0) rangeError('a consistency proof from the empty tree is meaningless');
  const nodes: Uint8Array[] = [];
  let lo = 0;
  let hi = size2;
  let complete = true; // the b flag of SUBPROOF: is D[lo:lo+m] the whole old tree?
  // Invariant: the old tree's remaining part is D[lo:size1], inside the current node D[lo:hi].
  while (size1 !== hi) {
    const k = splitPoint(hi - lo);
    if (size1 <= lo + k) {
      nodes.push(rangeHash(read, lo + k, hi));
      hi = lo + k;
    } else {
      nodes.push(rangeHash(read, lo, lo + k));
      lo += k;
      complete = false;
    }
  }
  if (!complete) nodes.push(rangeHash(read, lo, hi));
  return nodes.reverse();
}

// ---------------------------------------------------------------------------------------------
// Frontier (compact range [0, size)) for appends

/**
 * Hashes of the perfect subtrees that make up a tree of `size` leaves, one per one-bit of size,
 * largest (leftmost) first. With it, an append costs O(1) amortised hashes and the root O(log n).
 */
export type Frontier = readonly Uint8Array[];

function checkFrontier(frontier: Frontier, size: number): void {
  if (!Array.isArray(frontier)) throw new TypeError('frontier must be an array');
  if (!isSize(size)) throw new RangeError(`size must be a safe non-negative integer, got ${size}`);
  if (frontier.length !== popCount(size)) {
    throw new RangeError(`frontier has ${frontier.length} hashes, a tree of size ${size} needs ${popCount(size)}`);
  }
}

/**
 * Appends the leaf `size` (0-based) to a tree of `size` leaves. Returns the new frontier (the input
 * is not modified) and the perfect subtrees of level ≥ 1 this leaf completed, for the store to
 * persist next to the leaf hash; with them a {@link NodeReader} can serve every later proof.
 *
 * @throws RangeError if the frontier does not belong to a tree of `size` leaves (a caller bug)
 */
export function appendLeaf(frontier: Frontier, size: number, leafHash: Uint8Array): { frontier: Uint8Array[]; newNodes: MerkleNode[] } {
  checkFrontier(frontier, size);
  if (!(leafHash instanceof Uint8Array) || leafHash.length !== HASH_SIZE) throw new TypeError(`leafHash must be ${HASH_SIZE} bytes`);
  if (size + 1 > Number.MAX_SAFE_INTEGER) throw new RangeError('tree is full');
  const next = frontier.slice();
  const newNodes: MerkleNode[] = [];
  let h = leafHash;
  let level = 0;
  // Each trailing one-bit of size is a perfect subtree of that level that now gets a right sibling.
  for (let s = size; s % 2 === 1; s = (s - 1) / 2) {
    h = hashChildren(next.pop()!, h);
    level++;
    newNodes.push({ level, index: (size + 1) / 2 ** level - 1, hash: h });
  }
  next.push(h);
  return { frontier: next, newNodes };
}

/**
 * MTH of the tree the frontier describes: the ragged right edge folded from the smallest subtree.
 * @throws RangeError if the frontier does not belong to a tree of `size` leaves
 */
export function frontierRoot(frontier: Frontier, size: number): Uint8Array {
  checkFrontier(frontier, size);
  if (size === 0) return EMPTY_ROOT_COPY.slice();
  let root = frontier[frontier.length - 1]!;
  for (let i = frontier.length - 2; i >= 0; i--) root = hashChildren(frontier[i]!, root);
  return root;
}

/**
 * The frontier of the first `size` leaves from stored subtrees, in popcount(size) ≤ log2(size)+1
 * reads: how a restarted server resumes appending without replaying the log.
 * @throws LedgerError LEDGER_PROOF_RANGE if size is not a safe non-negative integer
 */
export function frontierFromReader(read: NodeReader, size: number): Uint8Array[] {
  if (!isSize(size)) rangeError(`invalid tree size ${size}`);
  const out: Uint8Array[] = [];
  let start = 0;
  for (let level = bitLength(size) - 1; level >= 0; level--) {
    const width = 2 ** level;
    if (Math.floor(size / width) % 2 === 1) {
      out.push(readNode(read, level, start / width));
      start += width;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Verification (all inputs attacker-controlled)

function checkHash(h: unknown, what: string, code: LedgerErrorCode): asserts h is Uint8Array {
  if (!(h instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`);
  if (h.length !== HASH_SIZE) throw new LedgerError(code, `${what} is ${h.length} bytes, not ${HASH_SIZE}`);
}

function checkProof(proof: unknown, code: LedgerErrorCode): asserts proof is readonly Uint8Array[] {
  if (!Array.isArray(proof)) throw new TypeError('proof must be an array');
  for (let i = 0; i < proof.length; i++) checkHash(proof[i], `proof[${i}]`, code);
}

/**
 * Length of a valid inclusion proof: the path below the point where the paths to `index` and to
 * `size - 1` diverge, plus the left siblings above it (one per one-bit of index above that point).
 */
function inclusionProofLength(index: number, size: number): { inner: number; border: number } {
  const inner = bitLength(xor(index, size - 1));
  return { inner, border: popCount(Math.floor(index / 2 ** inner)) };
}

/**
 * Verifies that `leafHash` is leaf `index` of the tree of `size` leaves with root `root`, by the
 * algorithm of RFC 9162 §2.1.3.2. The proof length is checked first against the exact length the
 * tree shape implies, so a padded or truncated proof gets a precise message; the RFC's own
 * `sn == 0` checks then remain as a second guard.
 *
 * @throws LedgerError LEDGER_INCLUSION_PROOF_INVALID: index/size not integers with index < size,
 *   a hash that is not 32 bytes, a proof of the wrong length, or a root mismatch
 * @throws TypeError if a hash is not a Uint8Array or the proof not an array
 */
export function verifyInclusion(leafHash: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array, hash: HashFn = sha256): void {
  const code = 'LEDGER_INCLUSION_PROOF_INVALID';
  const bad = (message: string): never => {
    throw new LedgerError(code, message);
  };
  if (!isSize(index) || !isSize(size)) bad(`index ${index} and size ${size} must be non-negative safe integers`);
  if (index >= size) bad(`leaf index ${index} is not below tree size ${size}`);
  checkHash(leafHash, 'leaf hash', code);
  checkHash(root, 'root', code);
  checkProof(proof, code);
  const { inner, border } = inclusionProofLength(index, size);
  if (proof.length !== inner + border) {
    bad(`proof for leaf ${index} of ${size} must have ${inner + border} hashes, got ${proof.length}`);
  }

  const r = inclusionRoot(leafHash, index, size, proof, hash);
  if (typeof r === 'string') bad(r);
  if (!equalBytes(r as Uint8Array, root)) bad(`leaf ${index} with this proof gives a different root for tree size ${size}`);
}

/**
 * RFC 9162 §2.1.3.2 steps 2-5: the root `proof` leads to from leaf `index` of `size`, or why the
 * algorithm rejects the proof. The caller has checked 0 ≤ index < size and the hash lengths.
 */
function inclusionRoot(leafHash: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], hash: HashFn): Uint8Array | string {
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return 'proof is longer than the path to the root';
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r, hash);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = hashChildren(r, p, hash);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : 'proof is shorter than the path to the root';
}

/**
 * The root that `proof` leads to from leaf `index` of a tree of `size` leaves (RFC 9162
 * §2.1.3.2), or undefined when the algorithm rejects the proof (index not below size, a hash that
 * is not 32 bytes, too long or too short). Unlike {@link verifyInclusion} it does not check the
 * proof's length up front nor build a message: the caller compares the root with the trusted one
 * and asks verifyInclusion why only when they differ.
 */
export function rootFromInclusionProof(leafHash: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], hash: HashFn = sha256): Uint8Array | undefined {
  if (!isSize(index) || !isSize(size) || index >= size || leafHash.length !== HASH_SIZE) return undefined;
  if (proof.some((p) => p.length !== HASH_SIZE)) return undefined;
  const r = inclusionRoot(leafHash, index, size, proof, hash);
  return typeof r === 'string' ? undefined : r;
}

/**
 * Verifies that the tree of `size2` leaves with root `root2` extends the tree of `size1` leaves
 * with root `root1`, by RFC 9162 §2.1.4.2, preceded by the cases the RFC leaves to the caller
 * (handled as transparency-dev/merkle does, whose vectors we pass):
 * - size1 = size2: the proof must be empty and the roots byte-equal (nothing is hashed, so their
 *   length is not checked); for size 0 the root must also be MTH({}).
 * - size1 = 0 < size2: rejected; every tree extends the empty one, so such a "proof" proves
 *   nothing and accepting it would let a client believe it checked something.
 *
 * @throws LedgerError LEDGER_CONSISTENCY_PROOF_INVALID: sizes not integers with size1 ≤ size2, a
 *   hash that is not 32 bytes, a proof of the wrong length, or either root mismatching
 * @throws TypeError if a hash is not a Uint8Array or the proof not an array
 */
export function verifyConsistency(size1: number, size2: number, proof: readonly Uint8Array[], root1: Uint8Array, root2: Uint8Array, hash: HashFn = sha256): void {
  const code = 'LEDGER_CONSISTENCY_PROOF_INVALID';
  const bad = (message: string): never => {
    throw new LedgerError(code, message);
  };
  if (!isSize(size1) || !isSize(size2)) bad(`sizes ${size1} and ${size2} must be non-negative safe integers`);
  if (size1 > size2) bad(`size1 ${size1} is greater than size2 ${size2}: a log never shrinks`);
  if (!(root1 instanceof Uint8Array) || !(root2 instanceof Uint8Array)) throw new TypeError('roots must be Uint8Arrays');
  if (!Array.isArray(proof)) throw new TypeError('proof must be an array');
  if (size1 === size2) {
    if (proof.length !== 0) bad(`proof between equal sizes must be empty, got ${proof.length} hashes`);
    if (!equalBytes(root1, root2)) bad(`trees of equal size ${size1} have different roots`);
    if (size1 === 0 && !equalBytes(root1, EMPTY_ROOT_COPY)) bad('root of the empty tree is not SHA-256 of the empty string');
    return;
  }
  if (size1 === 0) bad('a consistency proof from the empty tree is meaningless');
  checkHash(root1, 'root1', code);
  checkHash(root2, 'root2', code);
  checkProof(proof, code);

  // Expected length: the suffix of the inclusion proof of leaf size1-1 in size2 above the level
  // where the old tree's last perfect subtree sits, plus that subtree itself unless it is the whole
  // old tree (then root1 stands in for it, step 2).
  const { inner, border } = inclusionProofLength(size1 - 1, size2);
  const shift = trailingZeros(size1);
  const seedFromProof = isPowerOfTwo(size1) ? 0 : 1;
  const expected = seedFromProof + inner - shift + border;
  // Step 1 (empty path) is the expected = 0 case, which cannot occur for 0 < size1 < size2.
  if (proof.length !== expected) {
    bad(`proof from size ${size1} to ${size2} must have ${expected} hashes, got ${proof.length}`);
  }

  // RFC 9162 §2.1.4.2 steps 2-7.
  const path = seedFromProof === 0 ? [root1, ...proof] : proof;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2;
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = fr;
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) bad('proof is longer than the path to the root');
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr, hash);
      sr = hashChildren(c, sr, hash);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = hashChildren(sr, c, hash);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) bad('proof is shorter than the path to the root');
  // Both roots are checked (not short-circuited into one message) so the error says which failed.
  const ok1 = equalBytes(fr, root1);
  const ok2 = equalBytes(sr, root2);
  if (!ok1) bad(`proof does not reproduce root1 of size ${size1}`);
  if (!ok2) bad(`proof does not reproduce root2 of size ${size2}`);
}

// ---------------------------------------------------------------------------------------------
// In bulk: a bundle folds millions of leaves and an export writes millions of audit paths.

/** MTH over leaf hashes given one at a time: {@link LeafFolder}. */
export interface LeafFolder {
  /** Leaves appended so far. */
  readonly size: number;
  append(leafHash: Uint8Array): void;
  /** MTH of the leaves appended so far (RFC 9162 §2.1.1; HASH() for none). */
  root(): Uint8Array;
}

/**
 * MTH (RFC 9162 §2.1.1) over a stream of leaf hashes in O(log n) memory: the frontier of
 * {@link appendLeaf}, without the stored-node bookkeeping a verifier does not need.
 */
export function leafFolder(hash: HashFn = sha256): LeafFolder {
  const stack: Uint8Array[] = [];
  let size = 0;
  return {
    get size() {
      return size;
    },
    append(leafHash) {
      let h = leafHash;
      // Each trailing one-bit of size is a perfect subtree that now gets its right sibling.
      for (let s = size; s % 2 === 1; s = (s - 1) / 2) h = hashChildren(stack.pop()!, h, hash);
      stack.push(h);
      size++;
    },
    root() {
      if (size === 0) return hash(new Uint8Array(0));
      let r = stack[stack.length - 1]!;
      for (let i = stack.length - 2; i >= 0; i--) r = hashChildren(stack[i]!, r, hash);
      return r;
    },
  };
}

/**
 * Audit paths ({@link inclusionProof}'s, leaf side first) of many leaves of the tree of `size`
 * leaves. Stored subtrees are read once each (up to 100,000 kept), and the ragged nodes of the
 * tree's right edge, at most log2(size) of them, which inclusionProof recomputes for every proof,
 * are computed once.
 */
export function inclusionPaths(read: NodeReader, size: number, hash: HashFn = sha256): (index: number) => Uint8Array[] {
  const perfect = new Map<number, Uint8Array>();
  const ragged = new Map<number, Uint8Array>();
  const readCached = (level: number, index: number): Uint8Array => {
    const key = index * 64 + level;
    let h = perfect.get(key);
    if (h === undefined) {
      h = readNode(read, level, index);
      if (perfect.size >= 100_000) perfect.clear();
      perfect.set(key, h);
    }
    return h;
  };
  // Every range a path needs is either a perfect subtree or [lo, size): the latter keyed by lo.
  const rangeHashOf = (lo: number, hi: number): Uint8Array => {
    const n = hi - lo;
    if (isPowerOfTwo(n) && lo % n === 0) return readCached(Math.log2(n), lo / n);
    const hit = hi === size ? ragged.get(lo) : undefined;
    if (hit !== undefined) return hit;
    const k = splitPoint(n);
    const h = hashChildren(rangeHashOf(lo, lo + k), rangeHashOf(lo + k, hi), hash);
    if (hi === size) ragged.set(lo, h);
    return h;
  };
  return (index) => {
    if (!isSize(index) || index >= size) throw new RangeError(`no leaf ${index} in a tree of size ${size}`);
    return auditPath(index, size, rangeHashOf);
  };
}
