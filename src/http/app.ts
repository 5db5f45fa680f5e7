/**
 * Fastify app factory. It never listens: the CLI's `serve` does, tests use app.inject().
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Ledger } from '../ledger.js';
import { registerJsonBody } from './json-body.js';
import { registerOpenApi } from './openapi.js';
import { registerProblemHandlers, sendError } from './problem.js';
import { answerClientError } from './client-error.js';
import { DOCS_CSP, registerSecurity } from './security.js';
import { registerStrictIntegers } from './strict-integers.js';
import { ledgerRoutes } from './routes/ledger-routes.js';
import { traceRoutes } from './routes/trace-routes.js';
import { resolverRoutes } from './resolver.js';
import { assetRoutes } from './routes/asset-routes.js';
import { qrRoutes } from './routes/qr-routes.js';
import type { QrPngCache } from './qr-cache.js';
import { exportRoutes } from './routes/export-routes.js';
import { reportRoutes } from './routes/report-routes.js';
import { DEFAULT_RATE_LIMITS, registerRateLimits, type RateLimits } from './rate-limits.js';
import { DEFAULT_SERVER_LIMITS, applyServerLimits, serverLimitOptions, type ServerLimits } from './server-limits.js';
import { metricsRoutes } from './metrics.js';

export interface AppOptions {
  readonly ledger: Ledger;
  /** Largest request body in bytes. Default 4 MiB (a full batch of 1,000 typical entries). */
  readonly bodyLimit?: number;
  readonly logger?: FastifyServerOptions['logger'];
  /**
   * Public base URL of this resolver (what QR codes encode and links point to), e.g.
   * https://trace.example.com. A function, because `serve` knows its address only after listening.
   * Default http://localhost.
   */
  readonly publicUrl?: () => string;
  /** Connection and request time limits (src/http/server-limits.ts); tests shorten them. */
  readonly serverLimits?: Partial<ServerLimits>;
  /** Per-client limits on the expensive routes (src/http/rate-limits.ts). */
  readonly rateLimits?: Partial<RateLimits>;
  /** Exports running at once and waiting (src/http/work-slots.ts); default 1 and 8. */
  readonly exportConcurrency?: { readonly max: number; readonly queue: number };
  /** Least time between two checkpoints signed for `GET /v1/checkpoint?minSize=`. Default 1 s. */
  readonly checkpointMinIntervalMs?: number;
  /** Cache of rendered QR PNGs; tests pass one to count renders. Default: a fresh bounded cache. */
  readonly qrPngCache?: QrPngCache;
  /** Test-only hooks (never set by the CLI): e.g. tampering with served evidence in browser tests. */
  readonly testHooks?: boolean;
  /** Records the background verifier has checked in its current pass, for `/metrics` (src/http/metrics.ts). */
  readonly verifierProgress?: () => number | undefined;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 4 * 1024 * 1024,
    ...serverLimitOptions({ ...DEFAULT_SERVER_LIMITS, ...options.serverLimits }),
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: false } },
    // Errors raised before a route runs are problem details too (src/http/client-error.ts).
    frameworkErrors: sendError,
    clientErrorHandler: answerClientError,
  });
  applyServerLimits(app, { ...DEFAULT_SERVER_LIMITS, ...options.serverLimits });
  await registerSecurity(app);
  await registerOpenApi(app, { docsCsp: DOCS_CSP });
  // Entries are JSON in UTF-8 only; a text/plain body is a client mistake, answered with 415. JSON
  // with a duplicate member name is refused (RFC 8785 needs I-JSON): two parsers must never
  // disagree on what was signed.
  registerJsonBody(app);
  registerProblemHandlers(app);
  registerStrictIntegers(app);
  await registerRateLimits(app, { ...DEFAULT_RATE_LIMITS, ...options.rateLimits });
  await app.register(ledgerRoutes, { ledger: options.ledger, checkpointMinIntervalMs: options.checkpointMinIntervalMs });
  await app.register(metricsRoutes, { ledger: options.ledger, verifierProgress: options.verifierProgress });
  await app.register(traceRoutes, { ledger: options.ledger });
  await app.register(exportRoutes, { ledger: options.ledger, ...(options.exportConcurrency ? { exportConcurrency: options.exportConcurrency } : {}) });
  await app.register(reportRoutes, { ledger: options.ledger });
  await app.register(resolverRoutes, { ledger: options.ledger, publicUrl: options.publicUrl ?? (() => 'http://localhost'), testHooks: options.testHooks ?? false });
  await app.register(qrRoutes, { ledger: options.ledger, publicUrl: options.publicUrl, pngCache: options.qrPngCache });
  await app.register(assetRoutes, { ledger: options.ledger, publicUrl: options.publicUrl, testHooks: options.testHooks });
  return app;
}
