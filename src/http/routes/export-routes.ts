/**
 * `GET /v1/export`: an audit bundle (src/audit/bundle.ts), streamed as NDJSON. The request is
 * checked and the bundle planned before the first byte goes out, so a bad request is still a
 * problem+json answer; after that the body is produced page by page as the client reads it.
 */
import { createWorkSlots } from '../work-slots.js';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { BUNDLE_DIRECTIONS, BUNDLE_MEDIA_TYPE, prepareExport, type ExportRequest } from '../../audit/bundle.js';
import type { Ledger } from '../../ledger.js';
import { problems } from '../openapi.js';
import { bundleLine } from '../schemas/audit.js';

const uint = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

export interface ExportRoutesOptions {
  readonly ledger: Ledger;
  /** How many exports run at once, and how many more wait (src/http/work-slots.ts). Default 1 and 8. */
  readonly exportConcurrency?: { readonly max: number; readonly queue: number };
}

export const exportRoutes: FastifyPluginAsync<ExportRoutesOptions> = async (app: FastifyInstance, { ledger, exportConcurrency }) => {
  // An export is the most expensive answer (a 1M-record log is ~950 MiB): one at a time leaves
  // the cores to the writers; the others wait their turn (measured: bench/RESULTS.md, stall).
  const exportSlots = createWorkSlots(exportConcurrency?.max ?? 1, exportConcurrency?.queue ?? 8);
  app.get(
    '/v1/export',
    {
      schema: {
        operationId: 'exportBundle',
        summary: 'Audit bundle (NDJSON): the whole log, one code\'s chain, or a seq range, with the proofs to verify it offline',
        description:
          'Line 1 is the header {format, origin, ledgerKey, checkpoint, scope, consistency?, exportedAt}; then one line per record ' +
          '{record, leafHash, chainHash, inclusion?} in seq order; the last line is {end: {records, sha256}} (SHA-256 of every byte before it). ' +
          'Without parameters: every record of the checkpoint\'s tree (no inclusion paths: the verifier recomputes the root). ' +
          'With code (and direction up, down or both, default both): every entry touching an object of that chain; with from/to: the records ' +
          'with from ≤ seq < to. Scoped bundles carry each record\'s inclusion proof against the header checkpoint, and the genesis, registration ' +
          'and key records their signatures need. since=N adds a consistency proof from tree size N to the header checkpoint. ' +
          'Check it with `trace-ledger verify bundle.ndjson --key <ledger key>`.',
        tags: ['audit'],
        querystring: {
          type: 'object',
          properties: {
            code: { type: 'string', minLength: 1, maxLength: 2048, description: 'object code (any valid spelling)' },
            direction: { type: 'string', enum: [...BUNDLE_DIRECTIONS], description: 'with code: upstream, downstream or both (default)' },
            from: { ...uint, description: 'first seq of a range' },
            to: { ...uint, description: 'end of a range (exclusive); default and at most the checkpoint size' },
            since: { ...uint, description: 'older tree size to prove consistency from' },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            description: 'The bundle, one JSON value per line (header, records, end; see the description)',
            headers: {
              'Content-Disposition': { type: 'string', description: 'attachment; filename="…ndjson"' },
              'X-Bundle-Records': { type: 'integer', minimum: 0, description: 'Number of record lines' },
              'X-Bundle-Tree-Size': { type: 'integer', minimum: 0, description: 'Size of the header checkpoint\'s tree' },
            },
            // OpenAPI 3.1 cannot describe a sequence of JSON values: `schema` is the schema of
            // one line (what OpenAPI 3.2 calls itemSchema); the description gives their order.
            content: { [BUNDLE_MEDIA_TYPE]: { schema: bundleLine } },
          },
          ...problems(400, 404),
        },
      },
    },
    async (request, reply) => {
      const release = await exportSlots.acquire('exports');
      // Given back when the answer ends, whether sent whole, failed or cut by the client.
      reply.raw.once('close', release);
      let bundle;
      try {
        bundle = prepareExport(ledger, request.query as ExportRequest);
      } catch (e) {
        release();
        throw e;
      }
      return reply
        .type(`${BUNDLE_MEDIA_TYPE}; charset=utf-8`)
        .header('content-disposition', `attachment; filename="${bundle.filename}"`)
        .header('cache-control', 'no-store')
        .header('x-bundle-records', String(bundle.records))
        .header('x-bundle-tree-size', String(bundle.treeSize))
        .send(Readable.from(bundle.chunks(), { objectMode: false }));
    },
  );
};
