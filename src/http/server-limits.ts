/**
 * Connection and request time limits: without them one anonymous client holds a socket open for
 * as long as it dribbles a byte now and then (slowloris), and a thousand such clients exhaust the
 * process's file descriptors (issue 16). Node enforces `headersTimeout` and `requestTimeout` from
 * a periodic sweep (`connectionsCheckingInterval`), so a connection is cut at most one interval
 * after its deadline.
 */
import type { ServerOptions } from 'node:http';
import type { FastifyInstance } from 'fastify';

export interface ServerLimits {
  /** Time for a client to send the request line and headers (node `server.headersTimeout`). */
  readonly headersTimeoutMs: number;
  /** Time for a client to send the whole request, headers and body (node `server.requestTimeout`). */
  readonly requestTimeoutMs: number;
  /** Socket inactivity before the connection is closed, also while a response is written to a client that stops reading. */
  readonly idleTimeoutMs: number;
  /** Idle time between two requests on a kept-alive connection. */
  readonly keepAliveTimeoutMs: number;
  /** Open connections beyond this are closed on accept, well below the usual 1,024 file descriptors. */
  readonly maxConnections: number;
  /** How often node sweeps connections for the header and request deadlines. */
  readonly checkIntervalMs: number;
}

/**
 * Phones on a mobile network are slow but not that slow: 10 s for headers, 30 s for a request (a
 * 4 MiB batch at 140 KB/s). Keep-alive stays at 65 s, above the 60 s idle timeout of common load
 * balancers, so they never reuse a connection we are closing.
 */
export const DEFAULT_SERVER_LIMITS: ServerLimits = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 70_000,
  keepAliveTimeoutMs: 65_000,
  maxConnections: 800,
  checkIntervalMs: 1_000,
});

/**
 * The Fastify options that carry `limits` to the node server.
 * @throws RangeError when a time is not a positive integer or the headers may take longer than the request.
 */
export function serverLimitOptions(limits: ServerLimits): {
  requestTimeout: number;
  connectionTimeout: number;
  keepAliveTimeout: number;
  http: ServerOptions;
} {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`server limit ${name} must be a positive integer, got ${value}`);
  }
  // Node refuses a headers timeout above the request timeout (the request includes its headers).
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new RangeError(`headersTimeoutMs ${limits.headersTimeoutMs} exceeds requestTimeoutMs ${limits.requestTimeoutMs}`);
  }
  return {
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: { headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.requestTimeoutMs, connectionsCheckingInterval: limits.checkIntervalMs },
  };
}

/** What Fastify's options cannot set: the connection cap. */
export function applyServerLimits(app: FastifyInstance, limits: ServerLimits): void {
  app.server.maxConnections = limits.maxConnections;
}
