import t from 'tap';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import {
  appendLeaf,
  consistencyProof,
  EMPTY_ROOT,
  frontierFromReader,
  frontierRoot,
  hashChildren,
  hashLeaf,
  HASH_SIZE,
  inclusionPaths,
  inclusionProof,
  leafFolder,
  rootFromInclusionProof,
  rootAt,
  rootFromLeafHashes,
  subtreeHash,
  verifyConsistency,
  verifyInclusion,
  type Frontier,
  type NodeReader,
} from '../../src/core/merkle.js';
import { equalBytes, fromBase64, fromHex, toHex } from '../../src/core/bytes.js';
import { sha256 } from '../../src/core/hash.js';

// Resolved from this file, not the cwd: test/core/ → test/vectors/rfc6962/ (see test/vectors/README.md).
const VECTORS = new URL('../vectors/rfc6962/', import.meta.url);

// ------------------------------------------------------------------------------------------------
// Naive reference: RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 written as the recursive definitions.

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function refMTH(d: readonly Uint8Array[]): Uint8Array {
  if (d.length === 0) return sha256(new Uint8Array(0));
  if (d.length === 1) return d[0]!;
  const k = largestPowerOfTwoBelow(d.length);
  return hashChildren(refMTH(d.slice(0, k)), refMTH(d.slice(k)));
}

function refPATH(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  if (d.length === 1) return [];
  const k = largestPowerOfTwoBelow(d.length);
  return m < k ? [...refPATH(m, d.slice(0, k)), refMTH(d.slice(k))] : [...refPATH(m - k, d.slice(k)), refMTH(d.slice(0, k))];
}

function refSUBPROOF(m: number, d: readonly Uint8Array[], b: boolean): Uint8Array[] {
  if (m === d.length) return b ? [] : [refMTH(d)];
  const k = largestPowerOfTwoBelow(d.length);
  return m <= k
    ? [...refSUBPROOF(m, d.slice(0, k), b), refMTH(d.slice(k))]
    : [...refSUBPROOF(m - k, d.slice(k), false), refMTH(d.slice(0, k))];
}

const refPROOF = (m: number, d: readonly Uint8Array[]): Uint8Array[] => refSUBPROOF(m, d, true);

// ------------------------------------------------------------------------------------------------
// A store built the way the ledger builds it: leaf hashes plus the newNodes of every append.

interface Store {
  leaves: Uint8Array[];
  nodes: Map<string, Uint8Array>;
  frontiers: Uint8Array[][];
}

function leafHashOf(i: number, salt = 0): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint32(0, i);
  new DataView(b.buffer).setUint32(4, salt);
  return hashLeaf(b);
}

function buildStore(n: number, salt = 0): Store {
  const nodes = new Map<string, Uint8Array>();
  const leaves: Uint8Array[] = [];
  let frontier: Frontier = [];
  const frontiers: Uint8Array[][] = [[]];
  for (let i = 0; i < n; i++) {
    const h = leafHashOf(i, salt);
    leaves.push(h);
    nodes.set(`0:${i}`, h);
    const r = appendLeaf(frontier, i, h);
    for (const node of r.newNodes) {
      if (nodes.has(`${node.level}:${node.index}`)) throw new Error('node completed twice');
      nodes.set(`${node.level}:${node.index}`, node.hash);
    }
    frontier = r.frontier;
    frontiers.push(r.frontier);
  }
  return { leaves, nodes, frontiers };
}

/** Reader for the tree of the first `size` leaves; fails the test if a proof asks for anything else. */
function readerAt(store: Store, size: number, counter?: { reads: number }): NodeReader {
  return (level, index) => {
    if (counter) counter.reads++;
    if ((index + 1) * 2 ** level > size) throw new Error(`read (${level}, ${index}) is beyond size ${size}`);
    const h = store.nodes.get(`${level}:${index}`);
    if (!h) throw new Error(`node (${level}, ${index}) was never stored`);
    return h;
  };
}

const hex = (hs: readonly Uint8Array[]): string[] => hs.map(toHex);

// ------------------------------------------------------------------------------------------------

