/**
 * The resolver (./resolver.ts) in the OpenAPI document. Its routes are wildcards (`/01/*`, …)
 * because a GS1 Digital Link has a variable number of segments; a wildcard is one parameter,
 * which Swagger UI's "Try it out" URL-encodes (`/01/06931000080010%2F10%2FCW2611-19`), and an
 * encoded slash is not a Digital Link. So the document lists the concrete path templates of GS1
 * Digital Link 1.2 §4 (gtin-path, sscc-path, gln-path) with one parameter per segment, and the
 * `/id/` form. These entries are the document only: every one is served by the wildcard routes.
 */
import { LINK_TYPES } from './resolver.js';
import { linksetAnswer, resolverSummary } from './schemas/trace.js';

const PROBLEM = { $ref: '#/components/schemas/Problem' };
const HTML = { type: 'string', description: 'HTML page' };

// GS1 General Specifications: GTIN-8/12/13/14, SSCC-18, GLN-13 (with check digit); AI 10 and 21
// values are 1 to 20 characters of the GS1 AI encodable character set 82.
const gtin = { name: 'gtin', in: 'path', required: true, description: 'GTIN-8, -12, -13 or -14 with its check digit', schema: { type: 'string', pattern: '^(\\d{8}|\\d{12,14})$' }, example: '06931000080010' };
const xchar = (name: string, description: string, example: string) => ({
  name, in: 'path', required: true, description, schema: { type: 'string', minLength: 1, maxLength: 20 }, example,
});
const lot = xchar('lot', 'Batch or lot number (AI 10)', 'CW2611-19');
const serial = xchar('serial', 'Serial number (AI 21); a serial never commissioned on its own resolves to its lot (X-Resolved-From)', '1001');

const query = [
  {
    name: 'linkType',
    in: 'query',
    description: '`linkset` or `all`: the RFC 9264 linkset; `gs1:<type>`: 307 to that link (a type this object has none of redirects to gs1:pip)',
    schema: { type: 'string', enum: ['linkset', 'all', ...LINK_TYPES.map((t) => `gs1:${t}`)] },
  },
  { name: 'lang', in: 'query', description: 'Page language, `en` or `zh`; otherwise Accept-Language decides', schema: { type: 'string' } },
];

const responses = {
  200: {
    description: 'By Accept: the customer page (text/html, also for */*), a provenance summary (application/json) or the linkset (application/linkset+json)',
    headers: {
      Link: { description: 'The linkset: <…?linkType=linkset>; rel="linkset"; type="application/linkset+json"', schema: { type: 'string' } },
      'X-Resolved-From': { description: 'The serial asked for, when the answer is about its lot', schema: { type: 'string' } },
    },
    content: {
      'application/json': { schema: resolverSummary },
      'application/linkset+json': { schema: linksetAnswer },
      'text/html': { schema: HTML },
    },
  },
  307: { description: '?linkType=gs1:<type>: redirect to that link', headers: { Location: { schema: { type: 'string', format: 'uri' } } } },
  400: {
    description: 'Not a valid code (check digit, character, length) or an unknown linkType; browsers get a friendly page',
    content: { 'application/problem+json': { schema: PROBLEM }, 'text/html': { schema: HTML } },
  },
  404: {
    description: 'No object with that code was ever commissioned; browsers get a friendly page',
    content: { 'application/problem+json': { schema: PROBLEM }, 'text/html': { schema: HTML } },
  },
  500: { description: 'Our fault; logged', content: { 'application/problem+json': { schema: PROBLEM } } },
};

const DESCRIPTION =
  'GS1 Digital Link resolver: text/html → the customer page; application/json → provenance summary; ' +
  'application/linkset+json or ?linkType=linkset → RFC 9264 linkset; ?linkType=gs1:<type> → 307 to that link. ' +
  'Any Digital Link path is served (also with /22/<cpv> or /254/<extension>); the templates here are the common ones.';

const operation = (operationId: string, summary: string, parameters: object[]) => ({
  get: { operationId, summary, description: DESCRIPTION, tags: ['resolver'], parameters: [...parameters, ...query], responses },
});

/** OpenAPI path items of the resolver, merged into the document by registerOpenApi. */
export function resolverPaths(): Record<string, object> {
  return {
    '/01/{gtin}': operation('resolveGtin', 'Resolve a GTIN (a product class; the ledger traces lots and serials)', [gtin]),
    '/01/{gtin}/10/{lot}': operation('resolveGtinLot', 'Resolve a lot of a GTIN', [gtin, lot]),
    '/01/{gtin}/10/{lot}/21/{serial}': operation('resolveGtinLotSerial', 'Resolve a serial of a lot', [gtin, lot, serial]),
    '/01/{gtin}/21/{serial}': operation('resolveGtinSerial', 'Resolve a serial of a GTIN', [gtin, serial]),
    '/00/{sscc}': operation('resolveSscc', 'Resolve an SSCC (a logistic unit, e.g. a pallet)', [
      { name: 'sscc', in: 'path', required: true, description: 'SSCC-18 with its check digit', schema: { type: 'string', pattern: '^\\d{18}$' }, example: '369310000800001018' },
    ]),
    '/414/{gln}': operation('resolveGln', 'Resolve a GLN (a location commissioned as an object)', [
      { name: 'gln', in: 'path', required: true, description: 'GLN-13 with its check digit', schema: { type: 'string', pattern: '^\\d{13}$' }, example: '6931000000018' },
    ]),
    '/id/{code}': operation('resolveCode', 'Resolve any code, URL-encoded (urn:trace codes live here)', [
      {
        name: 'code',
        in: 'path',
        required: true,
        description: 'The object code, URL-encoded as one segment: a urn:trace code or a GS1 Digital Link URI',
        schema: { type: 'string', minLength: 1 },
        example: 'urn:trace:sealtech:W8-2611-01',
      },
    ]),
  };
}
