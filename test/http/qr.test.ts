import { cli } from '../cli-runner.js';
/**
 * QR codes and label sheets (src/http/qr.ts, src/http/routes/qr-routes.ts) and the `qr` / `labels`
 * commands. Every symbol is read back with an independent decoder (jsQR, on pixels decoded by
 * pngjs); the error correction level, which jsQR does not report, is read from the symbol's own
 * format information (ISO/IEC 18004: 15 BCH-protected bits, two copies).
 */
import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { create as createQr, type QRCodeErrorCorrectionLevel } from 'qrcode';
import { buildApp } from '../../src/http/app.js';
import { humanReadable, labelSheetSvg, LABELS_PER_SHEET, wrapText } from '../../src/http/label-sheet.js';
import { escapeXml, qrMatrix, qrPng, qrSvg } from '../../src/http/qr.js';
import { parseCode } from '../../src/core/codes.js';
import { makeLedger, party, type TestLedger } from '../helpers.js';

// jsqr is CommonJS with `export default` in its types; under NodeNext the function is the module itself.
const jsQR = ((jsQRModule as unknown as { default?: unknown }).default ?? jsQRModule) as unknown as typeof import('jsqr').default;

const PUBLIC = 'https://trace.example.com';
const GTIN_LOT = 'https://id.gs1.org/01/09506000134352/10/L%2F1';
const URN = 'urn:trace:sup:ingot-1';
// Written out, not computed with digitalLinkUri: the test must not share the code under test.
const GTIN_LOT_URI = 'https://trace.example.com/01/09506000134352/10/L%2F1';
const URN_URI = 'https://trace.example.com/id/urn%3Atrace%3Asup%3Aingot-1';
const enc = encodeURIComponent;

// --- reading symbols back ---------------------------------------------------------------------

interface Raster {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8ClampedArray;
}

function readPng(bytes: Buffer): Raster {
  const png = PNG.sync.read(bytes);
  return { width: png.width, height: png.height, rgba: new Uint8ClampedArray(png.data) };
}

function decode(r: Raster): string | undefined {
  return jsQR(r.rgba, r.width, r.height, { inversionAttempts: 'dontInvert' })?.data;
}

const dark = (r: Raster, x: number, y: number): boolean => {
  const i = (y * r.width + x) * 4;
  return (r.rgba[i] ?? 255) + (r.rgba[i + 1] ?? 255) + (r.rgba[i + 2] ?? 255) < 3 * 128;
};

/** Matrix[row][col] → an RGBA raster with `quiet` light modules around and `px` pixels per module. */
function rasterOf(matrix: boolean[][], px = 4, quiet = 4): Raster {
  const n = matrix.length + 2 * quiet;
  const w = n * px;
  const rgba = new Uint8ClampedArray(w * w * 4).fill(255);
  matrix.forEach((row, r) =>
    row.forEach((on, c) => {
      if (!on) return;
      for (let y = 0; y < px; y++) {
        for (let x = 0; x < px; x++) {
          const i = (((r + quiet) * px + y) * w + (c + quiet) * px + x) * 4;
          rgba[i] = rgba[i + 1] = rgba[i + 2] = 0;
        }
      }
    }),
  );
  return { width: w, height: w, rgba };
}

/**
 * Samples a PNG of a QR symbol of version `version` into modules, and measures its quiet zone:
 * the light border, in modules, before the first dark pixel on each side.
 */
function sampleSymbol(r: Raster, version: number) {
  const n = 17 + 4 * version;
  let top = 0;
  while (top < r.height && ![...Array(r.width).keys()].some((x) => dark(r, x, top))) top++;
  let left = 0;
  while (left < r.width && ![...Array(r.height).keys()].some((y) => dark(r, left, y))) left++;
  let bottom = 0;
  while (bottom < r.height && ![...Array(r.width).keys()].some((x) => dark(r, x, r.height - 1 - bottom))) bottom++;
  let right = 0;
  while (right < r.width && ![...Array(r.height).keys()].some((y) => dark(r, r.width - 1 - right, y))) right++;
  const px = (r.width - left - right) / n; // the finder patterns put dark modules on all four edges
  const matrix = [...Array(n).keys()].map((row) =>
    [...Array(n).keys()].map((col) => dark(r, Math.floor(left + (col + 0.5) * px), Math.floor(top + (row + 0.5) * px))),
  );
  return { n, px, quiet: { top: top / px, left: left / px, bottom: bottom / px, right: right / px }, matrix };
}

