/** `qr` (one code's QR image, offline) and `labels` (an A4 sheet of labels, from the service). */
import { digitalLinkUri, parseCode } from '../../core/codes.js';
import { LABELS_PER_SHEET } from '../../http/label-sheet.js';
import { QR_PNG_SIZE_MAX, QR_SIZE_MAX, QR_SIZE_MIN, qrPng, qrSvg } from '../../http/qr.js';
import { parse, required } from '../args.js';
import { UsageError } from '../cli-error.js';
import { writeOutput } from '../files.js';
import { getOk, serviceUrl } from '../service-client.js';

/** Where `qr` points codes when neither --public-url nor $PUBLIC_URL says: a local `serve`. */
const QR_DEFAULT_PUBLIC_URL = 'http://127.0.0.1:8080';

/**
 * `qr`: code → Digital Link URI on the public URL → SVG or PNG file, without the service, so
 * labels can be made before the resolver is reachable. It therefore cannot check that the code
 * was commissioned: `GET /v1/objects/:code/qr.png` does.
 */
export async function qrCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { out: { type: 'string' }, 'public-url': { type: 'string' }, size: { type: 'string' } }, 1);
  const input = positionals[0];
  if (input === undefined) throw new UsageError('give the object code');
  const out = required(values, 'out');
  const format = /\.(svg|png)$/i.exec(out)?.[1]?.toLowerCase();
  if (format === undefined) throw new Error(`--out ${out}: the file name must end in .svg or .png`);
  let size: number | undefined;
  if (values['size'] !== undefined) {
    size = Number(values['size']);
    const max = format === 'png' ? QR_PNG_SIZE_MAX : QR_SIZE_MAX;
    if (!Number.isInteger(size) || size < QR_SIZE_MIN || size > max) throw new UsageError(`--size must be ${QR_SIZE_MIN}-${max} pixels for ${format.toUpperCase()}, got ${values['size']}`);
  }
  const base = (values['public-url'] as string | undefined) ?? process.env['PUBLIC_URL'] ?? QR_DEFAULT_PUBLIC_URL;
  const code = parseCode(input);
  let uri: string;
  try {
    uri = digitalLinkUri(code, base);
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(`--public-url (or $PUBLIC_URL): ${e.message}`);
    throw e;
  }
  writeOutput(out, format === 'png' ? await qrPng(uri, { size }) : qrSvg(uri, { size }));
  console.log(uri);
  return 0;
}

/** `labels`: the service names the products, so the sheet comes from `GET /v1/labels.svg`. */
export async function labelsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { out: { type: 'string' }, url: { type: 'string' }, skip: { type: 'string' }, outlines: { type: 'boolean', default: false } },
    Number.MAX_SAFE_INTEGER,
  );
  const out = required(values, 'out');
  if (positionals.length === 0) throw new UsageError('give one or more object codes');
  const skip = Number(values['skip'] ?? 0);
  if (!Number.isInteger(skip) || skip < 0 || skip >= LABELS_PER_SHEET) throw new UsageError(`--skip must be 0-${LABELS_PER_SHEET - 1}, got ${values['skip']}`);
  if (positionals.length > LABELS_PER_SHEET - skip) {
    throw new UsageError(`${positionals.length} codes: one A4 sheet holds ${LABELS_PER_SHEET} labels${skip > 0 ? `, ${LABELS_PER_SHEET - skip} after --skip ${skip}` : ''}; run labels once per sheet`);
  }
  if (!/\.svg$/i.test(out)) throw new Error(`--out ${out}: label sheets are SVG, the file name must end in .svg`);
  const query = new URLSearchParams(positionals.map((c) => ['code', c]));
  if (skip > 0) query.set('skip', String(skip));
  if (values['outlines']) query.set('outlines', 'true');
  const svg = await (await getOk(`${serviceUrl(values)}/v1/labels.svg?${query}`)).text();
  const path = writeOutput(out, svg);
  console.log(`wrote ${path}: ${positionals.length} label${positionals.length === 1 ? '' : 's'} on one A4 sheet (print at 100 % scale, no margins)`);
  return 0;
}
