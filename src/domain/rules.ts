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
 *
 * One module per event family under rules/ (production, containment, movement, inspection-recall,
 * retract), with the checks they share (rules/checks.ts) and the rows, view and effects they speak
 * in (rules/model.ts); this module dispatches on the payload type and keeps the exported API.
 */
import type { Payload } from './schemas.js';
import { aggregate, disaggregate } from './rules/containment.js';
import { inspect, recall } from './rules/inspection-recall.js';
import type { DomainEffect, DomainView } from './rules/model.js';
import { receive, ship, track } from './rules/movement.js';
import { commission, transform } from './rules/production.js';
import { retract } from './rules/retract.js';

export { CUSTOMER_PREFIX, customerHolder, parseCustomerHolder } from './rules/customer.js';
export type { DomainEffect, DomainView, ObjectRow, ObjectSpecJson, ShipmentItem, ShipmentRow, Touch, TouchRole } from './rules/model.js';
export { canon, requireHeld } from './rules/checks.js';
export { allocationShares } from './rules/production.js';

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
