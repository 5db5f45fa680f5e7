/**
 * What the trace queries read: the projections of the traceability state (objects, holdings,
 * shipments, touches, the transform and packing edges) and the log's payloads, through one
 * interface the store implements.
 */
import type { KeyProvenanceReader } from '../key-provenance.js';
import type { ParticipantRecord } from '../registry.js';
import type { ObjectRow, ShipmentRow, Touch, TouchRole } from '../rules.js';
import type { Payload } from '../schemas.js';

export interface EdgeRow {
  /** Output of a transform, or the container. */
  readonly to: string;
  /** Input of a transform, or the packed child. */
  readonly from: string;
  /** Micro quantity of `from` consumed by the transform (all its outputs together), or packed. */
  readonly quantity: number;
  /** Seq of the transform; null for containment (see touches for the packing entries). */
  readonly seq: number | null;
  readonly kind: 'transform' | 'packed';
}

export interface HoldingRow {
  readonly code: string;
  readonly holder: string;
  readonly quantity: number;
}

export interface TraceTouch extends Touch {
  readonly retractedBy: number | null;
}

export interface TraceReader extends KeyProvenanceReader {
  object(code: string): ObjectRow | undefined;
  objects(codes: readonly string[]): ObjectRow[];
  holdingsOf(codes: readonly string[]): HoldingRow[];
  /** The standing (not retracted) shipments carrying any of codes, in seq order. */
  shipmentsOf(codes: readonly string[]): ShipmentRow[];
  /** The shipment dispatched at seq, retracted or not. */
  shipment(seq: number): ShipmentRow | undefined;
  /** Touches of codes (only of `roles` when given), in seq order, with their retraction if any. */
  touchesFor(codes: readonly string[], roles?: readonly TouchRole[]): TraceTouch[];
  upstreamEdges(code: string): EdgeRow[];
  downstreamEdges(code: string): EdgeRow[];
  payloadAt(seq: number): Payload;
  /** recordedAt and hex leaf hash of the record at seq. */
  recordMeta(seq: number): { recordedAt: string; leafHash: string };
  participant(id: string): ParticipantRecord | undefined;
}
