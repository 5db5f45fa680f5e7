/**
 * The bundle's consistency proof against an older checkpoint the caller kept (RFC 9162 §2.1.4.2):
 * the log only grew between the two.
 */
import { equalBytes, fromBase64 } from '../../core/bytes.js';
import { verifyConsistency } from '../../core/merkle.js';
import { checkCheckpoint } from '../../verify/checkpoint.js';
import type { BundleConsistency } from '../bundle.js';
import { messageOf, type BundleRun } from './context.js';
import type { HeaderState } from './header.js';

/** @returns whether consistency was shown; every reason it was not is a `consistency` failure */
export function checkConsistency(run: BundleRun, header: HeaderState, oldNote: string, proof: BundleConsistency | undefined, line: number): boolean {
  const { trusted, checkpoint: cp } = header;
  const fail = (at: number | null, message: string, extra: { expected?: string; found?: string } = {}) =>
    run.fail('consistency', at, null, message, { code: 'LEDGER_CONSISTENCY_PROOF_INVALID', ...extra });
  if (trusted === undefined) {
    run.fail('consistency', null, null, 'the older checkpoint cannot be checked without a trusted ledger key');
    return false;
  }
  const old = checkCheckpoint(oldNote, trusted.key, run.ed);
  if (!old.ok) {
    run.failCheck('consistency', null, null, old.failure, { message: `the older checkpoint does not verify with ledger key ${trusted.key.name}: ${old.failure.message}` });
    return false;
  }
  if (cp === undefined) {
    run.fail('consistency', line, null, 'no verified checkpoint in the bundle to prove consistency with');
    return false;
  }
  const from = old.value;
  if (from.size > cp.size) {
    fail(line, `the older checkpoint (size ${from.size}) is larger than the bundle's (size ${cp.size}): the log shrank, or the bundle predates it`);
    return false;
  }
  if (proof === undefined) {
    if (from.size === cp.size && equalBytes(from.root, cp.root)) return true;
    fail(line, `the bundle carries no consistency proof: export it with since=${from.size}`);
    return false;
  }
  if (proof.from !== from.size) {
    fail(line, 'the consistency proof starts from another tree size than the older checkpoint', { expected: String(from.size), found: String(proof.from) });
    return false;
  }
  try {
    verifyConsistency(from.size, cp.size, proof.proof.map((h) => fromBase64(h)), from.root, cp.root, run.sha256);
    return true;
  } catch (e) {
    fail(line, messageOf(e));
    return false;
  }
}
