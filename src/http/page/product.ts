/**
 * The top of the customer page: the warnings (recalls and failed inspections, then entries signed
 * with a key the operator added), the product card with its status in words, and the badge that
 * says whether the records are genuine.
 */
import { digitalLinkUri } from '../../core/codes.js';
import { describeAttribute } from '../attributes.js';
import { codeParts, idValue, nameOf, qty, seqLink, timeOf, type Downstream, type PageContext, type Upstream, type UpNode } from './context.js';
import { escapeHtml, fill, formatTime } from './html.js';

/** Recalls and failed inspections: what makes the product itself not OK. */
const productFlags = (up: Upstream) => up.flags.filter((f) => f['kind'] === 'recall' || f['kind'] === 'failed_inspection');

export function warnings(ctx: PageContext, up: Upstream, byCode: ReadonlyMap<string, UpNode>): string {
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
export function operatorKeyWarnings(ctx: PageContext, up: Upstream, down: Downstream): string {
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
export type ProductStatus = 'ok' | 'recalled' | 'failed';

export function statusOf(up: Upstream): ProductStatus {
  const flags = productFlags(up);
  if (flags.some((f) => f['kind'] === 'recall')) return 'recalled';
  return flags.length > 0 ? 'failed' : 'ok';
}

/** The product's status, in words, under its name; the warning above says why. */
function productStatus(ctx: PageContext, up: Upstream): string {
  const status = statusOf(up);
  return `<p class="status ${status === 'ok' ? 'ok' : 'bad'}" data-product-status="${status}">${escapeHtml(ctx.t.status[status])}</p>`;
}

export function productCard(ctx: PageContext, up: Upstream, publicUrl: string, resolvedFrom: string | undefined): string {
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
export function badge(ctx: PageContext, ledgerKey: string, status: ProductStatus): string {
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