/**
 * Error correction level from the format information. 15 bits, XOR-masked with 101010000010010;
 * the first two data bits are the level (01 L, 00 M, 11 Q, 10 H), the next three the mask; the
 * last ten are a BCH(15,5) check with generator x^10+x^8+x^5+x^4+x^2+x+1 (0x537). Copy 1 runs
 * around the top-left finder, copy 2 along the bottom-left and top-right ones (read in the same
 * order as jsQR's decoder: column-major (x, y) there is (col, row) here).
 */
function errorCorrectionLevel(m: boolean[][]): string {
  const n = m.length;
  const bit = (row: number, col: number) => (m[row]?.[col] ? 1 : 0);
  let copy1 = 0;
  for (let x = 0; x <= 8; x++) if (x !== 6) copy1 = (copy1 << 1) | bit(8, x);
  for (let y = 7; y >= 0; y--) if (y !== 6) copy1 = (copy1 << 1) | bit(y, 8);
  let copy2 = 0;
  for (let y = n - 1; y >= n - 7; y--) copy2 = (copy2 << 1) | bit(y, 8);
  for (let x = n - 8; x < n; x++) copy2 = (copy2 << 1) | bit(8, x);
  if (copy1 !== copy2) throw new Error(`format information copies differ: ${copy1.toString(2)} vs ${copy2.toString(2)}`);
  const info = copy1 ^ 0b101010000010010;
  let rem = (info >> 10) << 10;
  for (let i = 14; i >= 10; i--) if (rem & (1 << i)) rem ^= 0x537 << (i - 10);
  if (rem !== (info & 0x3ff)) throw new Error(`format information ${info.toString(2)} fails its BCH check`);
  return ['M', 'L', 'H', 'Q'][info >> 13]!;
}

/** The dark modules of one of our SVG paths ("M x y h run v1 h-run z" per run), quiet zone included. */
function svgModules(path: string, size: number): boolean[][] {
  const m = [...Array(size).keys()].map(() => Array<boolean>(size).fill(false));
  const runs = [...path.matchAll(/M(\d+) (\d+)h(\d+)v1h-(\d+)z/g)];
  if (runs.map((r) => r[0]).join('') !== path) throw new Error('unexpected SVG path syntax');
  for (const [, x, y, run] of runs) {
    for (let i = 0; i < Number(run); i++) m[Number(y)]![Number(x) + i] = true;
  }
  return m;
}

/**
 * Well-formedness basics: tags balance, attributes are quoted, "&" only starts one of the
 * predefined or numeric references, no "<" in text.
 */
function checkXml(t: Test, xml: string, what: string): void {
  const body = xml.replace(/^<\?xml [^?]*\?>\s*/, '');
  const stack: string[] = [];
  const problems: string[] = [];
  const tokens = body.split(/(<[^>]*>)/);
  for (const tok of tokens) {
    if (tok.startsWith('<')) {
      const m = /^<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>$/.exec(tok);
      if (!m) {
        problems.push(`malformed tag ${tok.slice(0, 60)}`);
        continue;
      }
      const [, close, name, attrs = '', selfClose] = m;
      if (/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(attrs)) problems.push(`bad reference in ${tok.slice(0, 60)}`);
      if (close) {
        if (stack.pop() !== name) problems.push(`unbalanced </${name}>`);
      } else if (!selfClose) stack.push(name!);
    } else {
      if (/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(tok)) problems.push(`bad reference in text ${tok.slice(0, 60)}`);
      if (tok.includes('>') && /[<]/.test(tok)) problems.push('raw < in text');
    }
  }
  if (stack.length > 0) problems.push(`unclosed ${stack.join(', ')}`);
  t.same(problems, [], `${what}: well-formed XML`);
  t.match(body, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, `${what}: an SVG root`);
}

// --- fixtures ---------------------------------------------------------------------------------

const ODD_NAME = 'Ingot <A356> & "T6" alloy\u0007 铝锭';

