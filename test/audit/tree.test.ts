/**
 * src/audit/tree.ts against the reference, src/core/merkle.ts: the same roots, the same audit
 * paths, and the same verdict on every proof, for trees of every shape up to a few hundred leaves
 * and for mutated proofs; plus the RFC 6962 vectors of test/vectors/rfc6962.
 */
import t from 'tap';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { hashLeaf, inclusionProof, rootFromLeafHashes, verifyInclusion, appendLeaf, type NodeReader } from '../../src/core/merkle.js';
import { inclusionPaths, leafFolder, rootFromInclusionProof } from '../../src/audit/tree.js';
import { readdirSync, readFileSync } from 'node:fs';
import { equalBytes, fromBase64 } from '../../src/core/bytes.js';

const sha256 = (d: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(d).digest());

/** A tree of n leaves with a NodeReader over its stored perfect subtrees, built by the core. */
function tree(n: number) {
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
  const { leaves } = tree(300);
  const folder = leafFolder(sha256);
  t.ok(equalBytes(folder.root(), rootFromLeafHashes([])), 'empty tree');
  leaves.forEach((h, i) => {
    folder.append(h);
    if (!equalBytes(folder.root(), rootFromLeafHashes(leaves.slice(0, i + 1)))) t.fail(`size ${i + 1}`);
  });
  t.equal(folder.size, 300);
});

t.test('inclusionPaths gives the core\'s paths; rootFromInclusionProof the core\'s verdicts', async (t) => {
  for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 31, 32, 33, 100, 257]) {
    const { leaves, read, root } = tree(n);
    const paths = inclusionPaths(read, n, sha256);
    for (let i = 0; i < n; i++) {
      const path = paths(i);
      const core = inclusionProof(read, i, n);
      if (path.length !== core.length || !path.every((h, j) => equalBytes(h, core[j]!))) t.fail(`size ${n}, leaf ${i}: path`);
      const r = rootFromInclusionProof(sha256, leaves[i]!, i, n, path);
      if (r === undefined || !equalBytes(r, root)) t.fail(`size ${n}, leaf ${i}: root`);
    }
    t.throws(() => paths(n), RangeError);
  }
  t.pass('paths and roots agree');
});

t.test('mutated proofs: accepted exactly when the core accepts', async (t) => {
  const { leaves, read, root } = tree(77);
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
        const sub = tree(n);
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
        const r = rootFromInclusionProof(sha256, sub.leaves[idx]!, index, n, proof);
        return (r !== undefined && equalBytes(r, sub.root)) === core;
      },
    ),
    { numRuns: 500 },
  );
  t.ok(leaves.length === 77 && read(0, 0) !== undefined && root.length === 32);
});

t.test('transparency-dev inclusion vectors (test/vectors/rfc6962)', async (t) => {
  const dir = new URL('../vectors/rfc6962/inclusion/', import.meta.url);
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
    const root = rootFromInclusionProof(sha256, leaf, v.leafIdx, v.treeSize, proof);
    t.equal(root !== undefined && equalBytes(root, want), !v.wantErr, `${file}: ${v.desc}`);
  }
});
