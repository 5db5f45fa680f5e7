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
 */
import { LedgerError } from './errors.js';

export type Gs1Key = '01' | '00' | '414';

export interface Gs1Code {
  readonly kind: 'gs1';
  readonly key: Gs1Key;
  /** GTIN-14 (zero-padded from GTIN-8/12/13), SSCC-18 or GLN-13 */
  readonly value: string;
  /** AI 22, only after 01 */
  readonly cpv?: string;
  /** AI 10, only after 01 */
  readonly lot?: string;
  /** AI 21, only after 01 */
  readonly serial?: string;
  /** AI 254, only after 414 */
  readonly glnExtension?: string;
  /**
   * Data attributes from the query string (GS1 AIs such as 17, 3103 and non-AI params), not part
   * of identity. `linkType`, `context` and `lang` are resolver instructions and are left out.
   */
  readonly attributes: Readonly<Record<string, string>>;
  /**
   * Canonical form: https://id.gs1.org/01/<gtin14>[/22/..][/10/..][/21/..] (identity only, no
   * query; path values percent-encoded, only RFC 3986 unreserved characters left raw).
   */
  readonly canonical: string;
}

export interface UrnCode {
  readonly kind: 'urn';
  readonly participant: string;
  readonly local: string;
  readonly attributes: Readonly<Record<string, string>>;
  /** `urn:trace:<participant>:<local>` with the prefix in lowercase. */
  readonly canonical: string;
}

export type ObjectCode = Gs1Code | UrnCode;

const MAX_CODE_LENGTH = 2048;
const CANONICAL_HOST = 'https://id.gs1.org';
const NOT_A_CODE = 'not a code: expected a GS1 Digital Link URI or urn:trace:<participant>:<id>';

type Qualifier = '22' | '10' | '21' | '254';
type QualifierField = 'cpv' | 'lot' | 'serial' | 'glnExtension';

const KEY_NAMES: Readonly<Record<Gs1Key, string>> = { '01': 'GTIN', '00': 'SSCC', '414': 'GLN' };
const QUALIFIER_NAMES: Readonly<Record<Qualifier, string>> = {
  '22': 'CPV',
  '10': 'lot',
  '21': 'serial',
  '254': 'GLN extension',
};
const QUALIFIER_FIELDS: Readonly<Record<Qualifier, QualifierField>> = {
  '22': 'cpv',
  '10': 'lot',
  '21': 'serial',
  '254': 'glnExtension',
};
// Grammar rules gtin-path, sscc-path and gln-path: the qualifiers each key takes, in the only order
// allowed. (The grammar also knows 235 and 7040; the ledger has no use for them yet.)
const KEY_QUALIFIERS: Readonly<Record<Gs1Key, readonly Qualifier[]>> = {
  '01': ['22', '10', '21'],
  '00': [],
  '414': ['254'],
};
/** GTIN-8, -12, -13 and -14 (grammar rule gtin-value); all are zero-padded to 14 digits. */
const GTIN_LENGTHS: readonly number[] = [8, 12, 13, 14];
const KEY_LENGTHS: Readonly<Record<Gs1Key, readonly number[]>> = { '01': GTIN_LENGTHS, '00': [18], '414': [13] };
/** Digital Link 1.x short names (`/gtin/...`); we accept numeric AIs only, but say so clearly. */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  gtin: '01',
  sscc: '00',
  gln: '414',
  cpv: '22',
  lot: '10',
  ser: '21',
  glnx: '254',
};
/**
 * Resolver instructions (GS1 Digital Link linkType, context, lang), not facts about the object.
 */
const IGNORED_PARAMS: ReadonlySet<string> = new Set(['linkType', 'context', 'lang']);
/** Grammar: cpv-value, lot-value, ser-value, glnx-value are all 1*20XCHAR. */
const MAX_QUALIFIER_LENGTH = 20;
/** The longest data field of any GS1 AI (e.g. AIs 91-99, X..90). */
const MAX_AI_VALUE_LENGTH = 90;

