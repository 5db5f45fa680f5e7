/**
 * Entry signatures, checked here or in batches on other threads (the CLI's worker pool:
 * src/platform/verify-pool.ts), with the verdicts of the shared signature check either way.
 */
import type { VerifyItem } from '../../platform/verify-pool.js';
import { signatureVerdict } from '../../verify/signature.js';
import type { BundleRun } from './context.js';

const SIGNATURE_BATCH = 256;

interface Pending {
  readonly line: number;
  readonly seq: number;
  readonly kid: string;
}

export interface SignatureQueue {
  /** Signatures whose verdict is in. */
  readonly checked: number;
  /** Queues (or, without a pool, checks at once) one signature. */
  check(item: VerifyItem, at: Pending): void;
  /** Whether to wait for batches in flight before reading on (bounds memory). */
  backlog(): Promise<void> | undefined;
  /** Sends the last batch and waits for every verdict. */
  drain(): Promise<void>;
}

export function signatureQueue(run: BundleRun): SignatureQueue {
  const verifyMany = run.options.verifyMany;
  let checked = 0;
  let items: VerifyItem[] = [];
  let pending: Pending[] = [];
  const inflight: Promise<void>[] = [];

  const settle = (at: readonly Pending[], ok: readonly boolean[]): void => {
    for (let i = 0; i < at.length; i++) {
      checked++;
      const m = at[i]!;
      const f = signatureVerdict(ok[i] === true, m.kid);
      if (f !== undefined) run.failCheck('signature', m.line, m.seq, f);
    }
  };
  const dispatch = (): void => {
    if (items.length === 0 || verifyMany === undefined) return;
    const batch = items;
    const at = pending;
    items = [];
    pending = [];
    inflight.push(
      verifyMany(batch).then(
        (ok) => settle(at, ok),
        // A dead worker must not turn into a verdict: check the batch here instead.
        () => settle(at, batch.map((it) => run.ed.verify(it.signature, it.message, it.publicKey))),
      ),
    );
  };

  return {
    get checked() {
      return checked;
    },
    check(item, at) {
      if (verifyMany === undefined) {
        settle([at], [run.ed.verify(item.signature, item.message, item.publicKey)]);
        return;
      }
      items.push(item);
      pending.push(at);
      if (items.length >= SIGNATURE_BATCH) dispatch();
    },
    backlog: () => (inflight.length > 8 ? inflight.shift() : undefined),
    async drain() {
      dispatch();
      await Promise.all(inflight);
    },
  };
}
