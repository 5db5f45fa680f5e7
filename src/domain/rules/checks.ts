/**
 * The checks every state rule shares (does the object exist, is the unit its unit, does the signer
 * hold enough, may it mint this code, …) and the builders of the rows and effects they write. Each
 * check throws a LedgerError naming the violated rule; `where` is the payload path it is about.
 */
import { LedgerError } from '../../core/errors.js';
import { fromHex } from '../../core/bytes.js';
import { parseCode } from '../../core/codes.js';
import { fromMicro, toMicro } from '../quantity.js';
import type { Payload } from '../schemas.js';
import type { DomainEffect, DomainView, ObjectRow, ObjectSpecJson, ShipmentRow, TouchRole } from './model.js';

export type P<T extends Payload['type']> = Extract<Payload, { type: T }>;
export type Quantity = { readonly value: number; readonly unit: string };

export const show = (micro: number, unit: string): string => `${fromMicro(micro)} ${unit}`;

/** Canonical form of a code in a payload (the schema already checked that it parses). */
export const canon = (code: string): string => parseCode(code).canonical;

export const fail = (code: ConstructorParameters<typeof LedgerError>[0], message: string, details?: Record<string, unknown>): never => {
  throw new LedgerError(code, message, details === undefined ? undefined : { details });
};

export function requireObject(view: DomainView, code: string, where: string): ObjectRow {
  return view.object(code) ?? fail('TRACE_OBJECT_UNKNOWN', `${where}: ${code} was never commissioned`, { code });
}

export function requireUnit(obj: ObjectRow, q: Quantity, where: string): void {
  if (q.unit !== obj.unit) {
    fail('TRACE_UNIT_MISMATCH', `${where}: ${obj.code} is counted in ${obj.unit}, not ${q.unit} (units are never converted)`, { code: obj.code, unit: obj.unit });
  }
}

/**
 * The signer holds at least `need` (micro units, at least 1) of the object directly; otherwise say
 * precisely why not. Holding nothing never counts as holding, whatever `need` says.
 * @throws LedgerError TRACE_QUANTITY_INVALID, TRACE_OBJECT_IN_TRANSIT, TRACE_NOT_HOLDER, TRACE_QUANTITY_EXCEEDED
 */
export function requireHeld(view: DomainView, obj: ObjectRow, signer: string, need: number, where: string): void {
  // Defence in depth behind toMicro: "holds at least 0" is true of anyone (issue 16).
  if (!Number.isSafeInteger(need) || need < 1) fail('TRACE_QUANTITY_INVALID', `${where}: ${need} micro units of ${obj.code} is not a quantity`, { code: obj.code });
  const held = view.holding(obj.code, signer);
  if (held > 0 && held >= need) return;
  if (view.inTransitTo(obj.code, signer) > 0 && held <= 0) {
    fail('TRACE_OBJECT_IN_TRANSIT', `${where}: ${obj.code} is in transit to "${signer}": receive the shipment first`, { code: obj.code });
  }
  if (held <= 0) {
    const packed = view.containersOf(obj.code).map((c) => c.parent);
    const why = packed.length > 0 ? ` (it is packed in ${packed.join(', ')}: disaggregate first)` : '';
    fail('TRACE_NOT_HOLDER', `${where}: "${signer}" does not hold ${obj.code}${why}`, { code: obj.code });
  }
  fail('TRACE_QUANTITY_EXCEEDED', `${where}: ${show(need, obj.unit)} of ${obj.code} exceeds the ${show(held, obj.unit)} "${signer}" holds`, {
    code: obj.code,
    remaining: fromMicro(held),
    unit: obj.unit,
  });
}

export function requireRole(view: DomainView, signer: string, roles: readonly string[], what: string): void {
  const have = view.participant(signer)?.roles ?? [];
  if (!roles.some((r) => have.includes(r))) {
    fail('LEDGER_PERMISSION_DENIED', `${what} is signed by a participant with role ${roles.join(' or ')}; "${signer}" has ${have.join(', ') || 'none'}`);
  }
}

/** `urn:trace:<participant>:…` codes are minted only by that participant (GS1 codes carry their own company prefix). */
export function requireNamespace(code: string, signer: string, where: string): void {
  const parsed = parseCode(code);
  if (parsed.kind === 'urn' && parsed.participant !== signer) {
    fail('LEDGER_PERMISSION_DENIED', `${where}: ${code} is in the namespace of "${parsed.participant}"; "${signer}" mints urn:trace:${signer}:… codes`);
  }
}

export function requireNew(view: DomainView, code: string, where: string): void {
  const existing = view.object(code);
  if (existing !== undefined) {
    fail('TRACE_ALREADY_COMMISSIONED', `${where}: ${code} was already commissioned at seq ${existing.createdSeq}`, { code, seq: existing.createdSeq });
  }
}

export function shipmentByHash(view: DomainView, hex: string, where: string): ShipmentRow {
  const seq = view.seqOfLeafHash(fromHex(hex));
  const s = seq === undefined ? undefined : view.shipment(seq);
  if (s === undefined) fail('TRACE_SHIPMENT_UNKNOWN', `${where}: ${hex} is not the leaf hash of a ship entry`);
  if (s!.retractedSeq !== null) fail('TRACE_SHIPMENT_UNKNOWN', `${where}: shipment ${hex} (seq ${s!.seq}) was retracted at seq ${s!.retractedSeq}`);
  return s!;
}

export const touch = (code: string, seq: number, role: TouchRole, signer: string, quantity: number | null = null): DomainEffect => ({
  kind: 'touch',
  touch: { code, seq, role, signer, quantity },
});

export function newObject(spec: { code: string; level: string; product: ObjectSpecJson['product']; quantity: Quantity } & Record<string, unknown>, producer: string, seq: number, createdBy: string, where: string): ObjectRow {
  const { code: _c, level, quantity, ...rest } = spec;
  return { code: canon(spec.code), level, unit: quantity.unit, quantity: toMicro(quantity, `${where}.quantity`), producer, createdSeq: seq, createdBy, spec: rest as unknown as ObjectSpecJson, recalledSeq: null };
}
