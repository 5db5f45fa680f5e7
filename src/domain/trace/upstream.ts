/**
 * Upstream provenance (README "HTTP API"): every object an object was made or packed from, back to
 * the commissioned source lots, each with its producer, inputs, inspections, certificates, recalls,
 * process and footprint per unit; the answer's flags name failed inspections and recalls upstream.
 */
import { answerKeyFlags } from '../key-provenance.js';
import type { ObjectRow } from '../rules.js';
import { depths, groupBy, inspectionsOf, participantName, qty, recallsOf, requireCode, round, summary, type Inspection, type Qty, type Recall } from './answer.js';
import { footprintCalculator } from './footprint.js';
import type { EdgeRow, TraceReader, TraceTouch } from './reader.js';

/** One object of an upstream answer: what it is, who made it from what, its checks and footprint. */
export interface UpstreamNode {
  code: string;
  level: string;
  product: ObjectRow['spec']['product'];
  producer: { id: string; name: string };
  quantity: Qty;
  createdSeq: number;
  createdBy: string;
  attributes?: NonNullable<ObjectRow['spec']['attributes']>;
  recalledSeq: number | null;
  depth: number;
  inputs: Array<{ code: string; consumed: Qty; allocated: Qty; seq: number | null } | { code: string; packed: Qty; seqs: number[] }>;
  inspections: Inspection[];
  certificates: Array<Record<string, unknown> & { seq: number }>;
  recalls: Recall[];
  process: Record<string, unknown> | null;
  footprint: { kgCO2ePerUnit: number; electricityKWhPerUnit: number; waterM3PerUnit: number; primaryDataShare: number; declared: boolean };
}

/** What building one node of an upstream answer reads, gathered once per query. */
interface UpstreamWalk {
  readonly reader: TraceReader;
  readonly objects: Map<string, ObjectRow>;
  readonly depth: Map<string, number>;
  /** Edges into each code: what it was made or packed from. */
  readonly byTo: Map<string, EdgeRow[]>;
  readonly touches: Map<string, TraceTouch[]>;
  readonly fp: ReturnType<typeof footprintCalculator>;
  /** The answer's flags, which building the nodes finds (failed inspections, recalls). */
  readonly flags: Array<Record<string, unknown>>;
  producerOf(id: string): { id: string; name: string };
  unitOf(code: string): string;
}

/**
 * The upstream answer of `code`: the object, its ancestors (nodes, by depth), their flags and the
 * footprint roll-up of the object.
 * @throws LedgerError TRACE_CODE_INVALID | TRACE_OBJECT_NOT_FOUND
 */
export function upstream(reader: TraceReader, code: string) {
  const root = requireCode(reader, code);
  const edges = reader.upstreamEdges(root.code);
  const byTo = groupBy(edges, (e) => e.to);
  const depth = depths(root.code, byTo, (e) => e.from);
  const codes = [...depth.keys()];
  const objects = new Map<string, ObjectRow>();
  for (const o of reader.objects(codes)) objects.set(o.code, o);
  const touches = groupBy(reader.touchesFor(codes, ['inspected', 'recalled', 'packed', 'packed-into']), (t) => t.code);
  const fp = footprintCalculator(reader, objects, byTo);
  const flags: Array<Record<string, unknown>> = [];
  // A trace names the same few producers on every node: one {id, name} per participant.
  const producers = new Map<string, { id: string; name: string }>();
  const producerOf = (id: string) => {
    let p = producers.get(id);
    if (p === undefined) producers.set(id, (p = { id, name: participantName(reader, id) }));
    return p;
  };
  const unitOf = (c: string) => objects.get(c)?.unit ?? '';

  const walk: UpstreamWalk = { reader, objects, depth, byTo, touches, fp, flags, producerOf, unitOf };
  const nodes = codes.map((c) => upstreamNode(walk, c));
  flags.sort((a, b) => (a['depth'] as number) - (b['depth'] as number) || (a['seq'] as number) - (b['seq'] as number));
  const answer = {
    code: root.code,
    object: summary(reader, root),
    flags,
    ancestors: nodes.length - 1,
    footprint: fp(root.code),
    nodes,
  };
  flags.push(...answerKeyFlags(reader, answer).map((f): Record<string, unknown> => ({ ...f })));
  return answer;
}

/**
 * One node, built as plain literals (no spreads, no per-node closures): a 1,000-ancestor answer is
 * ~25,000 objects, and building them was most of the query's time.
 */
function upstreamNode(walk: UpstreamWalk, c: string): UpstreamNode {
  const { reader, objects, depth, byTo, touches, fp, flags, producerOf, unitOf } = walk;
  const o = objects.get(c)!;
  const d = depth.get(c)!;
  const t = touches.get(c);
  const inspections = t === undefined ? [] : inspectionsOf(reader, t);
  const recalls = t === undefined ? [] : recallsOf(reader, t);
  for (const i of inspections) {
    if (i.result === 'fail') flags.push({ kind: 'failed_inspection', code: c, depth: d, seq: i.seq, detail: i.note ?? i.standard ?? 'inspection failed' });
  }
  for (const r of recalls) flags.push({ kind: 'recall', code: c, depth: d, seq: r.seq, detail: r.reason });
  let process: Record<string, unknown> | null = null;
  let share = 1;
  if (o.createdBy === 'transform') {
    const { t: tp, shares } = fp.transform(o.createdSeq);
    share = shares[fp.outputIndex(tp, c)]!;
    process = { seq: o.createdSeq, ...tp.process, allocationShare: round(share) };
  }
  const ins = byTo.get(c) ?? [];
  const inputs: UpstreamNode['inputs'] = new Array(ins.length);
  for (let k = 0; k < ins.length; k++) {
    const e = ins[k]!;
    const unit = unitOf(e.from);
    inputs[k] = e.kind === 'transform'
      ? { code: e.from, consumed: qty(e.quantity, unit), allocated: qty(Math.round(e.quantity * share), unit), seq: e.seq }
      : {
          code: e.from,
          packed: qty(e.quantity, unit),
          // The aggregates into this unit that packed this child (not every one into the unit).
          seqs: (t ?? [])
            .filter((x) => x.role === 'packed-into' && x.retractedBy === null && (touches.get(e.from) ?? []).some((y) => y.seq === x.seq && y.role === 'packed'))
            .map((x) => x.seq),
        };
  }
  const f = fp.figures(c);
  const node = {
    code: o.code,
    level: o.level,
    product: o.spec.product,
    producer: producerOf(o.producer),
    quantity: qty(o.quantity, o.unit),
    createdSeq: o.createdSeq,
    createdBy: o.createdBy,
  } as UpstreamNode;
  if (o.spec.attributes !== undefined) node.attributes = o.spec.attributes;
  node.recalledSeq = o.recalledSeq;
  node.depth = d;
  node.inputs = inputs;
  node.inspections = inspections;
  node.certificates = o.spec.certificates === undefined ? [] : o.spec.certificates.map((cert) => ({ ...cert, seq: o.createdSeq }));
  node.recalls = recalls;
  node.process = process;
  node.footprint = {
    kgCO2ePerUnit: f.kgCO2ePerUnit,
    electricityKWhPerUnit: f.electricityKWhPerUnit,
    waterM3PerUnit: f.waterM3PerUnit,
    primaryDataShare: f.primaryDataShare,
    declared: o.createdBy === 'commission' && o.spec.footprint !== undefined,
  };
  return node;
}
