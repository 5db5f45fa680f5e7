/**
 * The customer page's journey: shipped, in transit, received (with what was missing), delivered
 * or returned, in time order, for the object and every logistic unit that carried it.
 */
import { escapeHtml, fill, formatNumber, formatTime } from './html.js';
import { nameOf, qty, seqLink, type Downstream, type PageContext, type Quantity } from './context.js';

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

type Shipment = Downstream['shipments'][number];

/** One line of a shipment's timeline: dispatched from → to (carrier, transport), or who recorded it, and what was missing. */
function shipmentEvent(ctx: PageContext, down: Downstream, carriers: ReadonlySet<string>, s: Shipment, ev: Shipment['timeline'][number]): JourneyEvent {
  const j = ctx.t.journey;
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
  return { time: ev.time, seq: ev.seq, html: `<b>${escapeHtml(j.status[ev.status] ?? ev.status)}</b> ${what}${where}${seqLink(ctx, ev.seq)}${extra}` };
}

export function journey(ctx: PageContext, down: Downstream): string {
  const j = ctx.t.journey;
  const carriers = carriersOf(down);
  const events: JourneyEvent[] = [];
  for (const s of down.shipments.filter((x) => x.items.some((it) => carriers.has(it.code)))) {
    for (const ev of s.timeline) events.push(shipmentEvent(ctx, down, carriers, s, ev));
  }
  for (const d of down.deliveries.filter((x) => carriers.has(x.code))) {
    const who = escapeHtml(fill(d.status === 'returned' ? j.returnedBy : j.deliveredTo, { who: d.recipient }));
    events.push({ time: d.time, seq: d.seq, html: `<b>${escapeHtml(j.status[d.status] ?? d.status)}</b> ${who} · ${escapeHtml(qty(ctx, d.quantity))}${seqLink(ctx, d.seq)}` });
  }
  events.sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || a.seq - b.seq);
  const body =
    events.length === 0
      ? `<p class="intro">${escapeHtml(j.none)}</p>`
      : `<ol class="timeline">${events.map((e) => `<li><time datetime="${escapeHtml(e.time)}">${escapeHtml(formatTime(e.time))}</time><p>${e.html}</p></li>`).join('')}</ol>`;
  return `<section class="card"><h2>${escapeHtml(j.heading)}</h2>${body}</section>`;
}
