/**
 * Ed25519 verification on a worker thread, so the second core checks signatures while the event
 * loop parses requests and commits. Requests arriving in the same turn of the event loop travel
 * in one message (one structured clone for many signatures), which keeps the per-signature cost
 * of the hop far below the ~80 µs a verification takes.
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
parentPort.on('message', ({ id, items }) => {
  const ok = new Uint8Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    try {
      ok[i] = it.signature.length === 64 && it.publicKey.length === 32 && verify(null, it.message, keyOf(it.publicKey), it.signature) ? 1 : 0;
    } catch { ok[i] = 0; }
  }
  parentPort.postMessage({ id, ok }, [ok.buffer]);
});
`;

/** Start the worker; `close()` ends it. Pending calls reject if the worker dies. */
export function startVerifyPool(): { verifyMany: VerifyMany; close(): Promise<void> } {
  const worker = new Worker(WORKER, { eval: true });
  worker.unref();
  let nextId = 0;
  const pending = new Map<number, { resolve: (r: boolean[]) => void; reject: (e: unknown) => void }>();
  let outbox: Array<{ items: readonly VerifyItem[]; resolve: (r: boolean[]) => void; reject: (e: unknown) => void }> = [];
  let scheduled = false;
  let dead: Error | undefined;

  worker.on('message', ({ id, ok }: { id: number; ok: Uint8Array }) => {
    const p = pending.get(id);
    pending.delete(id);
    if (pending.size === 0) worker.unref();
    p?.resolve(Array.from(ok, (v) => v === 1));
  });
  worker.on('error', (e) => {
    dead = e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  });

  function send(): void {
    scheduled = false;
    const calls = outbox;
    outbox = [];
    const items = calls.flatMap((c) => c.items);
    const id = nextId++;
    worker.ref(); // keep the process alive while answers are due
    pending.set(id, {
      resolve: (ok) => {
        let i = 0;
        for (const c of calls) {
          c.resolve(ok.slice(i, i + c.items.length));
          i += c.items.length;
        }
      },
      reject: (e) => calls.forEach((c) => c.reject(e)),
    });
    worker.postMessage({ id, items });
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
