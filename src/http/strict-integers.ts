/**
 * Integer path and query parameters are plain decimals. Ajv's coerceTypes turns any string that
 * JavaScript's Number() accepts into a number: "0x10" → 16, "0b11" → 3, "1e1" → 10, " " → 0. Such
 * spellings are not what a client meant by a seq or a count, and two spellings of one resource
 * defeat caches and rate limits keyed on the URL: they are refused before validation.
 */
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { LedgerError } from '../core/errors.js';

// An optional minus (after=-1), then 0 or digits without a leading zero.
const DECIMAL_INTEGER = /^(?:0|-?[1-9][0-9]*)$/;

/** Names of the properties an object schema declares as integers. */
function integerNames(schema: unknown): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const properties = (schema as { properties?: unknown }).properties;
  if (typeof properties !== 'object' || properties === null) return [];
  return Object.entries(properties).flatMap(([name, property]) =>
    typeof property === 'object' && property !== null && (property as { type?: unknown }).type === 'integer' ? [name] : [],
  );
}

/**
 * @throws LedgerError LEDGER_QUERY_INVALID when a named value is a string but not a decimal integer
 */
function requireDecimals(values: unknown, names: readonly string[], where: string): void {
  if (typeof values !== 'object' || values === null) return;
  for (const name of names) {
    if (!Object.hasOwn(values, name)) continue;
    const value = (values as Record<string, unknown>)[name];
    if (typeof value === 'string' && !DECIMAL_INTEGER.test(value)) {
      throw new LedgerError('LEDGER_QUERY_INVALID', `${where} ${name} must be a decimal integer, got ${JSON.stringify(value.slice(0, 40))}`);
    }
  }
}

/** Add the check to every route, registered afterwards, that has integer params or query members. */
export function registerStrictIntegers(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const params = integerNames(route.schema?.params);
    const query = integerNames(route.schema?.querystring);
    if (params.length === 0 && query.length === 0) return;
    const check = async (request: FastifyRequest): Promise<void> => {
      requireDecimals(request.params, params, 'params');
      requireDecimals(request.query, query, 'querystring');
    };
    const existing = route.preValidation;
    route.preValidation = existing === undefined ? [check] : [check, ...(Array.isArray(existing) ? existing : [existing])];
  });
}
