/**
 * What a bundle verification reports (src/audit/verify.ts), the options it takes, and the report
 * as text for a person.
 */
import type { Ed25519 } from '../../core/ed25519.js';
import type { VerifyMany } from '../../platform/verify-pool.js';
import type { BundleScope } from '../bundle.js';
import { formatFailures, type BundleFailure, type ConsequenceCounts } from '../failures.js';

/** Default cap on one line: records are a few KiB; 8 MiB leaves room and bounds memory. */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;
/** Default cap on the failures listed (all are counted). */
export const MAX_FAILURES = 1000;

export interface BundleReport {
  /** True only when every check passed. */
  readonly ok: boolean;
  readonly format: string | null;
  readonly origin: string | null;
  readonly scope: BundleScope | null;
  /** The header checkpoint, once its signature verified. */
  readonly checkpoint: { readonly origin: string; readonly size: number; readonly root: string } | null;
  /** The verifier key the checkpoint was checked with. */
  readonly ledgerKey: string | null;
  /** False when that key came from the bundle itself rather than from the caller. */
  readonly keyPinned: boolean;
  readonly records: number;
  readonly checked: {
    readonly leafHashes: number;
    readonly chainLinks: number;
    readonly signatures: number;
    readonly inclusionProofs: number;
    /** Full bundles: the root was recomputed from every leaf and compared. */
    readonly root: boolean;
    /** The consistency proof was checked against an older checkpoint. */
    readonly consistency: boolean;
    readonly endLine: boolean;
  };
  readonly consistency: { readonly from: number; readonly to: number } | null;
  /** Every failure in line order (up to maxFailures): root causes and consequences alike. */
  readonly failures: readonly BundleFailure[];
  readonly failureCount: number;
  /** The failures nothing found before implies, in line order (up to maxFailures). */
  readonly rootCauses: readonly BundleFailure[];
  readonly rootCauseCount: number;
  /** The failures an earlier one implies (src/audit/failures.ts), counted by check. */
  readonly consequences: ConsequenceCounts;
  readonly notes: readonly string[];
  /**
   * Provenance the signatures alone do not show: recovery keys an operator added to a participant
   * (domain/key-rules.ts) and the entries signed with them, which that participant never vouched for.
   */
  readonly operatorAddedKeys: ReadonlyArray<OperatorAddedKey>;
  readonly operatorKeySigned: ReadonlyArray<{ readonly seq: number; readonly signer: string; readonly kid: string }>;
}

export interface OperatorAddedKey {
  readonly kid: string;
  readonly participant: string;
  readonly addedBy: string;
  readonly addedSeq: number;
}

/** An incremental SHA-256 (noble's `sha256.create()`, or a node:crypto Hash wrapped). */
export interface Sha256Hasher {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
}

/** SHA-256 in one call, with `create()` for the incremental form: the shape of noble's `sha256`. */
export interface Sha256 {
  (data: Uint8Array): Uint8Array;
  create(): Sha256Hasher;
}

export interface VerifyBundleOptions {
  /** Verifier key to trust (`origin+keyid+base64(0x01‖pubkey)`); default: the bundle's own, reported as not pinned. */
  readonly trustedKey?: string | undefined;
  /** An older checkpoint note (same log): the bundle must prove the log only grew since it. */
  readonly oldCheckpoint?: string | undefined;
  /** Ed25519 for checkpoints and (without verifyMany) entries. Default nobleEd25519. */
  readonly ed?: Ed25519;
  /** Checks entry signatures in batches elsewhere (worker threads); same verdicts as `ed`. */
  readonly verifyMany?: VerifyMany | undefined;
  /** SHA-256 for leaves, chain and digest. Default @noble/hashes. */
  readonly sha256?: Sha256;
  readonly maxFailures?: number;
  readonly maxLineBytes?: number;
  /** Called with the number of record lines read, about every 1,000 lines and at the end. */
  readonly onProgress?: (records: number) => void;
}

const describeScope = (s: BundleScope | null): string =>
  s === null ? 'unknown' : s.kind === 'full' ? 'the whole log' : s.kind === 'range' ? `seqs ${s.from} to ${s.to - 1}` : `${s.direction === 'both' ? 'upstream and downstream' : s.direction === 'up' ? 'upstream' : 'downstream'} of ${s.code}`;

/** The report as text for a person: what was checked, then the root causes, one per line, and the consequences counted. */
export function formatBundleReport(r: BundleReport): string {
  const out: string[] = [];
  out.push(`bundle      ${r.format ?? '(no header)'}, origin ${r.origin ?? '?'}, scope: ${describeScope(r.scope)}`);
  out.push(`ledger key  ${r.ledgerKey ?? '(none)'} ${r.ledgerKey === null ? '' : r.keyPinned ? '(pinned)' : '(taken from the bundle: NOT independently pinned)'}`.trimEnd());
  if (r.checkpoint !== null) out.push(`checkpoint  size ${r.checkpoint.size}, root ${r.checkpoint.root}`);
  const c = r.checked;
  const what = [
    `${c.leafHashes} leaf hashes`,
    `${c.chainLinks} chain links`,
    `${c.signatures} signatures`,
    ...(r.scope?.kind === 'full' ? [c.root ? `the Merkle root recomputed from all ${r.checkpoint?.size ?? 0} leaves` : 'the Merkle root NOT recomputed'] : [`${c.inclusionProofs} inclusion proofs`]),
    ...(c.consistency && r.consistency !== null ? [`consistency from size ${r.consistency.from}`] : []),
    ...(c.endLine ? ['the end line (count and SHA-256)'] : []),
  ];
  out.push(`checked     ${r.records} records: ${what.join(', ')}`);
  for (const n of r.notes) out.push(`note        ${n}`);
  for (const k of r.operatorAddedKeys) {
    out.push(`OPERATOR KEY ${k.kid} of "${k.participant}" was added by operator "${k.addedBy}" at seq ${k.addedSeq} (a recovery key: "${k.participant}" never signed for it)`);
  }
  for (const e of r.operatorKeySigned) out.push(`OPERATOR KEY signed seq ${e.seq} as "${e.signer}" (key ${e.kid})`);
  if (r.ok) {
    out.push(r.keyPinned ? 'OK: every check passed' : 'OK (key NOT pinned): every check passed against the bundle\'s own key, which shows the bundle is intact, not that it is the ledger\'s');
    return out.join('\n');
  }
  out.push(...formatFailures(r));
  return out.join('\n');
}
