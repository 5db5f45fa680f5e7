/**
 * Zod schemas of everything a participant can sign. They are the single source of truth: the
 * ledger validates entries with them, `schemas/*.json` is generated from them (npm run schemas),
 * and the OpenAPI document embeds those JSON Schemas.
 *
 * Payload objects are strict: an unknown field is an error, not silently stored, because whatever
 * is signed is kept forever and read by others.
 */
import { z } from 'zod';
import { LedgerError } from '../core/errors.js';

/** Participant ids: lowercase, URL- and URN-safe, so they fit `urn:trace:<participant>:<id>`. */
export const ParticipantId = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/, 'participant id: 1-64 characters a-z 0-9 . _ -, alphanumeric at both ends');

/** Signer-chosen entry id (a UUID is typical): printable ASCII without spaces, at most 128. */
export const EntryId = z.string().regex(/^[\x21-\x7e]{1,128}$/, 'id: 1-128 printable ASCII characters without spaces');

// RFC 3339 date-time with an explicit offset (Z or ±hh:mm), optional fraction.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/;

export function parseTimestamp(s: string): number | undefined {
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

const base = {
  id: EntryId,
  signer: ParticipantId,
  time: Timestamp,
};

export const GenesisPayload = z.strictObject({
  type: z.literal('ledger.genesis'),
  ...base,
  /** C2SP checkpoint origin of this log. */
  origin: z.string().min(1).max(255).regex(/^[^\s+]+$/, 'origin: no spaces or "+"'),
  /** The ledger's C2SP verifier key string; genesis is signed by this key. */
  ledgerKey: z.string().min(1).max(512),
  ledgerPublicKey: PublicKeyB64Url,
  operator: z.strictObject({ id: ParticipantId, name: z.string().min(1).max(200), publicKey: PublicKeyB64Url }),
});

export const ParticipantRegisterPayload = z.strictObject({
  type: z.literal('participant.register'),
  ...base,
  participant: ParticipantId,
  name: z.string().min(1).max(200),
  roles: z.array(Role).min(1).max(7).refine((r) => new Set(r).size === r.length, 'roles: duplicates'),
  gln: Gln.optional(),
  publicKey: PublicKeyB64Url,
});

export const KeyAddPayload = z.strictObject({
  type: z.literal('participant.key.add'),
  ...base,
  participant: ParticipantId,
  publicKey: PublicKeyB64Url,
});

export const KeyRevokePayload = z.strictObject({
  type: z.literal('participant.key.revoke'),
  ...base,
  participant: ParticipantId,
  kid: KeyId,
  reason: z.string().max(500).optional(),
});

export const Payload = z.discriminatedUnion('type', [
  GenesisPayload,
  ParticipantRegisterPayload,
  KeyAddPayload,
  KeyRevokePayload,
]);
export type Payload = z.infer<typeof Payload>;

export const Entry = z.strictObject({
  payload: Payload,
  signature: z.strictObject({ kid: KeyId, sig: SignatureB64Url }),
});
export type Entry = z.infer<typeof Entry>;

/** The payload types this ledger accepts, for error messages and docs. */
export const PAYLOAD_TYPES = Payload.options.map((o) => o.shape.type.value);

function describeIssues(issues: readonly z.core.$ZodIssue[], prefix: string): string {
  return issues
    .slice(0, 5)
    .map((i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join('.')}: ${i.message}`)
    .join('; ');
}

/**
 * Validate one entry. Unknown payload types get their own message listing the accepted ones.
 * @throws LedgerError LEDGER_ENTRY_INVALID
 */
export function parseEntry(value: unknown, where = 'entry'): Entry {
  const r = Entry.safeParse(value);
  if (r.success) return r.data;
  const type = (value as { payload?: { type?: unknown } } | null)?.payload?.type;
  if (typeof type === 'string' && !(PAYLOAD_TYPES as string[]).includes(type)) {
    throw new LedgerError('LEDGER_ENTRY_INVALID', `${where}.payload.type: unknown type "${type}" (accepted: ${PAYLOAD_TYPES.join(', ')})`);
  }
  throw new LedgerError('LEDGER_ENTRY_INVALID', describeIssues(r.error.issues, where), {
    details: { issues: r.error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message })) },
  });
}
