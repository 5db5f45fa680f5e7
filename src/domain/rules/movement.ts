/**
 * State rules of goods changing hands (docs/events.md "State rules"): `ship` puts quantities in
 * transit (a shipment, named by the leaf hash of its ship entry, belongs to nobody while open);
 * `receive` hands them to the addressee, recording any discrepancy; `track` follows a shipment, or
 * delivers goods to (and takes them back from) an end customer, who is not a participant.
 */
import { fromMicro, toMicro } from '../quantity.js';
import { canon, fail, requireHeld, requireObject, requireUnit, shipmentByHash, show, touch, type P } from './checks.js';
import { customerHolder } from './customer.js';
import type { DomainEffect, DomainView } from './model.js';

export function ship(view: DomainView, p: P<'ship'>, seq: number): DomainEffect[] {
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

export function receive(view: DomainView, p: P<'receive'>, seq: number): DomainEffect[] {
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

export function track(view: DomainView, p: P<'track'>, seq: number): DomainEffect[] {
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
