/**
 * The retraction rule (docs/events.md "State rules", "Model decisions"): a signer retracts its own traceability entry,
 * once, and only while no later entry depends on what it did; the retraction then undoes the
 * entry's effects so that every answer reads the log as if the entry never was.
 */
import { fromHex } from '../../core/bytes.js';
import { MICRO } from '../quantity.js';
import type { Payload } from '../schemas.js';
import { fail, touch, type P } from './checks.js';
import { customerHolder } from './customer.js';
import type { DomainEffect, DomainView, Touch, TouchRole } from './model.js';

const NOT_RETRACTABLE = new Set([
  'ledger.genesis', 'participant.register', 'participant.key.add', 'participant.key.revoke',
  'participant.prefixes.set', 'prefix.delegate', 'prefix.delegate.revoke', 'retract',
]);

export function retract(view: DomainView, p: P<'retract'>, seq: number): DomainEffect[] {
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

  const undo = undoing(view, t);
  undoEntry(undo, tp, seq);
  const { touches, effects, dependents } = undo;
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

/** What undoing the entry at `seq` collects: its touches, the reversing effects, the later entries that depend on it. */
interface Undo {
  readonly view: DomainView;
  /** Seq of the entry being retracted. */
  readonly seq: number;
  readonly touches: readonly Touch[];
  readonly effects: DomainEffect[];
  readonly dependents: Set<number>;
  /** The codes the entry touched in any of `roles`. */
  codes(...roles: TouchRole[]): string[];
  /** Later standing entries touching any of `codes` (only the signer's, when given) depend on this one. */
  dependOn(codes: string[], signer?: string): void;
  /** Gives back (`sign` 1) or takes back (-1) the quantities the entry moved in `role` for `holder`. */
  undoHolding(role: TouchRole, holder: string, sign: 1 | -1): void;
}

function undoing(view: DomainView, t: number): Undo {
  const touches = view.touchesOf(t);
  const effects: DomainEffect[] = [];
  const dependents = new Set<number>();
  return {
    view, seq: t, touches, effects, dependents,
    codes: (...roles) => [...new Set(touches.filter((x) => roles.includes(x.role)).map((x) => x.code))],
    dependOn: (cs, signer) => view.laterTouches(cs, t, signer).forEach((s) => dependents.add(s)),
    undoHolding: (role, holder, sign) =>
      touches.filter((x) => x.role === role).forEach((x) => effects.push({ kind: 'holding.add', code: x.code, holder, delta: sign * x.quantity! })),
  };
}

/** The effects that reverse entry `tp` (at `undo.seq`) and the entries depending on it, by its type; `seq` is the retraction's. */
function undoEntry(undo: Undo, tp: Payload, seq: number): void {
  const { view, seq: t, touches, effects, dependents, codes, dependOn, undoHolding } = undo;
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
    case 'aggregate':
      undoAggregate(undo, tp);
      break;
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
      if (tp.objects !== undefined) undoCustomerHandover(undo, tp);
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
}

/** An aggregate: its children go back to the signer, and a unit it created goes away. */
function undoAggregate(undo: Undo, tp: P<'aggregate'>): void {
  const { view, seq: t, touches, effects, codes, dependOn } = undo;
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
}

/** A delivery to, or a return from, an end customer: the quantities go back the other way. */
function undoCustomerHandover(undo: Undo, tp: P<'track'>): void {
  const { view, seq: t, touches, effects, dependents, codes, dependOn } = undo;
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
