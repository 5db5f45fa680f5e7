/**
 * Property: for random chains with retractions, every answer about every code equals the answer of
 * the same chain without the retracted entries and without the retract entries (what is normalised,
 * and why, is in test/retract-replay.ts).
 *
 * A chain is a list of intents (an operation and three numbers). Each intent is turned into an
 * entry against the current state, so most are valid: who holds what comes from the ledger's own
 * holdings (the small model of holders and quantities), open shipments and pallets from the steps
 * accepted so far. An intent that does not fit (nothing to ship, no pallet yet) is skipped; an
 * entry the ledger refuses (a retraction with dependants, say) is skipped too.
 */
import t from 'tap';
import fc from 'fast-check';
import { item, pcs, receive, retract, ship, spec } from '../trace-world.js';
import { newPlayed, playStep, retractionMismatches, step, type Played, type Step, type Who } from '../retract-replay.js';

const HOLDERS: readonly Who[] = ['sup', 'man', 'ret'];
const MAKERS: readonly Who[] = ['sup', 'man'];
const OPS = ['commission', 'aggregate-new', 'aggregate-existing', 'disaggregate', 'ship', 'receive', 'transform', 'inspect', 'deliver', 'recall', 'retract'] as const;
type Op = (typeof OPS)[number];
// Retractions are the point (a quarter of the intents), and packing into a pallet that already
// exists is the case that was wrong (issue 15): it gets the largest share after them.
const WEIGHTS: Record<Op, number> = { commission: 2, 'aggregate-new': 2, 'aggregate-existing': 4, disaggregate: 1, ship: 2, receive: 2, transform: 1, inspect: 1, deliver: 1, recall: 1, retract: 6 };

interface Intent {
  readonly op: Op;
  readonly a: number;
  readonly b: number;
  readonly c: number;
}

interface Chain {
  readonly p: Played;
  readonly steps: Step[];
  /** What each step is, for the statistics. */
  readonly kinds: string[];
  readonly codes: string[];
  readonly pallets: Set<string>;
  /** Step indices of ships not yet received, with their addressee and items. */
  readonly openShips: Map<number, { to: Who; items: Array<{ code: string; value: number }> }>;
  /** Accepted, not yet retracted steps that may be retracted (not retracts). */
  readonly retractable: number[];
  n: number;
}

const pick = <T>(xs: readonly T[], k: number): T | undefined => (xs.length === 0 ? undefined : xs[k % xs.length]);

/** Whole pieces of `code` each participant holder holds (customers are left out). */
function held(c: Chain, code?: string): Array<{ code: string; holder: Who; value: number }> {
  const codes = code === undefined ? c.codes : [code];
  return c.p.w.L.store
    .holdingsOf(codes)
    .filter((h) => (HOLDERS as readonly string[]).includes(h.holder) && h.quantity >= 1e6)
    .map((h) => ({ code: h.code, holder: h.holder as Who, value: Math.floor(h.quantity / 1e6) }));
}

