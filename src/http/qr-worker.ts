/**
 * QR PNGs drawn on a worker thread. qrcode fills an RGBA buffer pixel by pixel and pngjs filters
 * every row on the thread that calls it: ~40 ms of CPU for a 1,024 px image, during which the
 * service answered nothing else; four clients looping such images held the event loop for up to
 * 1.7 s at a time (issue 16, bench/stall.js). On the worker the event loop only checks the request
 * (qrPngRendering, on the calling thread, so a bad size is still a RangeError here) and receives a
 * few KB. One worker, started on the first image: the images are few and short, and the cache in
 * front of it (qr-cache.ts) answers the repeated ones.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { qrPngRendering, type QrImageOptions } from './qr.js';

/** Draws the PNG of `text`. @throws as qrPngRendering (RangeError, TypeError), or what the worker met. */
export type RenderQrPng = (text: string, opts?: QrImageOptions) => Promise<Buffer>;

export interface QrWorker {
  readonly render: RenderQrPng;
  /** Stops the worker; renders still waiting are rejected. */
  close(): Promise<void>;
}

// Plain CommonJS evaluated in the worker, so it runs the same from dist/ and under the test loader;
// qrcode is required by its resolved path, whatever the process's working directory.
const workerSource = (qrcodePath: string) => `
const { parentPort } = require('node:worker_threads');
const { toBuffer } = require(${JSON.stringify(qrcodePath)});
parentPort.on('message', ({ id, text, rendering }) => {
  toBuffer(text, rendering).then(
    (png) => parentPort.postMessage({ id, png }),
    (e) => parentPort.postMessage({ id, error: { name: e && e.name, message: String(e && e.message) } }),
  );
});
`;

type Pending = { resolve: (png: Buffer) => void; reject: (e: Error) => void };

/** A worker for QR PNGs, started when the first image is asked for. */
export function startQrWorker(): QrWorker {
  let worker: Worker | undefined;
  let nextId = 0;
  const pending = new Map<number, Pending>();
  const failAll = (e: Error) => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };

  function started(): Worker {
    if (worker !== undefined) return worker;
    const w = new Worker(workerSource(createRequire(import.meta.url).resolve('qrcode')), { eval: true });
    w.unref();
    w.on('message', ({ id, png, error }: { id: number; png?: Uint8Array; error?: { name: string; message: string } }) => {
      const p = pending.get(id);
      if (p === undefined) return;
      pending.delete(id);
      if (pending.size === 0) w.unref();
      if (png !== undefined) p.resolve(Buffer.from(png.buffer, png.byteOffset, png.byteLength));
      else p.reject(error?.name === 'RangeError' ? new RangeError(error.message) : new Error(`QR worker: ${error?.message}`));
    });
    w.on('error', (e) => {
      worker = undefined;
      failAll(e);
    });
    w.on('exit', () => {
      if (worker === w) worker = undefined;
      failAll(new Error('QR worker exited'));
    });
    worker = w;
    return w;
  }

  return {
    async render(text, opts = {}) {
      const rendering = qrPngRendering(text, opts);
      const w = started();
      const id = nextId++;
      return new Promise<Buffer>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        w.ref(); // an image on its way keeps the process alive
        w.postMessage({ id, text, rendering });
      });
    },
    async close() {
      const w = worker;
      worker = undefined;
      if (w !== undefined) await w.terminate();
      failAll(new Error('QR worker closed'));
    },
  };
}
