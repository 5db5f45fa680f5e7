/**
 * The one request-body parser: application/json in UTF-8, as RFC 8259 §8.1 requires of JSON
 * exchanged between systems and RFC 8785 assumes of what is signed.
 */
import type { FastifyInstance } from 'fastify';
import { LedgerError } from '../core/errors.js';
import { parseJson } from '../core/jcs.js';

// fatal: invalid bytes are refused, never repaired to U+FFFD, so that the service never accepts
// (or signs a receipt for) text the client did not send. ignoreBOM keeps a leading BOM in the
// text, where JSON.parse refuses it (RFC 8259 §8.1: senders MUST NOT add one).
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The charset parameter of a Content-Type header, lower-cased and unquoted (RFC 9110 §8.3.1);
 * undefined when absent.
 */
export function charsetOf(contentType: string): string | undefined {
  for (const parameter of contentType.split(';').slice(1)) {
    const eq = parameter.indexOf('=');
    const name = (eq < 0 ? parameter : parameter.slice(0, eq)).trim().toLowerCase();
    if (name !== 'charset') continue;
    const value = eq < 0 ? '' : parameter.slice(eq + 1).trim();
    return (value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value).toLowerCase();
  }
  return undefined;
}

/**
 * Decode a request body as UTF-8 text.
 * @throws LedgerError LEDGER_JSON_INVALID on bytes that are not UTF-8
 */
export function decodeUtf8Body(body: Uint8Array): string {
  try {
    return utf8Decoder.decode(body);
  } catch (cause) {
    throw new LedgerError('LEDGER_JSON_INVALID', 'the body is not valid UTF-8 (RFC 8259 §8.1)', { cause });
  }
}

/** Replace Fastify's JSON parser: UTF-8 only, duplicate member names refused (see parseJson). */
export function registerJsonBody(app: FastifyInstance): void {
  app.removeContentTypeParser(['text/plain', 'application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      const charset = charsetOf(request.headers['content-type'] ?? '');
      if (charset !== undefined && charset !== 'utf-8') {
        throw new LedgerError('LEDGER_MEDIA_TYPE_UNSUPPORTED', `charset "${charset}" is not supported; send application/json in UTF-8`);
      }
      done(null, parseJson(decodeUtf8Body(body as Buffer)));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
}
