/**
 * The GS1 Digital Link URI Syntax 1.2 grammar of a path and query (rule names such as
 * `gtin-path` quoted below): the primary key found among the path segments, its qualifiers in the
 * only order allowed, the custom stem before it (RFC 3986 §3.3), and the data attributes of the
 * query string. Where the standard leaves room we choose the stricter reading (numeric AIs only,
 * no identity AIs in the query), since every tolerated variant is one more way to write a code.
 */
import { EMPTY_ATTRIBUTES, invalid, NOT_A_CODE, percentDecode, quote } from './shared.js';
import { checkKeyValue, checkQualifierValue, type Gs1Code, type Gs1Fields, isKey, isQualifier, KEY_NAMES, KEY_QUALIFIERS, keyLabel, makeGs1, NOT_CS82, type Qualifier, QUALIFIER_FIELDS, QUALIFIER_NAMES, qualifierLabel, takes } from './gs1.js';

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

/** The longest data field of any GS1 AI (e.g. AIs 91-99, X..90). */
const MAX_AI_VALUE_LENGTH = 90;

// RFC 3986 §3.3 segment: pchar = unreserved / pct-encoded / sub-delims / ":" / "@"
const URI_SEGMENT = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*$/;

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
      if (short !== undefined) throw invalid(`${quote(ai)} is a Digital Link short name: write the numeric AI ${short}`);
      if (/^[0-9]+$/.test(ai)) {
        throw invalid(`unknown key qualifier ${quote(ai)} after ${keyLabel(key)}` + takes(key));
      }
      throw invalid(`unexpected path segment ${quote(ai)} after ${keyLabel(key)}` + takes(key));
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

/**
 * Finds the primary key of a Digital Link path. Values can look like AIs (a lot called "01"), so
 * we pair segments from the right, as (AI, value), past key qualifiers until a primary key; what
 * precedes it is the custom stem, which must not hold another primary key.
 */
export function parseGs1Path(segments: readonly string[], attributes: Readonly<Record<string, string>>): Gs1Code {
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
    if (short !== undefined) throw invalid(`${quote(culprit)} is a Digital Link short name: write the numeric AI ${short}`);
    if (/^[0-9]+$/.test(culprit)) throw invalid(`unknown primary key ${quote(culprit)}: expected 01 (GTIN), 00 (SSCC) or 414 (GLN)`);
  }
  if (sawQualifier !== undefined) {
    throw invalid(`qualifier ${qualifierLabel(sawQualifier)} without a primary key: expected 01 (GTIN), 00 (SSCC) or 414 (GLN)`);
  }
  throw invalid(NOT_A_CODE);
}

/** The custom stem is not interpreted, but it must still be URI syntax (RFC 3986 §3.3). */
export function checkStem(segments: readonly string[]): void {
  for (const s of segments) {
    if (!URI_SEGMENT.test(s)) throw invalid(`path segment ${quote(s)} is not valid URI syntax`);
  }
}

/**
 * Data attributes from the query string. Delimiters are `&` and `;` (grammar rule
 * queryStringDelim). All-digit names are GS1 AIs and must carry a CS82 value; other names are
 * extension parameters, kept as decoded.
 */
export function parseQuery(query: string | undefined): Readonly<Record<string, string>> {
  if (query === undefined || query === '') return EMPTY_ATTRIBUTES;
  const raw = /[^\x21-\x7e]/u.exec(query);
  if (raw) throw invalid(`query: character ${quote(raw[0])} must be percent-encoded`);
  const entries = new Map<string, string>();
  for (const part of query.split(/[&;]/)) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = percentDecode(eq < 0 ? part : part.slice(0, eq), 'query parameter name');
    if (name === '') throw invalid(`query parameter ${quote(part)} has no name`);
    if (IGNORED_PARAMS.has(name)) continue;
    const value = percentDecode(eq < 0 ? '' : part.slice(eq + 1), `query parameter ${name}`);
    if (/^[0-9]+$/.test(name)) checkAttributeAi(name, value);
    if (entries.has(name)) throw invalid(`query parameter ${quote(name)} appears twice`);
    entries.set(name, value);
  }
  return Object.freeze(Object.fromEntries(entries));
}

function checkAttributeAi(ai: string, value: string): void {
  if (ai.length < 2 || ai.length > 4) throw invalid(`query parameter ${quote(ai)}: a GS1 Application Identifier has 2-4 digits`);
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
  if (bad) throw invalid(`query parameter ${ai} ${quote(value)}: character ${quote(bad[0])} is not in the GS1 character set 82`);
}

/**
 * The attributes of a code inside `/id/` with those of the outer query.
 * @throws LedgerError TRACE_CODE_INVALID when a parameter appears in both
 */
export function mergeAttributes(
  inner: Readonly<Record<string, string>>,
  outer: Readonly<Record<string, string>>,
): Readonly<Record<string, string>> {
  if (Object.keys(outer).length === 0) return inner;
  for (const k of Object.keys(outer)) {
    if (Object.hasOwn(inner, k)) throw invalid(`query parameter ${quote(k)} appears twice`);
  }
  return Object.freeze({ ...inner, ...outer });
}
