/**
 * The customer page: what a phone shows after scanning a product's QR code. Server-rendered HTML
 * with one stylesheet (page-style.ts) and one small script (`/assets/verify.js`, the badge), no
 * framework, nothing inline, nothing from another origin (the page's Content-Security-Policy says
 * so too).
 *
 * Order, for a phone screen: recall and failed-inspection warnings first, then the product, its
 * status in words (recalled, failed inspection, OK) and its producer, the badge that says whether
 * the records are genuine (a separate question), the provenance tree (product → parts →
 * materials, with makers, inspections and certificates), the carbon footprint with electricity and
 * water, and the journey (shipped, in transit, received, delivered).
 *
 * Every fact carries the seq of the signed entry that proves it (`data-seq`, linking to
 * `/v1/entries/:seq`); the page lists those seqs in its config, and the badge script checks that
 * each is among the entries it verified against the ledger key pinned here. Links and fetches are
 * root-relative, so the page works on whichever host served it; `publicUrl` only names the
 * product's Digital Link.
 *
 * All text from the ledger (names, notes, codes) is participant-supplied and escaped.
 */
import { digitalLinkUri, parseCode, type ObjectCode } from '../core/codes.js';
import type { Ledger } from '../ledger.js';
import type { PageConfig } from '../web/verify.js';
import { describeAttribute } from './attributes.js';
import { LANGUAGES, TEXTS, type Lang, type PageTexts } from './page-i18n.js';
import { PAGE_CSS_PATH } from './page-style.js';

export { LANGUAGES, type Lang } from './page-i18n.js';

/** Where the badge script is served (asset-routes.ts). */
export const VERIFY_SCRIPT_PATH = '/assets/verify.js';
/** The test-only tampered evidence route, `<prefix><code>/evidence?tamper=<seq>` (asset-routes.ts, testHooks only). */
export const TAMPERED_EVIDENCE_PREFIX = '/test-hooks/objects/';

type Upstream = Awaited<ReturnType<Ledger['upstream']>>;
type Downstream = Awaited<ReturnType<Ledger['downstream']>>;
type UpNode = Upstream['nodes'][number];
type Quantity = { readonly value: number; readonly unit: string };

// ---------------------------------------------------------------------------------------------
// Language

/**
 * The page language: `?lang=` when it names one we have, else the best of `Accept-Language`
 * (RFC 9110 §12.5.4, by q-value, first listed wins ties; any `zh-*` is Chinese, `en-*` English),
 * else English.
 */
