/**
 * State rules of the traceability events (docs/events.md "State rules"): pure functions
 * from (a read view of the projections, a payload, its seq) to the effects the store applies in
 * the same transaction as the record. They throw a LedgerError naming the violated rule; the
 * ledger then rolls the whole submitted batch back, so a rejected entry changes nothing.
 *
 * Model (decisions, also in docs/events.md):
 * - Quantities are integers of millionths of their unit ("micro"); a lot's quantity is split among
 *   holders (`holdings`), open shipments and containers, and never created or lost except by
 *   commission, transform and a receipt's recorded discrepancy.
 * - A shipment is identified by the leaf hash of its `ship` entry; while it is open, its
 *   quantities belong to nobody (in transit).
 * - Objects packed into a logistic unit (`aggregate`) are held through it: shipping the pallet
 *   ships them; they are held directly again after `disaggregate`.
 * - End customers are not participants: a `track` with objects and status `delivered` hands the
 *   quantities to the holder `customer:<recipient>`.
 * - Retraction undoes an entry's effects; it is refused while a later entry depends on them.
 */
import { LedgerError } from '../core/errors.js';
import { fromHex } from '../core/bytes.js';
import { parseCode } from '../core/codes.js';
import { requireCodeOwned } from './prefixes.js';
import { fromMicro, MICRO, toMicro } from './quantity.js';
import type { RegistryView } from './registry.js';
import type { Payload } from './schemas.js';

export const CUSTOMER_PREFIX = 'customer:';

/**
 * The holder standing for an end customer served by `deliverer`: `customer:<deliverer>/<recipient>`.
 * Keyed by the deliverer, so only the participant that delivered can sign the customer's return.
 */
export const customerHolder = (deliverer: string, recipient: string): string => `${CUSTOMER_PREFIX}${deliverer}/${recipient}`;

/** Deliverer and recipient of a customer holder, or undefined for a participant. */
export function parseCustomerHolder(holder: string): { deliverer: string; recipient: string } | undefined {
  if (!holder.startsWith(CUSTOMER_PREFIX)) return undefined;
  const rest = holder.slice(CUSTOMER_PREFIX.length);
  const slash = rest.indexOf('/');
  return { deliverer: rest.slice(0, slash), recipient: rest.slice(slash + 1) };
}

export interface ObjectSpecJson {
  readonly product: { readonly gtin?: string; readonly name: string; readonly netMassKg?: number };
  readonly attributes?: Readonly<Record<string, string | number | boolean>>;
  readonly certificates?: ReadonlyArray<Readonly<Record<string, string>>>;
  readonly footprint?: Readonly<Record<string, number | string>>;
  readonly allocation?: number;
}

export interface ObjectRow {
  readonly code: string;
  readonly level: string;
  readonly unit: string;
  /** Quantity created, in millionths of `unit`. */
  readonly quantity: number;
  readonly producer: string;
  readonly createdSeq: number;
  /** Payload type of the entry that created it: commission, transform or aggregate. */
  readonly createdBy: string;
  readonly spec: ObjectSpecJson;
  /** Seq of the latest standing recall, if any. */
  readonly recalledSeq: number | null;
}

export interface ShipmentItem {
  readonly code: string;
  readonly shipped: number;
  readonly received: number | null;
}

export interface ShipmentRow {
  readonly seq: number;
  readonly sender: string;
  readonly receiver: string;
  readonly carrier: string | null;
  readonly receivedSeq: number | null;
  readonly retractedSeq: number | null;
  readonly items: readonly ShipmentItem[];
}

export interface Touch {
  readonly code: string;
  readonly seq: number;
  readonly role: TouchRole;
  readonly signer: string;
  /** Micro quantity moved, where the role moves one. */
  readonly quantity: number | null;
}

export type TouchRole =
  | 'commissioned'
  | 'consumed'
  | 'produced'
  | 'packed'
  | 'packed-into'
  | 'unpacked'
  | 'unpacked-from'
  | 'shipped'
  | 'received'
  | 'inspected'
  | 'tracked'
  | 'delivered'
  | 'returned'
  | 'recalled'
  | 'retracted';