/** The step for an intent in the chain's current state, or undefined when it does not fit. */
function stepFor(c: Chain, { op, a, b, c: k }: Intent): { step: Step; kind: string; creates?: string; pallet?: boolean } | undefined {
  const time = c.steps.length;
  const part = (of: number) => 1 + (b % of);
  switch (op) {
    case 'commission': {
      const who = pick(MAKERS, a)!;
      const code = `urn:trace:${who}:lot-${c.n++}`;
      const footprint = k % 2 === 0 ? { footprint: { kgCO2ePerUnit: 1 + (k % 5), primaryDataShare: 100 } } : {};
      return { kind: op, creates: code, step: step(who, time, () => ({ type: 'commission', objects: [spec(code, pcs(1 + (b % 20)), { product: { name: code, netMassKg: 1 }, ...footprint })] })) };
    }
    case 'aggregate-new': {
      const h = pick(held(c), a);
      if (h === undefined) return undefined;
      const code = `urn:trace:${h.holder}:pal-${c.n++}`;
      return { kind: op, creates: code, pallet: true, step: step(h.holder, time, () => ({ type: 'aggregate', parent: code, children: [item(h.code, pcs(part(h.value)))] })) };
    }
    case 'aggregate-existing': {
      const pal = pick(held(c).filter((h) => c.pallets.has(h.code) && held(c).some((x) => x.holder === h.holder && x.code !== h.code)), a);
      if (pal === undefined) return undefined;
      const child = pick(held(c).filter((h) => h.holder === pal.holder && h.code !== pal.code), k);
      if (child === undefined) return undefined;
      return { kind: op, step: step(pal.holder, time, () => ({ type: 'aggregate', parent: pal.code, children: [item(child.code, pcs(part(child.value)))] })) };
    }
    case 'disaggregate': {
      const pal = pick(held(c).filter((h) => c.pallets.has(h.code)), a);
      if (pal === undefined) return undefined;
      return { kind: op, step: step(pal.holder, time, () => ({ type: 'disaggregate', parent: pal.code })) };
    }
    case 'ship': {
      const h = pick(held(c), a);
      if (h === undefined) return undefined;
      const to = pick(HOLDERS.filter((x) => x !== h.holder), k)!;
      const value = part(h.value);
      return { kind: op, step: step(h.holder, time, () => ship(to, [item(h.code, pcs(value))], k % 3 === 0 ? { carrier: 'car' } : {})) };
    }
    case 'receive': {
      const open = pick([...c.openShips], a);
      if (open === undefined) return undefined;
      const [at, s] = open;
      // Now and then a short receipt (a recorded discrepancy).
      const items = s.items.map((it) => item(it.code, pcs(k % 4 === 0 ? it.value - 1 : it.value)));
      return { kind: op, step: step(s.to, time, (hashOf) => receive(hashOf(at), items)) };
    }
    case 'transform': {
      const h = pick(held(c).filter((x) => (MAKERS as readonly string[]).includes(x.holder) && !c.pallets.has(x.code)), a);
      if (h === undefined) return undefined;
      const code = `urn:trace:${h.holder}:made-${c.n++}`;
      return {
        kind: op, creates: code,
        step: step(h.holder, time, () => ({ type: 'transform', inputs: [item(h.code, pcs(part(h.value)))], outputs: [spec(code, pcs(1 + (k % 10)), { level: 'semi', product: { name: code, netMassKg: 1 } })], process: { name: 'p', electricityKWh: k % 7, gridKgCO2ePerKWh: 0.5 } })),
      };
    }
    case 'inspect': {
      const code = pick(c.codes, a);
      if (code === undefined) return undefined;
      return { kind: op, step: step('lab', time, () => ({ type: 'inspect', objects: [code], result: k % 3 === 0 ? 'fail' : 'pass' })) };
    }
    case 'deliver': {
      const h = pick(held(c), a);
      if (h === undefined) return undefined;
      return { kind: op, step: step(h.holder, time, () => ({ type: 'track', status: 'delivered', recipient: `order-${k % 3}`, objects: [item(h.code, pcs(part(h.value)))] })) };
    }
    case 'recall': {
      const code = pick(c.codes, a);
      if (code === undefined) return undefined;
      // Codes are minted in their producer's namespace: urn:trace:<producer>:…
      return { kind: op, step: step(code.split(':')[2] as Who, time, () => ({ type: 'recall', objects: [code], reason: 'test' })) };
    }
    case 'retract': {
      // One of the last two entries: those have the fewest dependants.
      const recent = c.retractable.slice(-2);
      const target = pick(recent, a);
      if (target === undefined) return undefined;
      return { kind: `retract ${c.kinds[target]}`, step: step(c.steps[target]!.who, time, (hashOf) => retract(hashOf(target))) };
    }
  }
}

/**
 * Every chain starts alike, so that the random part has something to work on: sup commissions two
 * lots and man one, and sup packs some of its first lot into a new pallet.
 */
const PRELUDE: readonly Intent[] = [
  { op: 'commission', a: 0, b: 9, c: 0 },
  { op: 'commission', a: 0, b: 19, c: 1 },
  { op: 'commission', a: 1, b: 14, c: 0 },
  { op: 'aggregate-new', a: 0, b: 4, c: 0 },
];

