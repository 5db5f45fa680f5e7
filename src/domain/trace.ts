/**
 * The trace queries (README "HTTP API"): upstream provenance, downstream impact, history and
 * the cradle-to-gate footprint roll-up, over a read interface of the projections. Every fact in an
 * answer names the seq of the entry that proves it, so a reader can fetch that entry and its
 * inclusion proof and check it against a signed checkpoint.
 */
import { LedgerError } from '../core/errors.js';
import { parseCode } from '../core/codes.js';
import { sha256 } from '../core/hash.js';
import { fromMicro } from './quantity.js';
import { answerKeyFlags, operatorKeyFlagAt, type KeyProvenanceReader, type OperatorKeyFlag } from './key-provenance.js';
import type { ParticipantRecord } from './registry.js';
import { allocationShares, canon, parseCustomerHolder, type ObjectRow, type ShipmentRow, type Touch, type TouchRole } from './rules.js';
import type { Payload } from './schemas.js';
import { shipmentView } from './shipment-view.js';

export interface EdgeRow {
  /** Output of a transform, or the container. */
  readonly to: string;
  /** Input of a transform, or the packed child. */
  readonly from: string;
  /** Micro quantity of `from` consumed by the transform (all its outputs together), or packed. */
  readonly quantity: number;
  /** Seq of the transform; null for containment (see touches for the packing entries). */
  readonly seq: number | null;
  readonly kind: 'transform' | 'packed';
}

export interface HoldingRow {
  readonly code: string;
  readonly holder: string;
  readonly quantity: number;
}

export interface TraceTouch extends Touch {
  readonly retractedBy: number | null;
}

export interface TraceReader extends KeyProvenanceReader {
  object(code: string): ObjectRow | undefined;
  objects(codes: readonly string[]): ObjectRow[];
  holdingsOf(codes: readonly string[]): HoldingRow[];
  /** The standing (not retracted) shipments carrying any of codes, in seq order. */
  shipmentsOf(codes: readonly string[]): ShipmentRow[];
  /** The shipment dispatched at seq, retracted or not. */
  shipment(seq: number): ShipmentRow | undefined;
  /** Touches of codes (only of `roles` when given), in seq order, with their retraction if any. */
  touchesFor(codes: readonly string[], roles?: readonly TouchRole[]): TraceTouch[];
  upstreamEdges(code: string): EdgeRow[];
  downstreamEdges(code: string): EdgeRow[];
  payloadAt(seq: number): Payload;
  /** recordedAt and hex leaf hash of the record at seq. */
  recordMeta(seq: number): { recordedAt: string; leafHash: string };
  participant(id: string): ParticipantRecord | undefined;
}

type P<T extends Payload['type']> = Extract<Payload, { type: T }>;
const qty = (micro: number, unit: string) => ({ value: fromMicro(micro), unit });
/** Drops floating-point noise (0.30000000000000004 → 0.3) without losing real precision. */
const round = (x: number) => Number(x.toPrecision(12));

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

function participantName(reader: TraceReader, id: string): string {
  const customer = parseCustomerHolder(id);
  if (customer !== undefined) return customer.recipient;
  return reader.participant(id)?.name ?? id;
}

const KG_PER: Record<string, number> = { KGM: 1, TNE: 1000, GRM: 0.001 };

/** Mass in kg of `value` of an object, when its unit is a mass or its product states netMassKg. */
function massKg(o: ObjectRow, value: number): number | undefined {
  const perUnit = KG_PER[o.unit] ?? o.spec.product.netMassKg;
  return perUnit === undefined ? undefined : value * perUnit;
}

