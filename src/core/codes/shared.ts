/**
 * What the object-code parsers share: the TRACE_CODE_INVALID error they throw, quoting of the
 * offending text, the empty attribute set, and RFC 3986 percent-encoding (§2.1) of path values.
 */
import { LedgerError } from '../errors.js';

export const NOT_A_CODE = 'not a code: expected a GS1 Digital Link URI or urn:trace:<participant>:<id>';

export const EMPTY_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze({});

/** The error of a malformed code; `reason` says what is wrong. */
export function invalid(reason: string): LedgerError {
  return new LedgerError('TRACE_CODE_INVALID', reason);
}

/** `s` as a JSON string literal, so that odd characters show in a message. */
export const quote = (s: string): string => JSON.stringify(s);

/**
 * Percent-decodes per RFC 3986 §2.1; `+` stays a plus (it is a CS82 character, not a space).
 * @throws LedgerError TRACE_CODE_INVALID on a `%` not followed by two hex digits, or escapes that
 * are not UTF-8.
 */
export function percentDecode(raw: string, what: string): string {
  const bad = /%(?![0-9A-Fa-f]{2})/.exec(raw);
  if (bad) throw invalid(`${what} ${quote(raw)}: invalid percent-encoding ${quote(raw.slice(bad.index, bad.index + 3))}`);
  try {
    return decodeURIComponent(raw);
  } catch {
    throw invalid(`${what} ${quote(raw)}: percent-encoding is not valid UTF-8`);
  }
}

/**
 * Percent-encodes everything but RFC 3986 unreserved characters, as the Digital Link grammar asks
 * for the CS82 symbols (`/` → %2F, `!` → %21, ...). Uppercase hex (RFC 3986 §2.1).
 */
export function encodeSegment(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
