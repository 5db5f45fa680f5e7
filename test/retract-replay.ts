/**
 * "A retraction undoes its entry": the answers of a log with retractions against the answers of the
 * same log rebuilt WITHOUT the retracted entries and without the retract entries themselves.
 *
 * A log is kept as steps (who signs, and the fields given the leaf hash of earlier steps), so it
 * can be replayed into a fresh ledger: payload `id` and `time` are fixed in the step, hence equal
 * in both ledgers, while seqs and leaf hashes differ (entries are missing) and are compared through
 * the payload id they stand for.
 *
 * Normalised (legitimately different between the two ledgers), and why:
 * - every seq (`seq`, `…Seq`, `retractedBy`, `seqs`) and every leaf hash (`leafHash`, a receive's or
 *   track's `shipment`) becomes the payload id of its entry: removing entries shifts seqs, and a
 *   leaf hash commits to the seq and the time of recording;
 * - `recordedAt`: the ledger's clock at recording, not part of the signed payload;
 * - the PACT footprint's `id` and `created`, and `ledgerSize`: derived from the log's size and clock;
 * - the resolver answer's `verification`: it names each ledger's own key;
 * - `history` and the scoped export drop the retracted entries and the retract entries: they are
 *   the retraction itself (history keeps them, marked `retractedBy`, by design);
 * - the export is compared on its traceability records only: the registry records it adds are
 *   whatever its signers need, and a retracted entry may be the only one of its signer.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { LedgerError } from '../src/core/errors.js';
import type { LedgerRecord } from '../src/core/record.js';
import { prepareExport, type BundleDirection } from '../src/audit/bundle.js';
import type { Receipt } from '../src/ledger.js';
import { makeWorld, type World } from './trace-world.js';

export type Who = 'sup' | 'sup2' | 'man' | 'man2' | 'car' | 'lab' | 'ret';

/** One signed entry of a log: `fields(hashOf)` gets the leaf hash of an earlier step by index. */
export interface Step {
  readonly who: Who;
  readonly fields: (hashOf: (step: number) => string) => Record<string, unknown> & { type: string; id: string; time: string };
}

/** A world with the steps submitted; `receipts[i]` is undefined where the ledger refused step i. */
export interface Played {
  readonly w: World;
  readonly receipts: Array<Receipt | undefined>;
}

/** Submit one step; a refusal (a LedgerError) leaves it undefined, anything else throws. */
export async function playStep(p: Played, steps: readonly Step[], i: number): Promise<Receipt | undefined> {
  const s = steps[i]!;
  const hashOf = (j: number) => p.receipts[j]?.leafHash ?? '00'.repeat(32);
  try {
    const r = await p.w.submit(p.w[s.who], s.fields(hashOf));
    p.receipts[i] = r;
    return r;
  } catch (e) {
    if (e instanceof LedgerError) return undefined;
    throw e;
  }
}

export async function newPlayed(): Promise<Played> {
  return { w: await makeWorld(), receipts: [] };
}

/**
 * The accepted steps of `p`, without the retracted ones and without the retractions, replayed into
 * a fresh ledger (the caller closes it); every one of them must be accepted again.
 * @throws Error naming the step the replay refused
 */
export async function replayWithout(p: Played, steps: readonly Step[]): Promise<Played> {
  const q = await newPlayed();
  const { dropped } = retractionsOf(p, steps);
  for (let i = 0; i < steps.length; i++) {
    if (p.receipts[i] === undefined || dropped.has(i)) continue;
    try {
      q.receipts[i] = await q.w.submit(q.w[steps[i]!.who], steps[i]!.fields((j) => q.receipts[j]?.leafHash ?? ''));
    } catch (e) {
      await q.w.L.close();
      throw new Error(`the log without its retractions refused step ${i}: ${String((e as LedgerError).code)} ${(e as Error).message}`);
    }
  }
  return q;
}

/** Indices of the accepted retract steps and of the steps they retracted. */
export function retractionsOf(p: Played, steps: readonly Step[]): { dropped: Set<number>; retracts: number } {
  const byHash = new Map(p.receipts.flatMap((r, i) => (r === undefined ? [] : [[r.leafHash, i] as const])));
  const dropped = new Set<number>();
  let retracts = 0;
  steps.forEach((s, i) => {
    if (p.receipts[i] === undefined) return;
    const f = s.fields((j) => p.receipts[j]?.leafHash ?? '');
    if (f.type !== 'retract') return;
    retracts++;
    dropped.add(i);
    dropped.add(byHash.get(f['target'] as string)!);
  });
  return { dropped, retracts };
}

const SEQ_KEY = /^(seq|.*Seq|retractedBy)$/;

