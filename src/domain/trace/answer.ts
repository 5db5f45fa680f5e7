/**
 * What the trace answers share: the object a query names, the summary of an object, names of
 * participants and customers, quantities in their unit, the walks over the edge lists, and the
 * inspections and recalls of an object. Every fact names the seq of the entry that proves it.
 */
import { LedgerError } from '../../core/errors.js';
import { parseCode } from '../../core/codes.js';
import { answerKeyFlags, type OperatorKeyFlag } from '../key-provenance.js';
import { fromMicro } from '../quantity.js';
import { parseCustomerHolder, type ObjectRow } from '../rules.js';
import type { Payload } from '../schemas.js';
import type { EdgeRow, TraceReader, TraceTouch } from './reader.js';

export type P<T extends Payload['type']> = Extract<Payload, { type: T }>;
export const qty = (micro: number, unit: string) => ({ value: fromMicro(micro), unit });
export type Qty = ReturnType<typeof qty>;
/** Drops floating-point noise (0.30000000000000004 → 0.3) without losing real precision. */
export const round = (x: number) => Number(x.toPrecision(12));

/**
 * The object a query names: the canonical code must parse (400) and exist (404).
 * @throws LedgerError TRACE_CODE_INVALID | TRACE_OBJECT_NOT_FOUND
 */
export function requireCode(reader: TraceReader, code: string): ObjectRow {
  const canonical = parseCode(code).canonical;
  return reader.object(canonical) ?? (() => {
    throw new LedgerError('TRACE_OBJECT_NOT_FOUND', `no object ${canonical} was ever commissioned`);
  })();
}

export function participantName(reader: TraceReader, id: string): string {
  const customer = parseCustomerHolder(id);
  if (customer !== undefined) return customer.recipient;
  return reader.participant(id)?.name ?? id;
}

export function summary(reader: TraceReader, o: ObjectRow) {
  return {
    code: o.code,
    level: o.level,
    product: o.spec.product,
    producer: { id: o.producer, name: participantName(reader, o.producer) },
    quantity: qty(o.quantity, o.unit),
    createdSeq: o.createdSeq,
    createdBy: o.createdBy,
    ...(o.spec.attributes === undefined ? {} : { attributes: o.spec.attributes }),
    recalledSeq: o.recalledSeq,
  };
}

/** Depth of every node reachable from root over `next`, breadth first. */
export function depths(root: string, next: Map<string, EdgeRow[]>, pick: (e: EdgeRow) => string): Map<string, number> {
  const depth = new Map([[root, 0]]);
  let frontier = [root];
  for (let d = 1; frontier.length > 0; d++) {
    const nextFrontier: string[] = [];
    for (const c of frontier) {
      for (const e of next.get(c) ?? []) {
        const n = pick(e);
        if (!depth.has(n)) {
          depth.set(n, d);
          nextFrontier.push(n);
        }
      }
    }
    frontier = nextFrontier;
  }
  return depth;
}

export function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list === undefined) m.set(k, [it]);
    else list.push(it);
  }
  return m;
}

export function inspectionsOf(reader: TraceReader, touches: readonly TraceTouch[]) {
  return touches
    .filter((t) => t.role === 'inspected' && t.retractedBy === null)
    .map((t) => {
      const p = reader.payloadAt(t.seq) as P<'inspect'>;
      return {
        seq: t.seq, signer: p.signer, time: p.time, result: p.result,
        ...(p.standard === undefined ? {} : { standard: p.standard }),
        ...(p.measurements === undefined ? {} : { measurements: p.measurements }),
        ...(p.certificate === undefined ? {} : { certificate: p.certificate }),
        ...(p.note === undefined ? {} : { note: p.note }),
      };
    });
}

export function recallsOf(reader: TraceReader, touches: readonly TraceTouch[]) {
  return touches
    .filter((t) => t.role === 'recalled' && t.retractedBy === null)
    .map((t) => {
      const p = reader.payloadAt(t.seq) as P<'recall'>;
      return { seq: t.seq, signer: p.signer, time: p.time, reason: p.reason };
    });
}

export type Inspection = ReturnType<typeof inspectionsOf>[number];
export type Recall = ReturnType<typeof recallsOf>[number];

/** The answer with a flag for each entry it cites that an operator-added key signed (key-provenance.ts). */
export function withKeyFlags<A extends { flags: readonly object[] }>(reader: TraceReader, answer: A): Omit<A, 'flags'> & { flags: Array<A['flags'][number] | OperatorKeyFlag> } {
  return { ...answer, flags: [...answer.flags, ...answerKeyFlags(reader, answer)] };
}
