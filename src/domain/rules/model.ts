/**
 * What the state rules speak in: the projection rows they read (objects, shipments, touches), the
 * read view of them (`DomainView`) and the effects they return for the store to apply in the same
 * transaction as the record.
 */
import type { RegistryView } from '../registry.js';
import type { Payload } from '../schemas.js';

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
