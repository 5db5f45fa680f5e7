/**
 * QR routes: an object's QR code (SVG, PNG) and a printable A4 sheet of labels for a batch of
 * codes. Every QR encodes the object's GS1 Digital Link URI on this resolver's public URL
 * (`serve --public-url`), so a phone scanning it lands on our resolver page; urn:trace codes
 * resolve at `<public URL>/id/<encoded urn>`. Only commissioned objects get a QR: printing a code
 * the ledger does not know would put an unresolvable label on a product.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import { digitalLinkUri, parseCode } from '../../core/codes.js';
import { LedgerError } from '../../core/errors.js';
import type { Ledger } from '../../ledger.js';
import { problems } from '../openapi.js';
import { codeParams as params } from '../schemas/common.js';
import { LABELS_PER_SHEET, labelSheetSvg, type Label } from '../label-sheet.js';
import { QR_PNG_SIZE_MAX, QR_SIZE_MAX, QR_SIZE_MIN, qrSvg } from '../qr.js';
import { startQrWorker } from '../qr-worker.js';
import { createQrPngCache, type QrPngCache } from '../qr-cache.js';

/** The public URL when the app is built without one (tests, embedding). */
export const DEFAULT_PUBLIC_URL = 'http://localhost';

// A code's URI changes only when the operator changes the public URL: an hour of caching is
// safe, and the worst case after such a change is an hour of QR codes with the old host.
const CACHE_CONTROL = 'public, max-age=3600';
// The SVGs carry participant-supplied text (product names): escaped, but a browser opening one
// directly should still run nothing and load nothing.
const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'";

const sizeQuery = (maximum: number) =>
  ({
    type: 'object',
    properties: {
      size: {
        type: 'integer',
        minimum: QR_SIZE_MIN,
        maximum,
        description: 'Image width in pixels. PNG: the largest whole number of pixels per module that fits. Default: 8 pixels per module.',
      },
    },
    additionalProperties: false,
  }) as const;

export interface QrRoutesOptions {
  readonly ledger: Ledger;
  /** Public base URL of the resolver, read on every request (serve learns it after listening). Default http://localhost. */
  readonly publicUrl?: (() => string) | undefined;
  /** Rendered PNGs by URI and size. Default: a fresh cache of QR_PNG_CACHE_ENTRIES images. */
  readonly pngCache?: QrPngCache | undefined;
}

const UNITS: Readonly<Record<string, string>> = { KGM: 'kg', TNE: 't', GRM: 'g', H87: 'pcs', C62: 'pcs', MTR: 'm', MTK: 'm²', MTQ: 'm³', LTR: 'l' };

