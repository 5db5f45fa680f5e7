/**
 * Per-client request limits on the routes whose answer costs real work (an export, a report, an
 * image, an evidence bundle, a freshly signed checkpoint): without them one anonymous client
 * occupies the event loop for every other user (issue 16). Cheap routes (health, resolver JSON,
 * records, proofs) stay unlimited. Counting is @fastify/rate-limit's, in process memory and per
 * route: a client that exports at the limit can still fetch QR codes.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { LedgerError } from '../core/errors.js';
import { problems } from './openapi.js';

export interface RateLimits {
  /** Requests one client (remote address) may make to one limited route per window. */
  readonly max: number;
  readonly windowMs: number;
}

/** A label printer or a curious customer stays far below; a loop hammering exports does not. */
export const DEFAULT_RATE_LIMITS: RateLimits = Object.freeze({ max: 60, windowMs: 60_000 });

/** URL templates (as registered) of the limited routes. */
const LIMITED: readonly RegExp[] = [
  /^\/v1\/export$/,
  /^\/v1\/reports\//,
  /^\/v1\/objects\/:code\/(qr\.png|qr\.svg|evidence)$/,
  /^\/v1\/labels\.svg$/,
  /^\/v1\/checkpoint$/,
];

export const isRateLimited = (url: string): boolean => LIMITED.some((re) => re.test(url));

/** Only `?minSize=` makes GET /v1/checkpoint sign; the plain latest checkpoint is a cheap read that monitors poll. */
const cheapRequest = (request: FastifyRequest): boolean =>
  request.routeOptions.url === '/v1/checkpoint' && (request.query as { minSize?: unknown }).minSize === undefined;

/**
 * Registers the limiter on `app`. Call before any route is added: the limits attach to routes
 * as they are registered, and their OpenAPI schemas gain the 429 answer.
 * @throws RangeError when a limit is not a positive integer.
 */
export async function registerRateLimits(app: FastifyInstance, limits: RateLimits): Promise<void> {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`rate limit ${name} must be a positive integer, got ${value}`);
  }
  // Runs before the plugin's own onRoute hook (hooks run in the order added), which reads config.rateLimit.
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!isRateLimited(route.url) || route.method !== 'GET') return;
    route.config = { ...(route.config as object), rateLimit: { max: limits.max, timeWindow: limits.windowMs, allowList: cheapRequest } };
    const schema = route.schema as { response?: Record<number, unknown> } | undefined;
    if (schema?.response !== undefined) Object.assign(schema.response, problems(429));
  });
  await app.register(rateLimit, {
    global: false,
    // RFC 9110 §10.2.3 Retry-After is added by the plugin (seconds); the answer is our problem+json.
    errorResponseBuilder: (_request, context) =>
      new LedgerError('LEDGER_RATE_LIMITED', `more than ${context.max} requests to this route in ${limits.windowMs / 1000} s; retry in ${context.after}`),
  });
}
