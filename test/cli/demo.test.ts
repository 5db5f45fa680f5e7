import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCode } from '../../src/core/codes.js';
import { demoChain, demoHighlights, seedDemo } from '../../src/cli/demo.js';
import { serve } from '../../src/cli/serve.js';
import { openDataDir } from '../../src/cli/setup.js';

const ALUMINA = 'https://id.gs1.org/01/06931000010017/10/AL2611-01';
const GAP_GASKETS = 'urn:trace:sealtech:W8-2611-01';

t.test('the chain fixture is consistent', async (t) => {
  const chain = demoChain();
  const times = chain.entries.map((e) => e.time);
  t.ok(times.every((s) => /^2026-11-\d\dT\d\d:\d\d:00\.000\+08:00$/.test(s)), 'November 2026, +08:00');
  t.same(times, [...times].sort((a, b) => Date.parse(a) - Date.parse(b)), 'entries in time order');
  t.ok(Date.parse(times.at(-1)!) < Date.parse('2026-11-29T00:00:00+08:00'), 'all in the past of 2026-11-29');
  const h = chain.highlights;
  for (const code of [h.greenFrameLot, h.dataGapFrameLot, h.recalledBilletLot, h.recalledFrameLot, h.failedInspectionLot, h.pallet, h.discrepancy.lot]) {
    t.equal(parseCode(code).canonical, code, `${code} is canonical`);
  }
  t.equal(h.discrepancy.shipLeafHash, null, 'no leaf hash before seeding');
  t.same(demoHighlights(), h);
  const count = (type: string) => chain.entries.filter((e) => e.type === type).length;
  t.equal(count('recall'), 1, 'one recall');
  t.equal(chain.entries.filter((e) => e.type === 'inspect' && e['result'] === 'fail').length, 1, 'one failed inspection');
  t.equal(count('ship'), count('receive'), 'every shipment is received');
});