async function commissioned(t: Test): Promise<TestLedger> {
  const L = await makeLedger();
  t.teardown(() => L.close());
  const sup = party('sup');
  await L.register(sup, ['supplier']);
  await L.ledger.submit([
    L.sign(sup, {
      type: 'commission',
      objects: [
        { code: URN, level: 'material', product: { name: ODD_NAME }, quantity: { value: 100, unit: 'KGM' } },
        // Written on another host: the QR still uses the canonical identity on our public URL.
        { code: 'https://example.com/shop/01/9506000134352/10/L%2F1', level: 'finished', product: { name: 'Window frame' }, quantity: { value: 10, unit: 'H87' } },
      ],
    }),
  ]);
  return L;
}

async function app(t: Test, L: TestLedger, publicUrl: () => string = () => PUBLIC) {
  const a = await buildApp({ ledger: L.ledger, publicUrl });
  t.teardown(() => a.close());
  return a;
}

// --- tests ------------------------------------------------------------------------------------

t.test('the format-information reader tells the four levels apart (so the level M check can fail)', async (t) => {
  for (const level of ['L', 'M', 'Q', 'H'] as QRCodeErrorCorrectionLevel[]) {
    const qr = createQr(URN_URI, { errorCorrectionLevel: level });
    const n = qr.modules.size;
    const m = [...Array(n).keys()].map((r) => [...Array(n).keys()].map((c) => qr.modules.get(r, c) === 1));
    t.equal(errorCorrectionLevel(m), level, level);
  }
});

t.test('qr.png: decodes to the Digital Link on the public URL, level M, 4-module quiet zone', async (t) => {
  const L = await commissioned(t);
  const a = await app(t, L);
  for (const [code, expected] of [
    [GTIN_LOT, GTIN_LOT_URI],
    [URN, URN_URI],
    ['https://example.com/01/09506000134352/10/L%2F1?17=261231', GTIN_LOT_URI],
  ] as const) {
    const res = await a.inject({ url: `/v1/objects/${enc(code)}/qr.png` });
    t.equal(res.statusCode, 200, code);
    t.equal(res.headers['content-type'], 'image/png');
    t.equal(res.headers['cache-control'], 'public, max-age=3600');
    t.equal(res.headers['link'], `<${expected}>; rel="describes"`);
    const raster = readPng(res.rawPayload);
    const found = jsQR(raster.rgba, raster.width, raster.height);
    t.equal(found?.data, expected, `${code} decodes to ${expected}`);
    const s = sampleSymbol(raster, found!.version);
    t.equal(s.px, 8, '8 pixels per module by default');
    t.equal(raster.width, (s.n + 8) * 8, 'symbol plus 4 + 4 quiet modules');
    t.same(s.quiet, { top: 4, left: 4, bottom: 4, right: 4 }, 'quiet zone of exactly 4 modules on every side');
    t.equal(errorCorrectionLevel(s.matrix), 'M', 'format information says level M');
  }
});

t.test('qr.svg: well-formed SVG with the same modules as the PNG; decodes to the URI', async (t) => {
  const L = await commissioned(t);
  const a = await app(t, L);
  for (const [code, expected] of [
    [GTIN_LOT, GTIN_LOT_URI],
    [URN, URN_URI],
  ] as const) {
    const res = await a.inject({ url: `/v1/objects/${enc(code)}/qr.svg` });
    t.equal(res.statusCode, 200);
    t.equal(res.headers['content-type'], 'image/svg+xml; charset=utf-8');
    t.equal(res.headers['cache-control'], 'public, max-age=3600');
    t.match(res.headers['content-security-policy'], /default-src 'none'/);
    checkXml(t, res.body, 'qr.svg');
    const view = /viewBox="0 0 (\d+) (\d+)"/.exec(res.body);
    const size = Number(view?.[1]);
    t.equal(view?.[2], view?.[1], 'square');
    t.match(res.body, new RegExp(`width="${size * 8}" height="${size * 8}"`), '8 px per module by default');
    const path = /<path fill="#000" d="([^"]+)"\/>/.exec(res.body)?.[1] ?? '';
    const withQuiet = svgModules(path, size);
    const quietDark = withQuiet.some((row, r) => row.some((on, c) => on && (r < 4 || c < 4 || r >= size - 4 || c >= size - 4)));
    t.notOk(quietDark, 'nothing drawn in the 4-module quiet zone');
    const modules = withQuiet.slice(4, size - 4).map((row) => row.slice(4, size - 4));
    t.equal(decode(rasterOf(modules)), expected, 'the SVG modules decode to the URI');
    t.equal(errorCorrectionLevel(modules), 'M');
    const png = readPng((await a.inject({ url: `/v1/objects/${enc(code)}/qr.png` })).rawPayload);
    t.same(sampleSymbol(png, (size - 8 - 17) / 4).matrix, modules, 'same module matrix as the PNG');
  }
});

