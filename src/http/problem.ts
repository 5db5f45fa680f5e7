/**
 * RFC 9457 problem details: the one place where errors become HTTP responses. Every LedgerError
 * keeps its stable code; Fastify's own errors (body too large, bad JSON, wrong content type,
 * query validation, unknown route) are mapped onto our codes so that clients only ever see codes
 * from docs/errors.md. A 500 is only ever our fault, and is logged.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, LedgerError, type LedgerErrorCode } from '../core/errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: LedgerErrorCode;
  instance: string;
  [extension: string]: unknown;
}

export function problemOf(code: LedgerErrorCode, detail: string, instance: string, details?: Record<string, unknown>): Problem {
  const { status, title } = ERROR_CODES[code];
  return { ...details, type: `/problems/${code}`, title, status, detail, code, instance };
}

function fromFastifyError(err: FastifyError): LedgerError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new LedgerError('LEDGER_BODY_TOO_LARGE', err.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new LedgerError('LEDGER_MEDIA_TYPE_UNSUPPORTED', `${err.message}; send application/json`);
    // The router's own answers (Fastify's frameworkErrors): an undecodable path, a too long parameter.
    case 'FST_ERR_BAD_URL':
      return new LedgerError('LEDGER_QUERY_INVALID', err.message);
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new LedgerError('LEDGER_URI_TOO_LONG', err.message);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new LedgerError('LEDGER_JSON_INVALID', err.message);
    default:
      break;
  }
  if (err.validation) return new LedgerError('LEDGER_QUERY_INVALID', `${err.validationContext ?? 'request'} ${err.message}`);
  // JSON.parse failures from the content-type parser arrive as SyntaxError with statusCode 400.
  if (err instanceof SyntaxError || (err.statusCode === 400 && /JSON/i.test(err.message))) {
    return new LedgerError('LEDGER_JSON_INVALID', err.message);
  }
  return undefined;
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

/** The one mapping of an error to its answer (the error handler and Fastify's frameworkErrors). */
export function sendError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const ledgerError = err instanceof LedgerError ? err : fromFastifyError(err);
  if (ledgerError !== undefined) {
    const problem = problemOf(ledgerError.code, ledgerError.message, request.url, ledgerError.details as Record<string, unknown> | undefined);
    if (problem.status >= 500 && ledgerError.code !== 'LEDGER_NOT_READY') request.log.error({ err }, 'server error');
    // RFC 9110 §10.2.3: a 503 or 429 may say when to come back.
    if (typeof problem['retryAfter'] === 'number') reply.header('retry-after', String(problem['retryAfter']));
    return sendProblem(reply, problem);
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return sendProblem(reply, problemOf('LEDGER_QUERY_INVALID', err.message, request.url));
  }
  request.log.error({ err }, 'unexpected error');
  return sendProblem(reply, problemOf('LEDGER_INTERNAL', 'internal error; the server log has the details', request.url));
}

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler(sendError);
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problemOf('LEDGER_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`, request.url)),
  );
  app.get('/problems/:code', { schema: { hide: true } as object }, async (request, reply) => {
    const { code } = request.params as { code: string };
    // Own properties only: "__proto__" or "toString" are not codes (Object.prototype's members).
    if (!Object.hasOwn(ERROR_CODES, code)) return sendProblem(reply, problemOf('LEDGER_NOT_FOUND', `no problem type ${code}`, request.url));
    return { code, ...ERROR_CODES[code as LedgerErrorCode], docs: 'docs/errors.md' };
  });
}
