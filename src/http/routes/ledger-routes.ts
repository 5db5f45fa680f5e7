/**
 * The log's routes: entries, checkpoints, proofs, participants, health. Query strings are validated
 * by Fastify's JSON Schemas (which also document them in the OpenAPI document); entry bodies are
 * validated by the zod schemas inside the ledger, so they are described here but not checked twice.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { LedgerError } from '../../core/errors.js';
import type { Ledger } from '../../ledger.js';
import { notReadyError } from '../../ledger/readiness.js';
import { createCheckpointGate, type CheckpointGate } from '../checkpoint-gate.js';
import { EXAMPLE_ENTRY } from '../entry-example.js';
import { json, problems } from '../openapi.js';
import { entryRef, recordView } from '../schemas/common.js';
import { checkpointList, consistencyProof, health, inclusionProof, participant, participantList, readiness, receipt, recordsPage } from '../schemas/ledger.js';

const uint = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const hex64 = { type: 'string', pattern: '^[0-9a-fA-F]{64}$' } as const;
const text = (description: string) => ({ description, content: { 'text/plain': { schema: { type: 'string' } } } });

export interface LedgerRoutesOptions {
  readonly ledger: Ledger;
  /** Least time between two checkpoints signed for `?minSize=` requests (src/http/checkpoint-gate.ts). */
  readonly checkpointMinIntervalMs?: number | undefined;
}

export const ledgerRoutes: FastifyPluginAsync<LedgerRoutesOptions> = async (app: FastifyInstance, { ledger, checkpointMinIntervalMs }) => {
  const gate = createCheckpointGate(ledger, checkpointMinIntervalMs === undefined ? {} : { minIntervalMs: checkpointMinIntervalMs });
  entryRoutes(app, ledger);
  checkpointRoutes(app, ledger, gate);
  proofRoutes(app, ledger);
  participantRoutes(app, ledger);
  healthRoutes(app, ledger);
};

