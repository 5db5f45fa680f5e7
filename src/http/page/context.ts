/**
 * What every section of the customer page renders with: the language's texts, participants'
 * names, the ledger, and the set of seqs the page cites (each fact links to the signed entry that
 * proves it, and the badge script checks that every cited seq is among the entries it verified).
 * Also how a section names an object's code and a quantity.
 */
import { parseCode, type ObjectCode } from '../../core/codes.js';
import type { Ledger } from '../../ledger.js';
import type { Lang, PageTexts } from '../page-i18n.js';
import { escapeHtml, fill, formatNumber } from './html.js';

export type Upstream = Awaited<ReturnType<Ledger['upstream']>>;
export type Downstream = Awaited<ReturnType<Ledger['downstream']>>;
export type UpNode = Upstream['nodes'][number];
export type Quantity = { readonly value: number; readonly unit: string };

export interface PageContext {
  readonly lang: Lang;
  readonly t: PageTexts;
  /** Participant id → display name. */
  readonly names: ReadonlyMap<string, string>;
  /** The seqs of the entries the page cites so far; sections add to it as they render. */
  readonly cited: Set<number>;
  readonly ledger: Ledger;
}

export const nameOf = (ctx: PageContext, id: string): string => ctx.names.get(id) ?? id;
export const qty = (ctx: PageContext, q: Quantity): string => `${formatNumber(q.value)} ${ctx.t.units[q.unit] ?? q.unit}`;

/** A link to the entry proving a fact; the seq joins the page's cited list. */
export function seqLink(ctx: PageContext, seq: number | null | undefined): string {
  if (typeof seq !== 'number') return '';
  ctx.cited.add(seq);
  return ` <a class="seq" data-seq="${seq}" href="/v1/entries/${seq}" title="${escapeHtml(fill(ctx.t.entryTitle, { seq: String(seq) }))}">#${seq}</a>`;
}

/** The parsed code, or undefined when it does not parse (the page then shows it as it is). */
export function codeParts(code: string): ObjectCode | undefined {
  try {
    return parseCode(code);
  } catch {
    return undefined;
  }
}

/** "lot CW2611-19" or the urn's local id: the short name of a code next to its product name. */
export function shortCode(ctx: PageContext, code: string): string {
  const c = codeParts(code);
  if (c === undefined) return code;
  if (c.kind === 'urn') return c.local;
  if (c.key === '00') return `${ctx.t.product.sscc} ${c.value}`;
  if (c.key === '414') return `GLN ${c.value}`;
  const parts = [c.lot === undefined ? undefined : `${ctx.t.product.lot} ${c.lot}`, c.serial === undefined ? undefined : `${ctx.t.product.serial} ${c.serial}`];
  return parts.filter(Boolean).join(' · ') || `${ctx.t.product.gtin} ${c.value}`;
}

/** The part of a code that tells lots apart: lot, serial, SSCC, or the urn's local id. */
export function idValue(code: string): string {
  const c = codeParts(code);
  if (c === undefined) return code;
  if (c.kind === 'urn') return c.local;
  return c.lot ?? c.serial ?? c.value;
}

/** The signed time of the entry `seq`, or undefined when the ledger cannot give it. */
export function timeOf(ctx: PageContext, seq: number): string | undefined {
  try {
    return String(ctx.ledger.record(seq).record.entry.payload.time);
  } catch {
    return undefined;
  }
}
