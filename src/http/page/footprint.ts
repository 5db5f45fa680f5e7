/** The customer page's carbon footprint: CO₂e, electricity and water per unit, with its data gaps. */
import { escapeHtml, fill, formatNumber } from './html.js';
import type { PageContext, Upstream } from './context.js';

export function footprint(ctx: PageContext, up: Upstream): string {
  const f = ctx.t.footprint;
  const fp = up.footprint;
  const unit = up.object.quantity.unit;
  const per = escapeHtml(fill(f.per, { unit: ctx.t.perUnits[unit] ?? unit }));
  // The figures are rolled up from these entries: cited, so that the badge checks them too.
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