function summary(reader: TraceReader, o: ObjectRow) {
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

// ---------------------------------------------------------------------------------------------
// Footprint roll-up (docs/events.md "Footprint roll-up"), memoised over the ancestry DAG.

export interface UnitFootprint {
  /** kgCO2e per unit of the object's quantity unit, excluding biogenic. */
  readonly kgCO2ePerUnit: number;
  readonly electricityKWhPerUnit: number;
  readonly waterM3PerUnit: number;
  /** Percent of the figure resting on declared (primary) data; the rest is data gaps. */
  readonly primaryDataShare: number;
  /** Source objects with no declared footprint (reported, never counted as zero silently). */
  readonly dataGaps: readonly string[];
  /** Seqs of the entries the figure is computed from. */
  readonly seqs: readonly number[];
}

interface Acc {
  co2: number;
  elec: number;
  water: number;
  /** Share (0..1) of the figure that is a data gap. */
  gap: number;
}

/**
 * Roll-up per unit, memoised over the ancestry DAG: O(nodes + edges). The figures of every node are
 * numbers only; the sources and data gaps behind one object (`details`) are collected by one walk
 * of its ancestry, not carried along every node (which made a 1,000-ancestor trace quadratic).
 * `contents` holds edges into codes already loaded (its packed ones are what a logistic unit
 * contains); for a code it lacks, the edges are read.
 */
export function footprintCalculator(reader: TraceReader, objects: Map<string, ObjectRow>, contents: Map<string, EdgeRow[]>) {
  const memo = new Map<string, Acc>();
  const inputsOf = new Map<string, string[]>();
  const transforms = new Map<number, { t: P<'transform'>; shares: number[] }>();
  const load = (code: string): ObjectRow => {
    let o = objects.get(code);
    if (o === undefined) {
      o = reader.object(code)!;
      objects.set(code, o);
    }
    return o;
  };
  const transformOf = (seq: number) => {
    let x = transforms.get(seq);
    if (x === undefined) {
      const t = reader.payloadAt(seq) as P<'transform'>;
      x = { t, shares: allocationShares(t.outputs) };
      transforms.set(seq, x);
    }
    return x;
  };
  /** Which of a transform's outputs `code` is. */
  const outputIndex = (t: P<'transform'>, code: string) => t.outputs.findIndex((out) => canon(out.code) === code);
  const packedIn = (code: string) => (contents.get(code) ?? reader.upstreamEdges(code)).filter((e) => e.kind === 'packed' && e.to === code && e.quantity > 0);

  function of(code: string): Acc {
    const hit = memo.get(code);
    if (hit !== undefined) return hit;
    const o = load(code);
    let acc: Acc;
    if (o.createdBy === 'commission') {
      const f = o.spec.footprint as { kgCO2ePerUnit?: number; electricityKWhPerUnit?: number; waterM3PerUnit?: number; primaryDataShare?: number } | undefined;
      acc = f === undefined
        ? { co2: 0, elec: 0, water: 0, gap: 1 }
        : { co2: f.kgCO2ePerUnit ?? 0, elec: f.electricityKWhPerUnit ?? 0, water: f.waterM3PerUnit ?? 0, gap: 1 - (f.primaryDataShare ?? 100) / 100 };
      inputsOf.set(code, []);
    } else if (o.createdBy === 'transform') {
      const { t, shares } = transformOf(o.createdSeq);
      const share = shares[outputIndex(t, code)]!;
      const pr = t.process ?? {};
      let co2 = (pr.directEmissionsKgCO2e ?? 0) + (pr.electricityKWh ?? 0) * (pr.gridKgCO2ePerKWh ?? 0);
      let elec = pr.electricityKWh ?? 0;
      let water = pr.waterM3 ?? 0;
      const n = t.inputs.length;
      const inputs: string[] = new Array(n);
      // Gap share: inputs weighted by mass when every input's mass is known (kg units, or a
      // product netMassKg), else by quantity when they share a unit, else equally.
      const weights: number[] = new Array(n);
      let allMasses = true;
      let sameUnit = true;
      for (let k = 0; k < n; k++) {
        const i = t.inputs[k]!;
        inputs[k] = canon(i.code);
        const m = massKg(load(inputs[k]!), i.quantity.value);
        if (m === undefined) allMasses = false;
        else weights[k] = m;
        if (i.quantity.unit !== t.inputs[0]!.quantity.unit) sameUnit = false;
      }
      inputsOf.set(code, inputs);
      if (!allMasses) for (let k = 0; k < n; k++) weights[k] = sameUnit ? t.inputs[k]!.quantity.value : 1;
      let totalW = 0;
      for (let k = 0; k < n; k++) totalW += weights[k]!;
      if (totalW === 0) totalW = 1;
      let gap = 0;
      for (let k = 0; k < n; k++) {
        const inp = t.inputs[k]!;
        const a = of(inputs[k]!);
        co2 += inp.quantity.value * a.co2;
        elec += inp.quantity.value * a.elec;
        water += inp.quantity.value * a.water;
        gap += a.gap * (weights[k]! / totalW);
      }
      const perUnit = share / fromMicro(o.quantity);
      acc = { co2: co2 * perUnit, elec: elec * perUnit, water: water * perUnit, gap };
    } else {
      // A logistic unit: the sum of what is packed in it.
      acc = { co2: 0, elec: 0, water: 0, gap: 0 };
      const inside = packedIn(code);
      inputsOf.set(code, inside.map((e) => e.from));
      const n = inside.length || 1;
      for (const e of inside) {
        const a = of(e.from);
        const q = fromMicro(e.quantity);
        acc.co2 += q * a.co2;
        acc.elec += q * a.elec;
        acc.water += q * a.water;
        acc.gap += a.gap / n;
      }
    }
    memo.set(code, acc);
    return acc;
  }

  /** The figures per unit of `code` (numbers only). */
  const figures = (code: string) => {
    const a = of(code);
    return { kgCO2ePerUnit: round(a.co2), electricityKWhPerUnit: round(a.elec), waterM3PerUnit: round(a.water), primaryDataShare: round(100 * (1 - a.gap)) };
  };

  /** The figures with the entries they rest on and the data gaps, from one walk of the ancestry. */
  const details = (code: string): UnitFootprint => {
    of(code);
    const seqs = new Set<number>();
    const gaps = new Set<string>();
    const seen = new Set<string>([code]);
    for (let stack = [code]; stack.length > 0; ) {
      const c = stack.pop()!;
      const o = load(c);
      seqs.add(o.createdSeq);
      if (o.createdBy === 'commission' && o.spec.footprint === undefined) gaps.add(c);
      if (o.createdBy === 'transform') {
        const pr = transformOf(o.createdSeq).t.process ?? {};
        if ((pr.electricityKWh ?? 0) > 0 && pr.gridKgCO2ePerKWh === undefined) gaps.add(`${c} (electricity without a grid factor)`);
      }
      for (const i of inputsOf.get(c) ?? []) {
        if (!seen.has(i)) {
          seen.add(i);
          stack.push(i);
        }
      }
    }
    return { ...figures(code), dataGaps: [...gaps].sort(), seqs: [...seqs].sort((x, y) => x - y) };
  };

  return Object.assign(details, { figures, transform: transformOf, outputIndex });
}

// ---------------------------------------------------------------------------------------------

/** Depth of every node reachable from root over `next`, breadth first. */
function depths(root: string, next: Map<string, EdgeRow[]>, pick: (e: EdgeRow) => string): Map<string, number> {
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

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list === undefined) m.set(k, [it]);
    else list.push(it);
  }
  return m;
}

