/**
 * GS1 Digital Link resolver (GS1-Conformant resolver standard, as id.gs1.org does it) on
 * `/01/…`, `/00/…`, `/414/…` and `/id/<encoded code>`:
 *
 * - `Accept: text/html` (browsers, phones scanning a QR, also `*∕*`) → the customer page;
 * - `Accept: application/json` → a provenance summary;
 * - `Accept: application/linkset+json`, `?linkType=linkset` or `?linkType=all` → an RFC 9264
 *   linkset with GS1 link types;
 * - `?linkType=gs1:<type>` → 307 to that link; a type this object has no link of redirects to the
 *   default link (gs1:pip), as the GS1 resolver standard asks;
 * - unknown code → 404 (a friendly page for browsers), invalid syntax → 400 with the reason.
 *
 * A serial-level code whose serial was never commissioned on its own resolves to its lot, and the
 * answer says so (`resolvedFrom`).
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { digitalLinkPath, lotOf, parseCode, type ObjectCode } from '../core/codes.js';
import { LedgerError } from '../core/errors.js';
import type { Ledger } from '../ledger.js';
import { json, problems } from './openapi.js';
import { pickLanguage, renderCustomerPage, renderNotFoundPage } from './page.js';
import { codeParams } from './schemas/common.js';
import { certificatesAnswer, recallStatusAnswer } from './schemas/trace.js';

export interface ResolverOptions {
  readonly ledger: Ledger;
  readonly publicUrl: () => string;
  /** Test-only: honour `?tamper=<seq>` on HTML answers (the page then verifies altered evidence). */
  readonly testHooks?: boolean;
}

const GS1_VOC = 'https://gs1.org/voc/';

/** Link types this resolver serves, in linkset order; the first is the default link. */
export const LINK_TYPES = ['pip', 'traceability', 'sustainabilityInfo', 'certificationInfo', 'recallStatus', 'epcis'] as const;
type LinkType = (typeof LINK_TYPES)[number];

interface Link {
  readonly href: string;
  readonly title: string;
  readonly type: string;
  readonly hreflang?: readonly string[];
}

export function linksFor(publicUrl: string, canonical: string): Record<LinkType, Link[]> {
  const base = `${publicUrl}/v1/objects/${encodeURIComponent(canonical)}`;
  return {
    pip: [{ href: `${base}/page`, title: 'Product information, provenance and verification', type: 'text/html', hreflang: ['en', 'zh'] }],
    traceability: [
      { href: `${base}/upstream`, title: 'Provenance: every ancestor lot, inspections, footprint (each fact with its ledger seq)', type: 'application/json' },
      { href: `${base}/downstream`, title: 'Where it went: derived products, shipments, holders, recall impact', type: 'application/json' },
    ],
    sustainabilityInfo: [{ href: `${base}/footprint`, title: 'Cradle-to-gate carbon footprint (PACT v2 ProductFootprint)', type: 'application/json' }],
    certificationInfo: [{ href: `${base}/certificates`, title: 'Certificates and inspection results upstream', type: 'application/json' }],
    recallStatus: [{ href: `${base}/recall-status`, title: 'Recall status of this object and everything it was made from', type: 'application/json' }],
    epcis: [{ href: `${base}/history`, title: 'Every signed event about this object, in log order', type: 'application/json' }],
  };
}

/** RFC 9264 linkset (application/linkset+json) with GS1 Web Vocabulary relation types. */
export function linkset(publicUrl: string, canonical: string) {
  const links = linksFor(publicUrl, canonical);
  return {
    linkset: [
      {
        anchor: canonical,
        [`${GS1_VOC}defaultLink`]: links.pip,
        ...Object.fromEntries(LINK_TYPES.map((t) => [`${GS1_VOC}${t}`, links[t]])),
      },
    ],
  };
}

type Wanted = 'html' | 'json' | 'linkset';

