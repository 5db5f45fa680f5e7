/**
 * The fields every signed payload is built from: participant and entry ids, RFC 3339 times, key
 * ids, public keys and signatures, roles, GLNs, and the `id`/`signer`/`time` every payload has.
 */
import { z } from 'zod';

/** Participant ids: lowercase, URL- and URN-safe, so they fit `urn:trace:<participant>:<id>`. */
export const ParticipantId = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/, 'participant id: 1-64 characters a-z 0-9 . _ -, alphanumeric at both ends');

/** Signer-chosen entry id (a UUID is typical): printable ASCII without spaces, at most 128. */
export const EntryId = z.string().regex(/^[\x21-\x7e]{1,128}$/, 'id: 1-128 printable ASCII characters without spaces');

// RFC 3339 date-time with an explicit offset (Z or ±hh:mm), optional fraction.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/;

/**
 * Milliseconds since the epoch of an RFC 3339 date-time, or undefined if it is not one (or names a
 * day that does not exist). The last answer is kept: the schema's check and the ledger's clock-skew
 * check ask about each entry's time one after the other.
 */
export function parseTimestamp(s: string): number | undefined {
  if (s === lastTimestamp.s) return lastTimestamp.t;
  const t = parseTimestampUncached(s);
  lastTimestamp = { s, t };
  return t;
}
let lastTimestamp: { s: string | undefined; t: number | undefined } = { s: undefined, t: undefined };

function parseTimestampUncached(s: string): number | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se] = m.map(Number) as number[];
  if (mo! < 1 || mo! > 12 || d! < 1 || d! > 31 || h! > 23 || mi! > 59 || se! > 59) return undefined;
  const t = Date.parse(s);
  if (Number.isNaN(t)) return undefined;
  // Date.parse rolls 2026-02-31 over into March; refuse dates that do not exist.
  const probe = new Date(Date.UTC(y!, mo! - 1, d!));
  if (probe.getUTCMonth() !== mo! - 1) return undefined;
  return t;
}

export const Timestamp = z
  .string()
  .refine((s) => parseTimestamp(s) !== undefined, 'time: RFC 3339 date-time with offset, e.g. 2026-11-28T09:30:00.000+08:00');

export const KeyId = z.string().regex(/^[0-9a-f]{16}$/, 'kid: 16 lowercase hex characters');
export const PublicKeyB64Url = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'publicKey: raw 32-byte Ed25519 key, base64url without padding');
export const SignatureB64Url = z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'sig: 64-byte Ed25519 signature, base64url without padding');

export const Role = z.enum(['operator', 'supplier', 'manufacturer', 'carrier', 'distributor', 'retailer', 'inspector']);
export type Role = z.infer<typeof Role>;

/** GS1 Global Location Number: 13 digits with a valid mod-10 check digit. */
export const Gln = z.string().regex(/^\d{13}$/, 'gln: 13 digits').refine(gs1CheckDigitValid, 'gln: wrong check digit');

export function gs1CheckDigitValid(digits: string): boolean {
  let sum = 0;
  for (let i = digits.length - 2, w = 3; i >= 0; i--, w = 4 - w) sum += Number(digits[i]) * w;
  return (10 - (sum % 10)) % 10 === Number(digits[digits.length - 1]);
}

export const base = {
  id: EntryId,
  signer: ParticipantId,
  time: Timestamp,
};