t.test('hashes and the RFC 6962 reference tree', async (t) => {
  t.equal(toHex(EMPTY_ROOT), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  t.equal(HASH_SIZE, 32);
  const leafInputs = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
  const roots = [
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
    '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
    'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
    '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
  ];
  const leaves = leafInputs.map((h) => hashLeaf(fromHex(h)));
  const nodes = new Map<string, Uint8Array>();
  let frontier: Frontier = [];
  for (let n = 0; n <= 8; n++) {
    const read: NodeReader = (level, index) => nodes.get(`${level}:${index}`)!;
    t.equal(toHex(rootFromLeafHashes(leaves.slice(0, n))), roots[n], `rootFromLeafHashes n=${n}`);
    t.equal(toHex(frontierRoot(frontier, n)), roots[n], `frontierRoot n=${n}`);
    t.equal(toHex(rootAt(read, n)), roots[n], `rootAt n=${n}`);
    if (n === 8) break;
    nodes.set(`0:${n}`, leaves[n]!);
    const r = appendLeaf(frontier, n, leaves[n]!);
    for (const node of r.newNodes) nodes.set(`${node.level}:${node.index}`, node.hash);
    frontier = r.frontier;
  }
  t.same(
    [...nodes.keys()].sort(),
    ['0:0', '0:1', '0:2', '0:3', '0:4', '0:5', '0:6', '0:7', '1:0', '1:1', '1:2', '1:3', '2:0', '2:1', '3:0'],
    'appends persisted every perfect subtree exactly once',
  );
  t.equal(toHex(hashChildren(leaves[0]!, leaves[1]!)), roots[2]);
  t.not(EMPTY_ROOT, rootFromLeafHashes([]), 'the empty root is returned as a fresh copy');
});

interface InclusionVector {
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}
interface ConsistencyVector {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

function jsonFiles(dir: URL): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const url = new URL(name, dir);
    if (statSync(url).isDirectory()) out.push(...jsonFiles(new URL(`${name}/`, dir)).map((f) => `${name}/${f}`));
    else if (name.endsWith('.json')) out.push(name);
  }
  return out;
}

t.test('transparency-dev inclusion vectors', async (t) => {
  const dir = new URL('inclusion/', VECTORS);
  const files = jsonFiles(dir);
  t.ok(files.length >= 90, `${files.length} files`);
  const reference = buildReferenceTree();
  for (const file of files) {
    const v = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as InclusionVector;
    if (file.endsWith('/happy-path.json')) t.equal(v.wantErr, false, `${file} is a happy path`);
    const proof = (v.proof ?? []).map(fromBase64);
    const run = (): void => verifyInclusion(fromBase64(v.leafHash), v.leafIdx, v.treeSize, proof, fromBase64(v.root));
    if (v.wantErr) t.throws(run, { code: 'LEDGER_INCLUSION_PROOF_INVALID' }, `${file}: ${v.desc}`);
    else t.doesNotThrow(run, `${file}: ${v.desc}`);
    if (!v.wantErr && v.treeSize <= 8 && v.leafHash === Buffer.from(reference.leaves[v.leafIdx]!).toString('base64')) {
      t.same(hex(inclusionProof(reference.read, v.leafIdx, v.treeSize)), hex(proof), `${file}: we generate the same proof`);
    }
  }
});

t.test('transparency-dev consistency vectors', async (t) => {
  const dir = new URL('consistency/', VECTORS);
  const files = jsonFiles(dir);
  t.ok(files.length >= 80, `${files.length} files`);
  const reference = buildReferenceTree();
  for (const file of files) {
    const v = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as ConsistencyVector;
    if (file.endsWith('/happy-path.json')) t.equal(v.wantErr, false, `${file} is a happy path`);
    const proof = (v.proof ?? []).map(fromBase64);
    const run = (): void => verifyConsistency(v.size1, v.size2, proof, fromBase64(v.root1), fromBase64(v.root2));
    if (v.wantErr) t.throws(run, { code: 'LEDGER_CONSISTENCY_PROOF_INVALID' }, `${file}: ${v.desc}`);
    else t.doesNotThrow(run, `${file}: ${v.desc}`);
    if (file.endsWith('/happy-path.json') && v.size2 <= 8) {
      t.equal(v.root2, Buffer.from(rootAt(reference.read, v.size2)).toString('base64'), `${file}: vectors use the reference tree`);
      t.same(hex(consistencyProof(reference.read, v.size1, v.size2)), hex(proof), `${file}: we generate the same proof`);
    }
  }
});

