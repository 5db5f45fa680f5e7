/**
 * Where the stored Merkle tree keeps each node. RFC 6962 §2.1 defines the tree; the store keeps
 * the hash of every completed perfect subtree of two or more leaves, numbered in the order
 * appending leaves one by one completes them (each append makes its leaf, then the parents it
 * completes, bottom up). New nodes thus always go after the last one: a commit of 9 single
 * entries wrote 6.9 pages of merkle_nodes to the WAL when they were keyed by (level, index),
 * and pages split in the middle were left half full.
 *
 * Layout maths that the verifier's Merkle module could own too (issue 17); kept beside the store
 * that uses it until that module takes it.
 */

/** Set bits of a non-negative safe integer. */
function popcount(n: number): number {
  let bits = 0;
  for (let x = n; x > 0; x = Math.floor(x / 0x1_0000_0000)) {
    let low = x % 0x1_0000_0000;
    while (low !== 0) {
      low &= low - 1;
      bits++;
    }
  }
  return bits;
}

/** Merkle nodes above the leaves in a tree of `size` leaves: one per completed subtree of two or more. */
export const merkleNodesIn = (size: number): number => size - popcount(size);

/**
 * Where the node at `level` ≥ 1 and `index` is stored: the nodes made before it when the leaves
 * are appended one by one. The node covers leaves up to m − 1, m = (index + 1)·2^level; the nodes
 * of the first m − 1 leaves come first, then those of leaf m − 1 below it.
 */
export function merklePos(level: number, index: number): number {
  const m = (index + 1) * 2 ** level;
  return merkleNodesIn(m - 1) + level - 1;
}

/** The (level, index) stored at `pos` (the inverse of merklePos), for reports. */
export function merkleNodeAt(pos: number): { level: number; index: number } {
  // The smallest m whose tree has more than pos nodes: the node is made by leaf m − 1.
  let lo = 1;
  let hi = 2 * (pos + 1);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (merkleNodesIn(mid) > pos) hi = mid;
    else lo = mid + 1;
  }
  const level = pos - merkleNodesIn(lo - 1) + 1;
  return { level, index: lo / 2 ** level - 1 };
}