/** Seqs and leaf hashes → payload ids; drops recordedAt and ledgerSize (see the file comment). */
function normalise(p: Played, value: unknown): unknown {
  const ledger = p.w.L.ledger;
  const idOfSeq = (seq: number) => (ledger.record(seq).record.entry.payload as { id: string }).id;
  const idOfHash = new Map(p.receipts.flatMap((r) => (r === undefined ? [] : [[r.leafHash, idOfSeq(r.seq)] as const])));
  const walk = (v: unknown, key: string): unknown => {
    if (typeof v === 'number' && SEQ_KEY.test(key)) return idOfSeq(v);
    if (typeof v === 'string') return idOfHash.get(v) ?? v;
    if (Array.isArray(v)) return v.map((x) => (key === 'seqs' && typeof x === 'number' ? idOfSeq(x) : walk(x, '')));
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v)
          .filter(([k]) => k !== 'recordedAt' && k !== 'ledgerSize')
          .map(([k, x]) => [k, walk(x, k)]),
      );
    }
    return v;
  };
  return walk(value, '');
}

const answerOr = async (f: () => Promise<unknown>): Promise<unknown> => {
  try {
    return await f();
  } catch (e) {
    if (e instanceof LedgerError) return { error: e.code };
    throw e;
  }
};

/** Payload ids of the traceability records of a scoped export (registry records left out). */
async function exportIds(p: Played, code: string, direction: BundleDirection): Promise<string[] | { error: string }> {
  let bundle;
  try {
    bundle = prepareExport(p.w.L.ledger, { code, direction });
  } catch (e) {
    if (e instanceof LedgerError) return { error: e.code };
    throw e;
  }
  const parts: Buffer[] = [];
  for await (const chunk of bundle.chunks()) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.startsWith('{"record":'))
    .map((l) => (JSON.parse(l) as { record: LedgerRecord }).record.entry.payload as unknown as { id: string; type: string })
    .filter((x) => x.type !== 'ledger.genesis' && !x.type.startsWith('participant.'))
    .map((x) => x.id);
}

/**
 * Every answer about `code`, normalised; `drop` holds the payload ids of the retracted and retract
 * entries (empty for the replayed ledger, which has none of them).
 */
export async function answersAbout(p: Played, code: string, drop: ReadonlySet<string>): Promise<Record<string, unknown>> {
  const L = p.w.L.ledger;
  const n = (v: unknown) => normalise(p, v);
  const history = (await answerOr(() => L.history(code))) as { entries?: Array<{ payload: { id: string } }> };
  const summary = (await answerOr(() => L.summary(code))) as { verification?: unknown };
  const footprint = (await answerOr(() => L.footprint(code))) as Record<string, unknown>;
  const keptExport = async (d: BundleDirection) => {
    const ids = await exportIds(p, code, d);
    return Array.isArray(ids) ? ids.filter((id) => !drop.has(id)) : ids;
  };
  return {
    object: n(await answerOr(() => L.object(code))),
    upstream: n(await answerOr(() => L.upstream(code))),
    downstream: n(await answerOr(() => L.downstream(code))),
    history: n(history.entries === undefined ? history : { ...history, entries: history.entries.filter((e) => !drop.has(e.payload.id)) }),
    footprint: n(footprint['created'] === undefined ? footprint : { ...footprint, id: undefined, created: undefined }),
    summary: n(summary.verification === undefined ? summary : { ...summary, verification: undefined }),
    exportUp: await keptExport('up'),
    exportDown: await keptExport('down'),
  };
}

/** Payload ids of the steps at `indices` in `p`. */
export function idsOf(p: Played, indices: Iterable<number>): Set<string> {
  return new Set([...indices].map((i) => (p.w.L.ledger.record(p.receipts[i]!.seq).record.entry.payload as { id: string }).id));
}

export interface Mismatch {
  readonly code: string;
  readonly query: string;
  readonly withRetractions: unknown;
  readonly without: unknown;
}

/** Every answer about every code of `p` that differs from the same answer of the log without its retractions. */
export async function retractionMismatches(p: Played, steps: readonly Step[], codes: readonly string[]): Promise<Mismatch[]> {
  const q = await replayWithout(p, steps);
  try {
    const drop = idsOf(p, retractionsOf(p, steps).dropped);
    const out: Mismatch[] = [];
    for (const code of codes) {
      const [a, b] = [await answersAbout(p, code, drop), await answersAbout(q, code, new Set())];
      for (const k of Object.keys(b)) if (!isDeepStrictEqual(a[k], b[k])) out.push({ code, query: k, withRetractions: a[k], without: b[k] });
    }
    return out;
  } finally {
    await q.w.L.close();
  }
}

const T0 = Date.parse('2026-11-02T08:00:00.000Z');

/** A step with a fixed payload id and time (the `k`th minute after T0), so both ledgers sign the same payload. */
export function step(who: Who, k: number, fields: (hashOf: (step: number) => string) => Record<string, unknown> & { type: string }): Step {
  const id = randomUUID();
  const time = new Date(T0 + k * 60_000).toISOString();
  return { who, fields: (hashOf) => ({ ...fields(hashOf), id, time }) };
}
