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
import { exportRoutes } from './routes/export-routes.js';
import { reportRoutes } from './routes/report-routes.js';

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
  /** Test-only hooks (never set by the CLI): e.g. tampering with served evidence in browser tests. */
  readonly testHooks?: boolean;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 4 * 1024 * 1024,
    // Keep-alive connections from load balancers and phones: don't drop them early.
    keepAliveTimeout: 65_000,
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: false } },
    // Errors raised before a route runs are problem details too (src/http/client-error.ts).
    frameworkErrors: sendError,
    clientErrorHandler: answerClientError,
  });
  await registerSecurity(app);
  await registerOpenApi(app, { docsCsp: DOCS_CSP });
  // Entries are JSON in UTF-8 only; a text/plain body is a client mistake, answered with 415. JSON
  // with a duplicate member name is refused (RFC 8785 needs I-JSON): two parsers must never
  // disagree on what was signed.
  registerJsonBody(app);
  registerProblemHandlers(app);
  registerStrictIntegers(app);
  await app.register(ledgerRoutes, { ledger: options.ledger });
  await app.register(traceRoutes, { ledger: options.ledger });
  await app.register(exportRoutes, { ledger: options.ledger });
  await app.register(reportRoutes, { ledger: options.ledger });
  await app.register(resolverRoutes, { ledger: options.ledger, publicUrl: options.publicUrl ?? (() => 'http://localhost'), testHooks: options.testHooks ?? false });
  await app.register(qrRoutes, { ledger: options.ledger, publicUrl: options.publicUrl });
  await app.register(assetRoutes, { ledger: options.ledger, publicUrl: options.publicUrl, testHooks: options.testHooks });
  return app;
}
