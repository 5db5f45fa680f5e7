/**
 * Object codes (docs/format.md, "Object codes"): GS1 Digital Link URIs for GTIN, SSCC and GLN, and
 * `urn:trace:<participant>:<local id>` for participants without GS1 numbers.
 *
 * References: the GS1 Digital Link URI Syntax 1.2 ABNF grammar (rule names such as `gtin-path` are
 * quoted below), and the GS1 General Specifications for the check digit (§7.9.1) and the AI
 * encodable character set 82 (§7.11, Figure 7.11-1).
 *
 * Every spelling we accept (any http(s) host, a custom path stem, a relative path, `/id/<code>`)
 * maps to one canonical string, because the canonical form is what the ledger signs and indexes:
 * two spellings of one object must never become two objects. Where the standard leaves room we
 * choose the stricter reading (numeric AIs only, no identity AIs in the query, no fragment, no
 * user info), since every tolerated variant is one more way to write the same code.
 *
 * Errors: a malformed code is a LedgerError TRACE_CODE_INVALID whose message says what is wrong.
 * Arguments of the wrong JS type are a TypeError; a bad `baseUrl` is a RangeError (it is ours, not
 * the user's). No I/O and no Node-only APIs: this module runs in the browser too.
 *
 * The parts live under codes/: gs1.ts (keys, qualifiers, check digit, character set 82, canonical
 * path), digital-link.ts (the URI grammar of paths and queries), urn.ts (urn:trace codes) and
 * shared.ts (the error and percent-encoding); this module tells the kinds of input apart, caches
 * parses, and builds Digital Link paths and URIs.
 */
import { EMPTY_ATTRIBUTES, encodeSegment, invalid, NOT_A_CODE, percentDecode, quote } from './codes/shared.js';
import { type Gs1Code, gs1Path, makeGs1 } from './codes/gs1.js';
import { checkStem, mergeAttributes, parseGs1Path, parseQuery } from './codes/digital-link.js';
import { parseUrn, type UrnCode } from './codes/urn.js';

export { gs1CheckDigit, type Gs1Code, type Gs1Key } from './codes/gs1.js';
export type { UrnCode } from './codes/urn.js';

export type ObjectCode = Gs1Code | UrnCode;

const MAX_CODE_LENGTH = 2048;
// RFC 3986 §3: scheme "://" authority path-abempty [ "?" query ] [ "#" fragment ]
const ABSOLUTE_URI = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(#.*)?$/s;
// RFC 3986 §3.2.2-3.2.3 host [":" port]: IP-literal, or reg-name without percent-encoding.
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=]+)(?::[0-9]{0,5})?$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function withAttributes(code: ObjectCode, attributes: Readonly<Record<string, string>>): ObjectCode {
  return attributes === code.attributes ? code : Object.freeze({ ...code, attributes });
}

/** Path (from its first "/"), query and fragment of an absolute or relative Digital Link URI. */
function parseHttpPath(path: string, query: string | undefined, fragment: string | undefined, nested: boolean): ObjectCode {
  if (fragment !== undefined) {
    throw invalid(`unexpected "#": a code has no fragment, and "#" is not in the GS1 character set 82`);
  }
  const segments = path === '' ? [] : path.slice(1).split('/');
  if (segments.at(-1) === '') segments.pop(); // one trailing slash is tolerated
  if (segments.includes('')) throw invalid(`empty path segment in ${quote(path)}`);
  const attributes = parseQuery(query);
  const n = segments.length;
  const encoded = segments[n - 1];
  if (n >= 2 && segments[n - 2] === 'id' && encoded !== undefined) {
    // `/id/<percent-encoded code>`: how a resolver serves codes that have no Digital Link path.
    if (nested) throw invalid('a code inside /id/ cannot itself be an /id/ path');
    checkStem(segments.slice(0, n - 2));
    const inner = parseAny(percentDecode(encoded, 'code after /id/'), true);
    return withAttributes(inner, mergeAttributes(inner.attributes, attributes));
  }
  return parseGs1Path(segments, attributes);
}