/** Content negotiation over the three representations, by Accept q-values; HTML wins ties and `*∕*`. */
export function negotiate(accept: string | undefined): Wanted {
  if (accept === undefined || accept.trim() === '') return 'html';
  let best: Wanted = 'html';
  let bestQ = -1;
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.trim().toLowerCase().split(';').map((s) => s.trim());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q) || q <= 0) continue;
    const kind: Wanted | undefined =
      range === 'application/linkset+json' ? 'linkset'
      : range === 'application/json' || range === 'application/ld+json' ? 'json'
      : range === 'text/html' || range === 'application/xhtml+xml' || range === 'text/*' || range === '*/*' ? 'html'
      : undefined;
    if (kind === undefined) continue;
    // Among equal q, an explicit JSON or linkset beats the wildcard HTML default.
    if (q > bestQ || (q === bestQ && kind !== 'html' && (range !== '*/*'))) {
      best = kind;
      bestQ = q;
    }
  }
  return best;
}

// Over 80 lines: the plugin is the owner of the resolved-answer cache, which resolve() and handle()
// share as closures, and the routes that use it; splitting them apart would hand the cache around.
export const resolverRoutes: FastifyPluginAsync<ResolverOptions> = async (app: FastifyInstance, { ledger, publicUrl, testHooks }) => {
  /** The object a request names, falling back from an unknown serial to its lot. */
  async function resolve(code: ObjectCode): Promise<{ canonical: string; resolvedFrom?: string }> {
    try {
      await ledger.object(code.canonical);
      return { canonical: code.canonical };
    } catch (e) {
      const lot = code.kind === 'gs1' ? lotOf(code) : undefined;
      if (!(e instanceof LedgerError && e.code === 'TRACE_OBJECT_NOT_FOUND') || lot === undefined) throw e;
      try {
        await ledger.object(lot.canonical);
      } catch (e2) {
        if (e2 instanceof LedgerError && e2.code === 'TRACE_OBJECT_NOT_FOUND') {
          throw new LedgerError('TRACE_OBJECT_NOT_FOUND', `no object ${code.canonical} was ever commissioned, nor its lot ${lot.canonical}`);
        }
        throw e2;
      }
      return { canonical: lot.canonical, resolvedFrom: code.canonical };
    }
  }

  /**
   * Resolved answers by (representation, language, public URL, request URL), valid while the log
   * keeps its size: a QR scanned a thousand times is resolved and rendered once.
   */
  const answers = new Map<string, { type: string; headers: Record<string, string>; body: string }>();
  let answersAt = -1;

  async function handle(request: FastifyRequest, reply: FastifyReply) {
    const query = request.query as Record<string, string | string[] | undefined>;
    const linkType = typeof query['linkType'] === 'string' ? query['linkType'] : undefined;
    const wanted: Wanted = linkType === 'linkset' || linkType === 'all' ? 'linkset' : negotiate(request.headers.accept);
    const lang = pickLanguage(request.headers['accept-language'], typeof query['lang'] === 'string' ? query['lang'] : undefined);
    const html = wanted === 'html' && linkType === undefined;
    if (answersAt !== ledger.size()) {
      answers.clear();
      answersAt = ledger.size();
    }
    const cacheKey = linkType === undefined || wanted === 'linkset' ? `${wanted}\u0000${lang}\u0000${publicUrl()}\u0000${request.raw.url}` : undefined;
    const hit = cacheKey === undefined ? undefined : answers.get(cacheKey);
    if (hit !== undefined) return reply.headers(hit.headers).type(hit.type).send(hit.body);
    const answer = (type: string, body: string) => {
      if (cacheKey !== undefined && answersAt === ledger.size()) {
        if (answers.size >= 5000) answers.delete(answers.keys().next().value!);
        answers.set(cacheKey, { type, headers: reply.getHeaders() as Record<string, string>, body });
      }
      return reply.type(type).send(body);
    };
    let code: ObjectCode;
    let target: { canonical: string; resolvedFrom?: string };
    try {
      code = parseCode(request.raw.url ?? request.url);
      target = await resolve(code);
    } catch (e) {
      if (html && e instanceof LedgerError && (e.code === 'TRACE_CODE_INVALID' || e.code === 'TRACE_OBJECT_NOT_FOUND')) {
        return reply
          .code(e.code === 'TRACE_CODE_INVALID' ? 400 : 404)
          .type('text/html; charset=utf-8')
          .send(renderNotFoundPage(request.url, lang, e.message, e.code === 'TRACE_CODE_INVALID' ? 'invalid' : 'unknown'));
      }
      throw e;
    }
    const pub = publicUrl();
    const { canonical, resolvedFrom } = target;
    const anchorPath = digitalLinkPath(parseCode(canonical));
    reply.header('Link', `<${pub}${anchorPath}?linkType=linkset>; rel="linkset"; type="application/linkset+json"`);
    reply.header('Vary', 'Accept, Accept-Language');
    if (resolvedFrom !== undefined) reply.header('X-Resolved-From', resolvedFrom);

    if (linkType !== undefined && wanted !== 'linkset') {
      const short = linkType.startsWith('gs1:') ? linkType.slice(4) : linkType.startsWith(GS1_VOC) ? linkType.slice(GS1_VOC.length) : undefined;
      if (short === undefined) throw new LedgerError('LEDGER_QUERY_INVALID', `linkType "${linkType}": expected gs1:<type> (one of ${LINK_TYPES.map((t) => `gs1:${t}`).join(', ')}), linkset or all`);
      const links = linksFor(pub, canonical);
      const link = (links as Record<string, Link[]>)[short]?.[0] ?? links.pip[0]!;
      return reply.code(307).header('Location', link.href).send();
    }
    if (wanted === 'linkset') return answer('application/linkset+json', JSON.stringify(linkset(pub, canonical)));
    if (wanted === 'json') {
      return answer('application/json; charset=utf-8', JSON.stringify(await ledger.summary(canonical, { resolvedFrom, links: linksFor(pub, canonical) })));
    }
    const tamper = testHooks === true && typeof query['tamper'] === 'string' && /^\d{1,15}$/.test(query['tamper']) ? Number(query['tamper']) : undefined;
    return answer(
      'text/html; charset=utf-8',
      await renderCustomerPage({
        ledger, code: canonical, lang, publicUrl: pub,
        ...(resolvedFrom === undefined ? {} : { resolvedFrom }),
        ...(tamper === undefined ? {} : { tamper }),
      }),
    );
  }

  // Documented by concrete path templates instead (./resolver-doc.ts), which these serve.
  const documented = { schema: { hide: true } as object };
  app.get('/01/*', documented, handle);
  app.get('/00/*', documented, handle);
  app.get('/414/*', documented, handle);
  app.get('/id/*', documented, handle);

  const objectRoute = (suffix: string, operationId: string, summary: string, answer: object, run: (canonical: string) => Promise<unknown>) =>
    app.get(
      `/v1/objects/:code/${suffix}`,
      { schema: { operationId, summary, tags: ['objects'], params: codeParams, response: { 200: json(summary, answer), ...problems(400, 404) } } },
      async (request) => {
        const code = parseCode((request.params as { code: string }).code);
        return run(code.canonical);
      },
    );
  objectRoute(
    'certificates',
    'getCertificates',
    'Certificates and inspection results of the object and everything upstream (gs1:certificationInfo)',
    certificatesAnswer,
    (c) => ledger.certificates(c),
  );
  objectRoute(
    'recall-status',
    'getRecallStatus',
    'Whether the object or anything it was made from is recalled or failed an inspection (gs1:recallStatus)',
    recallStatusAnswer,
    (c) => ledger.recallStatus(c),
  );
};
