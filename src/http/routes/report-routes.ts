/**
 * Dispute reports (src/audit/reports.ts): a handoff between two parties, or a product's origin,
 * with every signed statement, its inclusion proof and the checkpoint. JSON for machines, one
 * standalone printable HTML page for people and courts: `?format=html|json`, else the Accept
 * header (HTML only when preferred over JSON; JSON by default).
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Ledger } from '../../ledger.js';
import { buildHandoffReport, buildOriginReport, renderReportHtml, type Report } from '../../audit/reports.js';
import { problems } from '../openapi.js';
import { handoffReport, originReport } from '../schemas/audit.js';
import { codeParams } from '../schemas/common.js';

/** JSON by default, one standalone HTML page by ?format=html or Accept. */
const answer = (description: string, report: object) => ({
  description,
  headers: { Vary: { type: 'string', const: 'Accept' } },
  content: { 'application/json': { schema: report }, 'text/html': { schema: { type: 'string', description: 'Standalone printable page, the report embedded' } } },
});
const querystring = {
  type: 'object',
  properties: { format: { type: 'string', enum: ['html', 'json'], description: 'html: one standalone printable page; json: the report document. Default: by Accept, else json.' } },
  additionalProperties: false,
} as const;

export interface ReportRoutesOptions {
  readonly ledger: Ledger;
}

/** q-value of a media range in an Accept header (RFC 9110 §12.5.1); exact types beat wildcards. */
function quality(accept: string, type: string): number {
  let best = -1;
  let bestSpecificity = -1;
  const [major] = type.split('/');
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.trim().toLowerCase().split(';');
    const specificity = range === type ? 2 : range === `${major}/*` ? 1 : range === '*/*' ? 0 : -1;
    if (specificity < 0 || specificity < bestSpecificity) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = q === undefined ? 1 : Number(q.slice(2));
    bestSpecificity = specificity;
    best = Number.isFinite(value) ? value : 0;
  }
  return Math.max(best, 0);
}

/** HTML when asked for by ?format=, or when Accept prefers text/html to application/json. */
export function wantsHtml(format: string | undefined, accept: string | undefined): boolean {
  if (format !== undefined) return format === 'html';
  if (accept === undefined || accept.trim() === '') return false;
  const html = quality(accept, 'text/html');
  return html > 0 && html > quality(accept, 'application/json');
}

export const reportRoutes: FastifyPluginAsync<ReportRoutesOptions> = async (app: FastifyInstance, { ledger }) => {
  const send = (request: FastifyRequest, reply: FastifyReply, report: Report) => {
    reply.header('Vary', 'Accept');
    if (!wantsHtml((request.query as { format?: string }).format, request.headers.accept)) return report;
    return reply
      .type('text/html; charset=utf-8')
      // The page needs nothing from anywhere: say so, so a browser refuses anything else.
      .header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'")
      .send(renderReportHtml(report));
  };

  app.get(
    '/v1/reports/handoff/:shipment',
    {
      schema: {
        operationId: 'getHandoffReport',
        summary: 'Dispute report on one handoff',
        description:
          'What the sender signed it shipped and the receiver signed it received, when, the carrier\'s tracking, and the discrepancy, each statement with its full signed entry and inclusion proof, the checkpoint, and the records registering the signers\' keys. `:shipment` is the seq or the leaf hash (hex) of the ship entry.',
        tags: ['reports'],
        params: { type: 'object', properties: { shipment: { type: 'string', description: 'Seq or leaf hash (hex) of the ship entry' } }, required: ['shipment'] },
        querystring,
        // 404 also when the seq or leaf hash is not a ship entry; 400 when the report would cite too many records.
        response: { 200: answer('The handoff report', handoffReport), ...problems(400, 404) },
      },
    },
    async (request, reply) => send(request, reply, await buildHandoffReport(ledger, (request.params as { shipment: string }).shipment)),
  );

  app.get(
    '/v1/reports/origin/:code',
    {
      schema: {
        operationId: 'getOriginReport',
        summary: 'Dispute report on a product\'s origin',
        description:
          'The upstream path from the product to every source lot: each lot\'s creation, inspections (failed ones flagged), recalls and handoffs, every step with its signed entry and inclusion proof, the checkpoint, and the records registering the signers\' keys. `:code` is the URL-encoded object code.',
        tags: ['reports'],
        params: codeParams,
        querystring,
        response: { 200: answer('The origin report', originReport), ...problems(400, 404) },
      },
    },
    async (request, reply) => send(request, reply, await buildOriginReport(ledger, (request.params as { code: string }).code)),
  );
};