/** Submitting entries and reading records. */
function entryRoutes(app: FastifyInstance, ledger: Ledger): void {
  app.post(
    '/v1/entries',
    {
      schema: {
        operationId: 'appendEntries',
        summary: 'Append one signed entry or a batch (an array, atomic)',
        description:
          'Each entry is {payload, signature:{kid, sig}}; sig is Ed25519 over "trace-ledger/v1 entry\\n" ‖ JCS(payload). ' +
          'Replies once the entries are durable. A resubmitted identical entry gets its original receipt.',
        tags: ['entries'],
        body: { oneOf: [entryRef, { type: 'array', items: entryRef, maxItems: ledger.maxBatchEntries }], examples: [EXAMPLE_ENTRY] },
        response: {
          201: json('Durable: one receipt, or one per entry of a batch, in order', { oneOf: [receipt, { type: 'array', items: receipt }] }),
          ...problems(400, 403, 404, 409, 413, 415, 422, 503),
        },
      },
      // zod in the ledger validates entries with precise codes; Ajv would only do it twice.
      validatorCompiler: () => () => true,
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
    {
      schema: {
        operationId: 'getEntry',
        summary: 'One record with its hashes',
        tags: ['entries'],
        params: { type: 'object', properties: { seq: { ...uint, examples: [1] } }, required: ['seq'] },
        response: { 200: json('The record', recordView), ...problems(400, 404) },
      },
    },
    async (request) => ledger.record((request.params as { seq: number }).seq),
  );

  app.get(
    '/v1/entries',
    {
      schema: {
        operationId: 'listEntries',
        summary: 'Records after a seq, in order (paginate with next)',
        tags: ['entries'],
        response: { 200: json('A page of records', recordsPage), ...problems(400) },
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
}

/** The signed checkpoints and the key that verifies them. */
function checkpointRoutes(app: FastifyInstance, ledger: Ledger, gate: CheckpointGate): void {
  app.get(
    '/v1/checkpoint',
    {
      schema: {
        operationId: 'getCheckpoint',
        summary: 'Latest signed checkpoint (C2SP tlog-checkpoint signed note, text/plain)',
        description:
          'With minSize, a new checkpoint is signed on demand when the latest does not cover that many records yet ' +
          '(at most one per second: the answer may wait up to a second).',
        tags: ['checkpoints'],
        querystring: { type: 'object', properties: { minSize: uint }, additionalProperties: false },
        response: { 200: text('Origin, tree size and root hash lines, a blank line, and the ledger key\'s signature line'), ...problems(400) },
      },
    },
    async (request, reply) => {
      const { minSize } = request.query as { minSize?: number };
      const cp = await gate.checkpoint(minSize ?? 0);
      return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-cache').send(cp.note);
    },
  );

  app.get(
    '/v1/checkpoint/key',
    {
      schema: {
        operationId: 'getVerifierKey',
        summary: "The ledger's C2SP verifier key (name+keyid+base64 key)",
        tags: ['checkpoints'],
        response: { 200: text('One line: <origin>+<keyid>+<base64 key>'), ...problems() },
      },
    },
    async (_request, reply) => reply.type('text/plain; charset=utf-8').send(`${ledger.verifierKey}\n`),
  );

  app.get(
    '/v1/checkpoints',
    {
      schema: {
        operationId: 'listCheckpoints',
        summary: 'Every checkpoint the ledger signed, newest first',
        tags: ['checkpoints'],
        response: { 200: json('Checkpoints', checkpointList), ...problems(400) },
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
}

/** Inclusion and consistency proofs (RFC 9162 §2.1.3, §2.1.4). */
function proofRoutes(app: FastifyInstance, ledger: Ledger): void {
  app.get(
    '/v1/proofs/inclusion',
    {
      schema: {
        operationId: 'getInclusionProof',
        summary: 'RFC 9162 inclusion proof (audit path, base64) for a seq or a leaf hash',
        response: { 200: json('The proof', inclusionProof), ...problems(400, 404) },
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
        operationId: 'getConsistencyProof',
        summary: 'RFC 9162 consistency proof between two tree sizes',
        response: { 200: json('The proof', consistencyProof), ...problems(400) },
        description: 'to defaults to the latest checkpoint.',
        tags: ['proofs'],
        querystring: { type: 'object', properties: { from: { ...uint, examples: [1] }, to: uint }, required: ['from'], additionalProperties: false },
      },
    },
    async (request) => {
      const { from, to } = request.query as { from: number; to?: number };
      return ledger.consistencyProof(from, to);
    },
  );
}

/** The registry: participants and their keys. */
function participantRoutes(app: FastifyInstance, ledger: Ledger): void {
  app.get(
    '/v1/participants',
    {
      schema: {
        operationId: 'listParticipants',
        summary: 'Participants and their keys',
        tags: ['participants'],
        response: { 200: json('Every registered participant', participantList), ...problems() },
      },
    },
    async () => ({
      participants: ledger.participants(),
    }),
  );

  app.get(
    '/v1/participants/:id',
    {
      schema: {
        operationId: 'getParticipant',
        summary: 'One participant and its keys (with validity)',
        tags: ['participants'],
        params: { type: 'object', properties: { id: { type: 'string', examples: ['guangxi-alumina'] } }, required: ['id'] },
        response: { 200: json('The participant', participant), ...problems(404) },
      },
    },
    async (request) => ledger.participant((request.params as { id: string }).id),
  );
}

/** Liveness and readiness, for load balancers and operators. */
function healthRoutes(app: FastifyInstance, ledger: Ledger): void {
  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'getHealth',
        summary: 'Liveness and log size',
        description: 'Says only that the process answers; whether it accepts writes is GET /readyz.',
        tags: ['service'],
        response: { 200: json('Alive', health), ...problems() },
      },
    },
    async () => ({
      status: 'ok',
      size: ledger.size(),
      checkpointSize: ledger.checkpoint().size,
    }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        operationId: 'getReadiness',
        summary: 'Can the ledger accept writes now?',
        description:
          '200 when a submission would be taken. Otherwise 503 LEDGER_NOT_READY, whose `readiness` is "verifying" while the start-up check runs ' +
          '(reads are served meanwhile) or "not-ready", and whose `conditions` list what holds writes back (src/ledger/readiness.ts).',
        tags: ['service'],
        response: { 200: json('Ready', readiness), ...problems(503) },
      },
    },
    async () => {
      if (!ledger.readiness.ready()) throw notReadyError(ledger.readiness);
      return { status: 'ready', size: ledger.size() };
    },
  );
}
