/**
 * At most `max` requests of one expensive kind (full exports) run at once; up to `queue` more wait
 * their turn, in order, and the rest are told to come back later (429 + Retry-After). The per-client
 * rate limits (rate-limits.ts) bound how often one client asks; this bounds how much of the
 * machine all clients together can take from the writers (issue 16, "Stalls").
 */
import { LedgerError } from '../core/errors.js';

export interface WorkSlots {
  /** Wait for a slot; resolves to the function that gives it back (idempotent). @throws LedgerError LEDGER_RATE_LIMITED when the queue is full */
  acquire(what: string): Promise<() => void>;
  /** Requests running and waiting now. */
  load(): { running: number; waiting: number };
}

export function createWorkSlots(max: number, queue: number, retryAfterS = 5): WorkSlots {
  let running = 0;
  const waiting: Array<() => void> = [];
  const releaser = (): (() => void) => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = waiting.shift();
      if (next === undefined) running--;
      else next(); // the slot passes to the next in line
    };
  };
  return {
    acquire(what) {
      if (running < max) {
        running++;
        return Promise.resolve(releaser());
      }
      if (waiting.length >= queue) {
        return Promise.reject(
          new LedgerError('LEDGER_RATE_LIMITED', `${max} ${what} already running and ${queue} waiting: try again in ${retryAfterS} s`, { details: { retryAfter: retryAfterS } }),
        );
      }
      return new Promise((resolve) => waiting.push(() => resolve(releaser())));
    },
    load: () => ({ running, waiting: waiting.length }),
  };
}