function buildReferenceTree(): { leaves: Uint8Array[]; read: NodeReader } {
  const inputs = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
  const leaves = inputs.map((h) => hashLeaf(fromHex(h)));
  const store = { leaves, nodes: new Map<string, Uint8Array>(), frontiers: [] };
  let frontier: Frontier = [];
  leaves.forEach((h, i) => {
    store.nodes.set(`0:${i}`, h);
    const r = appendLeaf(frontier, i, h);
    for (const node of r.newNodes) store.nodes.set(`${node.level}:${node.index}`, node.hash);
    frontier = r.frontier;
  });
  return { leaves, read: readerAt(store, 8) };
}

t.test('every size up to 64: proofs equal the RFC 9162 definitions and verify', async (t) => {
  const N = 64;
  const store = buildStore(N);
  let checked = 0;
  for (let size = 1; size <= N; size++) {
    const d = store.leaves.slice(0, size);
    const root = refMTH(d);
    const read = readerAt(store, size);
    if (toHex(rootAt(read, size)) !== toHex(root)) t.fail(`rootAt ${size}`);
    for (let i = 0; i < size; i++) {
      const proof = inclusionProof(read, i, size);
      if (hex(proof).join() !== hex(refPATH(i, d)).join()) t.fail(`inclusion ${i}/${size}`);
      verifyInclusion(d[i]!, i, size, proof, root);
      checked++;
    }
    for (let m = 1; m <= size; m++) {
      const proof = consistencyProof(read, m, size);
      const want = m === size ? [] : refPROOF(m, d);
      if (hex(proof).join() !== hex(want).join()) t.fail(`consistency ${m}→${size}`);
      verifyConsistency(m, size, proof, refMTH(store.leaves.slice(0, m)), root);
      checked++;
    }
  }
  t.equal(checked, N * (N + 1), 'all proofs checked');
});

t.test('frontier: equals rootFromLeafHashes at every size and is rebuilt from the reader', async (t) => {
  const N = 300;
  const store = buildStore(N, 7);
  let bad = 0;
  for (let size = 0; size <= N; size++) {
    const want = toHex(rootFromLeafHashes(store.leaves.slice(0, size)));
    if (toHex(frontierRoot(store.frontiers[size]!, size)) !== want) bad++;
    const rebuilt = frontierFromReader(readerAt(store, size), size);
    if (hex(rebuilt).join() !== hex(store.frontiers[size]!).join()) bad++;
    if (toHex(rootAt(readerAt(store, size), size)) !== want) bad++;
  }
  t.equal(bad, 0, `sizes 0..${N}`);
  t.equal(toHex(rootFromLeafHashes(store.leaves)), toHex(refMTH(store.leaves)), 'rootFromLeafHashes equals the recursive MTH');

  const f = store.frontiers[5]!;
  t.throws(() => appendLeaf(f, 7, store.leaves[7]!), RangeError, 'frontier of the wrong size');
  t.throws(() => frontierRoot(f, 4), RangeError);
  t.throws(() => appendLeaf(f, 5, new Uint8Array(31)), TypeError);
  t.throws(() => appendLeaf(f, 5.5, store.leaves[5]!), RangeError);
  const copy = f.slice();
  appendLeaf(f, 5, store.leaves[5]!);
  t.same(hex(f), hex(copy), 'appendLeaf does not modify its input');
});