/** What the rules read. Inside a transaction it sees every earlier write of that transaction. */
export interface DomainView extends RegistryView {
  object(code: string): ObjectRow | undefined;
  /** Micro quantity of `code` held directly by `holder`. */
  holding(code: string, holder: string): number;
  /** Micro quantity of `code` in open shipments addressed to `receiver`. */
  inTransitTo(code: string, receiver: string): number;
  /** Containers directly holding some of `code`, with the micro quantity in each. */
  containersOf(code: string): Array<{ parent: string; quantity: number }>;
  contents(parent: string): Array<{ child: string; quantity: number }>;
  shipment(seq: number): ShipmentRow | undefined;
  seqOfLeafHash(leafHash: Uint8Array): number | undefined;
  /** The payload of the record at seq (the log is the source of truth). */
  payloadAt(seq: number): Payload;
  /** Seq of the retraction of the entry at seq, if it was retracted. */
  retractionOf(seq: number): number | undefined;
  /** Rows of `touches` written by the entry at seq. */
  touchesOf(seq: number): Touch[];
  /** Seqs > after of non-retracted entries touching any of codes (optionally only by signer). */
  laterTouches(codes: readonly string[], after: number, signer?: string): number[];
  /** Seqs of standing (non-retracted) recalls of code. */
  standingRecalls(code: string): number[];
  /** Seqs of standing (non-retracted) aggregates that packed `child` into `parent`. */
  standingPackings(parent: string, child: string): number[];
}

export type DomainEffect =
  | { readonly kind: 'object.insert'; readonly object: ObjectRow }
  | { readonly kind: 'object.delete'; readonly code: string }
  | { readonly kind: 'holding.add'; readonly code: string; readonly holder: string; readonly delta: number }
  | { readonly kind: 'edge.insert'; readonly output: string; readonly input: string; readonly quantity: number; readonly seq: number }
  | { readonly kind: 'edges.delete'; readonly output: string }
  | { readonly kind: 'contain.add'; readonly parent: string; readonly child: string; readonly delta: number }
  /** The child was never packed into the parent after all: no containment row, not even at 0. */
  | { readonly kind: 'contain.drop'; readonly parent: string; readonly child: string }
  | { readonly kind: 'shipment.insert'; readonly shipment: ShipmentRow }
  | { readonly kind: 'shipment.receive'; readonly seq: number; readonly receivedSeq: number; readonly items: ReadonlyArray<{ code: string; received: number }> }
  | { readonly kind: 'shipment.unreceive'; readonly seq: number }
  | { readonly kind: 'shipment.retract'; readonly seq: number; readonly retractedSeq: number }
  | { readonly kind: 'touch'; readonly touch: Touch }
  | { readonly kind: 'recall.set'; readonly code: string; readonly seq: number | null }
  | { readonly kind: 'retraction.insert'; readonly target: number; readonly seq: number };

type P<T extends Payload['type']> = Extract<Payload, { type: T }>;
type Quantity = { readonly value: number; readonly unit: string };

const show = (micro: number, unit: string): string => `${fromMicro(micro)} ${unit}`;

/** Canonical form of a code in a payload (the schema already checked that it parses). */
export const canon = (code: string): string => parseCode(code).canonical;

const fail = (code: ConstructorParameters<typeof LedgerError>[0], message: string, details?: Record<string, unknown>): never => {
  throw new LedgerError(code, message, details === undefined ? undefined : { details });
};

function requireObject(view: DomainView, code: string, where: string): ObjectRow {
  return view.object(code) ?? fail('TRACE_OBJECT_UNKNOWN', `${where}: ${code} was never commissioned`, { code });
}

