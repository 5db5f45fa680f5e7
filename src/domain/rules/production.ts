/**
 * State rules of the events that create objects (docs/events.md "State rules"): `commission` brings
 * new objects into the ledger; `transform` consumes inputs the signer holds and produces outputs,
 * recording the edges the upstream trace and the footprint roll-up follow.
 */
import { requireCodeOwned } from '../prefixes.js';
import { toMicro } from '../quantity.js';
import { canon, fail, newObject, requireHeld, requireNamespace, requireNew, requireObject, requireRole, requireUnit, touch, type P, type Quantity } from './checks.js';
import type { DomainEffect, DomainView } from './model.js';

export function commission(view: DomainView, p: P<'commission'>, seq: number): DomainEffect[] {
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

export function transform(view: DomainView, p: P<'transform'>, seq: number): DomainEffect[] {
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
