/**
 * Errors Node's HTTP parser raises before there is a request (headers too large, bad framing,
 * timeouts): Fastify answers them on the raw socket with its own JSON. This handler answers with
 * RFC 9457 problem details instead, so that every error a client sees carries a code from
 * docs/errors.md.
 */
import type { Duplex } from 'node:stream';
import type { LedgerErrorCode } from '../core/errors.js';
import { PROBLEM_CONTENT_TYPE, problemOf } from './problem.js';

const STATUS_TEXT: Readonly<Record<number, string>> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

function codeOf(err: NodeJS.ErrnoException): { code: LedgerErrorCode; detail: string } {
  switch (err.code) {
    // llhttp counts the request line and the headers against one limit (--max-http-header-size).
    case 'HPE_HEADER_OVERFLOW':
      return { code: 'LEDGER_HEADERS_TOO_LARGE', detail: 'the request line and headers exceed the size limit' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { code: 'LEDGER_REQUEST_TIMEOUT', detail: 'the request was not received in time' };
    default:
      return { code: 'LEDGER_REQUEST_MALFORMED', detail: 'the HTTP request cannot be parsed' };
  }
}

/** Fastify's `clientErrorHandler`: one problem+json answer, then the connection is closed. */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // A reset connection has no one left to answer (Node's 'clientError' documentation).
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { code, detail } = codeOf(err);
  // No request was parsed, so there is no URL to name as the instance.
  const { instance: _unknown, ...problem } = problemOf(code, detail, '');
  const body = JSON.stringify(problem);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_TEXT[problem.status] ?? 'Error'}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
