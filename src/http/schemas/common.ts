/**
 * Building blocks of the response schemas (JSON Schema 2020-12, as OpenAPI 3.1 takes it). They
 * document the answers and test/http/openapi.test.ts holds every real answer to them; they never
 * shape an answer (see registerOpenApi in ../openapi.ts).
 */

type Schema = Record<string, unknown>;

/** The shared schemas registerOpenApi adds (components of the document). */
export const problemRef = { $ref: 'Problem#' } as const;
export const entryRef = { $ref: 'Entry#' } as const;
export const payloadRef = { $ref: 'Payload#' } as const;

/**
 * An object whose properties are all required except `optional` ones; `extra` adds keywords.
 * Open (additional members allowed): answers may grow new members without breaking a client.
 */
export function obj(properties: Record<string, Schema>, optional: readonly string[] = [], extra: Schema = {}): Schema {
  return { type: 'object', required: Object.keys(properties).filter((k) => !optional.includes(k)), properties, ...extra };
}

export const arr = (items: Schema, extra: Schema = {}): Schema => ({ type: 'array', items, ...extra });
export const nullable = (schema: Schema): Schema => ({ anyOf: [schema, { type: 'null' }] });

export const str: Schema = { type: 'string' };
export const bool: Schema = { type: 'boolean' };
export const num: Schema = { type: 'number' };
export const uint: Schema = { type: 'integer', minimum: 0 };
export const seq: Schema = { type: 'integer', minimum: 0, description: 'Seq of the entry that proves it (GET /v1/entries/{seq})' };
export const hex64: Schema = { type: 'string', pattern: '^[0-9a-f]{64}$' };
export const base64: Schema = { type: 'string', pattern: '^[A-Za-z0-9+/]*={0,2}$' };
export const time: Schema = { type: 'string', description: 'RFC 3339 date-time', examples: ['2026-11-02T10:00:00.000+08:00'] };
export const code: Schema = { type: 'string', description: 'Canonical object code', examples: ['https://id.gs1.org/01/06931000080010/10/CW2611-19'] };
export const anyObject: Schema = { type: 'object', additionalProperties: true };

export const quantity = obj({ value: num, unit: { type: 'string', examples: ['KGM', 'H87'] } });
export const party = obj({ id: str, name: str });

/** What the ledger stores for one entry (src/core/record.ts); the leaf is JCS of it. */
export const ledgerRecord = obj({ seq: uint, recordedAt: time, entry: entryRef });

/** A record with its hashes (GET /v1/entries/{seq}). */
export const recordView = obj({ record: ledgerRecord, leafHash: hex64, chainHash: hex64 });

/** A cited record with its RFC 9162 audit path in the answer's checkpoint tree. */
export const evidenceRecord = obj({ seq: uint, record: ledgerRecord, leafHash: hex64, inclusion: arr(base64) });

/** A product as commissioned (schemas: Product). */
export const product = obj({ name: str, gtin: str, netMassKg: num }, ['gtin', 'netMassKg']);

/** An object as the trace queries summarise it (src/domain/trace.ts summary()). */
export const objectSummary = obj(
  {
    code,
    level: { type: 'string', examples: ['material', 'finished', 'logistic'] },
    product,
    producer: party,
    quantity,
    createdSeq: seq,
    createdBy: { type: 'string', description: 'Kind of the entry that created it', examples: ['commission', 'transform', 'aggregate'] },
    attributes: anyObject,
    recalledSeq: nullable(uint),
  },
  ['attributes'],
);

/** A flag raised anywhere in a trace: a failed inspection or a recall. */
export const flag = obj({
  kind: {
    type: 'string',
    enum: ['failed_inspection', 'recall', 'operator_added_key'],
    description: 'operator_added_key: the entry at seq was signed with a recovery key the operator added (signer, kid, keyAddedBy, keyAddedSeq), not one its signer added',
  },
  code,
  seq,
  detail: str,
  depth: uint,
}, ['code', 'depth', 'detail'], { additionalProperties: true });

/** The signed payload of an entry (schemas/payload.schema.json). */
export const payload = payloadRef;

/**
 * The `:code` path parameter of the object routes. Clients URL-encode the code into one segment
 * (Swagger UI does so with what is typed in); any valid spelling works.
 */
export const codeParams = {
  type: 'object',
  properties: {
    code: {
      type: 'string',
      description: 'Object code, URL-encoded as one path segment: a GS1 Digital Link URI or a urn:trace code',
      examples: ['https://id.gs1.org/01/06931000080010/10/CW2611-19'],
    },
  },
  required: ['code'],
} as const;
