/**
 * QR codes of object codes (ISO/IEC 18004) as SVG and PNG images.
 *
 * Encoding is the `qrcode` package's (a well-kept encoder: segment modes, Reed-Solomon, mask
 * choice); we only fix its parameters and draw the SVG ourselves from its module matrix, so that a
 * standalone image and a label on a sheet carry exactly the same symbol:
 * - error correction level M: about 15 % of the codewords can be restored, which survives scuffs
 *   and a label edge lost on a product without making the symbol much denser than level L;
 * - a quiet zone of 4 modules on every side, the width ISO/IEC 18004 requires: without it phone
 *   scanners fail to find the finder patterns next to printed text or a dark surface;
 * - PNG: a whole number of pixels per module (8 by default, so a module is never blurred by
 *   resampling and a 41-module symbol is a 392 px image); SVG: one path in module units, scaled
 *   by the viewer, with `shape-rendering="crispEdges"`.
 *
 * The label sheets that carry these symbols are drawn by label-sheet.ts.
 */
import { create as createQr, toBuffer as qrToBuffer, type QRCodeToBufferOptions } from 'qrcode';

/** Quiet zone on each side, in modules (ISO/IEC 18004: at least 4 modules for QR Code). */
export const QUIET_ZONE_MODULES = 4;
/** Pixels per module when no size is asked for. */
export const DEFAULT_MODULE_PX = 8;
/** Fewest pixels per module a PNG is drawn with: one pixel per module does not survive printing or screens. */
export const MIN_MODULE_PX = 2;
/** Bounds of the `size` option (image width in pixels). */
export const QR_SIZE_MIN = 64;
export const QR_SIZE_MAX = 4096;
/**
 * Largest PNG: a label printed 40 mm wide at 600 dpi needs under 1,000 px, and drawing the pixels
 * is what costs (4096 px took 2.7 s of event loop, issue 16). SVG scales for free and keeps QR_SIZE_MAX.
 */
export const QR_PNG_SIZE_MAX = 1024;

const ERROR_CORRECTION = 'M';

/** The modules of one QR symbol, without the quiet zone. */
export interface QrMatrix {
  /** Modules per side (21 for version 1, +4 per version). */
  readonly size: number;
  readonly version: number;
  /** Row-major, `size × size`, 1 = dark. */
  readonly modules: Uint8Array;
}

export interface QrImageOptions {
  /**
   * Image width (and height) in pixels, QR_SIZE_MIN..QR_SIZE_MAX (PNG: ..QR_PNG_SIZE_MAX). SVG: exactly this. PNG: the
   * largest whole number of pixels per module that fits, so the image may be a little smaller.
   * Default: DEFAULT_MODULE_PX pixels per module.
   */
  readonly size?: number;
}

/**
 * Encodes `text` at error correction level M.
 * @throws TypeError when `text` is not a non-empty string.
 * @throws RangeError when `text` is too long for any QR version at level M.
 */
export function qrMatrix(text: string): QrMatrix {
  if (typeof text !== 'string' || text.length === 0) throw new TypeError('text must be a non-empty string');
  let qr;
  try {
    qr = createQr(text, { errorCorrectionLevel: ERROR_CORRECTION });
  } catch (cause) {
    throw new RangeError(`text of ${text.length} characters does not fit in a QR code at error correction level M`, { cause });
  }
  return { size: qr.modules.size, version: qr.version, modules: Uint8Array.from(qr.modules.data) };
}

/** Modules per side including the quiet zone. */
export const fullSize = (m: QrMatrix): number => m.size + 2 * QUIET_ZONE_MODULES;

function checkSize(size: number | undefined, max: number): void {
  if (size === undefined) return;
  if (!Number.isInteger(size) || size < QR_SIZE_MIN || size > max) {
    throw new RangeError(`size must be an integer from ${QR_SIZE_MIN} to ${max} pixels, got ${size}`);
  }
}

/**
 * SVG path data of the dark modules, one sub-path per horizontal run, in module units with the
 * quiet zone as offset (so the symbol spans 0..size+8 in both directions).
 */
