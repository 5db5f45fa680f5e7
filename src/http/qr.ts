/**
 * QR codes of object codes (ISO/IEC 18004) and printable A4 label sheets.
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
 * Label sheets are one A4 page (210 × 297 mm, SVG in millimetres) of 3 × 8 labels of 70 × 37 mm,
 * the common 24-per-sheet layout of pre-cut label paper. Each label has the QR, the product name,
 * a subtitle (lot and serial, or quantity) and the human-readable code. SVG rather than PDF: a
 * browser prints it at 100 % scale (or saves it as PDF) without any PDF library on our side.
 *
 * Text on labels comes from participants' entries, so it is escaped for XML and stripped of
 * characters XML 1.0 cannot carry; every label is clipped to its own rectangle so that no text
 * can spill onto a neighbouring label, whatever the fonts on the printing machine.
 */
import { create as createQr, toBuffer as qrToBuffer, type QRCodeToBufferOptions } from 'qrcode';
import { parseCode, type ObjectCode } from '../core/codes.js';

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
const fullSize = (m: QrMatrix): number => m.size + 2 * QUIET_ZONE_MODULES;

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
function modulePath(m: QrMatrix): string {
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

// --- label sheets -------------------------------------------------------------------------------

/** Page and label geometry in millimetres: A4, 3 columns × 8 rows of 70 × 37 mm, no gaps. */
export const LABEL_SHEET = Object.freeze({
  pageWidth: 210,
  pageHeight: 297,
  columns: 3,
  rows: 8,
  labelWidth: 70,
  labelHeight: 37,
  /** The 8 rows take 296 mm: the remaining millimetre is split above and below. */
  marginTop: 0.5,
  marginLeft: 0,
});

export const LABELS_PER_SHEET = LABEL_SHEET.columns * LABEL_SHEET.rows;

export interface Label {
  /** The object code (any valid spelling); printed in human-readable form under the name. */
  readonly code: string;
  /** What the QR encodes: the object's Digital Link URI on the resolver's public URL. */
  readonly uri: string;
  /** First line, bold: the product name. */
  readonly title: string;
  /** Second line: lot and serial, or quantity. */
  readonly subtitle?: string;
}

export interface LabelSheetOptions {
  /**
   * Label positions already used on a partly used sheet: labels start at position `skip` (0-based,
   * row by row from the top left). Default 0.
   */
  readonly skip?: number;
  /** Draw a thin grey outline around each label (for plain paper cut by hand). Default false. */
  readonly outlines?: boolean;
}

// Inner layout of one label, mm from its top-left corner. The QR with its quiet zone is a 33 mm
// square: 2 mm from the label edge plus the white quiet zone keeps dark modules > 4 mm from the
// page edge for the outer labels, outside most printers' unprintable margin.
const PAD = 2;
const QR_SIDE = LABEL_SHEET.labelHeight - 2 * PAD;
const TEXT_X = PAD + QR_SIDE + 1;
// 4 mm on the right keeps text of the right-hand column out of the printer's unprintable margin.
const TEXT_WIDTH = LABEL_SHEET.labelWidth - TEXT_X - 4;
/** Baseline of the last line of text. */
const TEXT_BOTTOM = LABEL_SHEET.labelHeight - 2.5;
// advance: average character width in ems, a little above Helvetica/Arial's for mixed text.
const TITLE = { font: 3.2, lineHeight: 3.9, maxLines: 4, advance: 0.58 } as const;
const SUBTITLE = { font: 2.8, lineHeight: 3.4, maxLines: 2, advance: 0.53 } as const;
const CODE = { font: 2, lineHeight: 2.5, maxLines: 6, advance: 0.6 } as const;
const SUBTITLE_GAP = 0.5;
const SANS = "Helvetica, Arial, 'Noto Sans', 'Noto Sans CJK SC', sans-serif";
const MONO = "'DejaVu Sans Mono', Menlo, Consolas, 'Courier New', monospace";

/**
 * One printable A4 page of labels as SVG (width 210mm, height 297mm, viewBox in mm).
 * @throws RangeError when there are no labels, or more than fit on the page after `skip`.
 * @throws TypeError when a label lacks its code, uri or title.
 * @throws LedgerError TRACE_CODE_INVALID when a label's code is not a valid code.
 */
export function labelSheetSvg(labels: readonly Label[], opts: LabelSheetOptions = {}): string {
  const skip = opts.skip ?? 0;
  if (!Number.isInteger(skip) || skip < 0 || skip >= LABELS_PER_SHEET) {
    throw new RangeError(`skip must be an integer from 0 to ${LABELS_PER_SHEET - 1}, got ${skip}`);
  }
  if (!Array.isArray(labels) || labels.length === 0) throw new RangeError('labels: give at least one label');
  const room = LABELS_PER_SHEET - skip;
  if (labels.length > room) {
    throw new RangeError(
      `${labels.length} labels do not fit on one A4 sheet: it holds ${LABELS_PER_SHEET} (${LABEL_SHEET.columns} × ${LABEL_SHEET.rows} of ` +
        `${LABEL_SHEET.labelWidth} × ${LABEL_SHEET.labelHeight} mm)${skip > 0 ? `, ${room} after skipping ${skip}` : ''}; print several sheets`,
    );
  }
  const { pageWidth: w, pageHeight: h } = LABEL_SHEET;
  const body = labels.map((label, i) => labelSvg(label, skip + i, opts.outlines === true)).join('\n');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}mm" height="${h}mm" viewBox="0 0 ${w} ${h}">\n` +
    `<title>${labels.length} QR label${labels.length === 1 ? '' : 's'}, A4, ${LABEL_SHEET.columns} × ${LABEL_SHEET.rows} of ${LABEL_SHEET.labelWidth} × ${LABEL_SHEET.labelHeight} mm</title>\n` +
    // Browsers printing the SVG: A4 without margins, so that 1 mm in the file is 1 mm on paper.
    '<style>@page { size: A4; margin: 0 }</style>\n' +
    `<rect width="${w}" height="${h}" fill="#fff"/>\n` +
    body +
    '\n</svg>\n'
  );
}