t.test('properties (fast-check)', async (t) => {
  const N = 300;
  const store = buildStore(N, 1);
  const sizeAndIndex = fc.integer({ min: 1, max: N }).chain((size) => fc.tuple(fc.constant(size), fc.nat(size - 1)));

  fc.assert(
    fc.property(sizeAndIndex, ([size, index]) => {
      const d = store.leaves.slice(0, size);
      const proof = inclusionProof(readerAt(store, size), index, size);
      verifyInclusion(d[index]!, index, size, proof, rootFromLeafHashes(d));
      return hex(proof).join() === hex(refPATH(index, d)).join();
    }),
    { numRuns: 300 },
  );
  t.pass('inclusion proofs from the reader equal PATH and verify');

  fc.assert(
    fc.property(sizeAndIndex, ([size2, i]) => {
      const size1 = i + 1;
      const proof = consistencyProof(readerAt(store, size2), size1, size2);
      verifyConsistency(size1, size2, proof, rootFromLeafHashes(store.leaves.slice(0, size1)), rootFromLeafHashes(store.leaves.slice(0, size2)));
      return hex(proof).join() === hex(size1 === size2 ? [] : refPROOF(size1, store.leaves.slice(0, size2))).join();
    }),
    { numRuns: 300 },
  );
  t.pass('consistency proofs from the reader equal PROOF and verify');

  fc.assert(
    fc.property(fc.integer({ min: 0, max: N }).chain((end) => fc.tuple(fc.nat(end), fc.constant(end))), ([start, end]) => {
      return toHex(subtreeHash(readerAt(store, N), start, end)) === toHex(refMTH(store.leaves.slice(start, end)));
    }),
    { numRuns: 300 },
  );
  t.pass('subtreeHash of any range, aligned or not, equals MTH of that range');

  fc.assert(
    fc.property(fc.integer({ min: 1, max: 40 }), fc.nat(), (n, salt) => {
      const s = buildStore(n, salt);
      return toHex(frontierRoot(s.frontiers[n]!, n)) === toHex(refMTH(s.leaves));
    }),
    { numRuns: 100 },
  );
  t.pass('frontierRoot equals MTH for random leaves');

  const tamper = (proof: Uint8Array[], which: number, bit: number): Uint8Array[] => {
    const out = proof.map((p) => p.slice());
    const p = out[which % out.length]!;
    p[Math.floor(bit / 8) % HASH_SIZE]! ^= 1 << bit % 8;
    return out;
  };
  fc.assert(
    fc.property(sizeAndIndex, fc.nat(), fc.nat(255), ([size, index], which, bit) => {
      const d = store.leaves.slice(0, size);
      const proof = inclusionProof(readerAt(store, size), index, size);
      if (proof.length === 0) return true;
      try {
        verifyInclusion(d[index]!, index, size, tamper(proof, which, bit), rootFromLeafHashes(d));
        return false;
      } catch (e) {
        return (e as { code?: string }).code === 'LEDGER_INCLUSION_PROOF_INVALID';
      }
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(sizeAndIndex, fc.nat(), fc.nat(255), ([size2, i], which, bit) => {
      const size1 = i + 1;
      if (size1 === size2) return true;
      const proof = consistencyProof(readerAt(store, size2), size1, size2);
      try {
        verifyConsistency(size1, size2, tamper(proof, which, bit), rootFromLeafHashes(store.leaves.slice(0, size1)), rootFromLeafHashes(store.leaves.slice(0, size2)));
        return false;
      } catch (e) {
        return (e as { code?: string }).code === 'LEDGER_CONSISTENCY_PROOF_INVALID';
      }
    }),
    { numRuns: 300 },
  );
  t.pass('flipping any bit of any proof hash makes verification fail');

});

t.test('argument errors', async (t) => {
  const store = buildStore(10);
  const read = readerAt(store, 10);
  const range: Array<[string, () => unknown]> = [
    ['index = size', () => inclusionProof(read, 10, 10)],
    ['index > size', () => inclusionProof(read, 11, 10)],
    ['negative index', () => inclusionProof(read, -1, 10)],
    ['fractional index', () => inclusionProof(read, 1.5, 10)],
    ['NaN size', () => inclusionProof(read, 0, NaN)],
    ['empty tree', () => inclusionProof(read, 0, 0)],
    ['unsafe size', () => inclusionProof(read, 0, 2 ** 53)],
    ['size1 > size2', () => consistencyProof(read, 5, 4)],
    ['size1 = 0 < size2', () => consistencyProof(read, 0, 4)],
    ['negative size1', () => consistencyProof(read, -1, 4)],
    ['fractional size2', () => consistencyProof(read, 1, 4.5)],
    ['start > end', () => subtreeHash(read, 3, 2)],
    ['negative start', () => subtreeHash(read, -1, 2)],
    ['negative size', () => rootAt(read, -1)],
    ['fractional frontier size', () => frontierFromReader(read, 0.5)],
  ];
  for (const [name, f] of range) t.throws(f, { code: 'LEDGER_PROOF_RANGE' }, name);
  t.same(consistencyProof(read, 4, 4), [], 'equal sizes: empty proof');
  t.same(consistencyProof(read, 0, 0), [], 'empty to empty: empty proof');
  t.equal(toHex(subtreeHash(read, 3, 3)), toHex(EMPTY_ROOT));
  t.same(frontierFromReader(read, 0), []);

  const corrupt: NodeReader = (level, index) => (level === 0 && index === 3 ? new Uint8Array(31) : read(level, index));
  t.throws(() => inclusionProof(corrupt, 2, 10), { code: 'LEDGER_STORE_CORRUPT' }, 'a short stored hash is reported, not proved');
  t.throws(() => rootAt(() => undefined as unknown as Uint8Array, 1), { code: 'LEDGER_STORE_CORRUPT' }, 'a missing node');
});

t.test('malformed proofs are rejected', async (t) => {
  const store = buildStore(16);
  const root = (n: number): Uint8Array => rootFromLeafHashes(store.leaves.slice(0, n));
  const leaf = store.leaves[5]!;
  const good = inclusionProof(readerAt(store, 13), 5, 13);
  verifyInclusion(leaf, 5, 13, good, root(13));
  const h31 = new Uint8Array(31);
  const h33 = new Uint8Array(33);
  const inclusion: Array<[string, () => void]> = [
    ['leaf hash 31 bytes', () => verifyInclusion(leaf.subarray(1), 5, 13, good, root(13))],
    ['leaf hash 33 bytes', () => verifyInclusion(new Uint8Array([...leaf, 0]), 5, 13, good, root(13))],
    ['root 31 bytes', () => verifyInclusion(leaf, 5, 13, good, root(13).subarray(1))],
    ['empty root', () => verifyInclusion(leaf, 5, 13, good, new Uint8Array(0))],
    ['proof element 31 bytes', () => verifyInclusion(leaf, 5, 13, [good[0]!, h31, ...good.slice(2)], root(13))],
    ['proof element 33 bytes', () => verifyInclusion(leaf, 5, 13, [...good.slice(0, -1), h33], root(13))],
    ['proof too long', () => verifyInclusion(leaf, 5, 13, [...good, good[0]!], root(13))],
    ['proof too short', () => verifyInclusion(leaf, 5, 13, good.slice(0, -1), root(13))],
    ['proof reversed', () => verifyInclusion(leaf, 5, 13, [...good].reverse(), root(13))],
    ['index = size', () => verifyInclusion(leaf, 13, 13, good, root(13))],
    ['negative index', () => verifyInclusion(leaf, -1, 13, good, root(13))],
    ['fractional size', () => verifyInclusion(leaf, 5, 13.5, good, root(13))],
    ['unsafe size', () => verifyInclusion(leaf, 5, 2 ** 53 + 2, good, root(13))],
    ['size 0', () => verifyInclusion(leaf, 0, 0, [], EMPTY_ROOT)],
    ['wrong leaf', () => verifyInclusion(store.leaves[6]!, 5, 13, good, root(13))],
    ['wrong root', () => verifyInclusion(leaf, 5, 13, good, root(12))],
    ['leaf as root of size 1 with a proof', () => verifyInclusion(leaf, 0, 1, [leaf], leaf)],
  ];
  for (const [name, f] of inclusion) t.throws(f, { code: 'LEDGER_INCLUSION_PROOF_INVALID' }, name);
  t.throws(() => verifyInclusion(leaf, 5, 13, 'x' as unknown as Uint8Array[], root(13)), TypeError);
  t.throws(() => verifyInclusion(leaf, 5, 13, [null as unknown as Uint8Array, ...good.slice(1)], root(13)), TypeError);

  const cgood = consistencyProof(readerAt(store, 13), 6, 13);
  verifyConsistency(6, 13, cgood, root(6), root(13));
  const consistency: Array<[string, () => void]> = [
    ['size1 > size2', () => verifyConsistency(13, 6, cgood, root(13), root(6))],
    ['negative size1', () => verifyConsistency(-6, 13, cgood, root(6), root(13))],
    ['fractional size2', () => verifyConsistency(6, 13.5, cgood, root(6), root(13))],
    ['size1 = 0 with a proof', () => verifyConsistency(0, 13, cgood, EMPTY_ROOT, root(13))],
    ['size1 = 0 without a proof', () => verifyConsistency(0, 13, [], EMPTY_ROOT, root(13))],
    ['equal sizes with a proof', () => verifyConsistency(13, 13, [root(13)], root(13), root(13))],
    ['equal sizes, different roots', () => verifyConsistency(13, 13, [], root(13), root(12))],
    ['size 0 with a root that is not the empty hash', () => verifyConsistency(0, 0, [], root(1), root(1))],
    ['empty proof', () => verifyConsistency(6, 13, [], root(6), root(13))],
    ['root1 31 bytes', () => verifyConsistency(6, 13, cgood, root(6).subarray(1), root(13))],
    ['root2 33 bytes', () => verifyConsistency(6, 13, cgood, root(6), new Uint8Array([...root(13), 0]))],
    ['proof element 31 bytes', () => verifyConsistency(6, 13, [h31, ...cgood.slice(1)], root(6), root(13))],
    ['proof too long', () => verifyConsistency(6, 13, [...cgood, cgood[0]!], root(6), root(13))],
    ['proof too short', () => verifyConsistency(6, 13, cgood.slice(1), root(6), root(13))],
    ['wrong root1', () => verifyConsistency(6, 13, cgood, root(5), root(13))],
    ['wrong root2', () => verifyConsistency(6, 13, cgood, root(6), root(14))],
    ['swapped roots', () => verifyConsistency(6, 13, cgood, root(13), root(6))],
    ['power-of-two size1 with root1 prepended', () => verifyConsistency(4, 13, [root(4), ...consistencyProof(readerAt(store, 13), 4, 13)], root(4), root(13))],
  ];
  for (const [name, f] of consistency) t.throws(f, { code: 'LEDGER_CONSISTENCY_PROOF_INVALID' }, name);
  t.doesNotThrow(() => verifyConsistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT), 'empty tree is consistent with itself');
  t.doesNotThrow(() => verifyConsistency(13, 13, [], root(13), root(13)));
  t.doesNotThrow(() => verifyInclusion(leaf, 0, 1, [], leaf), 'a one-leaf tree: the root is the leaf hash');
});

t.test('sizes beyond 2^32 (no 32-bit bit operations)', async (t) => {
  // A consistent virtual tree: leaf i has hash X[i mod 2], so every perfect subtree of level l ≥ 1
  // has the same hash P[l]. It is a real Merkle tree, so proofs over it must verify.
  const X = [hashLeaf(new Uint8Array([0])), hashLeaf(new Uint8Array([1]))];
  const P: Uint8Array[] = [X[0]!, hashChildren(X[0]!, X[1]!)];
  for (let l = 2; l <= 53; l++) P.push(hashChildren(P[l - 1]!, P[l - 1]!));
  const read: NodeReader = (level, index) => (level === 0 ? X[index % 2]! : P[level]!);
  const cases: Array<[number, number]> = [
    [2 ** 32 + 5, 2 ** 32 + 7],
    [2 ** 40 + 3, 2 ** 41 + 12345],
    [2 ** 35 - 1, 2 ** 35],
    [Number.MAX_SAFE_INTEGER - 3, Number.MAX_SAFE_INTEGER],
    [1, Number.MAX_SAFE_INTEGER],
  ];
  for (const [a, b] of cases) {
    const rootB = rootAt(read, b);
    for (const index of [0, a - 1, Math.floor(a / 3), b - 1]) {
      const proof = inclusionProof(read, index, b);
      verifyInclusion(X[index % 2]!, index, b, proof, rootB);
      t.throws(() => verifyInclusion(X[index % 2]!, index, b, proof.slice(1), rootB), { code: 'LEDGER_INCLUSION_PROOF_INVALID' });
    }
    const cproof = consistencyProof(read, a, b);
    verifyConsistency(a, b, cproof, rootAt(read, a), rootB);
    t.throws(() => verifyConsistency(a, b, cproof, rootAt(read, a - 1), rootB), { code: 'LEDGER_CONSISTENCY_PROOF_INVALID' });
    t.pass(`${a} → ${b}`);
  }
});

t.test('read counts: O(log n)', async (t) => {
  // Bound guaranteed by the implementation: inclusion ≤ 2·⌈log2 n⌉, consistency ≤ 2·⌈log2 n⌉ + 1.
  const synthetic = (counter: { reads: number }): NodeReader => (level, index) => {
    counter.reads++;
    const h = new Uint8Array(32);
    new DataView(h.buffer).setUint32(0, level);
    new DataView(h.buffer).setFloat64(4, index);
    return h;
  };
  const bound = (n: number): number => 2 * Math.ceil(Math.log2(n));
  let worstInclusion = 0;
  let worstConsistency = 0;
  for (const n of [1_000_000, 2 ** 20 - 1, 2 ** 20, 2 ** 20 + 1, 999_999, 3 * 2 ** 18 + 12345]) {
    for (const i of [0, 1, n - 1, n - 2, Math.floor(n / 2), 524_287, 524_288, 777_777 % n, 999_998 % n]) {
      const c = { reads: 0 };
      inclusionProof(synthetic(c), i, n);
      worstInclusion = Math.max(worstInclusion, c.reads);
      if (c.reads > bound(n)) t.fail(`inclusion ${i}/${n}: ${c.reads} reads`);
      const c2 = { reads: 0 };
      consistencyProof(synthetic(c2), i + 1, n);
      worstConsistency = Math.max(worstConsistency, c2.reads);
      if (c2.reads > bound(n) + 1) t.fail(`consistency ${i + 1}→${n}: ${c2.reads} reads`);
    }
    const c3 = { reads: 0 };
    frontierFromReader(synthetic(c3), n);
    rootAt(synthetic(c3), n);
    if (c3.reads > 2 * Math.ceil(Math.log2(n + 1))) t.fail(`frontier/root of ${n}: ${c3.reads} reads`);
  }
  t.comment(`n ≈ 10^6: worst inclusion ${worstInclusion} reads, worst consistency ${worstConsistency} reads (bound ${bound(1_000_000)} / ${bound(1_000_000) + 1})`);

  // Exhaustively for small trees, against the same bound.
  const store = buildStore(300);
  let over = 0;
  for (let n = 1; n <= 300; n++) {
    for (let i = 0; i < n; i++) {
      const c = { reads: 0 };
      inclusionProof(readerAt(store, n, c), i, n);
      if (c.reads > bound(n)) over++;
      const c2 = { reads: 0 };
      consistencyProof(readerAt(store, n, c2), i + 1, n);
      if (c2.reads > bound(n) + 1) over++;
    }
  }
  t.equal(over, 0, 'every size ≤ 300, every index: within the bound');
});

// ------------------------------------------------------------------------------------------------
// In bulk (leafFolder, inclusionPaths, rootFromInclusionProof) against the single-proof functions,
// with another SHA-256 passed in: the same roots, paths and verdicts for trees of every shape up to
// a few hundred leaves and for mutated proofs, and the RFC 6962 vectors.

const nodeSha256 = (d: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(d).digest());

/** A tree of n leaves with a NodeReader over its stored perfect subtrees, built by appendLeaf. */
function storedTree(n: number) {
  const leaves = Array.from({ length: n }, (_, i) => hashLeaf(Uint8Array.of(i & 255, i >> 8, 7)));
  const nodes = new Map<string, Uint8Array>();
  let frontier: Uint8Array[] = [];
  leaves.forEach((h, i) => {
    nodes.set(`0:${i}`, h);
    const out = appendLeaf(frontier, i, h);
    frontier = out.frontier;
    for (const node of out.newNodes) nodes.set(`${node.level}:${node.index}`, node.hash);
  });
  const read: NodeReader = (level, index) => nodes.get(`${level}:${index}`)!;
  return { leaves, read, root: rootFromLeafHashes(leaves) };
}

t.test('leafFolder gives the core\'s root at every size', async (t) => {
  const { leaves } = storedTree(300);
  const folder = leafFolder(nodeSha256);
  t.ok(equalBytes(folder.root(), rootFromLeafHashes([])), 'empty tree');
  leaves.forEach((h, i) => {
    folder.append(h);
    if (!equalBytes(folder.root(), rootFromLeafHashes(leaves.slice(0, i + 1)))) t.fail(`size ${i + 1}`);
  });
  t.equal(folder.size, 300);
});

t.test('inclusionPaths gives the core\'s paths; rootFromInclusionProof the core\'s verdicts', async (t) => {
  for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 31, 32, 33, 100, 257]) {
    const { leaves, read, root } = storedTree(n);
    const paths = inclusionPaths(read, n, nodeSha256);
    for (let i = 0; i < n; i++) {
      const path = paths(i);
      const core = inclusionProof(read, i, n);
      if (path.length !== core.length || !path.every((h, j) => equalBytes(h, core[j]!))) t.fail(`size ${n}, leaf ${i}: path`);
      const r = rootFromInclusionProof(leaves[i]!, i, n, path, nodeSha256);
      if (r === undefined || !equalBytes(r, root)) t.fail(`size ${n}, leaf ${i}: root`);
    }
    t.throws(() => paths(n), RangeError);
  }
  t.pass('paths and roots agree');
});

