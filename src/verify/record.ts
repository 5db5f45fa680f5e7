/**
 * The checks of one record against its stated hashes and the checkpoint (docs/format.md "Records,
 * leaves and the hash chain"): leaf hash, chain link, inclusion proof. The SHA-256 is the caller's
 * (node:crypto on the server, noble in the browser).
 */
import { equalBytes, fromBase64, toHex } from '../core/bytes.js';
import type { HashFn } from '../core/hash.js';
import { hashLeaf, rootFromInclusionProof, verifyInclusion } from '../core/merkle.js';
import { failure, messageOf, type CheckFailure } from './failure.js';

/** A hash as the evidence states it: bytes (a database row) or lowercase hex (bundles, reports, the page's evidence). */
export type StatedHash = Uint8Array | string;

/** The hash as recomputed, which the next check builds on even when it differs from the stated one. */
export interface HashCheck {
  readonly hash: Uint8Array;
  readonly failure: CheckFailure | undefined;
}

const sameHash = (computed: Uint8Array, stated: StatedHash): boolean =>
  typeof stated === 'string' ? toHex(computed) === stated : equalBytes(computed, stated);
const shown = (h: StatedHash): string => (typeof h === 'string' ? h : toHex(h));

/**
 * RFC 9162 §2.1.1: leafHash = SHA-256(0x00 ‖ leaf), leaf = JCS(record) as the log holds it.
 * Fails with RECORD_LEAF_HASH when the stated hash differs: the record or the hash was altered.
 */
export function checkLeafHash(sha256: HashFn, leaf: Uint8Array, stated: StatedHash): HashCheck {
  const hash = hashLeaf(leaf, sha256);
  if (sameHash(hash, stated)) return { hash, failure: undefined };
  return { hash, failure: failure('RECORD_LEAF_HASH', 'the record does not hash to its stated leaf hash: the record or the hash was altered', { expected: toHex(hash), found: shown(stated) }) };
}

/**
 * chainHash(seq) = SHA-256(chainHash(seq-1) ‖ leafHash(seq)), from 32 zero bytes before seq 0
 * (docs/format.md). Fails with RECORD_CHAIN when the stated chain hash differs.
 */
export function checkChainLink(sha256: HashFn, previousChain: Uint8Array, leafHash: Uint8Array, stated: StatedHash): HashCheck {
  if (previousChain.length !== 32 || leafHash.length !== 32) throw new RangeError('chain hash inputs must be 32 bytes');
  const pair = new Uint8Array(64);
  pair.set(previousChain, 0);
  pair.set(leafHash, 32);
  const hash = sha256(pair);
  if (sameHash(hash, stated)) return { hash, failure: undefined };
  return { hash, failure: failure('RECORD_CHAIN', 'the chain hash does not follow from the previous one and this leaf hash', { expected: toHex(hash), found: shown(stated) }) };
}

/**
 * RFC 9162 §2.1.3.2: the audit path leads from leaf `seq` to the root of the checkpoint's tree.
 * The path comes from the evidence (base64, or bytes). Fails with RECORD_INCLUSION, naming what is
 * wrong (the core's verifier is asked only once the fast path rejected).
 */
export function checkInclusion(
  sha256: HashFn,
  leafHash: Uint8Array,
  seq: number,
  checkpoint: { readonly size: number; readonly root: Uint8Array },
  proof: readonly (string | Uint8Array)[],
): CheckFailure | undefined {
  const bad = (message: string): CheckFailure => failure('RECORD_INCLUSION', message, { reason: 'LEDGER_INCLUSION_PROOF_INVALID' });
  let path: Uint8Array[];
  try {
    path = proof.map((h) => (typeof h === 'string' ? fromBase64(h) : h));
  } catch (e) {
    return bad(`the proof is not base64: ${messageOf(e)}`);
  }
  const root = rootFromInclusionProof(leafHash, seq, checkpoint.size, path, sha256);
  if (root !== undefined && equalBytes(root, checkpoint.root)) return undefined;
  try {
    verifyInclusion(leafHash, seq, checkpoint.size, path, checkpoint.root, sha256);
  } catch (e) {
    return bad(messageOf(e));
  }
  // The two implementations disagree, which their tests rule out; the proof still failed here.
  return bad('the path does not lead to the checkpoint\'s root');
}