function labelSvg(label: Label, position: number, outline: boolean): string {
  if (typeof label?.code !== 'string' || typeof label.uri !== 'string' || typeof label.title !== 'string') {
    throw new TypeError('each label needs a code, a uri and a title (strings)');
  }
  const x = LABEL_SHEET.marginLeft + (position % LABEL_SHEET.columns) * LABEL_SHEET.labelWidth;
  const y = LABEL_SHEET.marginTop + Math.floor(position / LABEL_SHEET.columns) * LABEL_SHEET.labelHeight;
  const m = qrMatrix(label.uri);
  const n = fullSize(m);
  const clip = `label-${position}`;
  const parts: string[] = [
    `<g id="${clip}-label" data-code="${escapeXml(label.code)}" transform="translate(${mm(x)} ${mm(y)})" clip-path="url(#${clip})">`,
    `<clipPath id="${clip}"><rect width="${LABEL_SHEET.labelWidth}" height="${LABEL_SHEET.labelHeight}"/></clipPath>`,
  ];
  if (outline) {
    parts.push(`<rect x="0.05" y="0.05" width="${LABEL_SHEET.labelWidth - 0.1}" height="${LABEL_SHEET.labelHeight - 0.1}" rx="1.5" fill="none" stroke="#bbb" stroke-width="0.1"/>`);
  }
  parts.push(
    `<g transform="translate(${PAD} ${PAD}) scale(${Math.round((QR_SIDE / n) * 1e6) / 1e6})" shape-rendering="crispEdges">` +
      `<rect width="${n}" height="${n}" fill="#fff"/><path fill="#000" d="${modulePath(m)}"/></g>`,
  );
  // The human-readable code sits at the bottom and is kept whole when it can be (up to
  // CODE.maxLines); the name gets the space above it, the subtitle under the name.
  const hri = wrapText(humanReadable(parseCode(label.code)), TEXT_WIDTH / (CODE.font * CODE.advance), CODE.maxLines, true);
  const codeTop = TEXT_BOTTOM - (hri.length - 1) * CODE.lineHeight - CODE.font;
  const subtitle = label.subtitle ? wrapText(label.subtitle, TEXT_WIDTH / (SUBTITLE.font * SUBTITLE.advance), SUBTITLE.maxLines) : [];
  const subtitleHeight = subtitle.length === 0 ? 0 : SUBTITLE_GAP + subtitle.length * SUBTITLE.lineHeight;
  const titleLines = Math.max(1, Math.min(TITLE.maxLines, Math.floor((codeTop - 1 - PAD - subtitleHeight) / TITLE.lineHeight)));
  const title = wrapText(label.title, TEXT_WIDTH / (TITLE.font * TITLE.advance), titleLines);
  // `top` is the top of a block's first line; a baseline sits one font size below it.
  const text = (lines: readonly string[], top: number, style: { font: number; lineHeight: number }, attrs: string): number => {
    if (lines.length === 0) return top;
    const tspans = lines.map((line, i) => `<tspan x="${mm(TEXT_X)}" y="${mm(top + style.font + i * style.lineHeight)}">${escapeXml(line)}</tspan>`);
    parts.push(`<text font-size="${style.font}" ${attrs}>${tspans.join('')}</text>`);
    return top + lines.length * style.lineHeight;
  };
  const below = text(title, PAD, TITLE, `font-family="${SANS}" font-weight="bold"`);
  text(subtitle, below + SUBTITLE_GAP, SUBTITLE, `font-family="${SANS}"`);
  text(hri, codeTop, CODE, `font-family="${MONO}" fill="#333"`);
  parts.push('</g>');
  return parts.join('');
}