// Over 80 lines: a list of route registrations (QR SVG, QR PNG, the label sheet) sharing the PNG
// worker and resolve(); most of the length is their OpenAPI schemas.
export const qrRoutes: FastifyPluginAsync<QrRoutesOptions> = async (app: FastifyInstance, { ledger, publicUrl = () => DEFAULT_PUBLIC_URL, pngCache = createQrPngCache() }) => {
  // PNGs are drawn off the event loop (qr-worker.ts); the worker ends with the app.
  const pngWorker = startQrWorker();
  app.addHook('onClose', () => pngWorker.close());
  /** The object's state (404 when unknown, 400 when malformed) and the URI its QR encodes. */
  async function resolve(code: string) {
    const state = await ledger.object(code);
    return { state, uri: digitalLinkUri(parseCode(state.code), publicUrl()) };
  }

  /** RangeErrors from the renderer are about the request (a size too small for a long URI). */
  async function render<T>(make: () => T | Promise<T>): Promise<T> {
    try {
      return await make();
    } catch (e) {
      if (e instanceof RangeError) throw new LedgerError('LEDGER_QUERY_INVALID', e.message, { cause: e });
      throw e;
    }
  }

  const image = (reply: FastifyReply, type: string, uri: string) =>
    reply.header('cache-control', CACHE_CONTROL).header('x-content-type-options', 'nosniff').header('link', `<${uri}>; rel="describes"`).type(type);

  const qrSchema = (format: 'SVG' | 'PNG', type: string) => ({
    operationId: `getQr${format === 'SVG' ? 'Svg' : 'Png'}`,
    summary: `QR code of the object's Digital Link (${format})`,
    description:
      "Encodes the object's GS1 Digital Link URI on this resolver's public URL (urn:trace codes as <public URL>/id/<encoded code>), " +
      'at error correction level M with a 4-module quiet zone. The URI is also given in the Link header (rel="describes"). ' +
      'Unknown objects are 404: only commissioned codes get a QR.',
    tags: ['labels'],
    params,
    querystring: sizeQuery(format === 'PNG' ? QR_PNG_SIZE_MAX : QR_SIZE_MAX),
    response: {
      200: {
        description: `${format} image`,
        headers: { Link: { type: 'string', description: '<Digital Link URI>; rel="describes"' } },
        content: { [type]: { schema: { type: 'string', ...(format === 'PNG' ? { contentMediaType: 'image/png' } : {}) } } },
      },
      ...problems(400, 404),
    },
  });

  app.get('/v1/objects/:code/qr.svg', { schema: qrSchema('SVG', 'image/svg+xml') }, async (request, reply) => {
    const { uri } = await resolve((request.params as { code: string }).code);
    const { size } = request.query as { size?: number };
    const svg = await render(() => qrSvg(uri, { size }));
    return image(reply, 'image/svg+xml; charset=utf-8', uri).header('content-security-policy', SVG_CSP).send(svg);
  });

  app.get('/v1/objects/:code/qr.png', { schema: qrSchema('PNG', 'image/png') }, async (request, reply) => {
    const { uri } = await resolve((request.params as { code: string }).code);
    const { size } = request.query as { size?: number };
    const png = await render(() => pngCache.get(`${size ?? 'default'} ${uri}`, () => pngWorker.render(uri, { size })));
    return image(reply, 'image/png', uri).send(png);
  });

  app.get(
    '/v1/labels.svg',
    {
      schema: {
        operationId: 'getLabelSheet',
        summary: 'A printable A4 sheet of QR labels (SVG)',
        description:
          `One A4 page (width 210mm, height 297mm) of up to ${LABELS_PER_SHEET} labels, 3 × 8 of 70 × 37 mm, in the order given: ` +
          'each with the QR of the object (as /v1/objects/{code}/qr.svg), the product name, the lot and serial (or the quantity) ' +
          'and the human-readable code. Repeat `code` for several labels; the same code may appear several times. Every code must ' +
          `be a commissioned object. \`skip\` starts at a later position on a partly used sheet. More than ${LABELS_PER_SHEET} labels: ` +
          'request several sheets. Print at 100 % scale, without margins.',
        tags: ['labels'],
        querystring: {
          type: 'object',
          properties: {
            code: {
              anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
              description: 'Object code (plain, the query string encodes it); repeat for more labels',
              examples: ['https://id.gs1.org/01/06931000080010/10/CW2611-19'],
            },
            skip: { type: 'integer', minimum: 0, maximum: LABELS_PER_SHEET - 1, default: 0, description: 'Label positions already used on the sheet' },
            outlines: { type: 'boolean', default: false, description: 'Draw a thin outline around each label, for plain paper' },
          },
          required: ['code'],
          additionalProperties: false,
        },
        response: {
          200: { description: 'SVG page', content: { 'image/svg+xml': { schema: { type: 'string' } } } },
          ...problems(400, 404),
        },
      },
    },
    async (request, reply) => {
      const q = request.query as { code: string | string[]; skip: number; outlines: boolean };
      const codes = Array.isArray(q.code) ? q.code : [q.code];
      const room = LABELS_PER_SHEET - q.skip;
      if (codes.length > room) {
        throw new LedgerError(
          'LEDGER_QUERY_INVALID',
          `${codes.length} codes: one A4 sheet holds ${LABELS_PER_SHEET} labels${q.skip > 0 ? `, ${room} after skip=${q.skip}` : ''}; request several sheets`,
        );
      }
      const labels: Label[] = [];
      const seen = new Map<string, Label>();
      for (const code of codes) {
        let label = seen.get(code);
        if (label === undefined) {
          const { state, uri } = await resolve(code);
          label = { code: state.code, uri, title: state.product.name, subtitle: subtitleOf(state) };
          seen.set(code, label);
        }
        labels.push(label);
      }
      const svg = await render(() => labelSheetSvg(labels, { skip: q.skip, outlines: q.outlines }));
      return reply
        .header('cache-control', 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', SVG_CSP)
        .type('image/svg+xml; charset=utf-8')
        .send(svg);
    },
  );
};

/** Lot and serial for GS1 codes that have them, otherwise the commissioned quantity. */
function subtitleOf(state: { code: string; quantity: { value: number; unit: string } }): string {
  const code = parseCode(state.code);
  if (code.kind === 'gs1') {
    const parts = [code.lot === undefined ? undefined : `Lot\u00a0${code.lot}`, code.serial === undefined ? undefined : `Serial\u00a0${code.serial}`].filter((p) => p !== undefined);
    if (parts.length > 0) return parts.join(' · ');
  }
  return `${state.quantity.value} ${UNITS[state.quantity.unit] ?? state.quantity.unit}`;
}