t.test('size, publicUrl per request, default public URL', async (t) => {
  const L = await commissioned(t);
  let base = PUBLIC;
  const a = await app(t, L, () => base);
  const small = await a.inject({ url: `/v1/objects/${enc(URN)}/qr.png?size=200` });
  t.equal(small.statusCode, 200);
  const r = readPng(small.rawPayload);
  t.ok(r.width <= 200 && r.width > 100, `PNG at most 200 px (${r.width})`);
  t.equal(decode(r), URN_URI);
  t.match((await a.inject({ url: `/v1/objects/${enc(URN)}/qr.svg?size=300` })).body, /width="300" height="300"/);
  for (const q of ['size=10', 'size=5000', 'size=abc', 'size=100.5', 'colour=red']) {
    const bad = await a.inject({ url: `/v1/objects/${enc(URN)}/qr.png?${q}` });
    t.equal(bad.statusCode, 400, q);
    t.equal(bad.json().code, 'LEDGER_QUERY_INVALID', q);
  }
  const tooSmall = await a.inject({ url: `/v1/objects/${enc(URN)}/qr.png?size=64` });
  t.equal(tooSmall.statusCode, 400, 'a size that leaves under 2 px per module');
  t.match(tooSmall.json(), { code: 'LEDGER_QUERY_INVALID', detail: /too small/ });

  base = 'https://labels.example.org/trace/';
  const moved = readPng((await a.inject({ url: `/v1/objects/${enc(URN)}/qr.png` })).rawPayload);
  t.equal(decode(moved), 'https://labels.example.org/trace/id/urn%3Atrace%3Asup%3Aingot-1', 'publicUrl is read on each request, path kept');

  const plain = await buildApp({ ledger: L.ledger });
  t.teardown(() => plain.close());
  const local = readPng((await plain.inject({ url: `/v1/objects/${enc(GTIN_LOT)}/qr.png` })).rawPayload);
  t.equal(decode(local), 'http://localhost/01/09506000134352/10/L%2F1', 'default public URL http://localhost');
});

t.test('unknown and malformed codes are problem+json', async (t) => {
  const L = await commissioned(t);
  const a = await app(t, L);
  for (const ext of ['svg', 'png']) {
    const unknown = await a.inject({ url: `/v1/objects/${enc('urn:trace:sup:nothing')}/qr.${ext}` });
    t.equal(unknown.statusCode, 404);
    t.equal(unknown.headers['content-type'], 'application/problem+json; charset=utf-8');
    t.equal(unknown.json().code, 'TRACE_OBJECT_NOT_FOUND');
    const bad = await a.inject({ url: `/v1/objects/${enc('https://id.gs1.org/01/09506000134353')}/qr.${ext}` });
    t.equal(bad.statusCode, 400);
    t.equal(bad.headers['content-type'], 'application/problem+json; charset=utf-8');
    t.equal(bad.json().code, 'TRACE_CODE_INVALID');
  }
  const docs = (await a.inject({ url: '/docs/json' })).json();
  for (const p of ['/v1/objects/{code}/qr.svg', '/v1/objects/{code}/qr.png', '/v1/labels.svg']) {
    t.same(docs.paths[p]?.get?.tags, ['labels'], `${p} documented under labels`);
    t.ok(docs.paths[p]?.get?.summary, `${p} has a summary`);
  }
});

