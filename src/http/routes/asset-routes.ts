/**
 * The customer page and what it loads, all served by the service itself (no CDN, no external font
 * or script):
 * - `GET /assets/verify.js`: the badge script (src/web/verify.ts with the pure core and @noble),
 *   bundled and minified by esbuild when the service starts listening (or on first request),
 *   kept in memory, served with an ETag and br or gzip when the client accepts it;
 * - `GET /assets/page.css?v=<hash>`: the page's stylesheet (page-style.ts), cacheable for good;
 * - `GET /v1/objects/:code/page`: the customer page (the resolver's `gs1:pip` link; the resolver
 *   also serves it on `/01/…` for browsers);
 * - with `testHooks` only, `GET /test-hooks/objects/:code/evidence?tamper=<seq>`: the evidence
 *   with one record's payload altered, which the page uses when opened with `?tamper=<seq>`, so a
 *   browser test can watch the badge turn red. It is not registered otherwise.
 *
 * Bundling at run time rather than in `npm run build` keeps one path for tests (which run from the
 * TypeScript sources) and for `npm start` (which runs dist/): the entry is found next to this
 * module either way, and esbuild is a runtime dependency for it.
 */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { LedgerError } from '../../core/errors.js';
import type { Ledger } from '../../ledger.js';
import { problems } from '../openapi.js';
import { codeParams as params } from '../schemas/common.js';
import { PAGE_CSS, PAGE_CSS_HASH } from '../page-style.js';
import { PAGE_CSP, pickLanguage, renderCustomerPage, renderNotFoundPage, TAMPERED_EVIDENCE_PREFIX, VERIFY_SCRIPT_PATH } from '../page.js';

export interface AssetRoutesOptions {
  readonly ledger: Ledger;
  /** Public base URL of the resolver (names the product's Digital Link on the page). */
  readonly publicUrl?: (() => string) | undefined;
  /** Register the test-only tamper hook (never set by the CLI). */
  readonly testHooks?: boolean | undefined;
}

export interface ScriptBundle {
  /** Minified ES module. */
  readonly code: Buffer;
  readonly gzip: Buffer;
  /** Brotli at its best quality: done once per process, it saves a phone another fifth. */
  readonly br: Buffer;
  /** Strong validator: a hash of the bytes. */
  readonly etag: string;
}

/** src/web/verify.ts when running from the sources, dist/web/verify.js when running the build. */
export function verifyScriptEntry(): string {
  const ext = new URL(import.meta.url).pathname.endsWith('.ts') ? 'ts' : 'js';
  return fileURLToPath(new URL(`../../web/verify.${ext}`, import.meta.url));
}

let bundling: Promise<ScriptBundle> | undefined;

/**
 * The badge script, bundled once per process. A failed build is not cached, so the next request
 * tries again (and reports the error meanwhile as a 500).
 */
export function bundleVerifyScript(): Promise<ScriptBundle> {
  if (bundling === undefined) {
    const started = (async (): Promise<ScriptBundle> => {
      const { build } = await import('esbuild');
      const result = await build({
        entryPoints: [verifyScriptEntry()],
        bundle: true,
        minify: true,
        format: 'esm',
        platform: 'browser',
        // ES2022 keeps @noble's class fields native: lowered to ES2020, every curve point built
        // ran four Object.defineProperty calls, which made verification 5× slower in Chromium.
        // (BigInt needs ES2020 anyway; ES2022 is every browser since 2022.)
        target: ['es2022'],
        charset: 'utf8',
        // The MIT notices of @noble stay with their code.
        legalComments: 'eof',
        write: false,
        logLevel: 'silent',
      });
      const code = Buffer.from(result.outputFiles[0]!.contents);
      const br = brotliCompressSync(code, { params: { [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY, [zlib.BROTLI_PARAM_SIZE_HINT]: code.length } });
      return { code, gzip: gzipSync(code, { level: 9 }), br, etag: `"${createHash('sha256').update(code).digest('base64url').slice(0, 27)}"` };
    })();
    bundling = started;
    started.catch(() => {
      if (bundling === started) bundling = undefined;
    });
  }
  return bundling;
}

/** Whether an Accept-Encoding header admits a coding (RFC 9110 §12.5.3: it or `*` with q > 0). */
function accepts(header: string | undefined, coding: 'gzip' | 'br'): boolean {
  for (const part of (header ?? '').toLowerCase().split(',')) {
    const [name = '', ...params] = part.split(';').map((s) => s.trim());
    if (name !== coding && !(coding === 'gzip' && name === 'x-gzip') && name !== '*') continue;
    const q = params.find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}

const html = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });

/** Alter one record's payload (its time, a day earlier): its leaf hash and signature no longer hold. */
export function tamperEvidence<E extends { records: Array<{ seq: number; record: { entry: { payload: { time: string } } } }> }>(evidence: E, seq: number): E {
  const target = evidence.records.find((r) => r.seq === seq);
  if (target === undefined) throw new LedgerError('LEDGER_QUERY_INVALID', `tamper: the evidence has no record ${seq}`);
  const payload = target.record.entry.payload;
  payload.time = new Date(Date.parse(payload.time) - 86_400_000).toISOString();
  return evidence;
}

