/**
 * Zod schemas of everything a participant can sign. They are the single source of truth: the
 * ledger validates entries with them, `schemas/*.json` is generated from them (npm run schemas),
 * and the OpenAPI document embeds those JSON Schemas.
 *
 * Payload objects are strict: an unknown field is an error, not silently stored, because whatever
 * is signed is kept forever and read by others.
 */
import { z } from 'zod';
import { parseCode } from '../core/codes.js';
import { LedgerError } from '../core/errors.js';
import { exactMicro, MAX_QUANTITY } from './quantity.js';

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

// ---------------------------------------------------------------------------------------------
// Traceability events (docs/events.md), named after GS1 EPCIS 2.0 / CBV 2.0 (the mapping
// table is in docs/events.md). Codes are accepted in any valid spelling and compared in their
// canonical form (src/core/codes.ts); quantities carry UN/CEFACT Rec. 20 unit codes and are never
// converted: a unit that differs from the object's is an error (TRACE_UNIT_MISMATCH).

/** An object code: a GS1 Digital Link URI or urn:trace:<participant>:<id>. */
export const Code = z.string().min(1).max(2048).superRefine((s, ctx) => {
  try {
    parseCode(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});

/** UN/CEFACT Recommendation 20 unit codes accepted for quantities. */
export const Unit = z.enum(['KGM', 'TNE', 'GRM', 'MTR', 'MTK', 'MTQ', 'LTR', 'H87', 'C62', 'SET', 'PR', 'KWH']);
export type Unit = z.infer<typeof Unit>;

/**
 * Quantities are whole numbers of millionths of their unit, at least one (they are summed as
 * integers of that, src/domain/quantity.ts). An entry whose only schema problems are quantity
 * values is refused with TRACE_QUANTITY_INVALID (parseEntry).
 */
const QuantityValue = z
  .number()
  .positive()
  .max(MAX_QUANTITY)
  .refine((v) => exactMicro(v) !== undefined, 'quantity: a whole number of millionths of the unit, at least 0.000001');
export const Quantity = z.strictObject({ value: QuantityValue, unit: Unit });
const isQuantityValueIssue = (i: z.core.$ZodIssue): boolean => i.path.length >= 2 && i.path.at(-1) === 'value' && i.path.at(-2) === 'quantity';

const NonNegative = z.number().min(0).max(1e12);
const Text = (max: number) => z.string().min(1).max(max);
export const LeafHashHex = z.string().regex(/^[0-9a-f]{64}$/, 'leaf hash: 64 lowercase hex characters');

export const Level = z.enum(['material', 'semi', 'finished', 'logistic']);

export const Product = z.strictObject({
  gtin: z.string().regex(/^\d{14}$/, 'gtin: 14 digits').refine(gs1CheckDigitValid, 'gtin: wrong check digit').optional(),
  name: Text(200),
  /** Net mass of one unit, for piece-counted products (lets a footprint be stated per kilogram). */
  netMassKg: z.number().positive().max(1e6).optional(),
});

export const Certificate = z.strictObject({
  scheme: Text(100),
  id: Text(200),
  issuer: Text(200).optional(),
  validUntil: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'validUntil: YYYY-MM-DD').optional(),
});

const Attributes = z
  .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'attribute names: a letter, then letters, digits, _ . -'), z.union([z.string().max(500), z.number(), z.boolean()]))
  .refine((r) => Object.keys(r).length <= 50, 'attributes: at most 50');

/** Declared cradle-to-gate footprint per unit of the object's quantity unit (PACT fields). */
export const DeclaredFootprint = z.strictObject({
  /** PACT pCfExcludingBiogenic per unit, kgCO2e. */
  kgCO2ePerUnit: NonNegative,
  /** PACT pCfIncludingBiogenic per unit, kgCO2e (may be below the fossil figure). */
  kgCO2eIncludingBiogenicPerUnit: z.number().min(-1e12).max(1e12).optional(),
  electricityKWhPerUnit: NonNegative.optional(),
  waterM3PerUnit: NonNegative.optional(),
  /** PACT primaryDataShare of the declared figure, percent. Default 100. */
  primaryDataShare: z.number().min(0).max(100).optional(),
  /** e.g. "ISO 14067", "GHG Protocol Product Standard". */
  standard: Text(100).optional(),
});

export const ObjectSpec = z.strictObject({
  code: Code,
  level: Level,
  product: Product,
  quantity: Quantity,
  attributes: Attributes.optional(),
  certificates: z.array(Certificate).max(20).optional(),
  footprint: DeclaredFootprint.optional(),
});

export const OutputSpec = z.strictObject({
  code: Code,
  level: Level,
  product: Product,
  quantity: Quantity,
  attributes: Attributes.optional(),
  certificates: z.array(Certificate).max(20).optional(),
  /** Share of the process's inputs and resources this output carries; needed when outputs differ in unit. */
  allocation: z.number().positive().max(1).optional(),
});

export const ObjectQuantity = z.strictObject({ code: Code, quantity: Quantity });

export const Location = z.strictObject({ gln: Gln.optional(), name: Text(200).optional() }).refine((l) => l.gln !== undefined || l.name !== undefined, 'location: gln or name');

const uniqueCodes = <T extends { code: string }>(items: readonly T[]) => new Set(items.map((i) => canonicalOrSelf(i.code))).size === items.length;
function canonicalOrSelf(code: string): string {
  try {
    return parseCode(code).canonical;
  } catch {
    return code;
  }
}