function inspectionsOf(reader: TraceReader, touches: readonly TraceTouch[]) {
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

function recallsOf(reader: TraceReader, touches: readonly TraceTouch[]) {
  return touches
    .filter((t) => t.role === 'recalled' && t.retractedBy === null)
    .map((t) => {
      const p = reader.payloadAt(t.seq) as P<'recall'>;
      return { seq: t.seq, signer: p.signer, time: p.time, reason: p.reason };
    });
}

type Qty = ReturnType<typeof qty>;
type Inspection = ReturnType<typeof inspectionsOf>[number];
type Recall = ReturnType<typeof recallsOf>[number];

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

  // Built as plain literals (no spreads, no per-node closures): a 1,000-ancestor answer is ~25,000
  // objects, and building them was most of the query's time.
  const nodes = codes.map((c): UpstreamNode => {
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
  });
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

/** The answer with a flag for each entry it cites that an operator-added key signed (key-provenance.ts). */
function withKeyFlags<A extends { flags: readonly object[] }>(reader: TraceReader, answer: A): Omit<A, 'flags'> & { flags: Array<A['flags'][number] | OperatorKeyFlag> } {
  return { ...answer, flags: [...answer.flags, ...answerKeyFlags(reader, answer)] };
}

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
  const holdingsByCode = groupBy(holdings, (h) => h.code);
  // Goods packed in a pallet are held by whoever holds the pallet (transitively).
  const packedIn = groupBy(edges.filter((e) => e.kind === 'packed' && e.quantity > 0), (e) => e.from);
  const holdersOf = (c: string, seen = new Set<string>()): Array<{ holder: string | null; customer: string | null; deliveredBy?: string; name: string; quantity: { value: number; unit: string }; packedIn?: string }> => [
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

  // Shipments of any derived object (or of a container holding one), with their timelines.
  const tracks = groupBy(
    (() => {
      const seen = new Set<number>();
      return touches.filter((t) => t.role === 'tracked' && t.retractedBy === null && !seen.has(t.seq) && (seen.add(t.seq), true));
    })(),
    (t) => (reader.payloadAt(t.seq) as P<'track'>).shipment ?? '',
  );
  const discrepancies: Array<Record<string, unknown>> = [];
  const naming = { nameOf: (id: string) => participantName(reader, id), unitOf };
  const shipments = reader.shipmentsOf(codes).map((s) => {
    const view = shipmentView(reader, s, tracks.get(reader.recordMeta(s.seq).leafHash) ?? [], naming);
    const rp = s.receivedSeq === null ? undefined : (reader.payloadAt(s.receivedSeq) as P<'receive'>);
    s.items.forEach((it, k) => {
      if (it.received === null || it.received === it.shipped || !depth.has(it.code)) return;
      const { shipped, received } = view.items[k]!;
      discrepancies.push({ shipmentSeq: s.seq, receiveSeq: s.receivedSeq, code: it.code, shipped, received, missing: qty(it.shipped - it.received, shipped.unit), condition: rp?.condition ?? null, note: rp?.note ?? null });
    });
    return view;
  });

  const deliveries = touches
    .filter((t) => (t.role === 'delivered' || t.role === 'returned') && t.retractedBy === null)
    .map((t) => {
      const p = reader.payloadAt(t.seq) as P<'track'>;
      return { seq: t.seq, code: t.code, status: p.status, recipient: p.recipient!, time: p.time, signer: p.signer, quantity: qty(t.quantity ?? 0, unitOf(t.code)) };
    });

  const recalls = codes.flatMap((c) => recallsOf(reader, touchesByCode.get(c) ?? []).map((r) => ({ code: c, ...r })));
  const finished = codes.filter((c) => objects.get(c)?.level === 'finished');
  // An object packed in a logistic unit travels with it: its open shipments include the unit's.
  const enclosing = (c: string): Set<string> => {
    const found = new Set([c]);
    for (let frontier = [c]; frontier.length > 0; ) {
      frontier = frontier.flatMap((x) => (packedIn.get(x) ?? []).map((e) => e.to)).filter((p) => !found.has(p));
      frontier.forEach((p) => found.add(p));
    }
    return found;
  };
  const inTransit = (c: string) => {
    const carriers = enclosing(c);
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
 * The shipment dispatched at `seq`, read directly rather than through a lot's downstream answer,
 * so that a retracted shipment (gone from every trace answer) can still be reported on: its
 * status is then `retracted` and `retractedSeq` names the retraction.
 * @throws LedgerError LEDGER_NOT_FOUND (no ship entry at seq)
 */
export function shipmentAt(reader: TraceReader, seq: number) {
  const s = reader.shipment(seq);
  if (s === undefined) throw new LedgerError('LEDGER_NOT_FOUND', `entry ${seq} is not a shipment`);
  const leafHash = reader.recordMeta(seq).leafHash;
  const seen = new Set<number>();
  const tracks = reader
    .touchesFor(s.items.map((it) => it.code), ['tracked'])
    .filter((t) => t.retractedBy === null && !seen.has(t.seq) && (seen.add(t.seq), true) && (reader.payloadAt(t.seq) as P<'track'>).shipment === leafHash);
  return shipmentView(reader, s, tracks, { nameOf: (id) => participantName(reader, id), unitOf: () => '' });
}

export function history(reader: TraceReader, code: string) {
  const root = requireCode(reader, code);
  const touches = reader.touchesFor([root.code]);
  const bySeq = groupBy(touches, (t) => String(t.seq));
  const keys = reader.operatorAddedKeys();
  return {
    code: root.code,
    object: summary(reader, root),
    entries: [...bySeq.values()].map((ts) => {
      const t = ts[0]!;
      const p = reader.payloadAt(t.seq);
      const operatorKey = operatorKeyFlagAt(reader, t.seq, keys);
      return {
        seq: t.seq, type: p.type, signer: p.signer, time: p.time, recordedAt: reader.recordMeta(t.seq).recordedAt, roles: ts.map((x) => x.role), retractedBy: t.retractedBy,
        // Signed with a recovery key the operator added, not one the signer added itself.
        operatorAddedKey: operatorKey !== undefined,
        payload: p,
      };
    }),
  };
}

/** PACT declared units for our units; pieces and metres need the product's net mass. */
const PACT_UNITS: Record<string, [string, number]> = {
  KGM: ['kilogram', 1], TNE: ['kilogram', 1000], GRM: ['kilogram', 0.001], LTR: ['liter', 1], MTQ: ['cubic meter', 1],
  MTK: ['square meter', 1], KWH: ['kilowatt hour', 1],
};

const decimal = (x: number) => String(round(x));

/** Deterministic UUID (v4 layout) from a string, so the same footprint keeps its id. */
function uuidFrom(text: string): string {
  const h = sha256(new TextEncoder().encode(text));
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = [...h.subarray(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The object's cradle-to-gate footprint as a PACT v2 ProductFootprint (numbers as decimal strings,
 * per the PACT data model), with our roll-up details under `extensions`.
 * @throws LedgerError TRACE_FOOTPRINT_UNAVAILABLE when the unit has no PACT equivalent and no net mass
 */
/** `created` is the ledger's clock (ISO 8601); the domain reads no clock itself. */
export function pactFootprint(reader: TraceReader, code: string, asOfSize: number, created: string) {
  const root = requireCode(reader, code);
  // Load the whole ancestry in two queries rather than one object at a time.
  const edges = reader.upstreamEdges(root.code);
  const codes = [...new Set([root.code, ...edges.map((e) => e.from)])];
  const packed = groupBy(edges.filter((e) => e.kind === 'packed'), (e) => e.to);
  const fp = footprintCalculator(reader, new Map(reader.objects(codes).map((o) => [o.code, o])), packed)(root.code);
  let unit = PACT_UNITS[root.unit];
  const mass = root.spec.product.netMassKg;
  if (unit === undefined) {
    if (mass === undefined) {
      throw new LedgerError('TRACE_FOOTPRINT_UNAVAILABLE', `${root.code} is counted in ${root.unit}, which PACT has no declared unit for; its product needs netMassKg (kg per ${root.unit})`);
    }
    unit = ['kilogram', mass];
  }
  const [declaredUnit, amount] = unit;
  const perDeclared = (x: number) => x / amount;
  const producer = reader.participant(root.producer);
  const parsed = parseCode(root.code);
  const times = fp.seqs.map((s) => reader.payloadAt(s).time).sort((a, b) => Date.parse(a) - Date.parse(b));
  const gtin = root.spec.product.gtin ?? (parsed.kind === 'gs1' && parsed.key === '01' ? parsed.value : undefined);
  return {
    id: uuidFrom(`${root.code}\n${asOfSize}`),
    specVersion: '2.2.0',
    version: 0,
    created,
    status: 'Active',
    companyName: producer?.name ?? root.producer,
    companyIds: [`urn:trace:${root.producer}`],
    productDescription: `${root.spec.product.name} (${root.level}), ${fromMicro(root.quantity)} ${root.unit}`,
    productIds: [root.code, ...(gtin === undefined ? [] : [`urn:gtin:${gtin}`])],
    productCategoryCpc: String(root.spec.attributes?.['cpc'] ?? '4'),
    productNameCompany: root.spec.product.name,
    comment: 'Cradle-to-gate roll-up computed by trace-ledger from signed ledger entries (see extensions.seqs).',
    pcf: {
      declaredUnit,
      unitaryProductAmount: decimal(amount),
      pCfExcludingBiogenic: decimal(perDeclared(fp.kgCO2ePerUnit)),
      fossilGhgEmissions: decimal(perDeclared(fp.kgCO2ePerUnit)),
      fossilCarbonContent: '0',
      biogenicCarbonContent: '0',
      characterizationFactors: 'AR6',
      ipccCharacterizationFactorsSources: ['AR6'],
      crossSectoralStandardsUsed: ['GHG Protocol Product standard', 'ISO Standard 14067'],
      productOrSectorSpecificRules: [],
      boundaryProcessesDescription: 'Cradle-to-gate: declared footprints of source lots, process electricity (at the grid factor stated in each transform), direct process emissions; allocation by output quantity or stated shares. Transport between participants is not included.',
      referencePeriodStart: times[0] ?? new Date(0).toISOString(),
      referencePeriodEnd: times.at(-1) ?? new Date(0).toISOString(),
      exemptedEmissionsPercent: 0,
      exemptedEmissionsDescription: '',
      packagingEmissionsIncluded: false,
      primaryDataShare: fp.primaryDataShare,
    },
    extensions: [
      {
        specVersion: '2.0.0',
        dataSchema: 'https://trace-ledger.dev/schemas/v1/rollup.json',
        data: {
          code: root.code,
          unit: root.unit,
          kgCO2ePerUnit: fp.kgCO2ePerUnit,
          electricityKWhPerUnit: fp.electricityKWhPerUnit,
          waterM3PerUnit: fp.waterM3PerUnit,
          dataGaps: fp.dataGaps,
          seqs: fp.seqs,
          ledgerSize: asOfSize,
        },
      },
    ],
  };
}
