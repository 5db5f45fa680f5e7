/**
 * Can the service accept writes right now? Liveness (`/healthz`) only says the process answers;
 * readiness (`/readyz`) says whether a submission would be taken. Each part of the service that can
 * make writes unsafe (the start-up verification still running or failed, the data-directory lock, a
 * store that cannot be written, a failed fdatasync, a background verifier that found a mismatch)
 * holds a named condition here while it does; the ledger refuses submissions while any is held
 * (LEDGER_NOT_READY), and `/readyz` lists them. Reads are served throughout.
 */
import { LedgerError } from '../core/errors.js';

/** Names of the conditions; one owner each. */
export type NotReadyReason =
  /** The start-up check of the whole chain and tree (and derived state) is running. */
  | 'verifying'
  /** The start-up check that the registry and projections are what the log derives is running. */
  | 'verifying-state'
  /** A verification (start-up or background) found the log or derived state inconsistent. */
  | 'verification-failed'
  /** The store cannot be written (read-only directory or file, disk full). */
  | 'store-unwritable'
  /** An fdatasync failed: what was committed is not known to be on disk. */
  | 'sync-failed'
  /** The ledger is shutting down. */
  | 'closing';

export interface NotReady {
  readonly reason: NotReadyReason;
  /** One sentence for an operator, e.g. "verifying 410,000 of 1,000,000 records". */
  readonly detail: string;
  /** Set when the condition clears by itself (e.g. verification in progress): retry after this. */
  readonly transient: boolean;
}

export interface Readiness {
  /** Hold a condition (or update its detail). */
  hold(reason: NotReadyReason, detail: string, options?: { transient?: boolean }): void;
  /** Release a condition; releasing one that is not held is a no-op. */
  release(reason: NotReadyReason): void;
  /** The conditions held, in the order they were first held. */
  conditions(): NotReady[];
  ready(): boolean;
}

export function createReadiness(): Readiness {
  const held = new Map<NotReadyReason, NotReady>();
  return {
    hold(reason, detail, options) {
      held.set(reason, { reason, detail, transient: options?.transient ?? false });
    },
    release(reason) {
      held.delete(reason);
    },
    conditions: () => [...held.values()],
    ready: () => held.size === 0,
  };
}

/**
 * The refusal for a submission (and the 503 of `/readyz`): every condition held, and a Retry-After
 * hint when all of them clear by themselves.
 */
export function notReadyError(readiness: Readiness): LedgerError {
  const conditions = readiness.conditions();
  const transient = conditions.every((c) => c.transient);
  return new LedgerError('LEDGER_NOT_READY', `not accepting writes now: ${conditions.map((c) => c.detail).join('; ')}`, {
    details: {
      readiness: transient ? 'verifying' : 'not-ready',
      conditions: conditions.map(({ reason, detail }) => ({ reason, detail })),
      ...(transient ? { retryAfter: 1 } : {}),
    },
  });
}

/** The store cannot be written at all (disk full, read-only): the commit failed, no entry was at fault. */
export const isStoreUnwritable = (e: unknown): boolean => e instanceof LedgerError && e.code === 'LEDGER_STORE_UNWRITABLE';

/**
 * Not a refused entry: nothing can be written until an operator frees space or makes the store
 * writable. `/readyz` says so (writes are refused with LEDGER_NOT_READY until a restart).
 */
export function holdStoreUnwritable(readiness: Readiness, e: unknown): void {
  readiness.hold('store-unwritable', `${(e as Error).message}; fix it and restart the service`);
}