function requireUnit(obj: ObjectRow, q: Quantity, where: string): void {
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

function requireRole(view: DomainView, signer: string, roles: readonly string[], what: string): void {
  const have = view.participant(signer)?.roles ?? [];
  if (!roles.some((r) => have.includes(r))) {
    fail('LEDGER_PERMISSION_DENIED', `${what} is signed by a participant with role ${roles.join(' or ')}; "${signer}" has ${have.join(', ') || 'none'}`);
  }
}

/** `urn:trace:<participant>:…` codes are minted only by that participant (GS1 codes carry their own company prefix). */
function requireNamespace(code: string, signer: string, where: string): void {
  const parsed = parseCode(code);
  if (parsed.kind === 'urn' && parsed.participant !== signer) {
    fail('LEDGER_PERMISSION_DENIED', `${where}: ${code} is in the namespace of "${parsed.participant}"; "${signer}" mints urn:trace:${signer}:… codes`);
  }
}

function requireNew(view: DomainView, code: string, where: string): void {
  const existing = view.object(code);
  if (existing !== undefined) {
    fail('TRACE_ALREADY_COMMISSIONED', `${where}: ${code} was already commissioned at seq ${existing.createdSeq}`, { code, seq: existing.createdSeq });
  }
}

function shipmentByHash(view: DomainView, hex: string, where: string): ShipmentRow {
  const seq = view.seqOfLeafHash(fromHex(hex));
  const s = seq === undefined ? undefined : view.shipment(seq);
  if (s === undefined) fail('TRACE_SHIPMENT_UNKNOWN', `${where}: ${hex} is not the leaf hash of a ship entry`);
  if (s!.retractedSeq !== null) fail('TRACE_SHIPMENT_UNKNOWN', `${where}: shipment ${hex} (seq ${s!.seq}) was retracted at seq ${s!.retractedSeq}`);
  return s!;
}

const touch = (code: string, seq: number, role: TouchRole, signer: string, quantity: number | null = null): DomainEffect => ({
  kind: 'touch',
  touch: { code, seq, role, signer, quantity },
});

function newObject(spec: { code: string; level: string; product: ObjectSpecJson['product']; quantity: Quantity } & Record<string, unknown>, producer: string, seq: number, createdBy: string, where: string): ObjectRow {
  const { code: _c, level, quantity, ...rest } = spec;
  return { code: canon(spec.code), level, unit: quantity.unit, quantity: toMicro(quantity, `${where}.quantity`), producer, createdSeq: seq, createdBy, spec: rest as unknown as ObjectSpecJson, recalledSeq: null };
}

/**
 * Rules and effects of the traceability payload types; [] for the registry types.
 * @throws LedgerError with the violated rule's code
 */
export function domainEffects(view: DomainView, payload: Payload, seq: number): DomainEffect[] {
  switch (payload.type) {
    case 'commission':
      return commission(view, payload, seq);
    case 'transform':
      return transform(view, payload, seq);
    case 'aggregate':
      return aggregate(view, payload, seq);
    case 'disaggregate':
      return disaggregate(view, payload, seq);
    case 'ship':
      return ship(view, payload, seq);
    case 'receive':
      return receive(view, payload, seq);
    case 'inspect':
      return inspect(view, payload, seq);
    case 'track':
      return track(view, payload, seq);
    case 'recall':
      return recall(view, payload, seq);
    case 'retract':
      return retract(view, payload, seq);
    default:
      return [];
  }
}

function commission(view: DomainView, p: P<'commission'>, seq: number): DomainEffect[] {
  requireRole(view, p.signer, ['supplier', 'manufacturer'], 'commission');
  return p.objects.flatMap((o, i) => {
    const obj = newObject(o, p.signer, seq, 'commission', `objects[${i}]`);
    requireNew(view, obj.code, `objects[${i}]`);
    requireNamespace(obj.code, p.signer, `objects[${i}]`);
    requireCodeOwned(view, obj.code, p.signer, p.time, `objects[${i}]`);
    return [
      { kind: 'object.insert', object: obj },
      { kind: 'holding.add', code: obj.code, holder: p.signer, delta: obj.quantity },
      touch(obj.code, seq, 'commissioned', p.signer, obj.quantity),
    ] satisfies DomainEffect[];
  });
}

/** Allocation share of each output (docs/events.md "Footprint roll-up"): stated, or by quantity when units agree. */
export function allocationShares(outputs: ReadonlyArray<{ quantity: Quantity; allocation?: number | undefined }>): number[] {
  if (outputs.every((o) => o.allocation === undefined)) {
    const unit = outputs[0]!.quantity.unit;
    if (outputs.some((o) => o.quantity.unit !== unit)) {
      fail('TRACE_ALLOCATION_INVALID', 'outputs in different units need an allocation share each (summing to 1)');
    }
    const total = outputs.reduce((s, o) => s + toMicro(o.quantity), 0);
    return outputs.map((o) => toMicro(o.quantity) / total);
  }
  if (outputs.some((o) => o.allocation === undefined)) fail('TRACE_ALLOCATION_INVALID', 'allocation: give a share for every output or for none');
  const sum = outputs.reduce((s, o) => s + o.allocation!, 0);
  if (Math.abs(sum - 1) > 1e-9) fail('TRACE_ALLOCATION_INVALID', `allocation shares sum to ${sum}, not 1`);
  return outputs.map((o) => o.allocation!);
}

function transform(view: DomainView, p: P<'transform'>, seq: number): DomainEffect[] {
  requireRole(view, p.signer, ['supplier', 'manufacturer'], 'transform');
  const effects: DomainEffect[] = [];
  const inputs = p.inputs.map((inp, i) => {
    const where = `inputs[${i}]`;
    const obj = requireObject(view, canon(inp.code), where);
    if (obj.level === 'logistic') fail('TRACE_CONTAINER_INVALID', `${where}: ${obj.code} is a logistic unit: disaggregate it and consume its contents`);
    requireUnit(obj, inp.quantity, where);
    if (obj.recalledSeq !== null) {
      fail('TRACE_OBJECT_RECALLED', `${where}: ${obj.code} was recalled at seq ${obj.recalledSeq} and cannot be consumed`, { code: obj.code, seq: obj.recalledSeq });
    }
    const q = toMicro(inp.quantity, where);
    requireHeld(view, obj, p.signer, q, where);
    effects.push({ kind: 'holding.add', code: obj.code, holder: p.signer, delta: -q }, touch(obj.code, seq, 'consumed', p.signer, q));
    return { code: obj.code, q };
  });
  allocationShares(p.outputs);
  const inputCodes = new Set(inputs.map((i) => i.code));
  p.outputs.forEach((o, i) => {
    const obj = newObject(o, p.signer, seq, 'transform', `outputs[${i}]`);
    if (inputCodes.has(obj.code)) fail('TRACE_ALREADY_COMMISSIONED', `outputs[${i}]: ${obj.code} is also an input`, { code: obj.code });
    requireNew(view, obj.code, `outputs[${i}]`);
    requireNamespace(obj.code, p.signer, `outputs[${i}]`);
    requireCodeOwned(view, obj.code, p.signer, p.time, `outputs[${i}]`);
    effects.push(
      { kind: 'object.insert', object: obj },
      { kind: 'holding.add', code: obj.code, holder: p.signer, delta: obj.quantity },
      touch(obj.code, seq, 'produced', p.signer, obj.quantity),
      ...inputs.map((inp): DomainEffect => ({ kind: 'edge.insert', output: obj.code, input: inp.code, quantity: inp.q, seq })),
    );
  });
  return effects;
}

function aggregate(view: DomainView, p: P<'aggregate'>, seq: number): DomainEffect[] {
  const parentCode = canon(p.parent);
  const effects: DomainEffect[] = [];
  const parent = view.object(parentCode);
  if (parent === undefined) {
    const parsed = parseCode(parentCode);
    if (parsed.kind === 'gs1' && parsed.key !== '00') {
      fail('TRACE_CONTAINER_INVALID', `parent: ${parentCode} is not a logistic unit code (an SSCC, /00/..., or a urn:trace code)`);
    }
    requireNamespace(parentCode, p.signer, 'parent');
    requireCodeOwned(view, parentCode, p.signer, p.time, 'parent');
    const obj: ObjectRow = {
      code: parentCode, level: 'logistic', unit: 'H87', quantity: MICRO, producer: p.signer, createdSeq: seq, createdBy: 'aggregate',
      spec: { product: { name: `Logistic unit ${parsed.kind === 'gs1' ? parsed.value : parsed.local}` } }, recalledSeq: null,
    };
    effects.push({ kind: 'object.insert', object: obj }, { kind: 'holding.add', code: parentCode, holder: p.signer, delta: MICRO });
  } else {
    if (parent.level !== 'logistic') fail('TRACE_CONTAINER_INVALID', `parent: ${parentCode} is a ${parent.level} object, not a logistic unit`);
    requireHeld(view, parent, p.signer, 1, 'parent');
  }
  // The parent must not end up inside one of its own children.
  const enclosing = new Set<string>();
  for (let frontier = [parentCode]; frontier.length > 0; ) {
    frontier = frontier.flatMap((c) => view.containersOf(c).map((x) => x.parent)).filter((c) => !enclosing.has(c));
    frontier.forEach((c) => enclosing.add(c));
  }
  p.children.forEach((c, i) => {
    const where = `children[${i}]`;
    const obj = requireObject(view, canon(c.code), where);
    if (obj.code === parentCode || enclosing.has(obj.code)) fail('TRACE_CONTAINER_INVALID', `${where}: ${obj.code} would contain itself`);
    requireUnit(obj, c.quantity, where);
    const q = toMicro(c.quantity, where);
    requireHeld(view, obj, p.signer, q, where);
    effects.push(
      { kind: 'holding.add', code: obj.code, holder: p.signer, delta: -q },
      { kind: 'contain.add', parent: parentCode, child: obj.code, delta: q },
      touch(obj.code, seq, 'packed', p.signer, q),
    );
  });
  effects.push(touch(parentCode, seq, 'packed-into', p.signer, parent === undefined ? MICRO : null));
  return effects;
}

function disaggregate(view: DomainView, p: P<'disaggregate'>, seq: number): DomainEffect[] {
  const parentCode = canon(p.parent);
  const parent = requireObject(view, parentCode, 'parent');
  if (parent.level !== 'logistic') fail('TRACE_CONTAINER_INVALID', `parent: ${parentCode} is a ${parent.level} object, not a logistic unit`);
  requireHeld(view, parent, p.signer, 1, 'parent');
  const inside = new Map(view.contents(parentCode).map((c) => [c.child, c.quantity]));
  const wanted = p.children?.map((c, i) => {
    const obj = requireObject(view, canon(c.code), `children[${i}]`);
    requireUnit(obj, c.quantity, `children[${i}]`);
    const q = toMicro(c.quantity, `children[${i}]`);
    const has = inside.get(obj.code) ?? 0;
    if (has === 0) fail('TRACE_CONTAINER_INVALID', `children[${i}]: ${obj.code} is not packed in ${parentCode}`);
    if (q > has) fail('TRACE_QUANTITY_EXCEEDED', `children[${i}]: ${show(q, obj.unit)} exceeds the ${show(has, obj.unit)} packed in ${parentCode}`, { code: obj.code, remaining: fromMicro(has) });
    return { code: obj.code, q };
  }) ?? [...inside].filter(([, q]) => q > 0).map(([code, q]) => ({ code, q }));
  if (wanted.length === 0) fail('TRACE_CONTAINER_INVALID', `parent: ${parentCode} is empty`);
  return [
    ...wanted.flatMap(({ code, q }): DomainEffect[] => [
      { kind: 'contain.add', parent: parentCode, child: code, delta: -q },
      { kind: 'holding.add', code, holder: p.signer, delta: q },
      touch(code, seq, 'unpacked', p.signer, q),
    ]),
    touch(parentCode, seq, 'unpacked-from', p.signer),
  ];
}

function ship(view: DomainView, p: P<'ship'>, seq: number): DomainEffect[] {
  if (view.participant(p.to) === undefined) fail('LEDGER_PARTICIPANT_NOT_FOUND', `to: "${p.to}" is not a registered participant`);
  if (p.to === p.signer) fail('LEDGER_ENTRY_INVALID', 'to: a participant does not ship to itself');
  if (p.carrier !== undefined && view.participant(p.carrier) === undefined) fail('LEDGER_PARTICIPANT_NOT_FOUND', `carrier: "${p.carrier}" is not a registered participant`);
  const effects: DomainEffect[] = [];
  const items = p.objects.map((o, i) => {
    const where = `objects[${i}]`;
    const obj = requireObject(view, canon(o.code), where);
    requireUnit(obj, o.quantity, where);
    const q = toMicro(o.quantity, where);
    requireHeld(view, obj, p.signer, q, where);
    effects.push({ kind: 'holding.add', code: obj.code, holder: p.signer, delta: -q }, touch(obj.code, seq, 'shipped', p.signer, q));
    return { code: obj.code, shipped: q, received: null };
  });
  effects.push({ kind: 'shipment.insert', shipment: { seq, sender: p.signer, receiver: p.to, carrier: p.carrier ?? null, receivedSeq: null, retractedSeq: null, items } });
  return effects;
}

function receive(view: DomainView, p: P<'receive'>, seq: number): DomainEffect[] {
  const s = shipmentByHash(view, p.shipment, 'shipment');
  if (p.signer !== s.receiver) fail('TRACE_NOT_ADDRESSEE', `shipment seq ${s.seq} is addressed to "${s.receiver}", not "${p.signer}"`);
  if (s.receivedSeq !== null) fail('TRACE_ALREADY_RECEIVED', `shipment seq ${s.seq} was already received at seq ${s.receivedSeq}`, { seq: s.receivedSeq });
  const shipped = new Map(s.items.map((it) => [it.code, it.shipped]));
  const received = new Map<string, number>();
  p.objects.forEach((o, i) => {
    const where = `objects[${i}]`;
    const obj = requireObject(view, canon(o.code), where);
    requireUnit(obj, o.quantity, where);
    const q = toMicro(o.quantity, where);
    const sent = shipped.get(obj.code);
    if (sent === undefined) fail('TRACE_QUANTITY_EXCEEDED', `${where}: ${obj.code} is not in shipment seq ${s.seq}`, { code: obj.code, remaining: 0 });
    if (q > sent!) fail('TRACE_QUANTITY_EXCEEDED', `${where}: received ${show(q, obj.unit)} of ${obj.code}, more than the ${show(sent!, obj.unit)} shipped`, { code: obj.code, remaining: fromMicro(sent!) });
    received.set(obj.code, q);
  });
  const items = s.items.map((it) => ({ code: it.code, received: received.get(it.code) ?? 0 }));
  return [
    { kind: 'shipment.receive', seq: s.seq, receivedSeq: seq, items },
    ...items.flatMap(({ code, received: q }): DomainEffect[] => [
      ...(q > 0 ? [{ kind: 'holding.add', code, holder: p.signer, delta: q } as const] : []),
      touch(code, seq, 'received', p.signer, q),
    ]),
  ];
}

function inspect(view: DomainView, p: P<'inspect'>, seq: number): DomainEffect[] {
  const inspector = view.participant(p.signer)?.roles.includes('inspector') ?? false;
  return p.objects.map((c, i) => {
    const obj = requireObject(view, canon(c), `objects[${i}]`);
    if (!inspector && view.holding(obj.code, p.signer) <= 0) {
      fail('TRACE_NOT_HOLDER', `objects[${i}]: "${p.signer}" neither holds ${obj.code} nor is an inspector`, { code: obj.code });
    }
    return touch(obj.code, seq, 'inspected', p.signer);
  });
}

function track(view: DomainView, p: P<'track'>, seq: number): DomainEffect[] {
  if (p.shipment !== undefined) {
    const s = shipmentByHash(view, p.shipment, 'shipment');
    if (![s.sender, s.receiver, s.carrier].includes(p.signer)) {
      fail('LEDGER_PERMISSION_DENIED', `shipment seq ${s.seq}: tracked by its sender, carrier or addressee, not "${p.signer}"`);
    }
    return s.items.map((it) => touch(it.code, seq, 'tracked', p.signer));
  }
  const customer = customerHolder(p.signer, p.recipient!);
  const [from, to, role] = p.status === 'delivered' ? [p.signer, customer, 'delivered' as const] : [customer, p.signer, 'returned' as const];
  return p.objects!.flatMap((o, i) => {
    const where = `objects[${i}]`;
    const obj = requireObject(view, canon(o.code), where);
    requireUnit(obj, o.quantity, where);
    const q = toMicro(o.quantity, where);
    if (role === 'delivered') requireHeld(view, obj, p.signer, q, where);
    else if (view.holding(obj.code, customer) < q) {
      fail('TRACE_QUANTITY_EXCEEDED', `${where}: ${p.recipient} holds ${show(view.holding(obj.code, customer), obj.unit)} of ${obj.code} delivered by "${p.signer}", less than ${show(q, obj.unit)} returned (only the participant that delivered takes goods back)`, { code: obj.code });
    }
    return [
      { kind: 'holding.add', code: obj.code, holder: from, delta: -q },
      { kind: 'holding.add', code: obj.code, holder: to, delta: q },
      touch(obj.code, seq, role, p.signer, q),
    ] satisfies DomainEffect[];
  });
}

function recall(view: DomainView, p: P<'recall'>, seq: number): DomainEffect[] {
  const operator = view.participant(p.signer)?.roles.includes('operator') ?? false;
  return p.objects.flatMap((c, i) => {
    const obj = requireObject(view, canon(c), `objects[${i}]`);
    if (!operator && obj.producer !== p.signer) {
      fail('LEDGER_PERMISSION_DENIED', `objects[${i}]: ${obj.code} is recalled by its producer "${obj.producer}" or an operator, not "${p.signer}"`);
    }
    return [{ kind: 'recall.set', code: obj.code, seq } as const, touch(obj.code, seq, 'recalled', p.signer)];
  });
}

const NOT_RETRACTABLE = new Set([
  'ledger.genesis', 'participant.register', 'participant.key.add', 'participant.key.revoke',
  'participant.prefixes.set', 'prefix.delegate', 'prefix.delegate.revoke', 'retract',
]);

function retract(view: DomainView, p: P<'retract'>, seq: number): DomainEffect[] {
  const target = view.seqOfLeafHash(fromHex(p.target));
  if (target === undefined) fail('TRACE_RETRACT_INVALID', `target: no entry has leaf hash ${p.target}`);
  const t = target!;
  const tp = view.payloadAt(t);
  if (tp.signer !== p.signer) fail('TRACE_RETRACT_DENIED', `target: seq ${t} was signed by "${tp.signer}"; only it may retract the entry`, { seq: t });
  if (NOT_RETRACTABLE.has(tp.type)) fail('TRACE_RETRACT_INVALID', `target: seq ${t} is a ${tp.type} entry, which is not retracted (registry entries have their own revocation; a retraction stands)`, { seq: t });
  const already = view.retractionOf(t);
  if (already !== undefined) fail('TRACE_RETRACT_INVALID', `target: seq ${t} was already retracted at seq ${already}`, { seq: t, retractedSeq: already });
  (p.corrections ?? []).forEach((h, i) => {
    if (view.seqOfLeafHash(fromHex(h)) === undefined) fail('TRACE_RETRACT_INVALID', `corrections[${i}]: no entry has leaf hash ${h}`);
  });

  const touches = view.touchesOf(t);
  const codes = (...roles: TouchRole[]) => [...new Set(touches.filter((x) => roles.includes(x.role)).map((x) => x.code))];
  const dependents = new Set<number>();
  const dependOn = (cs: string[], signer?: string) => view.laterTouches(cs, t, signer).forEach((s) => dependents.add(s));
  const effects: DomainEffect[] = [];
  const undoHolding = (role: TouchRole, holder: string, sign: 1 | -1) =>
    touches.filter((x) => x.role === role).forEach((x) => effects.push({ kind: 'holding.add', code: x.code, holder, delta: sign * x.quantity! }));

  switch (tp.type) {
    case 'commission':
      dependOn(codes('commissioned'));
      undoHolding('commissioned', tp.signer, -1);
      codes('commissioned').forEach((code) => effects.push({ kind: 'object.delete', code }));
      break;
    case 'transform':
      dependOn(codes('produced'));
      undoHolding('consumed', tp.signer, 1);
      undoHolding('produced', tp.signer, -1);
      codes('produced').forEach((code) => effects.push({ kind: 'object.delete', code }, { kind: 'edges.delete', output: code }));
      break;
    case 'aggregate': {
      const parent = codes('packed-into')[0]!;
      dependOn([parent]);
      touches.filter((x) => x.role === 'packed').forEach((x) => {
        // A containment row at 0 still means "travelled in the unit" (downstream and the export
        // follow it after a disaggregate). When no other standing aggregate packed this child
        // here, the row is dropped, so every reader sees the log as if the entry never was.
        const packedByOthers = view.standingPackings(parent, x.code).some((s) => s !== t);
        effects.push(
          packedByOthers ? { kind: 'contain.add', parent, child: x.code, delta: -x.quantity! } : { kind: 'contain.drop', parent, child: x.code },
          { kind: 'holding.add', code: x.code, holder: tp.signer, delta: x.quantity! },
        );
      });
      if (view.object(parent)?.createdSeq === t) effects.push({ kind: 'holding.add', code: parent, holder: tp.signer, delta: -MICRO }, { kind: 'object.delete', code: parent });
      break;
    }
    case 'disaggregate': {
      const parent = codes('unpacked-from')[0]!;
      // The parent too: once it moved on (shipped, packed, refilled), putting the children back
      // would change what that later entry handed over.
      dependOn([...codes('unpacked'), parent], tp.signer);
      touches.filter((x) => x.role === 'unpacked').forEach((x) => {
        effects.push({ kind: 'contain.add', parent, child: x.code, delta: x.quantity! }, { kind: 'holding.add', code: x.code, holder: tp.signer, delta: -x.quantity! });
      });
      break;
    }
    case 'ship': {
      const s = view.shipment(t)!;
      if (s.receivedSeq !== null) dependents.add(s.receivedSeq);
      undoHolding('shipped', tp.signer, 1);
      effects.push({ kind: 'shipment.retract', seq: t, retractedSeq: seq });
      break;
    }
    case 'receive': {
      dependOn(codes('received'), tp.signer);
      undoHolding('received', tp.signer, -1);
      const s = view.seqOfLeafHash(fromHex(tp.shipment))!;
      effects.push({ kind: 'shipment.unreceive', seq: s });
      break;
    }
    case 'track':
      if (tp.objects !== undefined) {
        const customer = customerHolder(tp.signer, tp.recipient!);
        const [from, to] = tp.status === 'delivered' ? [tp.signer, customer] : [customer, tp.signer];
        dependOn(codes('delivered', 'returned'), tp.signer);
        // The customer is not a participant: a return from them may be signed by anyone, and may
        // have taken back what this delivery handed over.
        if (tp.status === 'delivered') {
          view.laterTouches(codes('delivered'), t).filter((s) => {
            const later = view.payloadAt(s);
            return later.type === 'track' && later.status === 'returned' && later.recipient === tp.recipient;
          }).forEach((s) => dependents.add(s));
        }
        touches.filter((x) => x.role === 'delivered' || x.role === 'returned').forEach((x) => {
          effects.push({ kind: 'holding.add', code: x.code, holder: from, delta: x.quantity! }, { kind: 'holding.add', code: x.code, holder: to, delta: -x.quantity! });
        });
      }
      break;
    case 'recall':
      codes('recalled').forEach((code) => {
        const standing = view.standingRecalls(code).filter((s) => s !== t);
        effects.push({ kind: 'recall.set', code, seq: standing.length > 0 ? Math.max(...standing) : null });
      });
      break;
    case 'inspect':
      break;
  }
  if (dependents.size > 0) {
    const list = [...dependents].sort((a, b) => a - b);
    fail('TRACE_RETRACT_DEPENDENTS', `target: later entries depend on seq ${t}: ${list.join(', ')} (retract them first)`, { seq: t, dependents: list });
  }
  // Retraction markers go first: a recall.set recomputed above must not count the retracted recall.
  return [
    { kind: 'retraction.insert', target: t, seq },
    ...effects,
    ...[...new Set(touches.map((x) => x.code))].map((code) => touch(code, seq, 'retracted', p.signer)),
  ];
}
