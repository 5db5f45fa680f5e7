/**
 * Footprint roll-up (docs/events.md "Footprint roll-up"): the cradle-to-gate figures per unit of an
 * object, from the footprints its source lots declare, the process resources and emissions of
 * every transform on the way, and what is packed in a logistic unit; memoised over the ancestry DAG.
 */
import { fromMicro } from '../quantity.js';
import { allocationShares, canon, type ObjectRow } from '../rules.js';
import { round, type P } from './answer.js';
import type { EdgeRow, TraceReader } from './reader.js';

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

interface TransformFacts {
  readonly t: P<'transform'>;
  readonly shares: number[];
}

/** The ancestry as the roll-up walks it: objects and transforms loaded once, figures memoised. */
interface Ancestry {
  load(code: string): ObjectRow;
  transformOf(seq: number): TransformFacts;
  /** Which of a transform's outputs `code` is. */
  outputIndex(t: P<'transform'>, code: string): number;
  /** Edges packing something into the logistic unit `code`. */
  packedIn(code: string): EdgeRow[];
  /** The memoised figures of `code`. */
  of(code: string): Acc;
  /** The codes whose figures `code`'s rest on, recorded as they are computed. */
  readonly inputsOf: Map<string, string[]>;
}

const KG_PER: Record<string, number> = { KGM: 1, TNE: 1000, GRM: 0.001 };

/** Mass in kg of `value` of an object, when its unit is a mass or its product states netMassKg. */
function massKg(o: ObjectRow, value: number): number | undefined {
  const perUnit = KG_PER[o.unit] ?? o.spec.product.netMassKg;
  return perUnit === undefined ? undefined : value * perUnit;
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
  const transforms = new Map<number, TransformFacts>();
  const ancestry: Ancestry = {
    inputsOf: new Map<string, string[]>(),
    load(code) {
      let o = objects.get(code);
      if (o === undefined) {
        o = reader.object(code)!;
        objects.set(code, o);
      }
      return o;
    },
    transformOf(seq) {
      let x = transforms.get(seq);
      if (x === undefined) {
        const t = reader.payloadAt(seq) as P<'transform'>;
        x = { t, shares: allocationShares(t.outputs) };
        transforms.set(seq, x);
      }
      return x;
    },
    outputIndex: (t, code) => t.outputs.findIndex((out) => canon(out.code) === code),
    packedIn: (code) => (contents.get(code) ?? reader.upstreamEdges(code)).filter((e) => e.kind === 'packed' && e.to === code && e.quantity > 0),
    of(code) {
      const hit = memo.get(code);
      if (hit !== undefined) return hit;
      const o = ancestry.load(code);
      const acc = o.createdBy === 'commission' ? declaredFigures(ancestry, code, o) : o.createdBy === 'transform' ? transformFigures(ancestry, code, o) : logisticFigures(ancestry, code);
      memo.set(code, acc);
      return acc;
    },
  };

  /** The figures per unit of `code` (numbers only). */
  const figures = (code: string) => {
    const a = ancestry.of(code);
    return { kgCO2ePerUnit: round(a.co2), electricityKWhPerUnit: round(a.elec), waterM3PerUnit: round(a.water), primaryDataShare: round(100 * (1 - a.gap)) };
  };

  /** The figures with the entries they rest on and the data gaps, from one walk of the ancestry. */
  const details = (code: string): UnitFootprint => {
    ancestry.of(code);
    return { ...figures(code), ...sourcesOf(ancestry, code) };
  };

  return Object.assign(details, { figures, transform: ancestry.transformOf, outputIndex: ancestry.outputIndex });
}

/** A commissioned lot: its declared footprint, or a data gap when it declares none. */
function declaredFigures(ancestry: Ancestry, code: string, o: ObjectRow): Acc {
  const f = o.spec.footprint as { kgCO2ePerUnit?: number; electricityKWhPerUnit?: number; waterM3PerUnit?: number; primaryDataShare?: number } | undefined;
  ancestry.inputsOf.set(code, []);
  return f === undefined
    ? { co2: 0, elec: 0, water: 0, gap: 1 }
    : { co2: f.kgCO2ePerUnit ?? 0, elec: f.electricityKWhPerUnit ?? 0, water: f.waterM3PerUnit ?? 0, gap: 1 - (f.primaryDataShare ?? 100) / 100 };
}

/** An output of a transform: its allocation share of the process and of the inputs consumed, per unit. */
function transformFigures(ancestry: Ancestry, code: string, o: ObjectRow): Acc {
  const { t, shares } = ancestry.transformOf(o.createdSeq);
  const share = shares[ancestry.outputIndex(t, code)]!;
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
    const m = massKg(ancestry.load(inputs[k]!), i.quantity.value);
    if (m === undefined) allMasses = false;
    else weights[k] = m;
    if (i.quantity.unit !== t.inputs[0]!.quantity.unit) sameUnit = false;
  }
  ancestry.inputsOf.set(code, inputs);
  if (!allMasses) for (let k = 0; k < n; k++) weights[k] = sameUnit ? t.inputs[k]!.quantity.value : 1;
  let totalW = 0;
  for (let k = 0; k < n; k++) totalW += weights[k]!;
  if (totalW === 0) totalW = 1;
  let gap = 0;
  for (let k = 0; k < n; k++) {
    const inp = t.inputs[k]!;
    const a = ancestry.of(inputs[k]!);
    co2 += inp.quantity.value * a.co2;
    elec += inp.quantity.value * a.elec;
    water += inp.quantity.value * a.water;
    gap += a.gap * (weights[k]! / totalW);
  }
  const perUnit = share / fromMicro(o.quantity);
  return { co2: co2 * perUnit, elec: elec * perUnit, water: water * perUnit, gap };
}

/** A logistic unit: the sum of what is packed in it. */
function logisticFigures(ancestry: Ancestry, code: string): Acc {
  const acc = { co2: 0, elec: 0, water: 0, gap: 0 };
  const inside = ancestry.packedIn(code);
  ancestry.inputsOf.set(code, inside.map((e) => e.from));
  const n = inside.length || 1;
  for (const e of inside) {
    const a = ancestry.of(e.from);
    const q = fromMicro(e.quantity);
    acc.co2 += q * a.co2;
    acc.elec += q * a.elec;
    acc.water += q * a.water;
    acc.gap += a.gap / n;
  }
  return acc;
}

/** The entries `code`'s figures rest on and its data gaps, from one walk of its (computed) ancestry. */
function sourcesOf(ancestry: Ancestry, code: string): Pick<UnitFootprint, 'dataGaps' | 'seqs'> {
  const seqs = new Set<number>();
  const gaps = new Set<string>();
  const seen = new Set<string>([code]);
  for (let stack = [code]; stack.length > 0; ) {
    const c = stack.pop()!;
    const o = ancestry.load(c);
    seqs.add(o.createdSeq);
    if (o.createdBy === 'commission' && o.spec.footprint === undefined) gaps.add(c);
    if (o.createdBy === 'transform') {
      const pr = ancestry.transformOf(o.createdSeq).t.process ?? {};
      if ((pr.electricityKWh ?? 0) > 0 && pr.gridKgCO2ePerKWh === undefined) gaps.add(`${c} (electricity without a grid factor)`);
    }
    for (const i of ancestry.inputsOf.get(c) ?? []) {
      if (!seen.has(i)) {
        seen.add(i);
        stack.push(i);
      }
    }
  }
  return { dataGaps: [...gaps].sort(), seqs: [...seqs].sort((x, y) => x - y) };
}
