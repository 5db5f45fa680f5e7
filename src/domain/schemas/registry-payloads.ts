/**
 * Payloads of the participant registry (src/domain/registry.ts): the genesis of the ledger,
 * participants and their keys, GS1 Company Prefixes and their delegation.
 */
import { z } from 'zod';
import { base, Gln, KeyId, ParticipantId, PublicKeyB64Url, Role, Timestamp } from './fields.js';

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

/** A GS1 Company Prefix: 4 to 12 digits (GS1 General Specifications §1.4.3). */
export const CompanyPrefix = z.string().regex(/^\d{4,12}$/, 'prefix: a GS1 Company Prefix, 4-12 digits');
export const CompanyPrefixes = z.array(CompanyPrefix).max(100).refine((p) => new Set(p).size === p.length, 'prefixes: duplicates');

export const ParticipantRegisterPayload = z.strictObject({
  type: z.literal('participant.register'),
  ...base,
  participant: ParticipantId,
  name: z.string().min(1).max(200),
  roles: z.array(Role).min(1).max(7).refine((r) => new Set(r).size === r.length, 'roles: duplicates'),
  gln: Gln.optional(),
  publicKey: PublicKeyB64Url,
  /** GS1 Company Prefixes of the participant (src/domain/prefixes.ts); absent only in registrations from before prefixes. */
  prefixes: CompanyPrefixes.optional(),
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

export const PrefixesSetPayload = z.strictObject({
  type: z.literal('participant.prefixes.set'),
  ...base,
  participant: ParticipantId,
  /** The participant's prefixes from now on (replacing the earlier ones; [] for none). */
  prefixes: CompanyPrefixes,
});

export const PrefixDelegatePayload = z.strictObject({
  type: z.literal('prefix.delegate'),
  ...base,
  /** One of the signer's prefixes, or a longer range within one. */
  prefix: CompanyPrefix,
  /** The participant (e.g. a contract manufacturer) that may commission under it. */
  to: ParticipantId,
  /** Entries dated after this are not covered. */
  until: Timestamp.optional(),
});

export const PrefixDelegateRevokePayload = z.strictObject({
  type: z.literal('prefix.delegate.revoke'),
  ...base,
  prefix: CompanyPrefix,
  to: ParticipantId,
  reason: z.string().max(500).optional(),
});