t.test('seeding the demo through the HTTP API', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-demo-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'data', 'ledger.db');
  const server = await serve({ db, port: 0, host: '127.0.0.1', origin: 'demo.test.local/log', demo: false, quiet: true, handleSignals: false });
  t.teardown(() => server.close());

  const chain = demoChain();
  const lines: string[] = [];
  const first = await seedDemo(server.url, db, (s) => lines.push(s));
  t.ok(lines.length >= 3 && lines.every((l) => l.startsWith('demo: ')), 'progress lines');
  t.equal(first.chain.length, chain.entries.length, 'every chain entry accepted');
  t.same(first.chain.map((r) => r.id), chain.entries.map((e) => e.id));
  const lastRegistration = first.registrations.at(-1)!.seq;
  t.same(first.chain.map((r) => r.receipt.seq), chain.entries.map((_, i) => lastRegistration + 1 + i), 'appended in fixture order');
  const lastSeq = first.chain.at(-1)!.receipt.seq;
  const ship = first.chain.find((r) => r.id === first.highlights.discrepancy.shipEntryId)!;
  t.equal(first.highlights.discrepancy.shipLeafHash, ship.receipt.leafHash);
  t.equal(first.highlights.greenFrameLot, demoHighlights().greenFrameLot);

  const after = async () => ((await (await fetch(`${server.url}/v1/entries?after=${lastSeq}&limit=10`)).json()) as { records: unknown[] }).records.length;
  t.equal(await after(), 0, 'nothing after the last chain entry');
  const again = await seedDemo(server.url, db, () => {});
  t.same(again.registrations, first.registrations, 'second run: the original registration receipts');
  t.same(again.chain, first.chain, 'second run: the original chain receipts');
  t.same(again.highlights, first.highlights);
  t.equal(await after(), 0, 'second run appended nothing');
  await server.close();

  const data = openDataDir(db);
  t.teardown(() => data.close());
  const { ledger } = data;
  t.equal(ledger.size(), lastSeq + 1, 'log size unchanged by the second run');
  const h = first.highlights;

  await t.test('green frame lot: deep, clean provenance', async (t) => {
    const up = await ledger.upstream(h.greenFrameLot);
    t.same(up.flags, [], 'no failed inspection or recall upstream');
    const alumina = up.nodes.find((n) => n.code === ALUMINA);
    t.ok(alumina, 'reaches the alumina');
    t.ok(alumina!.depth >= 5, `alumina at depth ${alumina!.depth}`);
    t.ok(Math.max(...up.nodes.map((n) => n.depth)) >= 5);
    t.same(up.footprint.dataGaps, [], 'no data gap');
    t.ok(up.footprint.kgCO2ePerUnit > 100 && up.footprint.kgCO2ePerUnit < 1000, `plausible footprint per window: ${up.footprint.kgCO2ePerUnit} kgCO2e`);
    t.ok(up.nodes.some((n) => n.inspections.some((i) => i.result === 'pass' && i.measurements?.some((m) => m.type === 'Mg mass fraction'))), 'alloy composition upstream');
    t.ok(up.nodes.some((n) => n.inspections.some((i) => i.measurements?.some((m) => m.unit === 'µm'))), 'coating thickness upstream');
    const pcf = await ledger.footprint(h.greenFrameLot);
    t.equal(pcf.pcf.declaredUnit, 'kilogram');
    t.equal(pcf.pcf.unitaryProductAmount, '49.6');
  });

  await t.test('data gap: the gaskets without a declared footprint', async (t) => {
    const up = await ledger.upstream(h.dataGapFrameLot);
    t.same(up.flags, []);
    t.same(up.footprint.dataGaps, [GAP_GASKETS]);
    t.ok(up.footprint.primaryDataShare < 100);
  });

  await t.test('frame lot made from the recalled billet', async (t) => {
    const up = await ledger.upstream(h.recalledFrameLot);
    t.match(up.flags, [
      { kind: 'failed_inspection', code: h.recalledBilletLot },
      { kind: 'recall', code: h.recalledBilletLot },
    ]);
    t.equal(up.flags.length, 2);
  });

  await t.test('recall impact downstream of the billet lot', async (t) => {
    t.equal(h.failedInspectionLot, h.recalledBilletLot);
    const down = await ledger.downstream(h.recalledBilletLot);
    t.ok(down.impact.recalled);
    const finished = down.impact.finishedProducts.map((p) => p.code).sort();
    t.ok(finished.includes(h.recalledFrameLot), 'the recalled frame lot is affected');
    t.ok(finished.length >= 2, `finished lots affected: ${finished.join(', ')}`);
    t.notOk(finished.includes(h.greenFrameLot), 'the green lot is not');
    t.ok(down.impact.customers.length >= 2, `customers: ${down.impact.customers.join('; ')}`);
    t.ok(down.impact.customers.some((c) => c.startsWith('Order HH-')), 'a retailer customer');
    t.ok(down.impact.customers.some((c) => c.startsWith('Project GB-')), 'a distributor customer');
    const holders = down.impact.finishedProducts.flatMap((p) => p.holders.map((x) => x.holder)).filter((x) => x !== null);
    t.ok(holders.includes('harbour-homes') && holders.includes('greenbuild-distribution'), 'stock still held by the distributor and the retailer');
  });

  await t.test('the damaged delivery', async (t) => {
    const down = await ledger.downstream(h.discrepancy.lot);
    const shipment = down.shipments.find((s) => s.leafHash === h.discrepancy.shipLeafHash);
    t.ok(shipment, 'the shipment is downstream of the lot');
    t.match(down.discrepancies, [{ shipmentSeq: shipment!.seq, code: h.discrepancy.lot, missing: { value: 2, unit: 'H87' }, condition: 'damaged' }]);
    t.equal(down.discrepancies.length, 1);
  });

  await t.test('the pallet went to the distributor and was unpacked', async (t) => {
    const down = await ledger.downstream(h.greenFrameLot);
    const pallet = down.shipments.find((s) => s.items.some((it) => it.code === h.pallet));
    t.match(pallet, { sender: { id: 'pearl-windows' }, receiver: { id: 'greenbuild-distribution' }, carrier: { id: 'southline-logistics' }, status: 'received' });
    t.same(pallet!.timeline.map((x) => x.status), ['dispatched', 'in_transit', 'delivered', 'received']);
    t.ok(down.deliveries.length >= 2, 'delivered to end customers');
    const object = await ledger.object(h.pallet);
    t.same(object.contents, [], 'unpacked');
  });
});
