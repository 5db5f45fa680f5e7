/**
 * GS1 identification keys and their qualifiers as the ledger uses them: GTIN, SSCC and GLN with
 * the key qualifiers (CPV, lot, serial, GLN extension) each takes, the standard check digit
 * (GS1 General Specifications §7.9.1), the AI encodable character set 82 (§7.11, Figure 7.11-1),
 * and the canonical Digital Link path of a key (rule names of the GS1 Digital Link URI Syntax 1.2
 * ABNF grammar, such as `gtin-path`, are quoted below).
 */
import { encodeSegment, invalid, quote } from './shared.js';

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

const CANONICAL_HOST = 'https://id.gs1.org';

export type Qualifier = '22' | '10' | '21' | '254';

type QualifierField = 'cpv' | 'lot' | 'serial' | 'glnExtension';

export const KEY_NAMES: Readonly<Record<Gs1Key, string>> = { '01': 'GTIN', '00': 'SSCC', '414': 'GLN' };

export const QUALIFIER_NAMES: Readonly<Record<Qualifier, string>> = {
  '22': 'CPV',
  '10': 'lot',
  '21': 'serial',
  '254': 'GLN extension',
};

export const QUALIFIER_FIELDS: Readonly<Record<Qualifier, QualifierField>> = {
  '22': 'cpv',
  '10': 'lot',
  '21': 'serial',
  '254': 'glnExtension',
};

// Grammar rules gtin-path, sscc-path and gln-path: the qualifiers each key takes, in the only order
// allowed. (The grammar also knows 235 and 7040; the ledger has no use for them yet.)
export const KEY_QUALIFIERS: Readonly<Record<Gs1Key, readonly Qualifier[]>> = {
  '01': ['22', '10', '21'],
  '00': [],
  '414': ['254'],
};

/** GTIN-8, -12, -13 and -14 (grammar rule gtin-value); all are zero-padded to 14 digits. */
const GTIN_LENGTHS: readonly number[] = [8, 12, 13, 14];

const KEY_LENGTHS: Readonly<Record<Gs1Key, readonly number[]>> = { '01': GTIN_LENGTHS, '00': [18], '414': [13] };

/** Grammar: cpv-value, lot-value, ser-value, glnx-value are all 1*20XCHAR. */
const MAX_QUALIFIER_LENGTH = 20;

/** GS1 AI encodable character set 82 (GenSpecs Figure 7.11-1): 0x21-0x22, 0x25-0x3F, A-Z, _, a-z. */
export const NOT_CS82 = /[^!"%-?A-Z_a-z]/u;

/** A primary key AI this ledger accepts. */
export function isKey(ai: string | undefined): ai is Gs1Key {
  return ai === '01' || ai === '00' || ai === '414';
}

/** A key qualifier AI this ledger accepts. */
export function isQualifier(ai: string | undefined): ai is Qualifier {
  return ai === '22' || ai === '10' || ai === '21' || ai === '254';
}

/** "01 (GTIN)", for messages. */
export function keyLabel(key: Gs1Key): string {
  return `${key} (${KEY_NAMES[key]})`;
}

/** "10 (lot)", for messages. */
export function qualifierLabel(qualifier: Qualifier): string {
  return `${qualifier} (${QUALIFIER_NAMES[qualifier]})`;
}

/** The end of a message naming the qualifiers `key` takes. */
export function takes(key: Gs1Key): string {
  const allowed = KEY_QUALIFIERS[key];
  return allowed.length === 0 ? `; ${key} takes no qualifiers` : `; ${key} takes ${allowed.join(', ')} in that order`;
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
export function checkKeyValue(key: Gs1Key, value: string): string {
  const name = KEY_NAMES[key];
  if (!/^[0-9]*$/.test(value)) throw invalid(`${name} ${quote(value)}: digits only`);
  const lengths = KEY_LENGTHS[key];
  if (!lengths.includes(value.length)) {
    const expected = lengths.length === 1 ? `${lengths[0]}` : `${lengths.slice(0, -1).join(', ')} or ${lengths.at(-1)}`;
    throw invalid(`${name} ${quote(value)}: ${expected} digits, got ${value.length}`);
  }
  const expected = gs1CheckDigit(value.slice(0, -1));
  if (value.charCodeAt(value.length - 1) - 48 !== expected) {
    throw invalid(`${name} ${value}: wrong check digit (expected ${expected})`);
  }
  return key === '01' ? value.padStart(14, '0') : value;
}

/**
 * Validates a qualifier value (grammar: 1*20XCHAR of character set 82).
 * @throws LedgerError TRACE_CODE_INVALID
 */
export function checkQualifierValue(qualifier: Qualifier, value: string): void {
  const name = QUALIFIER_NAMES[qualifier];
  const length = [...value].length;
  if (length < 1 || length > MAX_QUALIFIER_LENGTH) {
    throw invalid(`${name}: 1-${MAX_QUALIFIER_LENGTH} characters, got ${length}`);
  }
  const bad = NOT_CS82.exec(value);
  if (bad) throw invalid(`${name} ${quote(value)}: character ${quote(bad[0])} is not in the GS1 character set 82`);
  // WHATWG URL (and RFC 3986 §5.2.4) removes "." and ".." segments, %2E spellings included, so no
  // URI can carry them as a path value: a resolver would never see them.
  if (value === '.' || value === '..') {
    throw invalid(`${name} ${quote(value)}: "." and ".." cannot be a URI path segment`);
  }
}

export interface Gs1Fields {
  readonly key: Gs1Key;
  readonly value: string;
  readonly cpv?: string | undefined;
  readonly lot?: string | undefined;
  readonly serial?: string | undefined;
  readonly glnExtension?: string | undefined;
}

/** The Digital Link path of a key and its qualifiers, in grammar order, values percent-encoded. */
export function gs1Path(code: Gs1Fields): string {
  let path = `/${code.key}/${code.value}`;
  for (const qualifier of KEY_QUALIFIERS[code.key]) {
    const v = code[QUALIFIER_FIELDS[qualifier]];
    if (v !== undefined) path += `/${qualifier}/${encodeSegment(v)}`;
  }
  return path;
}

/** Assembles a frozen Gs1Code from already validated fields. */
export function makeGs1(fields: Gs1Fields, attributes: Readonly<Record<string, string>>): Gs1Code {
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