/** GS1 AI encodable character set 82 (GenSpecs Figure 7.11-1): 0x21-0x22, 0x25-0x3F, A-Z, _, a-z. */
const NOT_CS82 = /[^!"%-?A-Z_a-z]/u;
const PARTICIPANT = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;
const URN_LOCAL = /^[A-Za-z0-9._~-][A-Za-z0-9._~:-]{0,127}$/;
const URN_PREFIX = 'urn:trace:';
// RFC 3986 §3: scheme "://" authority path-abempty [ "?" query ] [ "#" fragment ]
const ABSOLUTE_URI = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(#.*)?$/s;
// RFC 3986 §3.2.2-3.2.3 host [":" port]: IP-literal, or reg-name without percent-encoding.
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=]+)(?::[0-9]{0,5})?$/;
// RFC 3986 §3.3 segment: pchar = unreserved / pct-encoded / sub-delims / ":" / "@"
const URI_SEGMENT = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const EMPTY_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze({});

function invalid(reason: string): LedgerError {
  return new LedgerError('TRACE_CODE_INVALID', reason);
}

const q = (s: string): string => JSON.stringify(s);

function isKey(ai: string | undefined): ai is Gs1Key {
  return ai === '01' || ai === '00' || ai === '414';
}

function isQualifier(ai: string | undefined): ai is Qualifier {
  return ai === '22' || ai === '10' || ai === '21' || ai === '254';
}

function keyLabel(key: Gs1Key): string {
  return `${key} (${KEY_NAMES[key]})`;
}

function qualifierLabel(qualifier: Qualifier): string {
  return `${qualifier} (${QUALIFIER_NAMES[qualifier]})`;
}

/**
 * Percent-decodes per RFC 3986 §2.1; `+` stays a plus (it is a CS82 character, not a space).
 * @throws LedgerError TRACE_CODE_INVALID on a `%` not followed by two hex digits, or escapes that
 * are not UTF-8.
 */
function percentDecode(raw: string, what: string): string {
  const bad = /%(?![0-9A-Fa-f]{2})/.exec(raw);
  if (bad) throw invalid(`${what} ${q(raw)}: invalid percent-encoding ${q(raw.slice(bad.index, bad.index + 3))}`);
  try {
    return decodeURIComponent(raw);
  } catch {
    throw invalid(`${what} ${q(raw)}: percent-encoding is not valid UTF-8`);
  }
}

