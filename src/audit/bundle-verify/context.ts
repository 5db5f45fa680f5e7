/**
 * What every part of a bundle verification shares: the options resolved, the failure log, the
 * notes, and the small parsing helpers for attacker-controlled JSON.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { nobleEd25519, type Ed25519 } from '../../core/ed25519.js';
import { LedgerError, type LedgerErrorCode } from '../../core/errors.js';
import type { CheckFailure } from '../../verify/failure.js';
import { failureLog, type BundleCheck, type Explanation, type FailureLog } from '../failures.js';
import { MAX_FAILURES, MAX_LINE_BYTES, type Sha256, type VerifyBundleOptions } from './report.js';

export interface FailExtra {
  readonly code?: LedgerErrorCode | null;
  readonly expected?: string;
  readonly found?: string;
  readonly explanation?: Explanation | undefined;
}

export interface BundleRun {
  readonly options: VerifyBundleOptions;
  readonly ed: Ed25519;
  readonly sha256: Sha256;
  readonly maxLineBytes: number;
  readonly log: FailureLog;
  readonly notes: string[];
  /** Records a failure of `check` (the bundle's own checks: format, header, end…). */
  fail(check: BundleCheck, line: number | null, seq: number | null, message: string, extra?: FailExtra): void;
  /**
   * Records a failure found by a shared record check (src/verify), under the bundle's check name,
   * with its code, its reason as `code`, and its message unless the bundle words it for its context.
   */
  failCheck(check: BundleCheck, line: number | null, seq: number | null, f: CheckFailure, extra?: { message?: string; explanation?: Explanation | undefined }): void;
}

export function bundleRun(options: VerifyBundleOptions): BundleRun {
  const log = failureLog(options.maxFailures ?? MAX_FAILURES);
  const fail: BundleRun['fail'] = (check, line, seq, message, extra = {}) => {
    log.add(
      { line, seq, check, code: extra.code ?? null, message, ...(extra.expected === undefined ? {} : { expected: extra.expected }), ...(extra.found === undefined ? {} : { found: extra.found }) },
      extra.explanation,
    );
  };
  return {
    options,
    ed: options.ed ?? nobleEd25519,
    sha256: options.sha256 ?? nobleSha256,
    maxLineBytes: options.maxLineBytes ?? MAX_LINE_BYTES,
    log,
    notes: [],
    fail,
    failCheck(check, line, seq, f, extra = {}) {
      log.add(
        {
          line, seq, check, code: f.reason ?? null, verifyCode: f.code, message: extra.message ?? f.message,
          ...(f.expected === undefined ? {} : { expected: f.expected }),
          ...(f.found === undefined ? {} : { found: f.found }),
        },
        extra.explanation,
      );
    },
  };
}

export type Obj = Record<string, unknown>;
export const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isSize = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
export const codeOf = (e: unknown): LedgerErrorCode | null => (e instanceof LedgerError ? e.code : null);
export const HEX64 = /^[0-9a-f]{64}$/;

/** Keys of `o` are exactly `required` plus any of `optional`; returns what is wrong, if anything. */
export function keysProblem(o: Obj, required: readonly string[], optional: readonly string[] = []): string | undefined {
  for (const k of required) if (!(k in o)) return `missing "${k}"`;
  for (const k of Object.keys(o)) if (!required.includes(k) && !optional.includes(k)) return `unexpected member "${k}"`;
  return undefined;
}