// Over 80 lines: a list of route registrations (badge script, stylesheet, customer page, the test hook),
// each short; most of the length is their OpenAPI schemas.
export const assetRoutes: FastifyPluginAsync<AssetRoutesOptions> = async (app: FastifyInstance, { ledger, publicUrl, testHooks }) => {
  // A listening service bundles right away, so the first phone to scan a QR does not wait for
  // esbuild; a failure here is reported by the first request that needs the script.
  app.addHook('onListen', async () => {
    void bundleVerifyScript().catch(() => undefined);
  });
  app.get(VERIFY_SCRIPT_PATH, { schema: { hide: true } as object }, async (request: FastifyRequest, reply: FastifyReply) => {
    const bundle = await bundleVerifyScript();
    reply
      .header('ETag', bundle.etag)
      // Revalidate every time (a 304 is cheap): a page must never run a stale verifier.
      .header('Cache-Control', 'no-cache')
      .header('Vary', 'Accept-Encoding')
      .header('X-Content-Type-Options', 'nosniff')
      .type('text/javascript; charset=utf-8');
    const match = request.headers['if-none-match'];
    if (match !== undefined && match.split(',').some((tag) => tag.trim().replace(/^W\//, '') === bundle.etag)) return reply.code(304).send();
    if (accepts(request.headers['accept-encoding'], 'br')) return reply.header('Content-Encoding', 'br').send(bundle.br);
    if (accepts(request.headers['accept-encoding'], 'gzip')) return reply.header('Content-Encoding', 'gzip').send(bundle.gzip);
    return reply.send(bundle.code);
  });

  // The page's stylesheet: its URL names its hash (`?v=`), so that URL may be kept for good.
  const css = Buffer.from(PAGE_CSS);
  app.get('/assets/page.css', { schema: { hide: true } as object }, async (request, reply) => {
    const current = (request.query as Record<string, unknown>)['v'] === PAGE_CSS_HASH;
    return reply
      .header('ETag', `"${PAGE_CSS_HASH}"`)
      .header('Cache-Control', current ? 'public, max-age=31536000, immutable' : 'no-cache')
      .type('text/css; charset=utf-8')
      .send(css);
  });

  app.get(
    '/v1/objects/:code/page',
    {
      schema: {
        operationId: 'getCustomerPage',
        summary: 'Customer page (HTML)',
        description:
          'The page a phone shows after scanning the QR: warnings, product and producer, provenance tree with inspections, carbon footprint with electricity and water, journey, and a badge that verifies every cited entry in the browser against the pinned ledger key. English or Chinese by `?lang=` or Accept-Language. Unknown codes get a friendly 404 page.',
        tags: ['objects'],
        params,
        // An unknown ?lang falls back to Accept-Language rather than failing a customer's page.
        querystring: { type: 'object', properties: { lang: { type: 'string', description: '`en` or `zh`; otherwise Accept-Language decides' } } },
        response: {
          200: html('The page'),
          // Unknown or malformed codes get a friendly page in the customer's language, not problem+json.
          400: html('Not a valid code'),
          404: html('No object with that code'),
          ...problems(),
        },
      },
    },
    async (request, reply) => {
      const { code } = request.params as { code: string };
      const query = request.query as Record<string, unknown>;
      const lang = pickLanguage(request.headers['accept-language'], typeof query['lang'] === 'string' ? query['lang'] : undefined);
      const tamper = testHooks === true && typeof query['tamper'] === 'string' && /^\d{1,15}$/.test(query['tamper']) ? Number(query['tamper']) : undefined;
      reply
        .header('Vary', 'Accept-Language')
        .header('Cache-Control', 'no-cache')
        .header('Content-Security-Policy', `${PAGE_CSP}; frame-ancestors 'none'`)
        .header('X-Content-Type-Options', 'nosniff');
      let html: string;
      try {
        html = await renderCustomerPage({ ledger, code, lang, publicUrl: publicUrl?.() ?? 'http://localhost', ...(tamper === undefined ? {} : { tamper }) });
      } catch (e) {
        if (e instanceof LedgerError && (e.code === 'TRACE_CODE_INVALID' || e.code === 'TRACE_OBJECT_NOT_FOUND')) {
          const invalid = e.code === 'TRACE_CODE_INVALID';
          return reply.code(invalid ? 400 : 404).type('text/html; charset=utf-8').send(renderNotFoundPage(code, lang, e.message, invalid ? 'invalid' : 'unknown'));
        }
        throw e;
      }
      return reply.type('text/html; charset=utf-8').send(html);
    },
  );

  if (testHooks === true) {
    app.get(`${TAMPERED_EVIDENCE_PREFIX}:code/evidence`, { schema: { hide: true, params } as object }, async (request) => {
      const { code } = request.params as { code: string };
      const seq = Number((request.query as Record<string, unknown>)['tamper']);
      if (!Number.isSafeInteger(seq)) throw new LedgerError('LEDGER_QUERY_INVALID', 'tamper=<seq> is required');
      return tamperEvidence(await ledger.evidence(code), seq);
    });
  }
};
