/**
 * Printable A4 label sheets of QR codes.
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
import { parseCode, type ObjectCode } from '../core/codes.js';
import { escapeXml, fullSize, modulePath, qrMatrix } from './qr.js';

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