const GS1_PARTS: ReadonlyArray<readonly [string, 'cpv' | 'lot' | 'serial' | 'glnExtension']> = [
  ['22', 'cpv'],
  ['10', 'lot'],
  ['21', 'serial'],
  ['254', 'glnExtension'],
];

/**
 * What is printed under a barcode for people: the GS1 element string with AIs in parentheses,
 * "(01) 09506000134352 (10) L/1" (GS1 General Specifications, human readable interpretation), or
 * the urn for urn:trace codes.
 */
export function humanReadable(code: ObjectCode): string {
  if (code.kind === 'urn') return code.canonical;
  // A no-break space keeps each AI on the line of its value.
  const parts = [`(${code.key})\u00a0${code.value}`];
  for (const [ai, field] of GS1_PARTS) {
    const v = code[field];
    if (v !== undefined) parts.push(`(${ai})\u00a0${v}`);
  }
  return parts.join(' ');
}

const mm = (v: number): string => String(Math.round(v * 1000) / 1000);

/** East Asian wide characters: about 1 em in any font. */
const isWide = (cp: number): boolean =>
  (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) || cp >= 0x20000;

/**
 * Width of a character in "average characters" (about 0.55-0.6 em). Proportional fonts: the
 * widest capitals count 1.5, other capitals 1.15, narrow punctuation and i/l 0.5, the rest 1;
 * monospace: 1 each. Wide characters count 1/0.6 in both.
 */
function charUnits(c: string, monospace: boolean): number {
  if (isWide(c.codePointAt(0) ?? 0)) return 1 / 0.6;
  if (monospace) return 1;
  if (c === 'M' || c === 'W' || c === 'm' || c === 'w') return 1.5;
  if (/[A-Z]/.test(c)) return 1.15;
  if (/[ijlrtfI.,:;!|' ]/.test(c)) return 0.5;
  return 1;
}

/**
 * Greedy line breaking by estimated width (`maxUnits` average characters per line, see
 * charUnits), preferring breaks after a space, ":", "/" or "-" (never at a no-break space); the
 * last allowed line ends in "…" when the text does not fit. Labels cannot reflow, so an estimate
 * plus clipping is the honest best without font metrics.
 */
export function wrapText(input: string, maxUnits: number, maxLines: number, monospace = false): string[] {
  const chars = Array.from(input.replace(/[\t\n\v\f\r ]+/g, ' ').trim());
  const width = (c: string): number => charUnits(c, monospace);
  const lines: string[] = [];
  let start = 0;
  while (start < chars.length && lines.length < maxLines) {
    let used = 0;
    let end = start;
    let lastBreak = -1;
    while (end < chars.length && used + width(chars[end]!) <= maxUnits) {
      used += width(chars[end]!);
      if (/[ :/-]/.test(chars[end]!)) lastBreak = end + 1;
      end++;
    }
    if (end >= chars.length) {
      lines.push(chars.slice(start).join('').trim());
      start = chars.length;
      break;
    }
    if (lines.length === maxLines - 1) {
      // Last line and more text: cut and mark the cut.
      let cut = end;
      while (cut > start && used + 1 > maxUnits) used -= width(chars[--cut]!);
      lines.push(chars.slice(start, cut).join('').trimEnd() + '…');
      start = chars.length;
      break;
    }
    const cut = lastBreak > start + (end - start) / 3 ? lastBreak : Math.max(end, start + 1);
    lines.push(chars.slice(start, cut).join('').trim());
    start = cut;
    while (chars[start] === ' ') start++;
  }
  return lines.filter((l) => l !== '');
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
