/**
 * Trace routes: an object's state, its upstream provenance, downstream impact, history and PACT
 * footprint. `:code` is the URL-encoded object code (encodeURIComponent of a GS1 Digital Link URI
 * or a urn:trace code); any valid spelling works and answers carry the canonical form.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Ledger } from '../../ledger.js';
import { json, problems } from '../openapi.js';
import { codeParams as params } from '../schemas/common.js';
import { downstreamAnswer, evidenceAnswer, historyAnswer, objectState, pactFootprint, upstreamAnswer } from '../schemas/trace.js';

export interface TraceRoutesOptions {
  readonly ledger: Ledger;
}

// Over 80 lines: one route() helper and the table of trace routes it registers, each mostly its
// OpenAPI documentation.
export const traceRoutes: FastifyPluginAsync<TraceRoutesOptions> = async (app: FastifyInstance, { ledger }) => {
  const code = (request: { params: unknown }) => (request.params as { code: string }).code;
  interface Doc {
    readonly operationId: string;
    readonly summary: string;
    readonly description: string;
    readonly answer: object;
    /** Problem statuses besides 500: 400 for a malformed code, 404 for one never commissioned. */
    readonly statuses?: number[];
  }
  const route = (path: string, doc: Doc, run: (c: string) => Promise<unknown>) =>
    app.get(
      path,
      {
        schema: {
          operationId: doc.operationId,
          summary: doc.summary,
          description: doc.description,
          tags: ['objects'],
          params,
          response: { 200: json(doc.summary, doc.answer), ...problems(...(doc.statuses ?? [400, 404])) },
        },
      },
      async (request) => run(code(request)),
    );

  route(
    '/v1/objects/:code',
    {
      operationId: 'getObject',
      summary: 'Current state of an object',
      description: 'What it is, who produced it, who holds how much, what it is packed in or contains, whether it is recalled.',
      answer: objectState,
    },
    (c) => ledger.object(c),
  );
  route(
    '/v1/objects/:code/upstream',
    {
      operationId: 'getUpstream',
      summary: 'Provenance graph',
      description:
        'Every ancestor lot with depth, product, producer, quantity consumed and allocated, inspections, certificates, footprint per unit and process resources, each citing the seq of the entry that proves it. Failed inspections and recalls anywhere upstream are listed first under `flags`.',
      answer: upstreamAnswer,
    },
    (c) => ledger.upstream(c),
  );
  route(
    '/v1/objects/:code/downstream',
    {
      operationId: 'getDownstream',
      summary: 'Where it went',
      description:
        'Every derived product, shipments with dispatch/receipt times, lead times and tracking timeline, discrepancies, deliveries to customers, current holders, and the recall impact: affected finished products and who holds them.',
      answer: downstreamAnswer,
    },
    (c) => ledger.downstream(c),
  );
  route(
    '/v1/objects/:code/history',
    {
      operationId: 'getHistory',
      summary: 'Every entry touching the object, in log order',
      description: "With each entry's payload, its roles for this object and whether it was retracted.",
      answer: historyAnswer,
    },
    (c) => ledger.history(c),
  );
  route(
    '/v1/objects/:code/footprint',
    {
      operationId: 'getFootprint',
      summary: 'Cradle-to-gate footprint as a PACT v2 ProductFootprint',
      description:
        'pCfExcludingBiogenic per declaredUnit, primaryDataShare below 100 where sources declared no footprint (listed in extensions[0].data.dataGaps). 422 when the object is counted in a unit PACT has no declared unit for and its product states no netMassKg.',
      answer: pactFootprint,
      statuses: [400, 404, 422],
    },
    (c) => ledger.footprint(c),
  );
  route(
    '/v1/objects/:code/evidence',
    {
      operationId: 'getEvidence',
      summary: 'Records and proofs behind the upstream and downstream answers',
      description:
        "The latest checkpoint (signed note), and every record those answers cite, with its leaf hash and inclusion proof in that checkpoint's tree, plus the records registering the signers' keys down to genesis: enough to check every signature and proof against the pinned ledger key alone (the customer page does this in the browser). 400 also when the evidence would exceed 5,000 records (export a bundle instead).",
      answer: evidenceAnswer,
    },
    (c) => ledger.evidence(c),
  );
};
