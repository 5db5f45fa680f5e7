/**
 * `urn:trace:<participant>:<local id>` codes, for participants without GS1 numbers: the prefix in
 * any case, a participant id as the registry spells it, and a local id of URN-safe characters.
 */
import { EMPTY_ATTRIBUTES, invalid, quote } from './shared.js';

export interface UrnCode {
  readonly kind: 'urn';
  readonly participant: string;
  readonly local: string;
  readonly attributes: Readonly<Record<string, string>>;
  /** `urn:trace:<participant>:<local>` with the prefix in lowercase. */
  readonly canonical: string;
}

const PARTICIPANT = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;

const URN_LOCAL = /^[A-Za-z0-9._~-][A-Za-z0-9._~:-]{0,127}$/;

const URN_PREFIX = 'urn:trace:';

/**
 * Parses `urn:trace:<participant>:<local>`.
 * @throws LedgerError TRACE_CODE_INVALID naming the part that is wrong (or another URN namespace)
 */
export function parseUrn(input: string): UrnCode {
  if (input.slice(0, URN_PREFIX.length).toLowerCase() !== URN_PREFIX) {
    const nid = /^urn:([^:]*)/i.exec(input)?.[1] ?? '';
    throw invalid(`unsupported URN namespace ${quote(nid)}: expected urn:trace:<participant>:<id>`);
  }
  const rest = input.slice(URN_PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon < 0) throw invalid('urn:trace code needs a participant and a local id: urn:trace:<participant>:<id>');
  const participant = rest.slice(0, colon);
  const local = rest.slice(colon + 1);
  if (!PARTICIPANT.test(participant)) {
    throw invalid(`participant ${quote(participant)}: 1-64 characters from lowercase a-z, 0-9, ".", "_", "-", starting and ending with a letter or digit`);
  }
  if (!URN_LOCAL.test(local)) {
    throw invalid(`local id ${quote(local)}: 1-128 characters from A-Z, a-z, 0-9, ".", "_", "~", ":", "-", not starting with ":"`);
  }
  return Object.freeze({
    kind: 'urn',
    participant,
    local,
    attributes: EMPTY_ATTRIBUTES,
    canonical: `${URN_PREFIX}${participant}:${local}`,
  });
}