export function modulePath(m: QrMatrix): string {
  const parts: string[] = [];
  for (let row = 0; row < m.size; row++) {
    let col = 0;
    while (col < m.size) {
      if (m.modules[row * m.size + col] !== 1) {
        col++;
        continue;
      }
      const start = col;
      while (col < m.size && m.modules[row * m.size + col] === 1) col++;
      const run = col - start;
      parts.push(`M${start + QUIET_ZONE_MODULES} ${row + QUIET_ZONE_MODULES}h${run}v1h-${run}z`);
    }
  }
  return parts.join('');
}

/**
 * A standalone SVG image of the QR code of `text`, with a white background over the quiet zone.
 * @throws TypeError, RangeError as qrMatrix; RangeError when `opts.size` is out of bounds.
 */
export function qrSvg(text: string, opts: QrImageOptions = {}): string {
  checkSize(opts.size, QR_SIZE_MAX);
  const m = qrMatrix(text);
  const n = fullSize(m);
  const px = opts.size ?? n * DEFAULT_MODULE_PX;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${px}" height="${px}" viewBox="0 0 ${n} ${n}" shape-rendering="crispEdges">` +
    `<title>${escapeXml(text)}</title>` +
    `<rect width="${n}" height="${n}" fill="#fff"/>` +
    `<path fill="#000" d="${modulePath(m)}"/>` +
    '</svg>\n'
  );
}

/** pngjs options that qrcode passes through (its types list only the deflate ones). */
const PNG_ENCODING = { colorType: 0, filterType: 2 } as QRCodeToBufferOptions['rendererOpts'];

/** What qrcode's `toBuffer` takes to draw a PNG: plain data, so it can travel to a worker thread. */
export type QrPngRendering = QRCodeToBufferOptions & { readonly type: 'png' };

/**
 * Checks a PNG request and says how to draw it: black on opaque white, whole pixels per module.
 * @throws TypeError, RangeError as qrMatrix; RangeError when `opts.size` is out of bounds (at most QR_PNG_SIZE_MAX) or too
 * small for this symbol at MIN_MODULE_PX pixels per module.
 */
export function qrPngRendering(text: string, opts: QrImageOptions = {}): QrPngRendering {
  checkSize(opts.size, QR_PNG_SIZE_MAX);
  const m = qrMatrix(text);
  const n = fullSize(m);
  const scale = opts.size === undefined ? DEFAULT_MODULE_PX : Math.floor(opts.size / n);
  if (scale < MIN_MODULE_PX) {
    throw new RangeError(
      `size ${opts.size} px is too small for this code: its ${m.size} × ${m.size} modules with the quiet zone need at least ${n * MIN_MODULE_PX} px`,
    );
  }
  // The same text and level give qrcode the same symbol as qrMatrix (its encoder is deterministic).
  return {
    type: 'png',
    errorCorrectionLevel: ERROR_CORRECTION,
    margin: QUIET_ZONE_MODULES,
    scale,
    color: { dark: '#000000ff', light: '#ffffffff' },
    // How pngjs encodes, and it does so on the calling thread: by default it writes RGBA and tries
    // all five PNG filters on every row (W3C PNG §12.8) to keep the best, which was ~90 % of the time
    // of a 1024 px image (issue 16, bench/stall.js). Black and white need one grey byte a pixel
    // (colour type 0), and a QR row repeats the row above `scale` times, which the Up filter (2)
    // turns into zeros: a quarter of the bytes through one filter, and a file no larger.
    rendererOpts: PNG_ENCODING,
  };
}

/**
 * A PNG image of the QR code of `text`, drawn on this thread (the CLI; the service draws on a
 * worker thread, src/http/qr-worker.ts).
 * @throws as qrPngRendering
 */
export async function qrPng(text: string, opts: QrImageOptions = {}): Promise<Buffer> {
  return qrToBuffer(text, qrPngRendering(text, opts));
}

/**
 * Text for XML character data and attribute values: the five special characters escaped, and
 * characters XML 1.0 does not allow (C0 controls but tab/newline/CR, lone surrogates,
 * U+FFFE/U+FFFF) replaced by U+FFFD, since a document with them is not well-formed.
 */
export function escapeXml(s: string): string {
  return s
    .replace(/[\0-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}
