/**
 * The provenance tree of the customer page: product → parts → materials, each with its maker,
 * process (electricity, water), inspections, certificates and recalls.
 */
import { escapeHtml, fill, formatNumber, formatTime } from './html.js';
import { nameOf, qty, seqLink, shortCode, type PageContext, type Quantity, type Upstream, type UpNode } from './context.js';

/** Recalls, inspections (with their measurements one tap away) and certificates of one node. */
function inspections(ctx: PageContext, node: UpNode): string {
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

function processLine(ctx: PageContext, node: UpNode): string {
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

/** One object and, below it, what it was made from; an object met twice is drawn once ("see above"). */
function treeNode(ctx: PageContext, code: string, byCode: ReadonlyMap<string, UpNode>, shown: Set<string>, usage: string): string {
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

export function provenance(ctx: PageContext, up: Upstream, byCode: ReadonlyMap<string, UpNode>): string {
  const p = ctx.t.provenance;
  return `<section class="card"><h2>${escapeHtml(p.heading)}</h2><p class="intro">${escapeHtml(p.intro)}</p>
<ul class="tree root">${treeNode(ctx, up.code, byCode, new Set(), '')}</ul></section>`;
}
