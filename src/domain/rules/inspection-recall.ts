/**
 * State rules of findings about objects (docs/events.md "State rules"): `inspect` is signed by an
 * inspector or a holder; `recall` by the object's producer or an operator, and a recalled object
 * can no longer be consumed by a transform.
 */
import { canon, fail, requireObject, touch, type P } from './checks.js';
import type { DomainEffect, DomainView } from './model.js';

export function inspect(view: DomainView, p: P<'inspect'>, seq: number): DomainEffect[] {
  const inspector = view.participant(p.signer)?.roles.includes('inspector') ?? false;
  return p.objects.map((c, i) => {
    const obj = requireObject(view, canon(c), `objects[${i}]`);
    if (!inspector && view.holding(obj.code, p.signer) <= 0) {
      fail('TRACE_NOT_HOLDER', `objects[${i}]: "${p.signer}" neither holds ${obj.code} nor is an inspector`, { code: obj.code });
    }
    return touch(obj.code, seq, 'inspected', p.signer);
  });
}

export function recall(view: DomainView, p: P<'recall'>, seq: number): DomainEffect[] {
  const operator = view.participant(p.signer)?.roles.includes('operator') ?? false;
  return p.objects.flatMap((c, i) => {
    const obj = requireObject(view, canon(c), `objects[${i}]`);
    if (!operator && obj.producer !== p.signer) {
      fail('LEDGER_PERMISSION_DENIED', `objects[${i}]: ${obj.code} is recalled by its producer "${obj.producer}" or an operator, not "${p.signer}"`);
    }
    return [{ kind: 'recall.set', code: obj.code, seq } as const, touch(obj.code, seq, 'recalled', p.signer)];
  });
}