t.test('labels.svg: one A4 page, a label per code with name, lot/quantity and code; QRs decode', async (t) => {
  const L = await commissioned(t);
  const a = await app(t, L);
  const res = await a.inject({ url: `/v1/labels.svg?code=${enc(URN)}&code=${enc(GTIN_LOT)}&code=${enc(URN)}` });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], 'image/svg+xml; charset=utf-8');
  const svg = res.body;
  checkXml(t, svg, 'labels.svg');
  t.match(svg, /<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="210mm" height="297mm" viewBox="0 0 210 297">/, 'A4 in millimetres');
  const labels = [...svg.matchAll(/<g id="label-(\d+)-label" data-code="([^"]*)" transform="translate\(([\d.]+) ([\d.]+)\)"/g)];
  t.equal(labels.length, 3, 'three labels, the duplicate included');
  t.same(labels.map((l) => l[2]), [URN, GTIN_LOT, URN], 'canonical codes, in order');
  t.same(labels.map((l) => [l[3], l[4]]), [['0', '0.5'], ['70', '0.5'], ['140', '0.5']], 'first row of the 70 × 37 mm grid');

  t.match(svg, 'Ingot &lt;A356&gt; &amp;', 'names escaped for XML');
  t.notMatch(svg, '\u0007', 'control characters dropped');
  t.match(svg, 'Window frame');
  t.match(svg, 'Lot\u00a0L/1', 'lot as subtitle');
  t.match(svg, '100 kg', 'quantity as subtitle when the code has no lot');
  t.match(svg, '(01)\u00a009506000134352', 'GS1 human-readable interpretation');
  t.match(svg, '(10)\u00a0L/1');
  t.match(svg, 'urn:trace:sup:ingot-1');

  const qrs = [...svg.matchAll(/scale\(([\d.]+)\)" shape-rendering="crispEdges"><rect width="(\d+)" height="\d+" fill="#fff"\/><path fill="#000" d="([^"]+)"\/>/g)];
  t.equal(qrs.length, 3);
  const decoded = qrs.map(([, scale, size, path]) => {
    t.ok(Math.abs(Number(scale) * Number(size) - 33) < 0.001, 'QR with quiet zone is 33 mm wide');
    const n = Number(size);
    const m = svgModules(path!, n).slice(4, n - 4).map((row) => row.slice(4, n - 4));
    return decode(rasterOf(m));
  });
  t.same(decoded, [URN_URI, GTIN_LOT_URI, URN_URI], 'each label QR decodes to its URI');

  const skipped = await a.inject({ url: `/v1/labels.svg?code=${enc(URN)}&skip=4&outlines=true` });
  t.match(skipped.body, /<g id="label-4-label" data-code="urn:trace:sup:ingot-1" transform="translate\(70 37.5\)"/, 'skip=4 starts on row 2, column 2');
  t.match(skipped.body, /stroke="#bbb"/, 'outlines');
});

t.test('labels.svg: limits and errors', async (t) => {
  const L = await commissioned(t);
  const a = await app(t, L);
  const full = await a.inject({ url: `/v1/labels.svg?${Array(LABELS_PER_SHEET).fill(`code=${enc(URN)}`).join('&')}` });
  t.equal(full.statusCode, 200, '24 labels fit');
  t.equal([...full.body.matchAll(/data-code=/g)].length, 24);
  t.match(full.body, /id="label-23-label" data-code="[^"]+" transform="translate\(140 259.5\)"/, 'the last label ends at 296.5 mm');
  const over = await a.inject({ url: `/v1/labels.svg?${Array(LABELS_PER_SHEET + 1).fill(`code=${enc(URN)}`).join('&')}` });
  t.equal(over.statusCode, 400);
  t.match(over.json(), { code: 'LEDGER_QUERY_INVALID', detail: /25 codes: one A4 sheet holds 24 labels/ });
  const overSkip = await a.inject({ url: `/v1/labels.svg?code=${enc(URN)}&code=${enc(URN)}&skip=23` });
  t.match(overSkip.json(), { code: 'LEDGER_QUERY_INVALID', detail: /1 after skip=23/ });
  t.equal((await a.inject({ url: '/v1/labels.svg' })).json().code, 'LEDGER_QUERY_INVALID', 'no code');
  t.equal((await a.inject({ url: `/v1/labels.svg?code=${enc(URN)}&skip=24` })).json().code, 'LEDGER_QUERY_INVALID', 'skip out of range');
  const unknown = await a.inject({ url: `/v1/labels.svg?code=${enc(URN)}&code=${enc('urn:trace:sup:nothing')}` });
  t.equal(unknown.statusCode, 404);
  t.equal(unknown.json().code, 'TRACE_OBJECT_NOT_FOUND');
  const bad = await a.inject({ url: `/v1/labels.svg?code=nonsense` });
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().code, 'TRACE_CODE_INVALID');
});

