/**
 * The start-up verification's place in the ledger: while the whole log is scanned
 * (src/audit/log-scan.ts, run by src/platform/log-scan.ts) the readiness condition 'verifying'
 * is held, so reads are served and writes are refused with 503 and Retry-After; its detail says
 * how far the scan got. A mismatch replaces it with 'verification-failed', which no retry clears.
 */
import { isLedgerError, LedgerError } from '../core/errors.js';
import { scanLogInProcess, scanLogInWorker, type LogScan } from '../platform/log-scan.js';
import type { Readiness } from './readiness.js';
import type { LedgerStore } from '../store/store.js';

export interface StartupVerification {
  /** Resolves once the log checked out; rejects with the refusal (LEDGER_STORE_CORRUPT naming the seq). */
  readonly done: Promise<void>;
  /** True once the log checked out (an empty log at once). */
  passed(): boolean;
  /** The ledger is closing: stop the scan. */
  cancel(): Promise<void>;
}

export interface StartupVerificationOptions {
  readonly store: LedgerStore;
  /** Records to check: the log's size at open. */
  readonly size: number;
  readonly readiness: Readiness;
  /** 'worker' (the default for a file of more than IN_PROCESS_MAX records) or 'in-process' (chunks that yield). */
  readonly mode?: 'worker' | 'in-process';
}

const count = (n: number): string => n.toLocaleString('en-US');

/**
 * Logs up to this size are scanned in-process (a few milliseconds per chunk of 2,000 records): a
 * worker thread costs more to start (its own module graph and connection) than they take.
 */
const IN_PROCESS_MAX = 20_000;

export function startVerification(o: StartupVerificationOptions): StartupVerification {
  const { store, size, readiness } = o;
  if (size === 0) return { done: Promise.resolve(), passed: () => true, cancel: async () => undefined };
  let ok = false;
  let stopping = false;
  const report = (done: number) => readiness.hold('verifying', `verifying the log: ${count(done)} of ${count(size)} records`, { transient: true });
  report(0);
  const mode = o.mode ?? (store.file !== undefined && size > IN_PROCESS_MAX ? 'worker' : 'in-process');
  const scan: LogScan = mode === 'worker' && store.file !== undefined ? scanLogInWorker(store.file, size, report) : scanLogInProcess(store, size, report);
  const done = scan.result.then(
    () => {
      ok = true;
      readiness.release('verifying');
    },
    (e: unknown) => {
      readiness.release('verifying');
      const error = isLedgerError(e) ? e : new LedgerError('LEDGER_UNAVAILABLE', (e as Error).message, { cause: e });
      if (!stopping) readiness.hold('verification-failed', error.message);
      throw error;
    },
  );
  // Awaiting is optional (a one-shot command may never look): no unhandled rejection.
  done.catch(() => undefined);
  return {
    done,
    passed: () => ok,
    cancel() {
      stopping = true;
      return scan.cancel();
    },
  };
}
