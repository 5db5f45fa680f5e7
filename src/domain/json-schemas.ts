/**
 * JSON Schemas of what participants sign, generated from the zod schemas (the single source of
 * truth) for people and tools outside TypeScript. `npm run schemas` writes them to schemas/;
 * test/domain/json-schemas.test.ts fails when the checked-in files are stale.
 */
import { z } from 'zod';
import { Entry, Payload } from './schemas.js';

const BASE = 'https://trace-ledger.dev/schemas/v1';

export function jsonSchemas(): Record<string, object> {
  const gen = (schema: z.ZodType, name: string, title: string) => ({
    ...(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as object),
    $id: `${BASE}/${name}`,
    title,
  });
  return {
    'entry.schema.json': gen(Entry, 'entry.schema.json', 'trace-ledger entry: a signed payload'),
    'payload.schema.json': gen(Payload, 'payload.schema.json', 'trace-ledger payload (what the signature covers, as JCS)'),
  };
}