export const CommissionPayload = z.strictObject({
  type: z.literal('commission'),
  ...base,
  objects: z.array(ObjectSpec).min(1).max(1000).refine(uniqueCodes, 'objects: a code appears twice'),
  location: Location.optional(),
});

export const TransformPayload = z.strictObject({
  type: z.literal('transform'),
  ...base,
  inputs: z.array(ObjectQuantity).min(1).max(200).refine(uniqueCodes, 'inputs: a code appears twice'),
  outputs: z.array(OutputSpec).min(1).max(200).refine(uniqueCodes, 'outputs: a code appears twice'),
  process: z
    .strictObject({
      name: Text(200).optional(),
      electricityKWh: NonNegative.optional(),
      /** Grid emission factor for the electricity above, kgCO2e per kWh. */
      gridKgCO2ePerKWh: NonNegative.optional(),
      waterM3: NonNegative.optional(),
      wastewaterM3: NonNegative.optional(),
      directEmissionsKgCO2e: NonNegative.optional(),
    })
    .optional(),
  location: Location.optional(),
});

export const AggregatePayload = z.strictObject({
  type: z.literal('aggregate'),
  ...base,
  /** The logistic unit (an SSCC, or a urn:trace code); created by the first aggregate that names it. */
  parent: Code,
  children: z.array(ObjectQuantity).min(1).max(1000).refine(uniqueCodes, 'children: a code appears twice'),
  location: Location.optional(),
});

export const DisaggregatePayload = z.strictObject({
  type: z.literal('disaggregate'),
  ...base,
  parent: Code,
  /** What to unpack; omitted = everything in the parent. */
  children: z.array(ObjectQuantity).min(1).max(1000).refine(uniqueCodes, 'children: a code appears twice').optional(),
  location: Location.optional(),
});

export const ShipPayload = z.strictObject({
  type: z.literal('ship'),
  ...base,
  to: ParticipantId,
  carrier: ParticipantId.optional(),
  objects: z.array(ObjectQuantity).min(1).max(1000).refine(uniqueCodes, 'objects: a code appears twice'),
  expectedDelivery: Timestamp.optional(),
  transport: z
    .strictObject({
      mode: z.enum(['road', 'rail', 'sea', 'air', 'inland_waterway']).optional(),
      distanceKm: NonNegative.optional(),
      emissionsKgCO2e: NonNegative.optional(),
    })
    .optional(),
  /** The sender's own reference (despatch advice, order number). */
  reference: Text(200).optional(),
  from: Location.optional(),
  destination: Location.optional(),
});

export const ReceivePayload = z.strictObject({
  type: z.literal('receive'),
  ...base,
  /** Leaf hash (hex) of the ship entry being received. */
  shipment: LeafHashHex,
  /** Quantities actually received; a shipped code left out counts as 0 received. */
  objects: z.array(ObjectQuantity).max(1000).refine(uniqueCodes, 'objects: a code appears twice'),
  condition: z.enum(['good', 'damaged', 'partial']).optional(),
  note: Text(1000).optional(),
  location: Location.optional(),
});

export const Measurement = z.strictObject({
  type: Text(100),
  value: z.number(),
  unit: Text(20).optional(),
  min: z.number().optional(),
  max: z.number().optional(),
});

export const InspectPayload = z.strictObject({
  type: z.literal('inspect'),
  ...base,
  objects: z.array(Code).min(1).max(200).refine((c) => uniqueCodes(c.map((code) => ({ code }))), 'objects: a code appears twice'),
  result: z.enum(['pass', 'fail']),
  measurements: z.array(Measurement).max(100).optional(),
  standard: Text(200).optional(),
  certificate: Certificate.optional(),
  note: Text(1000).optional(),
});

export const TrackPayload = z
  .strictObject({
    type: z.literal('track'),
    ...base,
    status: z.enum(['in_transit', 'out_for_delivery', 'delivered', 'returned']),
    /** A shipment between participants (leaf hash of its ship entry)… */
    shipment: LeafHashHex.optional(),
    /** …or objects handed to (or back from) an end customer, who is not a participant. */
    objects: z.array(ObjectQuantity).min(1).max(1000).refine(uniqueCodes, 'objects: a code appears twice').optional(),
    /** The end customer's reference (order, delivery address label); required with objects. */
    recipient: Text(200).optional(),
    location: Location.optional(),
    note: Text(1000).optional(),
  })
  .refine((p) => (p.shipment === undefined) !== (p.objects === undefined), 'track: exactly one of shipment or objects')
  .refine((p) => p.objects === undefined || (p.recipient !== undefined && (p.status === 'delivered' || p.status === 'returned')), 'track: objects go with status delivered or returned and a recipient');

export const RecallPayload = z.strictObject({
  type: z.literal('recall'),
  ...base,
  objects: z.array(Code).min(1).max(200).refine((c) => uniqueCodes(c.map((code) => ({ code }))), 'objects: a code appears twice'),
  reason: Text(1000),
});

export const RetractPayload = z.strictObject({
  type: z.literal('retract'),
  ...base,
  /** Leaf hash (hex) of the entry that did not occur or had incorrect data. */
  target: LeafHashHex,
  reason: Text(1000),
  /** Leaf hashes of corrective entries already in the log, if any. */
  corrections: z.array(LeafHashHex).max(100).optional(),
});

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
