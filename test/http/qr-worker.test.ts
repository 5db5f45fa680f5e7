/**
 * QR PNGs drawn on a worker thread (src/http/qr-worker.ts): the same image as drawing inline, a
 * bad size still a RangeError (the route's 400), and nothing left waiting once it is closed.
 */
import t from 'tap';
import { QR_PNG_SIZE_MAX, qrPng } from '../../src/http/qr.js';
import { startQrWorker } from '../../src/http/qr-worker.js';

const URI = 'https://id.gs1.org/01/06931000010016/10/LOT-1';

t.test('the worker draws the same PNG as qrPng, concurrently', async (t) => {
  const worker = startQrWorker();
  t.teardown(() => worker.close());
  const sizes = [undefined, 256, QR_PNG_SIZE_MAX];
  const drawn = await Promise.all(sizes.map((size) => worker.render(URI, { size })));
  for (const [i, size] of sizes.entries()) t.same(drawn[i], await qrPng(URI, { size }), `size ${size ?? 'default'}`);
});

t.test('a size the symbol does not fit is a RangeError, checked before the worker is asked', async (t) => {
  const worker = startQrWorker();
  t.teardown(() => worker.close());
  await t.rejects(worker.render(URI, { size: 40 }), RangeError);
  await t.rejects(worker.render(URI, { size: QR_PNG_SIZE_MAX + 1 }), RangeError);
});

t.test('closing rejects what is still waiting', async (t) => {
  const worker = startQrWorker();
  const rejected = t.rejects(worker.render(URI, { size: QR_PNG_SIZE_MAX }), Error);
  await worker.close();
  await rejected;
});