/** Decodes a segment in an AI position, or undefined when it cannot be an AI at all. */
function decodeAi(raw: string | undefined): string | undefined {
  if (raw === undefined || /%(?![0-9A-Fa-f]{2})/.test(raw)) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/**
 * Percent-encodes everything but RFC 3986 unreserved characters, as the Digital Link grammar asks
 * for the CS82 symbols (`/` → %2F, `!` → %21, ...). Uppercase hex (RFC 3986 §2.1).
 */
function encodeSegment(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The standard GS1 check digit (GenSpecs §7.9.1): weights 3, 1, 3, ... from the rightmost digit of
 * the body, check digit = (10 - sum mod 10) mod 10. Serves GTIN, SSCC and GLN alike.
 */
export function gs1CheckDigit(digitsWithoutCheck: string): number {
  if (typeof digitsWithoutCheck !== 'string') throw new TypeError('digitsWithoutCheck must be a string');
  if (!/^[0-9]{1,17}$/.test(digitsWithoutCheck)) {
    throw new RangeError('digitsWithoutCheck must be 1-17 decimal digits');
  }
  let sum = 0;
  for (let i = digitsWithoutCheck.length - 1, weight = 3; i >= 0; i--, weight = 4 - weight) {
    sum += (digitsWithoutCheck.charCodeAt(i) - 48) * weight;
  }
  return (10 - (sum % 10)) % 10;
}

/** Validates a primary key value and returns it normalised (GTIN padded to 14 digits). */
function checkKeyValue(key: Gs1Key, value: string): string {
  const name = KEY_NAMES[key];
  if (!/^[0-9]*$/.test(value)) throw invalid(`${name} ${q(value)}: digits only`);
  const lengths = KEY_LENGTHS[key];
  if (!lengths.includes(value.length)) {
    const expected = lengths.length === 1 ? `${lengths[0]}` : `${lengths.slice(0, -1).join(', ')} or ${lengths.at(-1)}`;
    throw invalid(`${name} ${q(value)}: ${expected} digits, got ${value.length}`);
  }
  const expected = gs1CheckDigit(value.slice(0, -1));
  if (value.charCodeAt(value.length - 1) - 48 !== expected) {
    throw invalid(`${name} ${value}: wrong check digit (expected ${expected})`);
  }
  return key === '01' ? value.padStart(14, '0') : value;
}

function checkQualifierValue(qualifier: Qualifier, value: string): void {
  const name = QUALIFIER_NAMES[qualifier];
  const length = [...value].length;
  if (length < 1 || length > MAX_QUALIFIER_LENGTH) {
    throw invalid(`${name}: 1-${MAX_QUALIFIER_LENGTH} characters, got ${length}`);
  }
  const bad = NOT_CS82.exec(value);
  if (bad) throw invalid(`${name} ${q(value)}: character ${q(bad[0])} is not in the GS1 character set 82`);
  // WHATWG URL (and RFC 3986 §5.2.4) removes "." and ".." segments, %2E spellings included, so no
  // URI can carry them as a path value: a resolver would never see them.
  if (value === '.' || value === '..') {
    throw invalid(`${name} ${q(value)}: "." and ".." cannot be a URI path segment`);
  }
}

interface Gs1Fields {
  readonly key: Gs1Key;
  readonly value: string;
  readonly cpv?: string | undefined;
  readonly lot?: string | undefined;
  readonly serial?: string | undefined;
  readonly glnExtension?: string | undefined;
}

function gs1Path(code: Gs1Fields): string {
  let path = `/${code.key}/${code.value}`;
  for (const qualifier of KEY_QUALIFIERS[code.key]) {
    const v = code[QUALIFIER_FIELDS[qualifier]];
    if (v !== undefined) path += `/${qualifier}/${encodeSegment(v)}`;
  }
  return path;
}

/** Assembles a frozen Gs1Code from already validated fields. */
function makeGs1(fields: Gs1Fields, attributes: Readonly<Record<string, string>>): Gs1Code {
  const code: { -readonly [K in keyof Gs1Code]: Gs1Code[K] } = {
    kind: 'gs1',
    key: fields.key,
    value: fields.value,
    attributes,
    canonical: CANONICAL_HOST + gs1Path(fields),
  };
  if (fields.cpv !== undefined) code.cpv = fields.cpv;
  if (fields.lot !== undefined) code.lot = fields.lot;
  if (fields.serial !== undefined) code.serial = fields.serial;
  if (fields.glnExtension !== undefined) code.glnExtension = fields.glnExtension;
  return Object.freeze(code);
}

/**
 * Parses the path segments from a primary key onwards, strictly left to right, so that the error
 * names the first thing that is wrong.
 */
function parseGs1Segments(segments: readonly string[], attributes: Readonly<Record<string, string>>): Gs1Code {
  const key = decodeAi(segments[0]);
  if (!isKey(key)) throw invalid(NOT_A_CODE);
  const rawValue = segments[1];
  if (rawValue === undefined) throw invalid(`primary key ${keyLabel(key)} has no value`);
  const fields: { -readonly [K in keyof Gs1Fields]: Gs1Fields[K] } = {
    key,
    value: checkKeyValue(key, percentDecode(rawValue, KEY_NAMES[key])),
  };
  const allowed = KEY_QUALIFIERS[key];
  let lastIndex = -1;
  for (let i = 2; i < segments.length; i += 2) {
    const ai = decodeAi(segments[i]) ?? segments[i] ?? '';
    if (!isQualifier(ai)) {
      if (isKey(ai)) throw invalid(`two primary keys: ${keyLabel(key)} and ${keyLabel(ai)}`);
      const short = SHORT_NAMES[ai];
      if (short !== undefined) throw invalid(`${q(ai)} is a Digital Link short name: write the numeric AI ${short}`);
      if (/^[0-9]+$/.test(ai)) {
        throw invalid(`unknown key qualifier ${q(ai)} after ${keyLabel(key)}` + takes(key));
      }
      throw invalid(`unexpected path segment ${q(ai)} after ${keyLabel(key)}` + takes(key));
    }
    if (!allowed.includes(ai)) throw invalid(`qualifier ${qualifierLabel(ai)} is not allowed after ${keyLabel(key)}` + takes(key));
    const field = QUALIFIER_FIELDS[ai];
    if (fields[field] !== undefined) throw invalid(`qualifier ${qualifierLabel(ai)} appears twice`);
    const index = allowed.indexOf(ai);
    const previous = allowed[lastIndex];
    if (index < lastIndex && previous !== undefined) {
      throw invalid(`qualifier ${qualifierLabel(ai)} must come before ${qualifierLabel(previous)}`);
    }
    lastIndex = index;
    const rawQualifierValue = segments[i + 1];
    if (rawQualifierValue === undefined) throw invalid(`qualifier ${qualifierLabel(ai)} has no value`);
    const value = percentDecode(rawQualifierValue, QUALIFIER_NAMES[ai]);
    checkQualifierValue(ai, value);
    fields[field] = value;
  }
  return makeGs1(fields, attributes);
}

function takes(key: Gs1Key): string {
  const allowed = KEY_QUALIFIERS[key];
  return allowed.length === 0 ? `; ${key} takes no qualifiers` : `; ${key} takes ${allowed.join(', ')} in that order`;
}

/**
 * Finds the primary key of a Digital Link path. Values can look like AIs (a lot called "01"), so
 * we pair segments from the right, as (AI, value), past key qualifiers until a primary key; what
 * precedes it is the custom stem, which must not hold another primary key.
 */
function parseGs1Path(segments: readonly string[], attributes: Readonly<Record<string, string>>): Gs1Code {
  const n = segments.length;
  let j = n - 2;
  let sawQualifier: Qualifier | undefined;
  for (; j >= 0; j -= 2) {
    const ai = decodeAi(segments[j]);
    if (isKey(ai)) {
      const other = segments.slice(0, j).map(decodeAi).find(isKey);
      if (other !== undefined) throw invalid(`two primary keys: ${keyLabel(other)} and ${keyLabel(ai)}`);
      checkStem(segments.slice(0, j));
      return parseGs1Segments(segments.slice(j), attributes);
    }
    if (!isQualifier(ai)) break;
    sawQualifier = ai;
  }
  // No well-formed path: explain what is wrong. A primary key somewhere means a problem after it,
  // which the strict left-to-right parse names.
  const first = segments.findIndex((s) => isKey(decodeAi(s)));
  if (first >= 0) parseGs1Segments(segments.slice(first), attributes);
  const culprit = j >= 0 ? decodeAi(segments[j]) : undefined;
  if (culprit !== undefined) {
    const short = SHORT_NAMES[culprit];
    if (short !== undefined) throw invalid(`${q(culprit)} is a Digital Link short name: write the numeric AI ${short}`);
    if (/^[0-9]+$/.test(culprit)) throw invalid(`unknown primary key ${q(culprit)}: expected 01 (GTIN), 00 (SSCC) or 414 (GLN)`);
  }
  if (sawQualifier !== undefined) {
    throw invalid(`qualifier ${qualifierLabel(sawQualifier)} without a primary key: expected 01 (GTIN), 00 (SSCC) or 414 (GLN)`);
  }
  throw invalid(NOT_A_CODE);
}

/** The custom stem is not interpreted, but it must still be URI syntax (RFC 3986 §3.3). */
function checkStem(segments: readonly string[]): void {
  for (const s of segments) {
    if (!URI_SEGMENT.test(s)) throw invalid(`path segment ${q(s)} is not valid URI syntax`);
  }
}

/**
 * Data attributes from the query string. Delimiters are `&` and `;` (grammar rule
 * queryStringDelim). All-digit names are GS1 AIs and must carry a CS82 value; other names are
 * extension parameters, kept as decoded.
 */
function parseQuery(query: string | undefined): Readonly<Record<string, string>> {
  if (query === undefined || query === '') return EMPTY_ATTRIBUTES;
  const raw = /[^\x21-\x7e]/u.exec(query);
  if (raw) throw invalid(`query: character ${q(raw[0])} must be percent-encoded`);
  const entries = new Map<string, string>();
  for (const part of query.split(/[&;]/)) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = percentDecode(eq < 0 ? part : part.slice(0, eq), 'query parameter name');
    if (name === '') throw invalid(`query parameter ${q(part)} has no name`);
    if (IGNORED_PARAMS.has(name)) continue;
    const value = percentDecode(eq < 0 ? '' : part.slice(eq + 1), `query parameter ${name}`);
    if (/^[0-9]+$/.test(name)) checkAttributeAi(name, value);
    if (entries.has(name)) throw invalid(`query parameter ${q(name)} appears twice`);
    entries.set(name, value);
  }
  return Object.freeze(Object.fromEntries(entries));
}

function checkAttributeAi(ai: string, value: string): void {
  if (ai.length < 2 || ai.length > 4) throw invalid(`query parameter ${q(ai)}: a GS1 Application Identifier has 2-4 digits`);
  // The grammar would admit 10=, 01=, ... in the query, but for the ledger they would silently make
  // a less specific identity than the writer meant (a GTIN instead of its lot): refuse.
  if (isKey(ai) || isQualifier(ai)) {
    const label = isKey(ai) ? keyLabel(ai) : qualifierLabel(ai);
    throw invalid(`query parameter ${label} is part of the identity: put it in the path`);
  }
  const length = [...value].length;
  if (length < 1 || length > MAX_AI_VALUE_LENGTH) {
    throw invalid(`query parameter ${ai}: 1-${MAX_AI_VALUE_LENGTH} characters, got ${length}`);
  }
  const bad = NOT_CS82.exec(value);
  if (bad) throw invalid(`query parameter ${ai} ${q(value)}: character ${q(bad[0])} is not in the GS1 character set 82`);
}

function mergeAttributes(
  inner: Readonly<Record<string, string>>,
  outer: Readonly<Record<string, string>>,
): Readonly<Record<string, string>> {
  if (Object.keys(outer).length === 0) return inner;
  for (const k of Object.keys(outer)) {
    if (Object.hasOwn(inner, k)) throw invalid(`query parameter ${q(k)} appears twice`);
  }
  return Object.freeze({ ...inner, ...outer });
}

function withAttributes(code: ObjectCode, attributes: Readonly<Record<string, string>>): ObjectCode {
  return attributes === code.attributes ? code : Object.freeze({ ...code, attributes });
}

function parseUrn(input: string): UrnCode {
  if (input.slice(0, URN_PREFIX.length).toLowerCase() !== URN_PREFIX) {
    const nid = /^urn:([^:]*)/i.exec(input)?.[1] ?? '';
    throw invalid(`unsupported URN namespace ${q(nid)}: expected urn:trace:<participant>:<id>`);
  }
  const rest = input.slice(URN_PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon < 0) throw invalid('urn:trace code needs a participant and a local id: urn:trace:<participant>:<id>');
  const participant = rest.slice(0, colon);
  const local = rest.slice(colon + 1);
  if (!PARTICIPANT.test(participant)) {
    throw invalid(`participant ${q(participant)}: 1-64 characters from lowercase a-z, 0-9, ".", "_", "-", starting and ending with a letter or digit`);
  }
  if (!URN_LOCAL.test(local)) {
    throw invalid(`local id ${q(local)}: 1-128 characters from A-Z, a-z, 0-9, ".", "_", "~", ":", "-", not starting with ":"`);
  }
  return Object.freeze({
    kind: 'urn',
    participant,
    local,
    attributes: EMPTY_ATTRIBUTES,
    canonical: `${URN_PREFIX}${participant}:${local}`,
  });
}

/** Path (from its first "/"), query and fragment of an absolute or relative Digital Link URI. */
function parseHttpPath(path: string, query: string | undefined, fragment: string | undefined, nested: boolean): ObjectCode {
  if (fragment !== undefined) {
    throw invalid(`unexpected "#": a code has no fragment, and "#" is not in the GS1 character set 82`);
  }
  const segments = path === '' ? [] : path.slice(1).split('/');
  if (segments.at(-1) === '') segments.pop(); // one trailing slash is tolerated
  if (segments.includes('')) throw invalid(`empty path segment in ${q(path)}`);
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
    if (!/^https?$/i.test(scheme)) throw invalid(`${NOT_A_CODE} (scheme ${q(scheme)} is not http or https)`);
    if (authority.includes('@')) throw invalid(`host ${q(authority)}: user info is not allowed in a code`);
    if (!AUTHORITY.test(authority)) throw invalid(`host ${q(authority)} is not valid URL syntax`);
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
    throw new RangeError(`baseUrl ${q(baseUrl)} must be an http(s) URL without query or fragment`);
  }
  const uri = baseUrl.replace(/\/+$/, '') + digitalLinkPath(code);
  let back: string | undefined;
  try {
    back = parseCode(uri).canonical;
  } catch {
    back = undefined;
  }
  if (back !== code.canonical) throw new RangeError(`baseUrl ${q(baseUrl)} does not give a URI that parses back to the code`);
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
