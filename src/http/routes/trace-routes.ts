/**
 * Trace routes: an object's state, its upstream provenance, downstream impact, history and PACT
 * footprint. `:code` is the URL-encoded object code (encodeURIComponent of a GS1 Digital Link URI
 * or a urn:trace code); any valid spelling works and answers carry the canonical form.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Ledger } from '../../ledger.js';

const problem = { $ref: 'problem#' } as const;
const errors = { 400: problem, 404: problem, 422: problem };
const params = {
  type: 'object',
  properties: { code: { type: 'string', description: 'URL-encoded object code, e.g. https%3A%2F%2Fid.gs1.org%2F01%2F09506000134352%2F10%2FL1' } },
  required: ['code'],
} as const;

export interface TraceRoutesOptions {
  readonly ledger: Ledger;
}

export const traceRoutes: FastifyPluginAsync<TraceRoutesOptions> = async (app: FastifyInstance, { ledger }) => {
  const code = (request: { params: unknown }) => (request.params as { code: string }).code;
  const route = (path: string, summary: string, description: string, run: (c: string) => Promise<unknown>) =>
    app.get(path, { schema: { summary, description, tags: ['objects'], params, response: errors } }, async (request) => run(code(request)));

  route('/v1/objects/:code', 'Current state of an object', 'What it is, who produced it, who holds how much, what it is packed in or contains, whether it is recalled.', (c) => ledger.object(c));
  route(
    '/v1/objects/:code/upstream',
    'Provenance graph',
    'Every ancestor lot with depth, product, producer, quantity consumed and allocated, inspections, certificates, footprint per unit and process resources, each citing the seq of the entry that proves it. Failed inspections and recalls anywhere upstream are listed first under `flags`.',
    (c) => ledger.upstream(c),
  );
  route(
    '/v1/objects/:code/downstream',
    'Where it went',
    'Every derived product, shipments with dispatch/receipt times, lead times and tracking timeline, discrepancies, deliveries to customers, current holders, and the recall impact: affected finished products and who holds them.',
    (c) => ledger.downstream(c),
  );
  route('/v1/objects/:code/history', 'Every entry touching the object, in log order', 'With each entry\'s payload, its roles for this object and whether it was retracted.', (c) => ledger.history(c));
  route(
    '/v1/objects/:code/footprint',
    'Cradle-to-gate footprint as a PACT v2 ProductFootprint',
    'pCfExcludingBiogenic per declaredUnit, primaryDataShare below 100 where sources declared no footprint (listed in extensions[0].data.dataGaps).',
    (c) => ledger.footprint(c),
  );
  route(
    '/v1/objects/:code/evidence',
    'Records and proofs behind the upstream and downstream answers',
    'The latest checkpoint (signed note), and every record those answers cite, with its leaf hash and inclusion proof in that checkpoint\'s tree, plus the records registering the signers\' keys down to genesis: enough to check every signature and proof against the pinned ledger key alone (the customer page does this in the browser).',
    (c) => ledger.evidence(c),
  );
};
