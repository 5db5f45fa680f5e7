/**
 * Issue 16: a QR PNG costs event-loop time in proportion to its pixels. The size is capped at what
 * a label needs, and rendered images are cached: counted renders, never timing.
 */
import t, { type Test } from 'tap';
import { inflateSync } from 'node:zlib';
import { buildApp } from '../../src/http/app.js';
import { createQrPngCache } from '../../src/http/qr-cache.js';
import { QR_PNG_SIZE_MAX, qrPng } from '../../src/http/qr.js';
import { cli } from '../cli-runner.js';
import { makeLedger, party } from '../helpers.js';

const URN = 'urn:trace:sup:ingot-1';
const OTHER = 'urn:trace:sup:ingot-2';
const png = (code: string, query = '') => `/v1/objects/${encodeURIComponent(code)}/qr.png${query}`;

async function setup(t: Test, capacity = 8) {
  const L = await makeLedger();
  const sup = party('sup');
  await L.register(sup, ['supplier']);
  await L.ledger.submit([
    L.sign(sup, {
      type: 'commission',
      objects: [URN, OTHER].map((code) => ({ code, level: 'material', product: { name: 'Ingot' }, quantity: { value: 1, unit: 'KGM' } })),
    }),
  ]);
  const cache = createQrPngCache(capacity);
  const app = await buildApp({ ledger: L.ledger, qrPngCache: cache });
  t.teardown(async () => {
    await app.close();
    await L.close();
  });
  return { app, cache };
}

t.test('PNG sizes above the cap are 400 LEDGER_QUERY_INVALID; SVG keeps its larger cap', async (t) => {
  const { app } = await setup(t);
  t.equal(QR_PNG_SIZE_MAX, 1024);
  for (const size of [QR_PNG_SIZE_MAX + 1, 2048, 4096]) {
    const res = await app.inject({ url: png(URN, `?size=${size}`) });
    t.equal(res.statusCode, 400, `size=${size}`);
    t.equal(res.json().code, 'LEDGER_QUERY_INVALID');
  }
  t.equal((await app.inject({ url: png(URN, `?size=${QR_PNG_SIZE_MAX}`) })).statusCode, 200, 'the cap itself is served');
  t.equal((await app.inject({ url: `/v1/objects/${encodeURIComponent(URN)}/qr.svg?size=4096` })).statusCode, 200);
  await t.rejects(qrPng('x', { size: QR_PNG_SIZE_MAX + 1 }), RangeError, 'the renderer refuses too');
});

t.test('CLI qr refuses a PNG above the cap (usage error, exit 2)', async (t) => {
  const r = await cli('qr', URN, '--out', '/nonexistent-dir/a.png', '--size', '2048');
  t.equal(r.code, 2);
  t.match(r.stderr, /^trace-ledger: [^\n]*--size[^\n]*\n$/);
});

t.test('repeated requests are served from the cache; it stays bounded', async (t) => {
  const { app, cache } = await setup(t, 2);
  const first = await app.inject({ url: png(URN, '?size=300') });
  const again = await Promise.all([1, 2, 3].map(() => app.inject({ url: png(URN, '?size=300') })));
  t.equal(cache.renders, 1, 'one render for four requests of the same image');
  for (const r of again) t.same(r.rawPayload, first.rawPayload, 'the same bytes');
  await app.inject({ url: png(URN, '?size=400') });
  await app.inject({ url: png(OTHER, '?size=300') });
  t.equal(cache.renders, 3, 'another size or code is another image');
  // Capacity 2: (URN, 300) was the least recently used and is evicted.
  await app.inject({ url: png(URN, '?size=300') });
  t.equal(cache.renders, 4, 'evicted beyond capacity');
  const tooSmall = await app.inject({ url: png(URN, '?size=64') });
  t.equal(tooSmall.statusCode, 400, 'a failed render is still a client error');
});

t.test('a PNG is encoded in one pass: one grey byte a pixel, every row with the Up filter', async (t) => {
  // pngjs by default writes RGBA and tries the five PNG filters on every row (W3C PNG §12.8), on
  // the event loop; the encoding is checked here because its cost is what a size cap bounds.
  const image = await qrPng('https://id.gs1.org/01/06931000010016/10/LOT-1', { size: QR_PNG_SIZE_MAX });
  const width = image.readUInt32BE(16);
  t.equal(image[24], 8, 'bit depth 8');
  t.equal(image[25], 0, 'colour type 0: greyscale');
  const idat: Buffer[] = [];
  for (let at = 8; at < image.length; ) {
    const length = image.readUInt32BE(at);
    if (image.toString('latin1', at + 4, at + 8) === 'IDAT') idat.push(image.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rows = raw.length / (width + 1);
  t.equal(rows, image.readUInt32BE(20), 'one filter byte and one byte a pixel per row');
  const filters = new Set(Array.from({ length: rows }, (_, y) => raw[y * (width + 1)]));
  t.same([...filters], [2], 'every row: filter type 2 (Up)');
});
