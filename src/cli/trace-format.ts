/**
 * Plain-text renderings of the trace answers for `trace-ledger trace` (the JSON is one flag away:
 * --json). One line per fact, each ending with the seq of the entry that proves it.
 */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const q = (x: { value: number; unit: string } | null | undefined) => (x ? `${x.value} ${x.unit}` : '-');
/** Figures for reading (4 significant digits); --json keeps full precision. */
const n = (x: number) => Number(x.toPrecision(4));
const who = (p: { id: string; name: string } | string) => (typeof p === 'string' ? p : p.name === p.id ? p.id : `${p.name} (${p.id})`);

function head(o: Json): string {
  return `${o.product?.name ?? ''} ${o.code}\n  ${o.level}, ${q(o.quantity)}, produced by ${who(o.producer)} (seq ${o.createdSeq})`;
}

/** The checks, certificates, recalls and process of an upstream node, one line each. */
function facts(node: Json): string[] {
  const lines: string[] = [];
  for (const i of node.inspections) lines.push(`inspection ${i.result}${i.standard ? ` ${i.standard}` : ''} by ${i.signer} (seq ${i.seq})`);
  for (const c of node.certificates) lines.push(`certificate ${c.scheme} ${c.id} (seq ${c.seq})`);
  for (const rc of node.recalls) lines.push(`RECALLED: ${rc.reason} (seq ${rc.seq})`);
  if (node.process) lines.push(`process: ${['electricityKWh', 'waterM3', 'directEmissionsKgCO2e'].filter((k) => node.process[k] !== undefined).map((k) => `${k} ${node.process[k]}`).join(', ') || 'no resources stated'} (seq ${node.process.seq})`);
  return lines;
}

const footprintLine = (node: Json) => `footprint ${n(node.footprint.kgCO2ePerUnit)} kgCO2e/${node.quantity.unit}${node.footprint.declared ? ' (declared)' : ''}`;

const label = (o: Json) => `${o.product.name} ${o.code} [${o.level}] by ${who(o.producer)} (seq ${o.createdSeq})`;

/**
 * Draw a DAG depth-first from `root`: each child on its own branch under its parent, its details
 * indented under it. A node reached again (two products sharing an input) is drawn once and then
 * named as "shown above", which also ends any cycle.
 */
function drawTree(root: string, children: (code: string) => Array<{ code: string; note: string }>, line: (code: string) => string, details: (code: string) => string[]): string[] {
  const out: string[] = [];
  const shown = new Set([root]);
  const walk = (code: string, prefix: string): void => {
    const kids = children(code);
    kids.forEach((kid, k) => {
      const last = k === kids.length - 1;
      const branch = `${prefix}${last ? '└─ ' : '├─ '}`;
      const under = `${prefix}${last ? '   ' : '│  '}`;
      if (shown.has(kid.code)) {
        out.push(`${branch}${line(kid.code)}${kid.note}: shown above`);
        return;
      }
      shown.add(kid.code);
      out.push(`${branch}${line(kid.code)}${kid.note}`);
      const bar = children(kid.code).length > 0 ? '│  ' : '   ';
      for (const d of details(kid.code)) out.push(`${under}${bar}${d}`);
      walk(kid.code, under);
    });
  };
  walk(root, '');
  return out;
}

export function formatUpstream(r: Json): string {
  const out = [head(r.object)];
  const fp = r.footprint;
  out.push(`  footprint per ${r.object.quantity.unit}: ${n(fp.kgCO2ePerUnit)} kgCO2e, ${n(fp.electricityKWhPerUnit)} kWh, ${n(fp.waterM3PerUnit)} m³ water; primary data ${n(fp.primaryDataShare)}%`);
  if (fp.dataGaps.length > 0) out.push(`  data gaps: ${fp.dataGaps.join('; ')}`);
  out.push(r.flags.length === 0 ? '  no failed inspection or recall upstream' : `  WARNING: ${r.flags.length} flag(s) upstream:`);
  for (const f of r.flags) out.push(`    ${f.kind === 'recall' ? 'RECALL' : 'FAILED INSPECTION'} ${f.code} (depth ${f.depth}): ${f.detail} (seq ${f.seq})`);
  const nodes = new Map<string, Json>(r.nodes.map((node: Json) => [node.code, node]));
  const root = r.nodes[0];
  // The product's own inspections, certificates and process, before what it was made from.
  for (const f of facts(root)) out.push(`  ${f}`);
  out.push(`ancestors: ${r.ancestors}`);
  const inputsOf = (code: string) =>
    (nodes.get(code)?.inputs ?? [])
      .filter((i: Json) => nodes.has(i.code))
      .map((i: Json) => ({ code: i.code, note: i.consumed ? `, ${q(i.consumed)} used` : `, ${q(i.packed)} packed` }));
  out.push(...drawTree(root.code, inputsOf, (c) => label(nodes.get(c)!), (c) => [...facts(nodes.get(c)!), footprintLine(nodes.get(c)!)]));
  return out.join('\n');
}

