/**
 * Ed25519 verification on a worker thread, so the second core checks signatures while the event
 * loop parses requests and commits. Requests arriving in the same turn of the event loop travel
 * in one message (one structured clone for many signatures), which keeps the per-signature cost
 * of the hop far below the ~80 µs a verification takes.
 *
 * The answers come back in parts of at least REPLY_ITEMS signatures, each as soon as its calls
 * are checked, not once for the whole message: with one answer per message, the event loop sat
 * idle while the worker checked several 100-entry batches, then committed them all while the
 * worker sat idle (measured: the main thread 17% idle while it was the bottleneck). Single-entry
 * requests still get one answer for a turn's worth of them.
 *
 * The worker runs node:crypto (OpenSSL), the same verifier as nodeEd25519, so its verdicts are
 * identical to verifying inline.
 */
import { Worker } from 'node:worker_threads';

export interface VerifyItem {
  readonly signature: Uint8Array;
  readonly message: Uint8Array;
  readonly publicKey: Uint8Array;
}

export type VerifyMany = (items: readonly VerifyItem[]) => Promise<boolean[]>;

// Plain CommonJS evaluated in the worker, so it runs the same from dist/ and under the test loader.
const WORKER = `
const { parentPort } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
const keys = new Map();
function keyOf(raw) {
  const x = Buffer.from(raw).toString('base64url');
  let k = keys.get(x);
  if (k === undefined) {
    k = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
    if (keys.size >= 10000) keys.clear();
    keys.set(x, k);
  }
  return k;
}
// { id, items, ends }: ends[k] is where call k's items end. Answers { id, ok } cover whole calls,
// in order, at least replyItems signatures each unless the message ends first.
parentPort.on('message', ({ id, items, ends, replyItems }) => {
  let from = 0;
  let call = 0;
  const ok = new Uint8Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    try {
      ok[i] = it.signature.length === 64 && it.publicKey.length === 32 && verify(null, it.message, keyOf(it.publicKey), it.signature) ? 1 : 0;
    } catch { ok[i] = 0; }
    if (i + 1 === ends[call]) {
      call++;
      if (i + 1 - from >= replyItems || i + 1 === items.length) {
        const part = ok.slice(from, i + 1);
        parentPort.postMessage({ id, ok: part }, [part.buffer]);
        from = i + 1;
      }
    }
  }
});
`;

/** Fewest signatures per answer: a 100-entry batch gets its own, single entries share one. */
const REPLY_ITEMS = 64;

/** Start the worker; `close()` ends it. Pending calls reject if the worker dies. */
export function startVerifyPool(): { verifyMany: VerifyMany; close(): Promise<void> } {
  const worker = new Worker(WORKER, { eval: true });
  worker.unref();
  let nextId = 0;
  type Call = { items: readonly VerifyItem[]; resolve: (r: boolean[]) => void; reject: (e: unknown) => void };
  /** Per message sent: its calls in order, and how many of them are answered. */
  const pending = new Map<number, { calls: Call[]; answered: number }>();
  let outbox: Call[] = [];
  let scheduled = false;
  let dead: Error | undefined;

  worker.on('message', ({ id, ok }: { id: number; ok: Uint8Array }) => {
    const p = pending.get(id);
    if (p === undefined) return;
    // Answers arrive in order and cover whole calls.
    let i = 0;
    while (i < ok.length && p.answered < p.calls.length) {
      const c = p.calls[p.answered++]!;
      c.resolve(Array.from(ok.subarray(i, i + c.items.length), (v) => v === 1));
      i += c.items.length;
    }
    if (p.answered === p.calls.length) {
      pending.delete(id);
      if (pending.size === 0) worker.unref();
    }
  });
  worker.on('error', (e) => {
    dead = e;
    for (const p of pending.values()) p.calls.slice(p.answered).forEach((c) => c.reject(e));
    pending.clear();
  });

  function send(): void {
    scheduled = false;
    const calls = outbox;
    outbox = [];
    const items = calls.flatMap((c) => c.items);
    const ends: number[] = [];
    let end = 0;
    for (const c of calls) ends.push((end += c.items.length));
    const id = nextId++;
    worker.ref(); // keep the process alive while answers are due
    pending.set(id, { calls, answered: 0 });
    worker.postMessage({ id, items, ends, replyItems: REPLY_ITEMS });
  }

  return {
    verifyMany(items) {
      if (dead !== undefined) return Promise.reject(dead);
      if (items.length === 0) return Promise.resolve([]);
      return new Promise((resolve, reject) => {
        outbox.push({ items, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(send);
        }
      });
    },
    async close() {
      await worker.terminate();
    },
  };
}
