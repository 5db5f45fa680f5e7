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

export function formatUpstream(r: Json): string {
  const out = [head(r.object)];
  const fp = r.footprint;
  out.push(`  footprint per ${r.object.quantity.unit}: ${n(fp.kgCO2ePerUnit)} kgCO2e, ${n(fp.electricityKWhPerUnit)} kWh, ${n(fp.waterM3PerUnit)} m³ water; primary data ${n(fp.primaryDataShare)}%`);
  if (fp.dataGaps.length > 0) out.push(`  data gaps: ${fp.dataGaps.join(', ')}`);
  out.push(r.flags.length === 0 ? '  no failed inspection or recall upstream' : `  WARNING: ${r.flags.length} flag(s) upstream:`);
  for (const f of r.flags) out.push(`    ${f.kind === 'recall' ? 'RECALL' : 'FAILED INSPECTION'} ${f.code} (depth ${f.depth}): ${f.detail} (seq ${f.seq})`);
  out.push(`ancestors: ${r.ancestors}`);
  for (const node of r.nodes.slice(1)) {
    const pad = '  '.repeat(Math.min(node.depth, 12));
    out.push(`${pad}- ${node.product.name} ${node.code} [${node.level}] by ${who(node.producer)} (seq ${node.createdSeq})`);
    for (const i of node.inspections) out.push(`${pad}    inspection ${i.result}${i.standard ? ` ${i.standard}` : ''} by ${i.signer} (seq ${i.seq})`);
    for (const c of node.certificates) out.push(`${pad}    certificate ${c.scheme} ${c.id} (seq ${c.seq})`);
    for (const rc of node.recalls) out.push(`${pad}    RECALLED: ${rc.reason} (seq ${rc.seq})`);
    if (node.process) out.push(`${pad}    process: ${['electricityKWh', 'waterM3', 'directEmissionsKgCO2e'].filter((k) => node.process[k] !== undefined).map((k) => `${k} ${node.process[k]}`).join(', ') || 'no resources stated'} (seq ${node.process.seq})`);
    out.push(`${pad}    footprint ${n(node.footprint.kgCO2ePerUnit)} kgCO2e/${node.quantity.unit}${node.footprint.declared ? ' (declared)' : ''}`);
  }
  return out.join('\n');
}

export function formatDownstream(r: Json): string {
  const out = [head(r.object)];
  if (r.impact.recalled) for (const rc of r.impact.recalls) out.push(`  RECALLED ${rc.code}: ${rc.reason} (seq ${rc.seq})`);
  out.push(`derived products: ${r.derived.length}`);
  for (const d of r.derived) out.push(`${'  '.repeat(Math.min(d.depth, 12))}- ${d.product.name} ${d.code} [${d.level}] by ${who(d.producer)} (seq ${d.createdSeq})`);
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
  if (r.impact.customers.length > 0) out.push(`customers holding affected products: ${r.impact.customers.join(', ')}`);
  return out.join('\n');
}

export function formatHistory(r: Json): string {
  return [head(r.object), ...r.entries.map((e: Json) => `  seq ${e.seq} ${e.time} ${e.type} by ${e.signer} [${e.roles.join(', ')}]${e.retractedBy !== null ? ` RETRACTED at seq ${e.retractedBy}` : ''}`)].join('\n');
}
