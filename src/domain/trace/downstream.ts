/**
 * Downstream impact (README "HTTP API", recall impact): every object derived from or packing an
 * object, the shipments that carried them and what their receipts found missing, the deliveries
 * to end customers, who holds what now (through the containers it is packed in), and the finished
 * products and customers a recall of the object reaches.
 */
import { parseCustomerHolder } from '../rules.js';
import { depths, groupBy, participantName, qty, recallsOf, requireCode, summary, withKeyFlags, type P, type Qty } from './answer.js';
import type { EdgeRow, HoldingRow, TraceReader, TraceTouch } from './reader.js';
import { shipmentsOf } from './shipments.js';

/** Who holds some of an object: a participant, or an end customer with the participant that delivered. */
interface Holder {
  holder: string | null;
  customer: string | null;
  deliveredBy?: string;
  name: string;
  quantity: Qty;
  /** The outermost logistic unit it is held through, when packed. */
  packedIn?: string;
}

/**
 * The downstream answer of `code`.
 * @throws LedgerError TRACE_CODE_INVALID | TRACE_OBJECT_NOT_FOUND
 */
export function downstream(reader: TraceReader, code: string) {
  const root = requireCode(reader, code);
  const edges = reader.downstreamEdges(root.code);
  const byFrom = groupBy(edges, (e) => e.from);
  const depth = depths(root.code, byFrom, (e) => e.to);
  const codes = [...depth.keys()];
  const objects = new Map(reader.objects(codes).map((o) => [o.code, o]));
  const touches = reader.touchesFor(codes, ['tracked', 'delivered', 'returned', 'recalled']);
  const touchesByCode = groupBy(touches, (t) => t.code);
  const holdings = reader.holdingsOf(codes);
  const unitOf = (c: string) => objects.get(c)?.unit ?? '';
  const packedIn = groupBy(edges.filter((e) => e.kind === 'packed' && e.quantity > 0), (e) => e.from);
  const holdersOf = holdersFinder(reader, holdings, packedIn, unitOf);
  // Shipments of any derived object (or of a container holding one), with their timelines.
  const { shipments, discrepancies } = shipmentsOf(reader, codes, touches, depth, unitOf);
  const deliveries = deliveriesOf(reader, touches, unitOf);
  const recalls = codes.flatMap((c) => recallsOf(reader, touchesByCode.get(c) ?? []).map((r) => ({ code: c, ...r })));
  const finished = codes.filter((c) => objects.get(c)?.level === 'finished');
  const inTransit = (c: string) => {
    const carriers = enclosing(packedIn, c);
    return shipments.filter((s) => s.status !== 'received' && s.items.some((it) => carriers.has(it.code))).map((s) => s.seq);
  };
  return withKeyFlags(reader, {
    code: root.code,
    object: summary(reader, root),
    flags: recalls.map((r) => ({ kind: 'recall' as const, ...r })),
    derived: codes.slice(1).map((c) => ({ ...summary(reader, objects.get(c)!), depth: depth.get(c)! })),
    edges: edges.map((e) => ({ from: e.from, to: e.to, kind: e.kind, quantity: qty(e.quantity, unitOf(e.from)), seq: e.seq })),
    shipments,
    discrepancies,
    deliveries,
    holders: codes.flatMap((c) => holdersOf(c).map((h) => ({ code: c, ...h }))),
    impact: {
      recalled: recalls.length > 0,
      recalls,
      finishedProducts: finished.map((c) => ({ ...summary(reader, objects.get(c)!), holders: holdersOf(c), inTransitShipments: inTransit(c) })),
      customers: [...new Set(holdings.flatMap((h) => parseCustomerHolder(h.holder)?.recipient ?? []))].sort(),
    },
  });
}

/**
 * The holders of a code: its direct holdings, and, since goods packed in a pallet are held by
 * whoever holds the pallet, the holders of every unit it is packed in (transitively).
 */
function holdersFinder(reader: TraceReader, holdings: readonly HoldingRow[], packedIn: Map<string, EdgeRow[]>, unitOf: (code: string) => string) {
  const holdingsByCode = groupBy(holdings, (h) => h.code);
  const holdersOf = (c: string, seen = new Set<string>()): Holder[] => [
    ...(holdingsByCode.get(c) ?? []).map((h) => {
      const customer = parseCustomerHolder(h.holder);
      return {
        holder: customer === undefined ? h.holder : null,
        customer: customer?.recipient ?? null,
        ...(customer === undefined ? {} : { deliveredBy: customer.deliverer }),
        name: participantName(reader, h.holder),
        quantity: qty(h.quantity, unitOf(c)),
      };
    }),
    ...(packedIn.get(c) ?? []).filter((e) => !seen.has(e.to)).flatMap((e) =>
      holdersOf(e.to, new Set([...seen, c])).map((h) => ({ ...h, quantity: qty(e.quantity, unitOf(c)), packedIn: h.packedIn ?? e.to })),
    ),
  ];
  return holdersOf;
}

/** Standing deliveries to and returns from end customers. */
function deliveriesOf(reader: TraceReader, touches: readonly TraceTouch[], unitOf: (code: string) => string) {
  return touches
    .filter((t) => (t.role === 'delivered' || t.role === 'returned') && t.retractedBy === null)
    .map((t) => {
      const p = reader.payloadAt(t.seq) as P<'track'>;
      return { seq: t.seq, code: t.code, status: p.status, recipient: p.recipient!, time: p.time, signer: p.signer, quantity: qty(t.quantity ?? 0, unitOf(t.code)) };
    });
}

/** `c` and every logistic unit it is packed in: an object packed in a unit travels with it, so its open shipments include the unit's. */
function enclosing(packedIn: Map<string, EdgeRow[]>, c: string): Set<string> {
  const found = new Set([c]);
  for (let frontier = [c]; frontier.length > 0; ) {
    frontier = frontier.flatMap((x) => (packedIn.get(x) ?? []).map((e) => e.to)).filter((p) => !found.has(p));
    frontier.forEach((p) => found.add(p));
  }
  return found;
}
