/**
 * What every response carries besides its body: compression, security headers with a
 * Content-Security-Policy, and cross-origin read access for the public read routes.
 *
 * - `@fastify/compress`: HTML, JSON, linksets and evidence are gzip or br when Accept-Encoding
 *   asks (RFC 9110 §8.4). A scan of the demo window moves ~79 KB uncompressed; the evidence is JSON
 *   full of base64 and hex, which compresses well. The badge script arrives already gzipped from
 *   asset-routes.ts, and the plugin leaves an encoded body alone.
 * - `@fastify/helmet`: the customer page's CSP ({@link PAGE_CSP}) is the default for every route:
 *   JSON and images need no more, and one policy for all means a page served from a new route is
 *   covered too. Swagger UI gets its own policy ({@link DOCS_CSP}).
 * - `@fastify/cors`: the ledger is public data that anyone may verify, also from a web page on
 *   another origin (an auditor's dashboard, a retailer's shop). Those reads are allowed with
 *   `Access-Control-Allow-Origin: *`, GET and HEAD only, never with credentials (the service has
 *   no cookies or sessions). Writes (POST /v1/entries) get no CORS: submitting is for participants'
 *   own tools, not for scripts of arbitrary sites.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import compress from '@fastify/compress';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import { PAGE_CSP } from './page.js';

/**
 * Swagger UI at /docs: its scripts and stylesheets are files from this origin, its spec is
 * fetched from /docs/json. Swagger UI's React sets element styles through the DOM (allowed by
 * CSP), so no 'unsafe-inline' is needed. One inline style element remains: the `<style>` inside
 * the top bar's SVG logo (`.logo_small_svg__cls-2{fill:#fff}…`, from swagger-ui-bundle.js), allowed
 * by its hash (CSP Level 3 §8.3), which changes only with @fastify/swagger-ui's bundle; the
 * browser test (test/browser/customer-page.test.ts) reports a violation if it does.
 */
export const DOCS_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; base-uri 'self'; form-action 'self'; object-src 'none'; frame-ancestors 'none'";

/**
 * Read routes anyone may fetch cross-origin: the resolver (GS1 Digital Link paths and /id/), the
 * checkpoint and its key, published checkpoints, proofs, objects (trace JSON, evidence, QR, page)
 * and entries.
 */
const PUBLIC_READ = /^\/(?:01|00|414|id)\/|^\/v1\/(?:checkpoint(?:\/key)?|checkpoints|entries(?:\/[^/]+)?|proofs\/[^/]+|objects\/.+)$/;

const READ_METHODS = new Set(['GET', 'HEAD']);

/** Whether a request (or the preflight announcing it) is a cross-origin read of a public route. */
export function isPublicRead(request: FastifyRequest): boolean {
  const path = (request.raw.url ?? request.url).split('?', 1)[0] ?? '';
  const method = request.method === 'OPTIONS' ? String(request.headers['access-control-request-method'] ?? '').toUpperCase() : request.method;
  return READ_METHODS.has(method) && PUBLIC_READ.test(path);
}

/** A CSP string as helmet's directive object (`"a x; b y z"` → `{ a: ['x'], b: ['y', 'z'] }`). */
function directivesOf(csp: string): Record<string, string[]> {
  return Object.fromEntries(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0] !== '')
      .map(([name = '', ...values]) => [name, values]),
  );
}

/** Registers compression, security headers and CORS. Call before any route is added. */
export async function registerSecurity(app: FastifyInstance): Promise<void> {
  // Registered first: the plugin wraps each route as it is added (an onRoute hook).
  await app.register(compress, { encodings: ['br', 'gzip'] });
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: { ...directivesOf(PAGE_CSP), 'frame-ancestors': ["'none'"] } },
    // Every resource here is public, cookie-less data (QR images are embedded by shops, the
    // evidence read by auditors' pages): helmet's default same-origin CORP would block the
    // no-cors reads (an <img> of a QR code) that CORS cannot grant.
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  });
  await app.register(cors, {
    hideOptionsRoute: true,
    delegator: (request, callback) => {
      callback(
        null,
        isPublicRead(request)
          ? { origin: '*', methods: ['GET', 'HEAD'], credentials: false, exposedHeaders: ['Link', 'X-Resolved-From', 'ETag', 'Location'], maxAge: 86_400 }
          : { origin: false },
      );
    },
  });
}
