/**
 * The log's routes: entries, checkpoints, proofs, participants, health. Query strings are validated
 * by Fastify's JSON Schemas (which also document them in the OpenAPI document); entry bodies are
 * validated by the zod schemas inside the ledger, so they are described here but not checked twice.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { LedgerError } from '../../core/errors.js';
import { jsonSchemas } from '../../domain/json-schemas.js';
import type { Ledger } from '../../ledger.js';

const uint = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const hex64 = { type: 'string', pattern: '^[0-9a-fA-F]{64}$' } as const;
const problem = { $ref: 'problem#' } as const;
const errors = { 400: problem, 404: problem, 409: problem, 413: problem, 415: problem };

const receipt = {
  type: 'object',
  properties: { seq: uint, leafHash: hex64, chainHash: hex64, recordedAt: { type: 'string', format: 'date-time' } },
} as const;

// The published schema (schemas/entry.schema.json), without the keys OpenAPI does not take.
const { $schema: _schema, $id: _id, ...entryJsonSchema } = jsonSchemas()['entry.schema.json'] as Record<string, unknown>;

export interface LedgerRoutesOptions {
  readonly ledger: Ledger;
}

export const ledgerRoutes: FastifyPluginAsync<LedgerRoutesOptions> = async (app: FastifyInstance, { ledger }) => {
  app.post(
    '/v1/entries',
    {
      schema: {
        summary: 'Append one signed entry or a batch (an array, atomic)',
        description:
          'Each entry is {payload, signature:{kid, sig}}; sig is Ed25519 over "trace-ledger/v1 entry\\n" ‖ JCS(payload). ' +
          'Replies once the entries are durable. A resubmitted identical entry gets its original receipt.',
        tags: ['entries'],
        body: { oneOf: [entryJsonSchema, { type: 'array', items: entryJsonSchema, maxItems: ledger.maxBatchEntries }] },
        response: { 201: { oneOf: [receipt, { type: 'array', items: receipt }] }, ...errors },
      },
      // zod in the ledger validates entries with precise codes; Ajv would only do it twice.
      validatorCompiler: () => () => true,
      // The response schemas document the API; serialising through a oneOf would make
      // fast-json-stringify run a validator on every receipt to pick the branch.
      serializerCompiler: () => (data) => JSON.stringify(data),
    },
    async (request, reply) => {
      const body = request.body;
      const batch = Array.isArray(body);
      const receipts = await ledger.submit(batch ? body : [body]);
      return reply.code(201).send(batch ? receipts : receipts[0]);
    },
  );

  app.get(
    '/v1/entries/:seq',
    { schema: { summary: 'One record with its hashes', tags: ['entries'], params: { type: 'object', properties: { seq: uint }, required: ['seq'] } } },
    async (request) => ledger.record((request.params as { seq: number }).seq),
  );

  app.get(
    '/v1/entries',
    {
      schema: {
        summary: 'Records after a seq, in order (paginate with next)',
        tags: ['entries'],
        querystring: {
          type: 'object',
          properties: { after: { type: 'integer', minimum: -1, default: -1 }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const { after, limit } = request.query as { after: number; limit: number };
      const records = ledger.records(after, limit);
      const last = records.at(-1);
      return { records, next: last !== undefined && records.length === limit ? last.record.seq : null };
    },
  );

  app.get(
    '/v1/checkpoint',
    {
      schema: {
        summary: 'Latest signed checkpoint (C2SP tlog-checkpoint signed note, text/plain)',
        description: 'With minSize, a new checkpoint is signed on demand when the latest does not cover that many records yet.',
        tags: ['checkpoints'],
        querystring: { type: 'object', properties: { minSize: uint }, additionalProperties: false },
      },
    },
    async (request, reply) => {
      const { minSize } = request.query as { minSize?: number };
      const cp = ledger.checkpoint(minSize ?? 0);
      return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-cache').send(cp.note);
    },
  );

  app.get(
    '/v1/checkpoint/key',
    { schema: { summary: "The ledger's C2SP verifier key (name+keyid+base64 key)", tags: ['checkpoints'] } },
    async (_request, reply) => reply.type('text/plain; charset=utf-8').send(`${ledger.verifierKey}\n`),
  );

  app.get(
    '/v1/checkpoints',
    {
      schema: {
        summary: 'Every checkpoint the ledger signed, newest first',
        tags: ['checkpoints'],
        querystring: {
          type: 'object',
          properties: { before: uint, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const { before, limit } = request.query as { before?: number; limit: number };
      return { checkpoints: ledger.checkpointHistory(limit, before).map((c) => ({ size: c.size, signedAt: c.signedAt, note: c.note })) };
    },
  );

  app.get(
    '/v1/proofs/inclusion',
    {
      schema: {
        summary: 'RFC 9162 inclusion proof (audit path, base64) for a seq or a leaf hash',
        description: 'size defaults to the latest checkpoint, so the proof verifies against GET /v1/checkpoint.',
        tags: ['proofs'],
        querystring: { type: 'object', properties: { seq: uint, leafHash: hex64, size: uint }, additionalProperties: false },
      },
    },
    async (request) => {
      const q = request.query as { seq?: number; leafHash?: string; size?: number };
      if ((q.seq === undefined) === (q.leafHash === undefined)) {
        throw new LedgerError('LEDGER_QUERY_INVALID', 'give exactly one of seq or leafHash');
      }
      const seq = q.seq ?? ledger.seqOfLeafHash(q.leafHash!.toLowerCase());
      return ledger.inclusionProof(seq, q.size);
    },
  );

  app.get(
    '/v1/proofs/consistency',
    {
      schema: {
        summary: 'RFC 9162 consistency proof between two tree sizes',
        description: 'to defaults to the latest checkpoint.',
        tags: ['proofs'],
        querystring: { type: 'object', properties: { from: uint, to: uint }, required: ['from'], additionalProperties: false },
      },
    },
    async (request) => {
      const { from, to } = request.query as { from: number; to?: number };
      return ledger.consistencyProof(from, to);
    },
  );

  app.get('/v1/participants', { schema: { summary: 'Participants and their keys', tags: ['participants'] } }, async () => ({
    participants: ledger.participants(),
  }));

  app.get(
    '/v1/participants/:id',
    { schema: { summary: 'One participant and its keys (with validity)', tags: ['participants'], params: { type: 'object', properties: { id: { type: 'string' } } } } },
    async (request) => ledger.participant((request.params as { id: string }).id),
  );

  app.get('/healthz', { schema: { summary: 'Liveness and log size', tags: ['service'] } }, async () => ({
    status: 'ok',
    size: ledger.size(),
    checkpointSize: ledger.checkpoint().size,
  }));
};
