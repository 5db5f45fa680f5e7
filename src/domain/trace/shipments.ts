/**
 * Shipments in the trace answers: the standing shipments carrying any of a lot's derived objects,
 * with their timelines and the discrepancies their receipts recorded, and one shipment read by
 * seq (which also answers for a retracted one).
 */
import { LedgerError } from '../../core/errors.js';
import { shipmentView } from '../shipment-view.js';
import { groupBy, participantName, qty, type P } from './answer.js';
import type { TraceReader, TraceTouch } from './reader.js';

/**
 * The standing shipments of `codes` (or of a container holding one), with their timelines from
 * `touches`, and a discrepancy for each item of `inAnswer` received short.
 */
export function shipmentsOf(reader: TraceReader, codes: readonly string[], touches: readonly TraceTouch[], inAnswer: ReadonlyMap<string, unknown>, unitOf: (code: string) => string) {
  const tracks = groupBy(
    (() => {
      const seen = new Set<number>();
      return touches.filter((t) => t.role === 'tracked' && t.retractedBy === null && !seen.has(t.seq) && (seen.add(t.seq), true));
    })(),
    (t) => (reader.payloadAt(t.seq) as P<'track'>).shipment ?? '',
  );
  const discrepancies: Array<Record<string, unknown>> = [];
  const naming = { nameOf: (id: string) => participantName(reader, id), unitOf };
  const shipments = reader.shipmentsOf(codes).map((s) => {
    const view = shipmentView(reader, s, tracks.get(reader.recordMeta(s.seq).leafHash) ?? [], naming);
    const rp = s.receivedSeq === null ? undefined : (reader.payloadAt(s.receivedSeq) as P<'receive'>);
    s.items.forEach((it, k) => {
      if (it.received === null || it.received === it.shipped || !inAnswer.has(it.code)) return;
      const { shipped, received } = view.items[k]!;
      discrepancies.push({ shipmentSeq: s.seq, receiveSeq: s.receivedSeq, code: it.code, shipped, received, missing: qty(it.shipped - it.received, shipped.unit), condition: rp?.condition ?? null, note: rp?.note ?? null });
    });
    return view;
  });
  return { shipments, discrepancies };
}

/**
 * The shipment dispatched at `seq`, read directly rather than through a lot's downstream answer,
 * so that a retracted shipment (gone from every trace answer) can still be reported on: its
 * status is then `retracted` and `retractedSeq` names the retraction.
 * @throws LedgerError LEDGER_NOT_FOUND (no ship entry at seq)
 */
export function shipmentAt(reader: TraceReader, seq: number) {
  const s = reader.shipment(seq);
  if (s === undefined) throw new LedgerError('LEDGER_NOT_FOUND', `entry ${seq} is not a shipment`);
  const leafHash = reader.recordMeta(seq).leafHash;
  const seen = new Set<number>();
  const tracks = reader
    .touchesFor(s.items.map((it) => it.code), ['tracked'])
    .filter((t) => t.retractedBy === null && !seen.has(t.seq) && (seen.add(t.seq), true) && (reader.payloadAt(t.seq) as P<'track'>).shipment === leafHash);
  return shipmentView(reader, s, tracks, { nameOf: (id) => participantName(reader, id), unitOf: () => '' });
}