function parseAny(input: string, nested: boolean): ObjectCode {
  if (input.length === 0) throw invalid('empty code');
  if (input.length > MAX_CODE_LENGTH) throw invalid(`code is ${input.length} characters long, at most ${MAX_CODE_LENGTH} allowed`);
  if (/^\s|\s$/u.test(input)) throw invalid('leading or trailing whitespace');
  const control = CONTROL.exec(input);
  if (control) {
    const hex = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    throw invalid(`control character U+${hex} at position ${control.index}`);
  }
  if (/^urn:/i.test(input)) return parseUrn(input);
  const m = ABSOLUTE_URI.exec(input);
  if (m) {
    const [, scheme = '', authority = '', path = '', query, fragment] = m;
    if (!/^https?$/i.test(scheme)) throw invalid(`${NOT_A_CODE} (scheme ${quote(scheme)} is not http or https)`);
    if (authority.includes('@')) throw invalid(`host ${quote(authority)}: user info is not allowed in a code`);
    if (!AUTHORITY.test(authority)) throw invalid(`host ${quote(authority)} is not valid URL syntax`);
    return parseHttpPath(path, query, fragment, nested);
  }
  if (!nested && input.startsWith('/') && !input.startsWith('//')) {
    const m2 = /^([^?#]*)(?:\?([^#]*))?(#.*)?$/s.exec(input);
    if (m2) return parseHttpPath(m2[1] ?? '', m2[2], m2[3], false);
  }
  throw invalid(NOT_A_CODE);
}

/**
 * Parses any accepted spelling of an object code: an absolute GS1 Digital Link URI on any http(s)
 * host, optionally with a custom path stem before the primary key; a relative path such as
 * "/01/09506000134352/10/ABC"; `/id/<percent-encoded code>` (absolute or relative); or
 * `urn:trace:<participant>:<local>`. One trailing slash is tolerated.
 * @throws LedgerError TRACE_CODE_INVALID when `input` is not a valid code, with the reason.
 * @throws TypeError when `input` is not a string.
 */
export function parseCode(input: string): ObjectCode {
  if (typeof input !== 'string') throw new TypeError('code must be a string');
  let code = parsed.get(input);
  if (code === undefined) {
    code = parseAny(input, false);
    if (parsed.size >= PARSED_MAX) parsed.delete(parsed.keys().next().value!);
    parsed.set(input, code);
  }
  return code;
}

// An entry names each code several times (schema, uniqueness, rules) and hot codes recur across
// entries; parsed codes are frozen, so a bounded cache of them is safe to share.
const PARSED_MAX = 10_000;

const parsed = new Map<string, ObjectCode>();

/**
 * The canonical spelling of a code: what the ledger stores and compares.
 * @throws LedgerError TRACE_CODE_INVALID as parseCode.
 */
export function canonicalCode(input: string): string {
  return parseCode(input).canonical;
}

/**
 * Path usable on any resolver host: "/01/09506000134352/10/ABC" for GS1 codes,
 * "/id/urn%3Atrace%3A<participant>%3A<local>" for urn codes. Identity only, no query.
 * @throws TypeError when `code` is not an ObjectCode.
 */
export function digitalLinkPath(code: ObjectCode): string {
  if (code?.kind === 'gs1') return gs1Path(code);
  if (code?.kind === 'urn') return `/id/${encodeSegment(code.canonical)}`;
  throw new TypeError('code must be an ObjectCode');
}

/**
 * `baseUrl` (an http(s) URL, optionally with a path; trailing slashes are dropped) followed by
 * digitalLinkPath(code). The result always parses back to `code.canonical`.
 * @throws RangeError when `baseUrl` is not such a URL, or its path would make the result ambiguous
 * (e.g. a stem segment "01").
 * @throws TypeError when `code` is not an ObjectCode or `baseUrl` not a string.
 */
export function digitalLinkUri(code: ObjectCode, baseUrl: string): string {
  if (typeof baseUrl !== 'string') throw new TypeError('baseUrl must be a string');
  if (!/^https?:\/\/[^/?#@\s]+(?:\/[^?#\s]*)?$/i.test(baseUrl)) {
    throw new RangeError(`baseUrl ${quote(baseUrl)} must be an http(s) URL without query or fragment`);
  }
  const uri = baseUrl.replace(/\/+$/, '') + digitalLinkPath(code);
  let back: string | undefined;
  try {
    back = parseCode(uri).canonical;
  } catch {
    back = undefined;
  }
  if (back !== code.canonical) throw new RangeError(`baseUrl ${quote(baseUrl)} does not give a URI that parses back to the code`);
  return uri;
}

/**
 * The lot-level code of a serial-level GTIN code: the same GTIN, CPV and lot without the serial.
 * Attributes are dropped: they described the serial item, not the lot.
 * @returns undefined when the code has no serial or no lot.
 */
export function lotOf(code: Gs1Code): Gs1Code | undefined {
  if (code.key !== '01' || code.serial === undefined || code.lot === undefined) return undefined;
  return makeGs1({ key: '01', value: code.value, cpv: code.cpv, lot: code.lot }, EMPTY_ATTRIBUTES);
}