t.test('mutated proofs: accepted exactly when the core accepts', async (t) => {
  const { leaves, read, root } = storedTree(77);
  await fc.assert(
    fc.property(
      fc.nat(76),
      fc.integer({ min: 1, max: 90 }),
      fc.oneof(
        fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(255) }),
        fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
        fc.record({ kind: fc.constant('add' as const), at: fc.nat() }),
        fc.record({ kind: fc.constant('index' as const), to: fc.nat(80) }),
        fc.record({ kind: fc.constant('none' as const) }),
      ),
      (i, size, m) => {
        const n = Math.min(size, 77);
        const idx = Math.min(i, n - 1);
        const sub = storedTree(n);
        let proof = inclusionProof(sub.read, idx, n).map((h) => h.slice());
        let index = idx;
        if (m.kind === 'flip' && proof.length > 0) {
          const h = proof[m.at % proof.length]!;
          h[m.bit % 32] = h[m.bit % 32]! ^ (1 << (m.bit % 8));
        }
        if (m.kind === 'drop' && proof.length > 0) proof.splice(m.at % proof.length, 1);
        if (m.kind === 'add') proof = [...proof.slice(0, m.at % (proof.length + 1)), new Uint8Array(32).fill(3), ...proof.slice(m.at % (proof.length + 1))];
        if (m.kind === 'index') index = m.to;
        let core = true;
        try {
          verifyInclusion(sub.leaves[idx]!, index, n, proof, sub.root);
        } catch {
          core = false;
        }
        const r = rootFromInclusionProof(sub.leaves[idx]!, index, n, proof, nodeSha256);
        return (r !== undefined && equalBytes(r, sub.root)) === core;
      },
    ),
    { numRuns: 500 },
  );
  t.ok(leaves.length === 77 && read(0, 0) !== undefined && root.length === 32);
});

t.test('transparency-dev inclusion vectors (test/vectors/rfc6962)', async (t) => {
  const dir = new URL('inclusion/', VECTORS);
  const files = readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.json'));
  t.ok(files.length >= 90, `${files.length} files`);
  for (const file of files) {
    const v = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as { leafIdx: number; treeSize: number; root: string; leafHash: string; proof: string[] | null; desc: string; wantErr: boolean };
    let proof: Uint8Array[];
    let leaf: Uint8Array;
    let want: Uint8Array;
    try {
      proof = (v.proof ?? []).map(fromBase64);
      leaf = fromBase64(v.leafHash);
      want = fromBase64(v.root);
    } catch {
      t.ok(v.wantErr, `${file}: undecodable, and meant to fail`);
      continue;
    }
    const root = rootFromInclusionProof(leaf, v.leafIdx, v.treeSize, proof, nodeSha256);
    t.equal(root !== undefined && equalBytes(root, want), !v.wantErr, `${file}: ${v.desc}`);
  }
});
