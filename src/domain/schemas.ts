/**
 * Zod schemas of everything a participant can sign. They are the single source of truth: the
 * ledger validates entries with them, `schemas/*.json` is generated from them (npm run schemas),
 * and the OpenAPI document embeds those JSON Schemas.
 *
 * Payload objects are strict: an unknown field is an error, not silently stored, because whatever
 * is signed is kept forever and read by others.
 *
 * This module is the envelope (the payload union, the signed entry, parseEntry) and re-exports the
 * parts under schemas/: fields.ts (what every payload is built from), registry-payloads.ts and
 * event-payloads.ts (the traceability events).
 */
import { z } from 'zod';
import { LedgerError } from '../core/errors.js';
import {
  AggregatePayload, CommissionPayload, DisaggregatePayload, InspectPayload, isQuantityValueIssue, RecallPayload, ReceivePayload,
  RetractPayload, ShipPayload, TrackPayload, TransformPayload,
} from './schemas/event-payloads.js';
import { KeyId, SignatureB64Url } from './schemas/fields.js';
import {
  GenesisPayload, KeyAddPayload, KeyRevokePayload, ParticipantRegisterPayload, PrefixDelegatePayload, PrefixDelegateRevokePayload,
  PrefixesSetPayload,
} from './schemas/registry-payloads.js';

export {
  EntryId, Gln, gs1CheckDigitValid, KeyId, parseTimestamp, ParticipantId, PublicKeyB64Url, Role, SignatureB64Url, Timestamp,
} from './schemas/fields.js';
export {
  CompanyPrefix, CompanyPrefixes, GenesisPayload, KeyAddPayload, KeyRevokePayload, ParticipantRegisterPayload, PrefixDelegatePayload,
  PrefixDelegateRevokePayload, PrefixesSetPayload,
} from './schemas/registry-payloads.js';
export {
  AggregatePayload, Certificate, Code, CommissionPayload, DeclaredFootprint, DisaggregatePayload, InspectPayload, LeafHashHex, Level,
  Location, Measurement, ObjectQuantity, ObjectSpec, OutputSpec, Product, Quantity, RecallPayload, ReceivePayload, RetractPayload,
  ShipPayload, TrackPayload, TransformPayload, Unit,
} from './schemas/event-payloads.js';

export const Payload = z.discriminatedUnion('type', [
  GenesisPayload,
  ParticipantRegisterPayload,
  KeyAddPayload,
  KeyRevokePayload,
  PrefixesSetPayload,
  PrefixDelegatePayload,
  PrefixDelegateRevokePayload,
  CommissionPayload,
  TransformPayload,
  AggregatePayload,
  DisaggregatePayload,
  ShipPayload,
  ReceivePayload,
  InspectPayload,
  TrackPayload,
  RecallPayload,
  RetractPayload,
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
 * @throws LedgerError LEDGER_ENTRY_INVALID, or TRACE_QUANTITY_INVALID when only quantity values are wrong
 */
export function parseEntry(value: unknown, where = 'entry'): Entry {
  const r = Entry.safeParse(value);
  if (r.success) return r.data;
  const type = (value as { payload?: { type?: unknown } } | null)?.payload?.type;
  if (typeof type === 'string' && !(PAYLOAD_TYPES as string[]).includes(type)) {
    throw new LedgerError('LEDGER_ENTRY_INVALID', `${where}.payload.type: unknown type "${type}" (accepted: ${PAYLOAD_TYPES.join(', ')})`);
  }
  const code = r.error.issues.every(isQuantityValueIssue) ? 'TRACE_QUANTITY_INVALID' : 'LEDGER_ENTRY_INVALID';
  throw new LedgerError(code, describeIssues(r.error.issues, where), {
    details: { issues: r.error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message })) },
  });
}