t.test('qr.ts: argument checks, escaping, wrapping', async (t) => {
  t.throws(() => qrMatrix(''), TypeError);
  t.throws(() => qrMatrix('x'.repeat(3000)), RangeError, 'too long for level M');
  t.throws(() => qrSvg('x', { size: 10 }), RangeError);
  await t.rejects(qrPng('x', { size: 5000 }), RangeError);
  t.equal(qrMatrix('https://trace.example.com/01/09506000134352').size % 4, 1, '17 + 4 × version modules');
  const label = { code: URN, uri: URN_URI, title: 'x' };
  t.throws(() => labelSheetSvg([]), RangeError);
  t.throws(() => labelSheetSvg(Array(25).fill(label)), { message: /25 labels do not fit on one A4 sheet: it holds 24/ });
  t.throws(() => labelSheetSvg([label, label], { skip: 23 }), RangeError);
  t.throws(() => labelSheetSvg([label], { skip: 24 }), RangeError);
  t.throws(() => labelSheetSvg([{ ...label, code: 'nonsense' }]), { code: 'TRACE_CODE_INVALID' });
  t.equal(escapeXml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  t.equal(escapeXml('a\u0000b\ud800c\u{1f600}'), 'a\ufffdb\ufffdc\u{1f600}', 'invalid XML characters replaced, pairs kept');
  t.equal(humanReadable(parseCode('https://id.gs1.org/01/09506000134352/22/V1/10/L%2F1/21/S9')), '(01)\u00a009506000134352 (22)\u00a0V1 (10)\u00a0L/1 (21)\u00a0S9');
  t.equal(humanReadable(parseCode('https://id.gs1.org/00/106141411234567897')), '(00)\u00a0106141411234567897');
  t.same(wrapText('Anodised window profile', 12, 3, true), ['Anodised', 'window', 'profile']);
  t.same(wrapText('abcdefghijklmnopqrstuvwxyz', 10, 2, true), ['abcdefghij', 'klmnopqrs…'], 'hard split, ellipsis on the last line');
  t.same(wrapText('铝锭铝锭铝锭铝锭', 6, 3, true), ['铝锭铝', '锭铝锭', '铝锭'], 'wide characters count wider');
  t.same(wrapText('(01)\u00a012345678 (10)\u00a0L1', 16, 3, true), ['(01)\u00a012345678', '(10)\u00a0L1'], 'no break at a no-break space');
  t.same(wrapText('WWWWWWWWWW', 10, 1), ['WWWWWW…'], 'proportional: capital W counts wider');
  t.same(wrapText('illillillill', 10, 1), ['illillillill'], 'proportional: i and l count narrower');
  const big = labelSheetSvg([{ ...label, title: 'W'.repeat(200), subtitle: 'S'.repeat(200) }]);
  t.match(big, /clip-path="url\(#label-0\)"/, 'label clipped to its rectangle');
  t.equal([...big.matchAll(/<tspan/g)].length <= 12, true, 'long text is cut, not piled up');
});

// --- CLI --------------------------------------------------------------------------------------


function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-qr-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('CLI qr: offline, writes a PNG or SVG that decodes to the URI it prints', async (t) => {
  const dir = tempDir(t);
  const png = join(dir, 'out', 'lot.png');
  const r = await cli('qr', 'https://example.com/01/9506000134352/10/L%2F1', '--out', png, '--public-url', PUBLIC);
  t.same(r, { code: 0, stdout: `${GTIN_LOT_URI}\n`, stderr: '' });
  const raster = readPng(readFileSync(png));
  const found = jsQR(raster.rgba, raster.width, raster.height);
  t.equal(found?.data, GTIN_LOT_URI);
  t.equal(errorCorrectionLevel(sampleSymbol(raster, found!.version).matrix), 'M');

  const svgPath = join(dir, 'urn.svg');
  const saved = process.env['PUBLIC_URL'];
  process.env['PUBLIC_URL'] = 'https://env.example.net';
  t.teardown(() => (saved === undefined ? delete process.env['PUBLIC_URL'] : (process.env['PUBLIC_URL'] = saved)));
  const s = await cli('qr', URN, '--out', svgPath);
  t.same(s, { code: 0, stdout: 'https://env.example.net/id/urn%3Atrace%3Asup%3Aingot-1\n', stderr: '' }, '$PUBLIC_URL');
  t.match(readFileSync(svgPath, 'utf8'), /^<\?xml[^]*<svg xmlns=/);
  delete process.env['PUBLIC_URL'];
  const d = await cli('qr', URN, '--out', join(dir, 'd.png'), '--size', '300');
  t.equal(d.stdout, 'http://127.0.0.1:8080/id/urn%3Atrace%3Asup%3Aingot-1\n', 'default public URL');
  t.ok(readPng(readFileSync(join(dir, 'd.png'))).width <= 300);
});

t.test('CLI qr: one-line errors, exit 1 for bad input and 2 for usage', async (t) => {
  const dir = tempDir(t);
  const failures: Array<[string[], number, RegExp]> = [
    [['qr', 'https://id.gs1.org/01/09506000134353', '--out', join(dir, 'a.png')], 1, /TRACE_CODE_INVALID: .*check digit/],
    [['qr', URN, '--out', join(dir, 'a.jpg')], 1, /must end in \.svg or \.png/],
    [['qr', URN, '--out', join(dir, 'a.png'), '--size', '64', '--public-url', PUBLIC], 1, /too small/],
    [['qr', URN], 2, /--out is required/],
    [['qr', '--out', join(dir, 'a.png')], 2, /give the object code/],
    [['qr', URN, URN, '--out', join(dir, 'a.png')], 2, /unexpected argument/],
    [['qr', URN, '--out', join(dir, 'a.png'), '--public-url', 'ftp://x'], 2, /--public-url/],
    [['qr', URN, '--out', join(dir, 'a.png'), '--size', 'big'], 2, /--size/],
    [['qr', URN, '--out', join(dir, 'a.png'), '--colour', 'red'], 2, /colour/],
  ];
  for (const [argv, exit, pattern] of failures) {
    const r = await cli(...argv);
    const what = argv.slice(1).join(' ');
    t.equal(r.code, exit, `${what}: exit ${exit}`);
    t.equal(r.stdout, '', `${what}: nothing on stdout`);
    t.match(r.stderr, /^trace-ledger: [^\n]+\n/, `${what}: one line`);
    if (exit === 1) t.notMatch(r.stderr, /\n./, `${what}: only one line`);
    t.match(r.stderr, pattern, what);
  }
  const blocker = join(dir, 'file');
  writeFileSync(blocker, '');
  const r = await cli('qr', URN, '--out', join(blocker, 'x.png'));
  t.equal(r.code, 1);
  t.match(r.stderr, /^trace-ledger: cannot write .*x\.png: E[A-Z]+\n$/);
});

t.test('CLI labels: fetches the sheet from the running service', async (t) => {
  const L = await commissioned(t);
  const a = await app(t, L);
  await a.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(a.server.address() as AddressInfo).port}`;
  const dir = tempDir(t);
  const out = join(dir, 'sheet.svg');
  const r = await cli('labels', '--url', url, '--out', out, URN, GTIN_LOT, '--skip', '1', '--outlines');
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^wrote .*sheet\.svg: 2 labels on one A4 sheet/);
  const svg = readFileSync(out, 'utf8');
  t.match(svg, /width="210mm" height="297mm"/);
  t.match(svg, /id="label-1-label" data-code="urn:trace:sup:ingot-1"/);
  t.match(svg, /id="label-2-label" data-code="https:\/\/id\.gs1\.org\/01\/09506000134352\/10\/L%2F1"/);
  t.match(svg, /stroke="#bbb"/);

  const unknown = await cli('labels', '--url', url, '--out', out, 'urn:trace:sup:nothing');
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, /^trace-ledger: TRACE_OBJECT_NOT_FOUND: [^\n]+\n$/);
  const many = await cli('labels', '--url', url, '--out', out, ...Array(25).fill(URN));
  t.equal(many.code, 2);
  t.match(many.stderr, /25 codes: one A4 sheet holds 24 labels/);
  t.equal((await cli('labels', '--url', url, '--out', out)).code, 2, 'no codes');
  t.equal((await cli('labels', '--url', url, URN)).code, 2, 'no --out');
  const ext = await cli('labels', '--url', url, '--out', join(dir, 'sheet.pdf'), URN);
  t.equal(ext.code, 1);
  t.match(ext.stderr, /must end in \.svg/);
  const down = await cli('labels', '--url', 'http://127.0.0.1:9', '--out', out, URN);
  t.equal(down.code, 1);
  t.match(down.stderr, /^trace-ledger: CLI_SERVICE_UNREACHABLE: /);
});
