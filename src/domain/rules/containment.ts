/**
 * State rules of logistic units (docs/events.md "State rules"): `aggregate` packs objects into a
 * unit (an SSCC or a urn:trace code, created by the first aggregate that names it), and objects
 * packed in it are held through it; `disaggregate` unpacks them, to be held directly again.
 */
import { parseCode } from '../../core/codes.js';
import { requireCodeOwned } from '../prefixes.js';
import { fromMicro, MICRO, toMicro } from '../quantity.js';
import { canon, fail, requireHeld, requireNamespace, requireObject, requireUnit, show, touch, type P } from './checks.js';
import type { DomainEffect, DomainView, ObjectRow } from './model.js';

export function aggregate(view: DomainView, p: P<'aggregate'>, seq: number): DomainEffect[] {
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

export function disaggregate(view: DomainView, p: P<'disaggregate'>, seq: number): DomainEffect[] {
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
