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
  const x = raw.toString('base64url');
  let k = keys.get(x);
  if (k === undefined) {
    k = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
    if (keys.size >= 10000) keys.clear();
    keys.set(x, k);
  }
  return k;
}
// { id, packed, count, ends }: packed holds the items (see pack()); ends[k] is where call k's
// items end. Answers { id, ok } cover whole calls, in order, at least replyItems signatures each
// unless the message ends first.
parentPort.on('message', ({ id, packed, count, ends, replyItems }) => {
  const b = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  let at = 0;
  let from = 0;
  let call = 0;
  const ok = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const wellFormed = b[at] === 1;
    const length = b.readUInt32LE(at + 1);
    const signature = b.subarray(at + 5, at + 69);
    const publicKey = b.subarray(at + 69, at + 101);
    const message = b.subarray(at + 101, at + 101 + length);
    at += 101 + length;
    try {
      ok[i] = wellFormed && verify(null, message, keyOf(publicKey), signature) ? 1 : 0;
    } catch { ok[i] = 0; }
    if (i + 1 === ends[call]) {
      call++;
      if (i + 1 - from >= replyItems || i + 1 === count) {
        const part = ok.slice(from, i + 1);
        parentPort.postMessage({ id, ok: part }, [part.buffer]);
        from = i + 1;
      }
    }
  }
});
`;

/**
 * All items of a message in one transferred buffer, each as [1 if the signature is 64 bytes and
 * the key 32, else 0][message length, u32 LE][signature, 64][public key, 32][message], moved to
 * the worker without a copy. Structured cloning three typed arrays per item cost the worker
 * 1-2 µs per signature more with 100-entry batches and 3-5 µs more with single entries (its CPU
 * time per entry from /proc, in alternating runs).
 */
function pack(calls: readonly { items: readonly VerifyItem[] }[]): Uint8Array<ArrayBuffer> {
  let bytes = 0;
  for (const c of calls) for (const it of c.items) bytes += 101 + it.message.length;
  const packed = new Uint8Array(bytes);
  const view = new DataView(packed.buffer);
  let at = 0;
  for (const c of calls) {
    for (const it of c.items) {
      const wellFormed = it.signature.length === 64 && it.publicKey.length === 32;
      packed[at] = wellFormed ? 1 : 0;
      view.setUint32(at + 1, it.message.length, true);
      if (wellFormed) {
        packed.set(it.signature, at + 5);
        packed.set(it.publicKey, at + 69);
      }
      packed.set(it.message, at + 101);
      at += 101 + it.message.length;
    }
  }
  return packed;
}

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
    const ends: number[] = [];
    let end = 0;
    for (const c of calls) ends.push((end += c.items.length));
    const packed = pack(calls);
    const id = nextId++;
    worker.ref(); // keep the process alive while answers are due
    pending.set(id, { calls, answered: 0 });
    worker.postMessage({ id, packed, count: end, ends, replyItems: REPLY_ITEMS }, [packed.buffer]);
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
