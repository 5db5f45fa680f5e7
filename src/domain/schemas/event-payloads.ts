/**
 * Payloads of the traceability events (docs/events.md), named after GS1 EPCIS 2.0 / CBV 2.0 (the
 * mapping table is in docs/events.md). Codes are accepted in any valid spelling and compared in
 * their canonical form (src/core/codes.ts); quantities carry UN/CEFACT Rec. 20 unit codes and are
 * never converted: a unit that differs from the object's is an error (TRACE_UNIT_MISMATCH).
 */
import { z } from 'zod';
import { parseCode } from '../../core/codes.js';
import { exactMicro, MAX_QUANTITY } from '../quantity.js';
import { base, Gln, gs1CheckDigitValid, ParticipantId, Timestamp } from './fields.js';

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
export const isQuantityValueIssue = (i: z.core.$ZodIssue): boolean => i.path.length >= 2 && i.path.at(-1) === 'value' && i.path.at(-2) === 'quantity';

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
