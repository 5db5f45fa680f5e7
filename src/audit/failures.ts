/**
 * The failures of a bundle verification (src/audit/verify.ts), told apart as root causes and
 * consequences, so that one altered record among 30,000 reads as that record and a count, not as
 * 29,514 lines with the decisive one somewhere among them.
 *
 * A consequence is a failure that an earlier failure already implies. It is counted by check, not
 * listed. Exactly these are consequences:
 * - `chain-hash` on a line whose own link holds, chainHash = SHA-256(previous line's chainHash ‖
 *   this line's leafHash), after a leaf-hash or chain-hash failure. The verifier carries the chain
 *   as it computes it, so once a leaf or a link is wrong every later comparison differs; a line
 *   whose written link is intact fails only because of that. By induction the first failing chain
 *   hash with an intact link is on a line whose leaf hash failed, and that failure is listed.
 * - `merkle-root` mismatch after a leaf-hash failure: the root is folded from the leaves as
 *   recomputed, and a record that does not hash to its line's leaf gives another root (RFC 9162
 *   §2.1.1).
 * - `merkle-root` "cannot be recomputed" after a line that could not be read as a record, or seqs
 *   missing, repeated or out of order (`format`, `line-length`, `order` failures).
 * - `inclusion` of a record whose leaf-hash failed: the proof is of the logged leaf, not this one.
 * Everything else is a root cause and is listed in full: every other check (a signature, the end
 * line's digest, a signing key…), and the failures above when nothing found before explains them
 * (a chain hash rewritten on its own line, a root that differs while every leaf hashes right). Two
 * unrelated altered records are therefore two root causes. A chain hash rewritten alone breaks two
 * links as written, its own and the next line's (which starts from it): both are listed.
 */
import type { LedgerErrorCode } from '../core/errors.js';
import { equalBytes, fromHex } from '../core/bytes.js';
import type { VerifyCode } from '../verify/failure.js';

/** Which check a failure belongs to. */
export type BundleCheck =
  | 'format' // a line that is not what the format says (JSON, shape, encodings), an empty line, data after the end
  | 'line-length' // a line longer than the cap
  | 'header' // the header line is missing or malformed
  | 'ledger-key' // the trusted key is malformed, or the bundle or its genesis names another key
  | 'origin' // header origin, checkpoint origin, key name and genesis origin disagree
  | 'checkpoint' // the checkpoint note does not verify with the trusted key, or its body is malformed
  | 'order' // seq out of order, repeated, missing, or beyond the checkpoint
  | 'leaf-hash'
  | 'chain-hash'
  | 'signing-key' // signer or key unknown at that seq, or revoked before it
  | 'signature'
  | 'registry' // a registration or key entry breaks the registry rules
  | 'merkle-root'
  | 'inclusion'
  | 'scope' // a seq-range bundle misses records of its range; genesis missing
  | 'consistency'
  | 'truncated' // no end line, no final newline, the input stopped with an error
  | 'end'; // the end line's record count or digest does not match what was read

export interface BundleFailure {
  /** 1-based line of the bundle, when the failure belongs to one. */
  readonly line: number | null;
  readonly seq: number | null;
  readonly check: BundleCheck;
  /** The LedgerError code behind it, when there is one. */
  readonly code: LedgerErrorCode | null;
  /** The record check's code (src/verify/failure.ts, docs/audit.md), when a shared record check failed. */
  readonly verifyCode?: VerifyCode;
  readonly message: string;
  readonly expected?: string;
  readonly found?: string;
}

/**
 * What the verifier knows may explain a failure; the log accepts the explanation only when the
 * failure it needs was found (see the module comment).
 * - `chain-link-intact`: a chain-hash failure whose line's own link holds ({@link statedLinkHolds});
 * - `leaf-altered`: a merkle-root mismatch, or an inclusion failure of the record at `seq`;
 * - `leaves-unreadable`: the root could not be recomputed.
 */
export type Explanation = 'chain-link-intact' | 'leaf-altered' | 'leaves-unreadable';

export interface ConsequenceCounts {
  readonly count: number;
  /** Per check, only the checks that have consequences. */
  readonly byCheck: Partial<Record<BundleCheck, number>>;
}

export interface FailureLog {
  add(failure: BundleFailure, explanation?: Explanation): void;
  /** Every failure, root cause or consequence. */
  readonly count: number;
  /** Every failure in line order, the first `maxFailures` added. */
  listed(): BundleFailure[];
  /** Root causes in line order (the first `maxFailures` found). */
  rootCauses(): BundleFailure[];
  readonly rootCauseCount: number;
  consequences(): ConsequenceCounts;
}