/** Play the prelude and the intents; resolves to the chain (the caller closes its ledger). */
async function playChain(intents: readonly Intent[]): Promise<Chain> {
  const c: Chain = { p: await newPlayed(), steps: [], kinds: [], codes: [], pallets: new Set(), openShips: new Map(), retractable: [], n: 0 };
  for (const intent of [...PRELUDE, ...intents]) {
    const s = stepFor(c, intent);
    if (s === undefined) continue;
    const i = c.steps.length;
    c.steps.push(s.step);
    c.kinds.push(s.kind);
    if ((await playStep(c.p, c.steps, i)) === undefined) continue;
    const fields = s.step.fields((j) => c.p.receipts[j]?.leafHash ?? '');
    if (s.creates !== undefined) c.codes.push(s.creates);
    if (s.pallet === true) c.pallets.add(s.creates!);
    if (fields.type === 'ship') {
      const objects = fields['objects'] as Array<{ code: string; quantity: { value: number } }>;
      c.openShips.set(i, { to: fields['to'] as Who, items: objects.map((o) => ({ code: o.code, value: o.quantity.value })) });
    }
    if (fields.type === 'receive') for (const [at] of c.openShips) if (c.p.receipts[at]?.leafHash === fields['shipment']) c.openShips.delete(at);
    if (fields.type === 'retract') {
      const target = c.p.receipts.findIndex((r) => r?.leafHash === fields['target']);
      c.retractable.splice(c.retractable.indexOf(target), 1);
      c.openShips.delete(target);
    } else {
      c.retractable.push(i);
    }
  }
  return c;
}

const intent = fc.record({
  op: fc.oneof(...OPS.map((op) => ({ arbitrary: fc.constant(op), weight: WEIGHTS[op] }))),
  a: fc.nat(1000),
  b: fc.nat(1000),
  c: fc.nat(1000),
});

t.test('every answer after retractions equals the answer of the log without them', async (t) => {
  const retracted = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(fc.array(intent, { minLength: 6, maxLength: 24 }), async (intents) => {
      const c = await playChain(intents);
      try {
        c.kinds.forEach((k, i) => {
          if (k.startsWith('retract') && c.p.receipts[i] !== undefined) retracted.set(k, (retracted.get(k) ?? 0) + 1);
        });
        const mismatches = await retractionMismatches(c.p, c.steps, c.codes);
        if (mismatches.length > 0) {
          const m = mismatches[0]!;
          const log = c.steps.map((_, i) => `${i} ${c.kinds[i]}${c.p.receipts[i] === undefined ? ' (refused)' : ''}`).join('; ');
          throw new Error(`${mismatches.length} answers differ; first: ${m.query} of ${m.code}\nlog: ${log}\nwith retractions: ${JSON.stringify(m.withRetractions)}\nwithout: ${JSON.stringify(m.without)}`);
        }
      } finally {
        await c.p.w.L.close();
      }
    }),
    // Each run builds two ledgers and asks ~8 queries per code of each: 20 runs take ~30 s on 2
    // cores. The seed is fixed so that the coverage checks below are stable; FC_SEED=<n> (and
    // FC_RUNS=<n>) explore other chains. No shrinking (it would take minutes): the error lists the log.
    { numRuns: Number(process.env['FC_RUNS'] ?? 20), seed: Number(process.env['FC_SEED'] ?? 15), endOnFailure: true },
  );
  t.comment(`accepted retractions by target type: ${JSON.stringify(Object.fromEntries(retracted))}`);
  // The generator reaches the cases the property is about.
  t.ok((retracted.get('retract aggregate-existing') ?? 0) > 0, 'some retracted aggregates packed into an existing pallet');
  t.ok((retracted.get('retract aggregate-new') ?? 0) > 0, 'some retracted aggregates made a new pallet');
  t.ok((retracted.get('retract ship') ?? 0) + (retracted.get('retract receive') ?? 0) > 0, 'some retracted shipments or receipts');
  t.ok((retracted.get('retract ship') ?? 0) > 0, 'some retracted shipments (which must be gone from shipments, discrepancies and the journey)');
  t.ok((retracted.get('retract transform') ?? 0) + (retracted.get('retract disaggregate') ?? 0) + (retracted.get('retract deliver') ?? 0) + (retracted.get('retract recall') ?? 0) > 0, 'some retracted transforms, unpackings, deliveries or recalls');
});