export function formatDownstream(r: Json): string {
  const out = [head(r.object)];
  if (r.impact.recalled) for (const rc of r.impact.recalls) out.push(`  RECALLED ${rc.code}: ${rc.reason} (seq ${rc.seq})`);
  out.push(`derived products: ${r.derived.length}`);
  const derived = new Map<string, Json>(r.derived.map((d: Json) => [d.code, d]));
  const made = (code: string) => {
    const seen = new Set<string>();
    return r.edges
      .filter((e: Json) => e.from === code && derived.has(e.to) && !seen.has(e.to) && (seen.add(e.to), true))
      .map((e: Json) => ({ code: e.to, note: e.kind !== 'packed' ? `, made with ${q(e.quantity)} of it` : e.quantity.value > 0 ? `, ${q(e.quantity)} packed in it` : ', was packed in it' }));
  };
  out.push(...drawTree(r.object.code, made, (c) => label(derived.get(c)!), () => []));
  out.push(`shipments: ${r.shipments.length}`);
  for (const s of r.shipments) {
    out.push(`  seq ${s.seq}: ${who(s.sender)} -> ${who(s.receiver)}${s.carrier ? ` via ${who(s.carrier)}` : ''}, ${s.status}, dispatched ${s.dispatchedAt}${s.receivedAt ? `, received ${s.receivedAt} (lead time ${s.leadTimeHours} h)` : ''}`);
    for (const it of s.items) out.push(`    ${it.code}: shipped ${q(it.shipped)}, received ${q(it.received)}`);
  }
  for (const d of r.discrepancies) out.push(`  DISCREPANCY shipment seq ${d.shipmentSeq}: ${d.code} shipped ${q(d.shipped)}, received ${q(d.received)}, missing ${q(d.missing)}${d.condition ? ` (${d.condition})` : ''} (seq ${d.receiveSeq})`);
  for (const d of r.deliveries) out.push(`  ${d.status} ${q(d.quantity)} of ${d.code} to ${d.recipient} at ${d.time} (seq ${d.seq})`);
  out.push('current holders:');
  for (const h of r.holders) out.push(`  ${h.code}: ${h.customer ? `customer ${h.customer}` : who({ id: h.holder, name: h.name })} holds ${q(h.quantity)}`);
  out.push(`finished products affected: ${r.impact.finishedProducts.length}`);
  for (const f of r.impact.finishedProducts) {
    const holders = f.holders.map((h: Json) => `${h.customer ? `customer ${h.customer}` : h.holder} ${q(h.quantity)}`).join('; ');
    out.push(`  ${f.product.name} ${f.code}: ${holders || 'no holder'}${f.inTransitShipments.length ? `; in transit in shipment(s) ${f.inTransitShipments.join(', ')}` : ''}`);
  }
  // One per line: a customer's name may itself contain commas ("Harbour Homes, Ltd.").
  if (r.impact.customers.length > 0) out.push('customers holding affected products:', ...r.impact.customers.map((c: string) => `  ${c}`));
  return out.join('\n');
}

export function formatHistory(r: Json): string {
  return [head(r.object), ...r.entries.map((e: Json) => `  seq ${e.seq} ${e.time} ${e.type} by ${e.signer} [${e.roles.join(', ')}]${e.retractedBy !== null ? ` RETRACTED at seq ${e.retractedBy}` : ''}`)].join('\n');
}
