/**
 * The one failure vocabulary of record verification (docs/audit.md "Record checks"): every verifier
 * (audit bundles, the customer page's badge, dispute reports, `verify --db`) runs the checks of this
 * folder and reports what they find with these codes, whatever else its report says around them.
 *
 * Shaped after sigstore-js's verifier (packages/verify/src/error.ts): a literal union of codes, one
 * per check, rather than a message to match. A check never throws on attacker-controlled input; it
 * returns a {@link CheckFailure}.
 */
import { isLedgerError, type LedgerErrorCode } from '../core/errors.js';

export const VERIFY_CODES = [
  /** The record does not hash to its stated leaf hash, SHA-256(0x00 ‖ JCS(record)) (RFC 9162 §2.1.1). */
  'RECORD_LEAF_HASH',
  /** The chain hash is not SHA-256(previous chain hash ‖ leaf hash) (docs/format.md). */
  'RECORD_CHAIN',
  /** No key of the signer with that kid was valid at the record's seq: unknown, not yet added, revoked, or the ledger's own key. */
  'RECORD_KEY_UNKNOWN',
  /** The Ed25519 signature over "trace-ledger/v1 entry\n" ‖ JCS(payload) does not verify with that key (RFC 8032 §5.1.7). */
  'RECORD_SIGNATURE',
  /** The inclusion proof does not lead from the leaf to the checkpoint's root (RFC 9162 §2.1.3.2). */
  'RECORD_INCLUSION',
  /** The checkpoint note is not signed by the trusted ledger key, or its body or origin is not that log's (C2SP signed-note, tlog-checkpoint). */
  'CHECKPOINT_SIGNATURE',
  /** Record 0 is not the genesis entry of the trusted ledger key and origin, or a genesis entry appears later. */
  'REGISTRY_GENESIS',
  /** A registry entry (registration, key addition or revocation, prefixes) breaks the registry rules when replayed from genesis. */
  'REGISTRY_ENTRY',
  /** The records do not reach back to the genesis entry, so no key can be traced to the ledger key. */
  'REGISTRY_CLOSURE',
] as const;

export type VerifyCode = (typeof VERIFY_CODES)[number];

export interface CheckFailure {
  readonly code: VerifyCode;
  readonly message: string;
  /** What the check computed, and what the evidence stated, where the check compares two values. */
  readonly expected?: string;
  readonly found?: string;
  /** The LedgerError behind the failure, where there is one (e.g. LEDGER_KEY_REVOKED for RECORD_KEY_UNKNOWN). */
  readonly reason?: LedgerErrorCode;
}

/** The outcome of a check that also yields a value (a checkpoint, a signing key). */
export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: CheckFailure };

export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** A failure of `code`, with the LedgerError code of `cause` as its reason when it has one. */
export function failure(code: VerifyCode, message: string, extra: { expected?: string; found?: string; cause?: unknown; reason?: LedgerErrorCode } = {}): CheckFailure {
  const reason = extra.reason ?? (isLedgerError(extra.cause) ? extra.cause.code : undefined);
  return {
    code,
    message,
    ...(extra.expected === undefined ? {} : { expected: extra.expected }),
    ...(extra.found === undefined ? {} : { found: extra.found }),
    ...(reason === undefined ? {} : { reason }),
  };
}