export function pickLanguage(acceptLanguage: string | undefined, queryLang: string | undefined): Lang {
  const direct = queryLang?.trim().toLowerCase().slice(0, 2);
  if (direct !== undefined && (LANGUAGES as readonly string[]).includes(direct)) return direct as Lang;
  let best: Lang = 'en';
  let bestQ = 0;
  for (const part of (acceptLanguage ?? '').split(',')) {
    const [tag = '', ...params] = part.trim().toLowerCase().split(';').map((s) => s.trim());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q) || q <= 0) continue;
    const primary = tag.split('-')[0];
    if (!(LANGUAGES as readonly string[]).includes(primary ?? '')) continue;
    if (q > bestQ) {
      best = primary as Lang;
      bestQ = q;
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Escaping and formatting

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or attribute value → HTML. Every string from the ledger goes through here. */
export const escapeHtml = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/**
 * JSON inside `<script type="application/json">`: `<` is escaped so that no `</script>` or
 * `<!--` in a participant's text can end the element; U+2028/9 for old parsers.
 */
const scriptJson = (value: unknown): string =>
  JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

const fill = (template: string, values: Record<string, string>): string =>
  template.replace(/\{(\w+)\}/g, (m, k: string) => values[k] ?? m);

/** Three significant digits, whole numbers from 100 up, no exponent: 280.3 → 280, 0.5426 → 0.543. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 100) return String(Math.round(x));
  if (a === 0) return '0';
  return String(Number(x.toPrecision(3)));
}

/** The event's own local date and time, as signed (`2026-11-17T16:00:00.000+08:00` → `2026-11-17 16:00`). */
const formatTime = (time: string): string => (/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(time) ? `${time.slice(0, 10)} ${time.slice(11, 16)}` : time);

// ---------------------------------------------------------------------------------------------
// Rendering context

interface Ctx {
  readonly lang: Lang;
  readonly t: PageTexts;
  readonly names: ReadonlyMap<string, string>;
  readonly cited: Set<number>;
  readonly ledger: Ledger;
}

const nameOf = (ctx: Ctx, id: string): string => ctx.names.get(id) ?? id;
const qty = (ctx: Ctx, q: Quantity): string => `${formatNumber(q.value)} ${ctx.t.units[q.unit] ?? q.unit}`;

/** A link to the entry proving a fact; the seq joins the page's cited list. */
function seqLink(ctx: Ctx, seq: number | null | undefined): string {
  if (typeof seq !== 'number') return '';
  ctx.cited.add(seq);
  return ` <a class="seq" data-seq="${seq}" href="/v1/entries/${seq}" title="${escapeHtml(fill(ctx.t.entryTitle, { seq: String(seq) }))}">#${seq}</a>`;
}

function codeParts(code: string): ObjectCode | undefined {
  try {
    return parseCode(code);
  } catch {
    return undefined;
  }
}

/** "lot CW2611-19" or the urn's local id: the short name of a code next to its product name. */
function shortCode(ctx: Ctx, code: string): string {
  const c = codeParts(code);
  if (c === undefined) return code;
  if (c.kind === 'urn') return c.local;
  if (c.key === '00') return `${ctx.t.product.sscc} ${c.value}`;
  if (c.key === '414') return `GLN ${c.value}`;
  const parts = [c.lot === undefined ? undefined : `${ctx.t.product.lot} ${c.lot}`, c.serial === undefined ? undefined : `${ctx.t.product.serial} ${c.serial}`];
  return parts.filter(Boolean).join(' · ') || `${ctx.t.product.gtin} ${c.value}`;
}

/** The part of a code that tells lots apart: lot, serial, SSCC, or the urn's local id. */
function idValue(code: string): string {
  const c = codeParts(code);
  if (c === undefined) return code;
  if (c.kind === 'urn') return c.local;
  return c.lot ?? c.serial ?? c.value;
}

function timeOf(ctx: Ctx, seq: number): string | undefined {
  try {
    return String(ctx.ledger.record(seq).record.entry.payload.time);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Sections

/** Recalls and failed inspections: what makes the product itself not OK. */
const productFlags = (up: Upstream) => up.flags.filter((f) => f['kind'] === 'recall' || f['kind'] === 'failed_inspection');

function warnings(ctx: Ctx, up: Upstream, byCode: ReadonlyMap<string, UpNode>): string {
  const flags = productFlags(up);
  if (flags.length === 0) return '';
  const items = flags.map((f) => {
    const code = String(f['code']);
    const node = byCode.get(code);
    const kind = f['kind'] === 'recall' ? ctx.t.warnings.recall : ctx.t.warnings.failedInspection;
    const where =
      f['depth'] === 0
        ? ctx.t.warnings.thisProduct
        : fill(ctx.t.warnings.upstream, { product: escapeHtml(node?.product.name ?? code), lot: escapeHtml(idValue(code)) });
    return `<li><strong>${escapeHtml(kind)}</strong>: ${where}${seqLink(ctx, f['seq'] as number)}<br><span class="why">${escapeHtml(f['detail'] ?? '')}</span></li>`;
  });
  const headline = flags.some((f) => f['kind'] === 'recall') ? ctx.t.warnings.recallHeadline : ctx.t.warnings.failedHeadline;
  return `<section class="warn" role="alert" aria-label="${escapeHtml(ctx.t.warnings.heading)}"><h2>${escapeHtml(headline)}</h2><ul>${items.join('')}</ul></section>`;
}

/**
 * Entries up- or downstream signed with a recovery key the operator added: shown apart from the
 * product's status, since they say who could have signed, not what happened to the product.
 */
function operatorKeyWarnings(ctx: Ctx, up: Upstream, down: Downstream): string {
  const bySeq = new Map<number, Record<string, unknown>>();
  for (const f of [...up.flags, ...down.flags]) {
    const flag = f as Record<string, unknown>;
    if (flag['kind'] === 'operator_added_key') bySeq.set(flag['seq'] as number, flag);
  }
  if (bySeq.size === 0) return '';
  const items = [...bySeq.values()].sort((a, b) => (a['seq'] as number) - (b['seq'] as number)).map((f) => {
    const text = fill(ctx.t.warnings.operatorKey, { who: nameOf(ctx, String(f['signer'])), operator: nameOf(ctx, String(f['keyAddedBy'])) });
    return `<li data-operator-key="${escapeHtml(String(f['kid']))}">${escapeHtml(text)}${seqLink(ctx, f['seq'] as number)}</li>`;
  });
  return `<section class="warn" role="alert" data-operator-keys="${bySeq.size}" aria-label="${escapeHtml(ctx.t.warnings.heading)}"><h2>${escapeHtml(ctx.t.warnings.operatorKeyHeadline)}</h2><ul>${items.join('')}</ul></section>`;
}

/** Whether anything recorded makes the product not OK: a recall or a failed inspection, here or upstream. */
type ProductStatus = 'ok' | 'recalled' | 'failed';

function statusOf(up: Upstream): ProductStatus {
  const flags = productFlags(up);
  if (flags.some((f) => f['kind'] === 'recall')) return 'recalled';
  return flags.length > 0 ? 'failed' : 'ok';
}

/** The product's status, in words, under its name; the warning above says why. */
function productStatus(ctx: Ctx, up: Upstream): string {
  const status = statusOf(up);
  return `<p class="status ${status === 'ok' ? 'ok' : 'bad'}" data-product-status="${status}">${escapeHtml(ctx.t.status[status])}</p>`;
}

function productCard(ctx: Ctx, up: Upstream, publicUrl: string, resolvedFrom: string | undefined): string {
  const o = up.object;
  const code = codeParts(o.code);
  const rows: Array<[string, string]> = [[ctx.t.product.producer, escapeHtml(o.producer.name)]];
  if (code?.kind === 'gs1' && code.key === '01') {
    rows.push([ctx.t.product.gtin, escapeHtml(code.value)]);
    if (code.lot !== undefined) rows.push([ctx.t.product.lot, escapeHtml(code.lot)]);
    if (code.serial !== undefined) rows.push([ctx.t.product.serial, escapeHtml(code.serial)]);
  } else if (code?.kind === 'gs1' && code.key === '00') {
    rows.push([ctx.t.product.sscc, escapeHtml(code.value)]);
  }
  const made = timeOf(ctx, o.createdSeq);
  if (made !== undefined) rows.push([ctx.t.product.made, escapeHtml(formatTime(made)) + seqLink(ctx, o.createdSeq)]);
  rows.push([ctx.t.product.lotSize, escapeHtml(qty(ctx, o.quantity))]);
  let link = o.code;
  if (code !== undefined) {
    try {
      link = digitalLinkUri(code, publicUrl);
    } catch {
      // a public URL that cannot carry a Digital Link: show the canonical code
    }
  }
  rows.push([ctx.t.product.code, `<span class="code">${escapeHtml(link)}</span>`]);
  const attrs = Object.entries(o.attributes ?? {}).filter(([k]) => k !== 'cpc');
  const spec =
    attrs.length === 0
      ? ''
      : `<details><summary>${escapeHtml(ctx.t.product.details)}</summary><dl class="kv spec">${attrs
          .map(([k, v]) => describeAttribute(k, v, ctx.lang))
          .map((a) => `<dt>${escapeHtml(a.label)}</dt><dd>${escapeHtml(a.value)}</dd>`)
          .join('')}</dl></details>`;
  const note = resolvedFrom === undefined ? '' : `<p class="note">${escapeHtml(fill(ctx.t.product.resolvedFrom, { code: resolvedFrom }))}</p>`;
  return `<section class="card product">
<p class="level">${escapeHtml(ctx.t.levels[o.level] ?? o.level)}</p>
<h1>${escapeHtml(o.product.name)}</h1>
${productStatus(ctx, up)}
${note}<dl class="kv">${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${v}</dd>`).join('')}</dl>${spec}
</section>`;
}

/**
 * Whether the records are genuine, checked by the badge script: a separate question from whether
 * the product is OK. On a recalled or failed product, verified records are shown without the
 * green tick (page-style.ts, `data-product=flagged`) and say that the warning is genuine.
 * The checkpoint and key, which a consumer need not read, are one tap away.
 */
function badge(ctx: Ctx, ledgerKey: string, status: ProductStatus): string {
  const b = ctx.t.badge;
  return `<section id="badge" class="card badge" data-state="pending" data-product="${status === 'ok' ? 'ok' : 'flagged'}" aria-live="polite">
<h2>${escapeHtml(b.heading)}</h2>
<p class="badge-title" data-badge-title>${escapeHtml(b.fetching)}</p>
<progress max="1"></progress>
<p class="badge-detail" data-badge-detail></p>
<button type="button" class="retry" data-badge-retry hidden>${escapeHtml(b.retry)}</button>
<noscript><p>${escapeHtml(b.noscript)}</p></noscript>
<details class="tech"><summary>${escapeHtml(b.tech)}</summary><p data-badge-tech></p><p>${escapeHtml(b.how)} <span class="code">${escapeHtml(ledgerKey)}</span></p></details>
</section>`;
}

function inspections(ctx: Ctx, node: UpNode): string {
  const p = ctx.t.provenance;
  const items = node.inspections.map((i) => {
    const ok = i.result === 'pass';
    const ms = (i.measurements ?? []) as ReadonlyArray<Record<string, unknown>>;
    const limits = (m: Record<string, unknown>) =>
      [m['min'] === undefined ? '' : `≥ ${m['min']}`, m['max'] === undefined ? '' : `≤ ${m['max']}`].filter(Boolean).join(', ');
    const table =
      ms.length === 0
        ? ''
        : `<details><summary>${escapeHtml(p.measurements)}</summary><ul class="ms">${ms
            .map((m) => `<li>${escapeHtml(m['type'])}: <b>${escapeHtml(m['value'])} ${escapeHtml(m['unit'] ?? '')}</b>${limits(m) ? ` <span class="lim">(${escapeHtml(limits(m))})</span>` : ''}</li>`)
            .join('')}</ul></details>`;
    return `<li class="insp ${ok ? 'pass' : 'fail'}"><span class="res">${ok ? '✓' : '✗'} ${escapeHtml(ok ? p.passed : p.failed)}</span> ${escapeHtml(i.standard ?? '')} · ${escapeHtml(
      fill(p.inspectedBy, { who: nameOf(ctx, i.signer) }),
    )} · ${escapeHtml(formatTime(i.time))}${seqLink(ctx, i.seq)}${i.note === undefined ? '' : `<br><span class="why">${escapeHtml(i.note)}</span>`}${table}</li>`;
  });
  const certs = node.certificates.map((c) => {
    const cert = c as Record<string, unknown>;
    return `<li class="cert">${escapeHtml(p.certificate)}: ${escapeHtml(cert['scheme'] ?? '')} ${escapeHtml(cert['id'] ?? '')}${cert['issuer'] === undefined ? '' : ` · ${escapeHtml(cert['issuer'])}`}${seqLink(ctx, c.seq)}</li>`;
  });
  const recalls = node.recalls.map(
    (r) => `<li class="insp fail"><span class="res">⚠ ${escapeHtml(ctx.t.warnings.recall)}</span> ${escapeHtml(fill(p.recalledBy, { who: nameOf(ctx, r.signer) }))} · ${escapeHtml(formatTime(r.time))}${seqLink(ctx, r.seq)}</li>`,
  );
  const all = [...recalls, ...items, ...certs];
  return all.length === 0 ? '' : `<ul class="facts">${all.join('')}</ul>`;
}

function processLine(ctx: Ctx, node: UpNode): string {
  const pr = node.process as Record<string, unknown> | null;
  if (pr === null) return '';
  const p = ctx.t.provenance;
  const parts = [
    typeof pr['name'] === 'string' ? escapeHtml(pr['name']) : '',
    typeof pr['electricityKWh'] === 'number' ? `${escapeHtml(p.electricity)} ${formatNumber(pr['electricityKWh'])} kWh` : '',
    typeof pr['waterM3'] === 'number' ? `${escapeHtml(p.water)} ${formatNumber(pr['waterM3'])} m³` : '',
  ].filter(Boolean);
  return `<p class="proc">${escapeHtml(p.process)}: ${parts.join(' · ')}${seqLink(ctx, pr['seq'] as number)}</p>`;
}

function treeNode(ctx: Ctx, code: string, byCode: ReadonlyMap<string, UpNode>, shown: Set<string>, usage: string): string {
  const node = byCode.get(code);
  const p = ctx.t.provenance;
  if (node === undefined) return `<li class="node"><span class="code">${escapeHtml(code)}</span>${usage}</li>`;
  const head = `<p class="node-head"><span class="lvl lvl-${escapeHtml(node.level)}">${escapeHtml(ctx.t.levels[node.level] ?? node.level)}</span> <b>${escapeHtml(node.product.name)}</b></p>
<p class="meta">${escapeHtml(node.producer.name)} · ${escapeHtml(shortCode(ctx, code))}${usage}${seqLink(ctx, node.createdSeq)}</p>`;
  if (shown.has(code)) return `<li class="node">${head}<p class="meta">(${escapeHtml(p.seeAbove)})</p></li>`;
  shown.add(code);
  const children = node.inputs.map((i) => {
    const used = (i as { allocated?: Quantity }).allocated;
    const packed = (i as { packed?: Quantity }).packed;
    const q = used !== undefined ? fill(p.used, { q: qty(ctx, used) }) : packed !== undefined ? fill(p.packed, { q: qty(ctx, packed) }) : '';
    return treeNode(ctx, i.code, byCode, shown, q === '' ? '' : ` · ${escapeHtml(q)}`);
  });
  const sub = children.length === 0 ? '' : `<p class="from">${escapeHtml(p.madeFrom)}</p><ul class="tree">${children.join('')}</ul>`;
  return `<li class="node${node.recalls.length > 0 || node.inspections.some((i) => i.result === 'fail') ? ' flagged' : ''}">${head}${processLine(ctx, node)}${inspections(ctx, node)}${sub}</li>`;
}

function provenance(ctx: Ctx, up: Upstream, byCode: ReadonlyMap<string, UpNode>): string {
  const p = ctx.t.provenance;
  return `<section class="card"><h2>${escapeHtml(p.heading)}</h2><p class="intro">${escapeHtml(p.intro)}</p>
<ul class="tree root">${treeNode(ctx, up.code, byCode, new Set(), '')}</ul></section>`;
}

function footprint(ctx: Ctx, up: Upstream): string {
  const f = ctx.t.footprint;
  const fp = up.footprint;
  const unit = up.object.quantity.unit;
  const per = escapeHtml(fill(f.per, { unit: ctx.t.perUnits[unit] ?? unit }));
  for (const s of fp.seqs) ctx.cited.add(s);
  const tile = (value: string, u: string, label: string) => `<div class="tile"><b>${value}</b> <span>${escapeHtml(u)}</span><small>${escapeHtml(label)} ${per}</small></div>`;
  const gaps =
    fp.dataGaps.length === 0
      ? ''
      : `<p class="gaps">${escapeHtml(f.gaps)}</p><ul class="gaps">${fp.dataGaps.map((g) => `<li>${escapeHtml(g)}</li>`).join('')}</ul>`;
  return `<section class="card"><h2>${escapeHtml(f.heading)}</h2>
<div class="tiles">${tile(formatNumber(fp.kgCO2ePerUnit), 'kg CO₂e', f.co2)}${tile(formatNumber(fp.electricityKWhPerUnit), 'kWh', f.electricity)}${tile(formatNumber(fp.waterM3PerUnit), 'm³', f.water)}</div>
<p>${escapeHtml(fill(f.primary, { p: formatNumber(fp.primaryDataShare) }))}</p>${gaps}
<p class="intro">${escapeHtml(f.method)}</p></section>`;
}

interface JourneyEvent {
  readonly time: string;
  readonly seq: number;
  readonly html: string;
}

/** The object itself and every logistic unit it was ever packed into: what carried it. */
function carriersOf(down: Downstream): Set<string> {
  const found = new Set([down.code]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const e of down.edges) {
      if (e.kind === 'packed' && found.has(e.from) && !found.has(e.to)) {
        found.add(e.to);
        grew = true;
      }
    }
  }
  return found;
}

function journey(ctx: Ctx, down: Downstream): string {
  const j = ctx.t.journey;
  const carriers = carriersOf(down);
  const events: JourneyEvent[] = [];
  const status = (s: string) => escapeHtml(j.status[s] ?? s);
  for (const s of down.shipments.filter((x) => x.items.some((it) => carriers.has(it.code)))) {
    for (const ev of s.timeline) {
      const loc = (ev as { location?: { name?: string; gln?: string } }).location;
      const where = loc === undefined ? '' : ` · ${escapeHtml(loc.name ?? `GLN ${loc.gln}`)}`;
      let what = '';
      if (ev.status === 'dispatched') {
        what = escapeHtml(fill(j.fromTo, { from: s.sender.name, to: s.receiver.name }));
        if (s.carrier !== null) what += ` · ${escapeHtml(fill(j.carrier, { who: s.carrier.name }))}`;
        const tr = s.transport as { mode?: string; distanceKm?: number; emissionsKgCO2e?: number } | undefined;
        if (tr?.mode !== undefined && tr.distanceKm !== undefined && tr.emissionsKgCO2e !== undefined) {
          what += ` · ${escapeHtml(fill(j.transport, { mode: j.modes[tr.mode] ?? tr.mode, km: formatNumber(tr.distanceKm), co2: formatNumber(tr.emissionsKgCO2e) }))}`;
        }
      } else {
        what = escapeHtml(fill(j.by, { who: nameOf(ctx, ev.signer) }));
      }
      let extra = '';
      if (ev.status === 'received') {
        for (const d of down.discrepancies.filter((x) => x['shipmentSeq'] === s.seq && carriers.has(String(x['code'])))) {
          extra += `<br><span class="why">⚠ ${escapeHtml(fill(j.missing, { q: qty(ctx, d['missing'] as Quantity) }))}${d['note'] ? `: ${escapeHtml(d['note'])}` : ''}</span>`;
        }
      }
      events.push({ time: ev.time, seq: ev.seq, html: `<b>${status(ev.status)}</b> ${what}${where}${seqLink(ctx, ev.seq)}${extra}` });
    }
  }
  for (const d of down.deliveries.filter((x) => carriers.has(x.code))) {
    const who = escapeHtml(fill(d.status === 'returned' ? j.returnedBy : j.deliveredTo, { who: d.recipient }));
    events.push({ time: d.time, seq: d.seq, html: `<b>${status(d.status)}</b> ${who} · ${escapeHtml(qty(ctx, d.quantity))}${seqLink(ctx, d.seq)}` });
  }
  events.sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || a.seq - b.seq);
  const body =
    events.length === 0
      ? `<p class="intro">${escapeHtml(j.none)}</p>`
      : `<ol class="timeline">${events.map((e) => `<li><time datetime="${escapeHtml(e.time)}">${escapeHtml(formatTime(e.time))}</time><p>${e.html}</p></li>`).join('')}</ol>`;
  return `<section class="card"><h2>${escapeHtml(j.heading)}</h2>${body}</section>`;
}

// ---------------------------------------------------------------------------------------------
// Document

/**
 * Everything from this origin (the stylesheet, the badge script, its worker, the evidence fetch),
 * nothing inline: no 'unsafe-inline' for scripts or styles. In a meta element, so it holds
 * wherever the page is served; security.ts sends it as a header on every route, with
 * `frame-ancestors 'none'`, which a meta element cannot carry.
 */
export const PAGE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'";

function languageSwitch(lang: Lang): string {
  return `<nav aria-label="Language / 语言">${LANGUAGES.map((l) =>
    l === lang ? `<a href="?lang=${l}" aria-current="true" lang="${TEXTS[l].htmlLang}">${TEXTS[l].langName}</a>` : `<a href="?lang=${l}" lang="${TEXTS[l].htmlLang}" hreflang="${TEXTS[l].htmlLang}">${TEXTS[l].langName}</a>`,
  ).join('')}</nav>`;
}

function documentHtml(lang: Lang, title: string, body: string, head = ''): string {
  const t = TEXTS[lang];
  return `<!doctype html>
<html lang="${t.htmlLang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${PAGE_CSP}">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${PAGE_CSS_PATH}">${head}
</head>
<body>
<header><span>${escapeHtml(t.brand)}</span>${languageSwitch(lang)}</header>
<main>
${body}
</main>
</body>
</html>
`;
}

export interface CustomerPageOptions {
  readonly ledger: Ledger;
  /** The object's code, any valid spelling. */
  readonly code: string;
  readonly lang: Lang;
  /** Public base URL of the resolver (names the product's Digital Link). */
  readonly publicUrl: string;
  /** The code the customer scanned, when the page shows another (a serial resolved to its lot). */
  readonly resolvedFrom?: string;
  /**
   * Test hook (buildApp `testHooks` only): the badge fetches the evidence with `?tamper=<seq>`,
   * which a test-mode server answers with that record's payload altered.
   */
  readonly tamper?: number;
}

/**
 * The customer page of an object, as a complete HTML document.
 * @throws LedgerError TRACE_CODE_INVALID | TRACE_OBJECT_NOT_FOUND (render {@link renderNotFoundPage} then)
 */
export async function renderCustomerPage(o: CustomerPageOptions): Promise<string> {
  const [up, down] = await Promise.all([o.ledger.upstream(o.code), o.ledger.downstream(o.code)]);
  const t = TEXTS[o.lang];
  const ctx: Ctx = { lang: o.lang, t, names: new Map(o.ledger.participants().map((p) => [p.id, p.name])), cited: new Set(), ledger: o.ledger };
  const byCode = new Map(up.nodes.map((n) => [n.code, n]));
  const sections = [
    warnings(ctx, up, byCode),
    operatorKeyWarnings(ctx, up, down),
    productCard(ctx, up, o.publicUrl.replace(/\/+$/, ''), o.resolvedFrom),
    badge(ctx, o.ledger.verifierKey, statusOf(up)),
    provenance(ctx, up, byCode),
    footprint(ctx, up),
    journey(ctx, down),
  ];
  const api = `/v1/objects/${encodeURIComponent(up.code)}`;
  const evidence = o.tamper === undefined ? `${api}/evidence` : `${TAMPERED_EVIDENCE_PREFIX}${encodeURIComponent(up.code)}/evidence?tamper=${o.tamper}`;
  const f = t.footer;
  sections.push(`<footer><p>${escapeHtml(fill(f.ledger, { origin: o.ledger.origin }))}</p><p>${escapeHtml(f.raw)} <a href="${escapeHtml(`${api}/upstream`)}">${escapeHtml(f.upstream)}</a> · <a href="${escapeHtml(
    `${api}/downstream`,
  )}">${escapeHtml(f.downstream)}</a> · <a href="${escapeHtml(evidence)}">${escapeHtml(f.evidence)}</a> · <a href="/v1/checkpoint">${escapeHtml(f.checkpoint)}</a></p></footer>`);
  const config: PageConfig = {
    code: up.code,
    ledgerKey: o.ledger.verifierKey,
    evidence,
    cited: [...ctx.cited].sort((a, b) => a - b),
    t: {
      fetching: t.badge.fetching,
      progress: t.badge.progress,
      ok: t.badge.ok,
      okDetail: statusOf(up) === 'ok' ? t.badge.okDetail : t.badge.okDetailFlagged,
      okTech: t.badge.okTech,
      operatorKeys: t.badge.operatorKeys,
      fail: t.badge.fail,
      failDetail: t.badge.failDetail,
      failNoSeqDetail: t.badge.failNoSeqDetail,
      unavailable: t.badge.unavailable,
      unavailableDetail: t.badge.unavailableDetail,
      checks: t.badge.checks,
    },
  };
  const head = `
<script type="application/json" id="verify-config">${scriptJson(config)}</script>
<script type="module" src="${VERIFY_SCRIPT_PATH}"></script>`;
  return documentHtml(o.lang, `${up.object.product.name} · ${t.titleSuffix}`, sections.filter(Boolean).join('\n'), head);
}

/**
 * A friendly page for a browser that asked for an unknown or malformed code (served with 404 or
 * 400). `reason` is the ledger's explanation (e.g. which check digit is wrong), shown small.
 */
export function renderNotFoundPage(code: string, lang: Lang, reason?: string, kind: 'unknown' | 'invalid' = 'unknown'): string {
  const t = TEXTS[lang];
  const n = t.notFound;
  const title = kind === 'invalid' ? n.invalidTitle : n.title;
  const body = `<section class="card"><h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(kind === 'invalid' ? n.invalidBody : n.body)}</p>
<dl class="kv"><dt>${escapeHtml(n.code)}</dt><dd class="code">${escapeHtml(code)}</dd></dl>
${reason === undefined ? '' : `<p class="intro">${escapeHtml(reason)}</p>`}
<p>${escapeHtml(n.hint)}</p></section>`;
  return documentHtml(lang, title, body);
}
