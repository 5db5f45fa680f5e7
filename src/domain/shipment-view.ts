/**
 * One shipment as the trace answers show it: parties, items, status and its timeline (dispatch,
 * the carriers' tracking, the receipt). Shared by the downstream answer, which lists the standing
 * shipments of a lot, and by the direct read of one shipment by seq, which the handoff report
 * uses and which also answers for a retracted shipment (docs/events.md, Retractions).
 */
import { fromMicro } from './quantity.js';
import type { ShipmentRow } from './rules.js';
import type { Payload } from './schemas.js';
import type { TraceReader, TraceTouch } from './trace/reader.js';

type P<T extends Payload['type']> = Extract<Payload, { type: T }>;
const qty = (micro: number, unit: string) => ({ value: fromMicro(micro), unit });

/** How a shipment view names participants and units (the caller's caches). */
export interface ShipmentNaming {
  readonly nameOf: (id: string) => string;
  readonly unitOf: (code: string) => string;
}

/**
 * The view of shipment `s`; `tracks` are the standing `tracked` touches of its shipment (by
 * the ship entry's leaf hash), one per track entry.
 */
export function shipmentView(reader: TraceReader, s: ShipmentRow, tracks: readonly TraceTouch[], naming: ShipmentNaming) {
  const party = (id: string) => ({ id, name: naming.nameOf(id) });
  const sp = reader.payloadAt(s.seq) as P<'ship'>;
  const meta = reader.recordMeta(s.seq);
  const rp = s.receivedSeq === null ? undefined : (reader.payloadAt(s.receivedSeq) as P<'receive'>);
  const timeline = [
    { seq: s.seq, status: 'dispatched', time: sp.time, signer: sp.signer },
    ...tracks.map((t) => {
      const tp = reader.payloadAt(t.seq) as P<'track'>;
      return { seq: t.seq, status: tp.status, time: tp.time, signer: tp.signer, ...(tp.location === undefined ? {} : { location: tp.location }) };
    }),
    ...(rp === undefined ? [] : [{ seq: s.receivedSeq!, status: 'received', time: rp.time, signer: rp.signer }]),
  ].sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || a.seq - b.seq);
  const unit = (code: string) => naming.unitOf(code) || (reader.object(code)?.unit ?? '');
  const items = s.items.map((it) => ({
    code: it.code,
    shipped: qty(it.shipped, unit(it.code)),
    received: it.received === null ? null : qty(it.received, unit(it.code)),
  }));
  const leadTimeHours = rp === undefined ? null : Math.round((Date.parse(rp.time) - Date.parse(sp.time)) / 360) / 10_000;
  return {
    seq: s.seq,
    leafHash: meta.leafHash,
    sender: party(s.sender),
    receiver: party(s.receiver),
    carrier: s.carrier === null ? null : party(s.carrier),
    status: s.retractedSeq !== null ? 'retracted' : s.receivedSeq !== null ? 'received' : (timeline.at(-1)!.status === 'dispatched' ? 'in_transit' : timeline.at(-1)!.status),
    dispatchedAt: sp.time,
    expectedDelivery: sp.expectedDelivery ?? null,
    receivedSeq: s.receivedSeq,
    receivedAt: rp?.time ?? null,
    leadTimeHours,
    ...(sp.transport === undefined ? {} : { transport: sp.transport }),
    retractedSeq: s.retractedSeq,
    items,
    timeline,
  };
}

export type ShipmentView = ReturnType<typeof shipmentView>;