const byLine = (a: BundleFailure, b: BundleFailure): number => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER);
const UNREADABLE: ReadonlySet<BundleCheck> = new Set(['format', 'line-length', 'order']);

/** Collects failures as the verifier finds them, and sorts each into root cause or consequence. */
export function failureLog(maxFailures: number): FailureLog {
  const listed: BundleFailure[] = [];
  const roots: BundleFailure[] = [];
  const consequences = new Map<BundleCheck, number>();
  const alteredLeaves = new Set<number>();
  let count = 0;
  let rootCount = 0;
  let chainBroken = false;
  let unreadable = false;

  const explained = (f: BundleFailure, explanation: Explanation | undefined): boolean => {
    switch (explanation) {
      case 'chain-link-intact':
        return chainBroken;
      case 'leaf-altered':
        return f.check === 'merkle-root' ? alteredLeaves.size > 0 : f.seq !== null && alteredLeaves.has(f.seq);
      case 'leaves-unreadable':
        return unreadable;
      case undefined:
        return false;
    }
  };

  return {
    add(f, explanation) {
      count++;
      if (listed.length < maxFailures) listed.push(f);
      if (explained(f, explanation)) {
        consequences.set(f.check, (consequences.get(f.check) ?? 0) + 1);
      } else {
        rootCount++;
        if (roots.length < maxFailures) roots.push(f);
      }
      if (f.check === 'leaf-hash' && f.seq !== null) alteredLeaves.add(f.seq);
      if (f.check === 'leaf-hash' || f.check === 'chain-hash') chainBroken = true;
      if (UNREADABLE.has(f.check)) unreadable = true;
    },
    get count() {
      return count;
    },
    listed: () => [...listed].sort(byLine),
    rootCauses: () => [...roots].sort(byLine),
    get rootCauseCount() {
      return rootCount;
    },
    consequences: () => ({ count: count - rootCount, byCheck: Object.fromEntries(consequences) }),
  };
}

/**
 * Whether a line's chain hash follows from the previous line's stated chain hash and its own stated
 * leaf hash: the link as written, independent of whatever failed before it. All three are 64 hex
 * digits, already checked.
 */
export function statedLinkHolds(sha256: (data: Uint8Array) => Uint8Array, previousChain: string, leaf: string, chain: string): boolean {
  const pair = new Uint8Array(64);
  pair.set(fromHex(previousChain), 0);
  pair.set(fromHex(leaf), 32);
  return equalBytes(sha256(pair), fromHex(chain));
}

const WHY: Partial<Record<BundleCheck, string>> = {
  'chain-hash': 'their own link holds; the chain carries an earlier failed leaf or link forward',
  'merkle-root': 'the root is folded from the records as they are',
  inclusion: 'the proof is of the logged leaf, and the record no longer hashes to it',
};

/** The failures as text: root causes in full, one per line, then what follows from them as counts. */
export function formatFailures(summary: { readonly failureCount: number; readonly rootCauses: readonly BundleFailure[]; readonly rootCauseCount: number; readonly consequences: ConsequenceCounts }): string[] {
  const out: string[] = [];
  const n = summary.rootCauseCount;
  out.push(`FAILED: ${summary.failureCount} failure${summary.failureCount === 1 ? '' : 's'}: ${n} root cause${n === 1 ? '' : 's'}, ${summary.consequences.count} consequence${summary.consequences.count === 1 ? '' : 's'}`);
  for (const f of summary.rootCauses) {
    const where = [f.line === null ? '' : `line ${f.line}`, f.seq === null ? '' : `seq ${f.seq}`].filter(Boolean).join(', ');
    out.push(`  ${where === '' ? '' : `${where}: `}${f.check}${f.code === null ? '' : ` (${f.code})`}: ${f.message}${f.verifyCode === undefined ? '' : ` [${f.verifyCode}]`}`);
    if (f.expected !== undefined || f.found !== undefined) out.push(`      expected ${f.expected ?? '?'}\n      found    ${f.found ?? '?'}`);
  }
  if (n > summary.rootCauses.length) out.push(`  … and ${n - summary.rootCauses.length} more root causes not listed`);
  for (const [check, k] of Object.entries(summary.consequences.byCheck) as Array<[BundleCheck, number]>) {
    out.push(`  + ${k.toLocaleString('en-US')} ${check} failure${k === 1 ? '' : 's'} that follow${k === 1 ? 's' : ''} from the above, not listed (${WHY[check] ?? 'implied by a root cause'})`);
  }
  return out;
}
