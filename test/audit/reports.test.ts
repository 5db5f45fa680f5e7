import { cli } from '../cli-runner.js';
/**
 * Dispute reports (src/audit/reports.ts, routes in src/http/routes/report-routes.ts, CLI `report`):
 * on the trace chain, a handoff with a discrepancy and the origin of a product made from a lot
 * that failed its inspection. Every statement must verify, by an independent check here, against
 * the checkpoint the report carries; the HTML must escape, stand alone and state the key facts.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBase64, fromBase64Url, toHex, utf8 } from '../../src/core/bytes.js';
import { verifyCheckpoint } from '../../src/core/checkpoint.js';
import { signingMessage, verifyEntrySignature } from '../../src/core/entry.js';
import { canonicalize } from '../../src/core/jcs.js';
import { keyIdOf } from '../../src/core/keys.js';
import { hashLeaf, verifyInclusion } from '../../src/core/merkle.js';
import {
  buildHandoffReport,
  buildOriginReport,
  escapeHtml,
  parseReportFile,
  renderReportHtml,
  verifyReport,
  type EvidenceRecord,
  type HandoffReport,
  type OriginReport,
  type Report,
} from '../../src/audit/reports.js';
import { prepareExport } from '../../src/audit/bundle.js';
import { bundleLines, verifyBundle } from '../../src/audit/verify.js';
import { buildApp } from '../../src/http/app.js';
import { wantsHtml } from '../../src/http/routes/report-routes.js';
import { makeLedger } from '../helpers.js';
import { A1, B1, buildChain, F, K, P, S } from '../trace-chain.js';
import { item, kg, makeWorld, receive, retract, ship } from '../trace-world.js';

const w = await makeWorld();
t.teardown(() => w.L.close());
const r = await buildChain(w);
// A handoff whose receiver wrote markup into its note: the HTML must show it, not run it.
const NASTY = `<script>alert("x")</script> & 'torn' </pre>`;
const s5 = await w.submit(w.sup, ship('man2', [item(A1, kg(50))], { carrier: 'car', reference: '<b>PO-77</b>' }));
await w.submit(w.car, { type: 'track', status: 'in_transit', shipment: s5.leafHash, location: { name: 'Depot <North>' } });
const r5 = await w.submit(w.man2, receive(s5.leafHash, [item(A1, kg(45))], { condition: 'damaged', note: NASTY }));
const ledger = w.L.ledger;
const ledgerKey = ledger.verifierKey;

/**
 * The check a court would run, written here from the core primitives only: the checkpoint under
 * the pinned key; each record's JCS leaf hash and inclusion proof; each signature with the key
 * registered for its kid in the report's own registry records.
 */
function independentlyVerify(t: Test, report: Report): void {
  const cp = verifyCheckpoint(report.checkpoint.note, ledgerKey);
  t.equal(cp.size, report.checkpoint.size, 'checkpoint size as signed');
  const keys = new Map<string, Uint8Array>();
  for (const e of report.registry) {
    const p = e.record.entry.payload as Record<string, unknown>;
    if (p['type'] === 'ledger.genesis') {
      keys.set(keyIdOf(fromBase64Url(p['ledgerPublicKey'] as string)), fromBase64Url(p['ledgerPublicKey'] as string));
      keys.set(keyIdOf(fromBase64Url((p['operator'] as { publicKey: string }).publicKey)), fromBase64Url((p['operator'] as { publicKey: string }).publicKey));
    }
    if (typeof p['publicKey'] === 'string') keys.set(keyIdOf(fromBase64Url(p['publicKey'])), fromBase64Url(p['publicKey']));
  }
  const all: EvidenceRecord[] = [...report.registry, ...report.statements];
  for (const e of all) {
    const leafHash = hashLeaf(utf8(canonicalize(e.record)));
    t.equal(toHex(leafHash), e.leafHash, `seq ${e.seq}: leaf hash`);
    t.doesNotThrow(() => verifyInclusion(leafHash, e.seq, cp.size, e.inclusion.map(fromBase64), cp.root), `seq ${e.seq}: included`);
    const key = keys.get(e.record.entry.signature.kid);
    t.ok(key, `seq ${e.seq}: the signer's key is registered in the report`);
    t.doesNotThrow(() => verifyEntrySignature(signingMessage(e.record.entry.payload), e.record.entry.signature, key!), `seq ${e.seq}: signature`);
  }
  t.ok(report.registry.some((e) => e.seq === 0), 'down to genesis');
}

t.test('handoff report with a discrepancy (JSON)', async (t) => {
  const report = await buildHandoffReport(ledger, String(r['s2']!.seq));
  t.equal(report.format, 'trace-ledger-report/1');
  t.equal(report.kind, 'handoff');
  t.match(report.shipment, { seq: r['s2']!.seq, leafHash: r['s2']!.leafHash, status: 'received', sender: { id: 'sup2', name: 'SUP2 Ltd' }, receiver: { id: 'man', name: 'MAN Ltd' }, receivedSeq: r['r2']!.seq, condition: 'partial', note: 'one bag torn' });
  t.same(report.items, [{ code: B1, product: 'PA6 resin', shipped: { value: 300, unit: 'KGM' }, received: { value: 290, unit: 'KGM' }, missing: { value: 10, unit: 'KGM' } }]);
  t.match(report.discrepancy?.summary, /shipped 300 kg, received 290 kg, 10 kg missing.*condition on receipt: partial.*one bag torn/);
  t.same(report.statements.map((s) => [s.role, s.seq, s.signer.id]), [['dispatch', r['s2']!.seq, 'sup2'], ['receipt', r['r2']!.seq, 'man']]);
  t.match(report.statements[1]!.says, /^MAN Ltd \(man\) receives shipment [0-9a-f]{64}: 290 kg of urn:trace:sup2:resin-1, condition partial; note: one bag torn\.$/);
  t.same(report.registry.map((e) => e.record.entry.payload.type), ['ledger.genesis', 'participant.register', 'participant.register'], 'genesis and both parties\' registrations');
  independentlyVerify(t, report);
  t.same(verifyReport(report, ledgerKey), { ok: true, keySource: 'pinned', checkpoint: { origin: ledger.origin, size: report.checkpoint.size }, records: 5, failures: [], operatorKeySigned: [] });

  const byLeafHash = await buildHandoffReport(ledger, r['s2']!.leafHash.toUpperCase());
  t.same({ ...byLeafHash, generatedAt: '' }, { ...report, generatedAt: '' }, 'the leaf hash names the same shipment');

});

t.test('handoff with tracking statements, and one not yet received', async (t) => {
  const s1 = await buildHandoffReport(ledger, String(r['s1']!.seq));
  t.same(s1.statements.map((s) => s.role), ['dispatch', 'tracking', 'tracking', 'receipt']);
  t.equal(s1.discrepancy, null, 'received in full');
  t.ok(s1.registry.some((e) => (e.record.entry.payload as { participant?: string }).participant === 'car'), "the carrier's registration too");
  independentlyVerify(t, s1);

  const s6 = await w.submit(w.sup, ship('man', [item(A1, kg(5))]));
  const open = await buildHandoffReport(ledger, String(s6.seq));
  t.equal(open.shipment.status, 'in_transit');
  t.same(open.items[0]?.received, null);
  t.same(open.statements.map((s) => s.role), ['dispatch']);
  t.match(renderReportHtml(open), /has not signed a receipt/);
});

t.test('a retracted shipment: gone from the lot\'s answers, its handoff report says it was retracted', async (t) => {
  const s7 = await w.submit(w.sup, ship('man', [item(A1, kg(3))], { carrier: 'car' }));
  const x7 = await w.submit(w.sup, retract(s7.leafHash));
  t.notOk((await ledger.downstream(A1)).shipments.some((s) => s.seq === s7.seq), 'not in the downstream answer');
  const report = await buildHandoffReport(ledger, s7.leafHash);
  t.match(report.shipment, { seq: s7.seq, status: 'retracted', retractedSeq: x7.seq });
  t.match(report.title, new RegExp(`\\(retracted at seq ${x7.seq}\\)$`));
  t.same(report.statements.map((s) => [s.seq, s.role]), [[s7.seq, 'dispatch'], [x7.seq, 'retraction']]);
  t.equal(verifyReport(report, ledgerKey).ok, true);
  independentlyVerify(t, report);
  t.match(renderReportHtml(report), new RegExp(`<dt>Retracted by</dt><dd>seq ${x7.seq}</dd>`));

  const app = await buildApp({ ledger });
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'GET', url: `/v1/reports/handoff/${s7.seq}` });
  t.equal(res.statusCode, 200, 'never a 500');
  t.equal((res.json() as HandoffReport).shipment.retractedSeq, x7.seq);

  // The claimed retraction is held to the statement it cites.
  const forged = JSON.parse(JSON.stringify(report)) as HandoffReport;
  (forged.shipment as { retractedSeq: number }).retractedSeq = s7.seq;
  t.match(verifyReport(forged, ledgerKey).failures, [{ check: 'facts', seq: s7.seq }]);
});

t.test('origin report: the path to every source lot, the failed inspection flagged', async (t) => {
  const report = await buildOriginReport(ledger, P);
  t.equal(report.kind, 'origin');
  t.equal(report.code, P);
  t.equal(report.product, 'Bike frame kit');
  t.same(report.paths.map((p) => p.join(' < ')).sort(), [[P, F, S, A1], [P, F, S, B1], [P, K]].map((p) => p.join(' < ')).sort());
  t.match(report.flags, [{ kind: 'failed_inspection', code: B1, seq: r['iB1']!.seq }, { kind: 'recall', code: B1, seq: r['rc']!.seq }]);
  const b1 = report.lots.find((l) => l.code === B1)!;
  t.match(b1, { depth: 3, producer: { id: 'sup2' }, created: { seq: r['cB1']!.seq, by: 'commission' }, inspections: [{ seq: r['iB1']!.seq, result: 'fail', note: 'moisture above limit' }], recalls: [{ seq: r['rc']!.seq }] });
  t.same(b1.handoffs.map((h) => h.seq), [r['s2']!.seq, r['r2']!.seq]);
  const s = report.lots.find((l) => l.code === S)!;
  t.same(s.inputs.map((i) => [i.code, i.kind, i.seqs]).sort(), [[A1, 'consumed', [r['t1']!.seq]], [B1, 'consumed', [r['t1']!.seq]]].sort());
  const roles = new Map(report.statements.map((x) => [x.seq, x.role]));
  for (const [step, role] of [['cA1', 'origin'], ['iB1', 'inspection'], ['t1', 'transformation'], ['t3', 'transformation'], ['rc', 'recall'], ['s1', 'dispatch'], ['r1', 'receipt']] as const) {
    t.equal(roles.get(r[step]!.seq), role, `${step} is cited as ${role}`);
  }
  const inspection = report.statements.find((x) => x.seq === r['iB1']!.seq)!;
  t.match(inspection.says, /inspects urn:trace:sup2:resin-1: FAIL; note: moisture above limit/);
  t.same(inspection.about, [B1]);
  t.same(report.statements.map((x) => x.seq), [...report.statements.map((x) => x.seq)].sort((a, b) => a - b), 'in log order');
  independentlyVerify(t, report);
  t.equal(verifyReport(report, ledgerKey).ok, true);
});

t.test('a tampered report fails verification, naming the record', async (t) => {
  const report = await buildHandoffReport(ledger, String(r['s2']!.seq));
  const forged = JSON.parse(JSON.stringify(report)) as HandoffReport;
  (forged.statements[1]!.record.entry.payload as unknown as { objects: Array<{ quantity: { value: number } }> }).objects[0]!.quantity.value = 300;
  const v = verifyReport(forged, ledgerKey);
  t.equal(v.ok, false);
  t.match(v.failures, [{ check: 'leaf-hash', seq: r['r2']!.seq, verifyCode: 'RECORD_LEAF_HASH' }]);

  const rehashed = JSON.parse(JSON.stringify(forged)) as HandoffReport;
  const st = rehashed.statements[1]! as { leafHash: string; record: unknown };
  st.leafHash = toHex(hashLeaf(utf8(canonicalize(st.record))));
  const v2 = verifyReport(rehashed, ledgerKey);
  t.same(v2.failures.map((f) => f.check).sort(), ['facts', 'inclusion', 'signature'], 'a recomputed leaf hash is neither included nor signed (and the summary no longer matches it)');
  t.same(v2.failures.map((f) => f.verifyCode ?? null).sort(), ['RECORD_INCLUSION', 'RECORD_SIGNATURE', null], 'each record check names its code; the summary check is the report\'s own');

  const other = await makeLedger();
  const otherKey = other.ledger.verifierKey;
  await other.close();
  const wrongKey = verifyReport(report, otherKey);
  t.match(wrongKey.failures, [{ check: 'ledger-key' }, { check: 'checkpoint', verifyCode: 'CHECKPOINT_SIGNATURE' }]);
  t.equal(verifyReport(report).keySource, 'report', 'without a pinned key: self-consistency only');

  // The summary is derived, not signed: edited there, the report must not verify either.
  const edited = JSON.parse(JSON.stringify(report)) as HandoffReport;
  (edited.items[0] as { received: { value: number } }).received.value = 300;
  t.match(verifyReport(edited, ledgerKey).failures, [{ check: 'facts', seq: r['r2']!.seq, message: /received quantity differs/ }]);
  const renamed = JSON.parse(JSON.stringify(report)) as HandoffReport;
  (renamed.shipment as { receiver: { id: string } }).receiver.id = 'man2';
  t.match(verifyReport(renamed, ledgerKey).failures.map((f) => f.check), ['facts', 'facts']);
  const origin = JSON.parse(JSON.stringify(await buildOriginReport(ledger, P))) as OriginReport;
  (origin.lots.find((l) => l.code === B1)!.inspections[0] as { result: string }).result = 'pass';
  t.match(verifyReport(origin, ledgerKey).failures, [{ check: 'facts', seq: r['iB1']!.seq }]);
  t.match(verifyReport({ format: 'nope' } as unknown as Report).failures, [{ check: 'format' }]);
});

t.test('HTML: standalone, printable, escaped, with the key facts and how to verify', async (t) => {
  const report = await buildHandoffReport(ledger, String(s5.seq));
  const html = renderReportHtml(report);
  t.match(html, /^<!doctype html>/);
  // Key facts.
  for (const fact of ['SUP Ltd (sup)', 'MAN2 Ltd (man2)', 'CAR Ltd (car)', '50 kg', '45 kg', '5 kg missing', 'damaged', `seq ${s5.seq}`, s5.leafHash, `seq ${r5.seq}`]) {
    t.ok(html.includes(fact), `states ${fact}`);
  }
  // Escaped: the receiver's markup, the reference and the location appear as text.
  t.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;torn&#39; &lt;/pre&gt;'), 'the note as text');
  t.ok(html.includes('&lt;b&gt;PO-77&lt;/b&gt;'), 'the reference as text');
  t.ok(html.includes('Depot &lt;North&gt;'));
  t.notOk(/<script(?![^>]*type="application\/json")/i.test(html), 'no executable script');
  t.equal((html.match(/<script/g) ?? []).length, 1, 'only the embedded JSON data block');
  t.notOk(html.includes('<b>PO-77'), 'no raw markup from a payload');
  // Standalone: nothing loaded from anywhere.
  t.notOk(/\s(src|srcset|action|poster)=/i.test(html), 'no src attributes');
  t.notOk(/href="(?!#)/i.test(html), 'links only within the page');
  t.notOk(/<link|@import|url\(/i.test(html), 'no stylesheets or fonts from outside');
  // Printable.
  t.match(html, /@media print\{[^]*nav\{display:none\}/);
  t.match(html, /break-inside:avoid/);
  t.match(html, /@page\{size:A4/);
  // Evidence and instructions.
  t.ok(html.includes(escapeHtml(report.checkpoint.note)), 'the signed checkpoint');
  for (const s of report.statements) t.ok(html.includes(s.inclusion[0] ?? ''), `seq ${s.seq}: its proof`);
  t.match(html, /How to verify this report/);
  t.match(html, /trace-ledger export --code 'urn:trace:sup:ingot-1' --direction down --since \d+ --out chain\.ndjson/);
  t.match(html, /trace-ledger verify chain\.ndjson --key '[^']+' --checkpoint report-checkpoint\.txt/);
  t.match(html, /trace-ledger report verify/);
  // The embedded JSON is the report, and verifies from the file alone.
  const back = parseReportFile(html);
  t.same(back, report);
  t.equal(verifyReport(back, ledgerKey).ok, true);

  const origin = renderReportHtml(await buildOriginReport(ledger, P));
  t.match(origin, /Failed inspection of <code>urn:trace:sup2:resin-1<\/code>/);
  t.match(origin, /<span class="fail">FAIL<\/span> moisture above limit/);
  t.match(origin, /RECALLED<\/span> contaminated resin/);
});

t.test('the audit-bundle route the HTML describes: export --since, verify --checkpoint', async (t) => {
  for (const [report, code, direction] of [
    [await buildHandoffReport(ledger, String(r['s2']!.seq)), B1, 'down'],
    [await buildOriginReport(ledger, P), P, 'up'],
  ] as const) {
    await w.submit(w.lab, { type: 'inspect', objects: [A1], result: 'pass' }); // the log grows after the report
    const bundle = prepareExport(ledger, { code, direction, since: report.checkpoint.size });
    const chunks: Uint8Array[] = [];
    for await (const c of bundle.chunks()) chunks.push(c);
    const text = Buffer.concat(chunks).toString('utf8');
    const checked = await verifyBundle(bundleLines((async function* () { yield* chunks; })()), { trustedKey: ledgerKey, oldCheckpoint: report.checkpoint.note });
    t.equal(checked.ok, true, `${report.kind}: the bundle verifies and extends the report's checkpoint`, { failures: checked.failures });
    for (const st of report.statements) t.ok(text.includes(st.leafHash), `${report.kind}: statement seq ${st.seq} is in the bundle under the same leaf hash`);
  }
});

t.test('unknown or wrong subjects are clear errors', async (t) => {
  await t.rejects(buildHandoffReport(ledger, '999999'), { code: 'LEDGER_ENTRY_NOT_FOUND' });
  await t.rejects(buildHandoffReport(ledger, 'ab'.repeat(32)), { code: 'LEDGER_ENTRY_NOT_FOUND' });
  await t.rejects(buildHandoffReport(ledger, String(r['r2']!.seq)), { code: 'LEDGER_NOT_FOUND', message: /receive entry, not a shipment/ });
  await t.rejects(buildHandoffReport(ledger, 'last week'), { code: 'LEDGER_QUERY_INVALID' });
  await t.rejects(buildOriginReport(ledger, 'urn:trace:sup:nothing'), { code: 'TRACE_OBJECT_NOT_FOUND' });
  await t.rejects(buildOriginReport(ledger, 'not a code'), { code: 'TRACE_CODE_INVALID' });
});

t.test('HTTP: JSON or HTML by ?format= or Accept; problems for unknown subjects', async (t) => {
  const app = await buildApp({ ledger });
  t.teardown(() => app.close());
  const get = (url: string, accept?: string) => app.inject({ method: 'GET', url, headers: accept === undefined ? {} : { accept } });

  const json = await get(`/v1/reports/handoff/${r['s2']!.seq}`);
  t.equal(json.statusCode, 200);
  t.match(json.headers['content-type'], /^application\/json/);
  const body = json.json() as HandoffReport;
  t.equal(body.shipment.seq, r['s2']!.seq);
  t.equal(verifyReport(body, ledgerKey).ok, true);

  const html = await get(`/v1/reports/handoff/${r['s2']!.leafHash}?format=html`);
  t.equal(html.statusCode, 200);
  t.equal(html.headers['content-type'], 'text/html; charset=utf-8');
  t.match(html.headers['content-security-policy'], /default-src 'none'/);
  t.match(html.body, /Handoff report: shipment \d+ from SUP2 Ltd to MAN Ltd/);

  const browser = await get(`/v1/reports/origin/${encodeURIComponent(P)}`, 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8');
  t.match(browser.headers['content-type'], /^text\/html/, 'a browser gets the page');
  t.equal(browser.headers['vary'], 'Accept');
  const machine = await get(`/v1/reports/origin/${encodeURIComponent(P)}`, 'application/json');
  t.equal((machine.json() as OriginReport).kind, 'origin');
  const forced = await get(`/v1/reports/origin/${encodeURIComponent(P)}?format=json`, 'text/html');
  t.match(forced.headers['content-type'], /^application\/json/, '?format= wins over Accept');

  for (const [url, status, code] of [
    ['/v1/reports/handoff/999999', 404, 'LEDGER_ENTRY_NOT_FOUND'],
    [`/v1/reports/handoff/${r['cA1']!.seq}`, 404, 'LEDGER_NOT_FOUND'],
    ['/v1/reports/handoff/yesterday', 400, 'LEDGER_QUERY_INVALID'],
    [`/v1/reports/origin/${encodeURIComponent('urn:trace:sup:nothing')}`, 404, 'TRACE_OBJECT_NOT_FOUND'],
    [`/v1/reports/origin/${encodeURIComponent(P)}?format=pdf`, 400, 'LEDGER_QUERY_INVALID'],
  ] as const) {
    const res = await get(url, 'text/html');
    t.equal(res.statusCode, status, url);
    t.equal(res.json().code, code, url);
    t.match(res.headers['content-type'], /^application\/problem\+json/);
  }
});

t.test('content negotiation', async (t) => {
  t.equal(wantsHtml(undefined, undefined), false);
  t.equal(wantsHtml(undefined, '*/*'), false, 'curl: JSON');
  t.equal(wantsHtml(undefined, 'text/html'), true);
  t.equal(wantsHtml(undefined, 'application/json, text/html;q=0.5'), false);
  t.equal(wantsHtml(undefined, 'text/*;q=0.9, application/json;q=0.5'), true);
  t.equal(wantsHtml(undefined, 'text/html;q=0'), false);
  t.equal(wantsHtml('json', 'text/html'), false);
  t.equal(wantsHtml('html', 'application/json'), true);
});


t.test('CLI: report handoff|origin writes a verified report; report verify checks a saved one', async (t) => {
  const app = await buildApp({ ledger });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-report-'));
  t.teardown(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const html = join(dir, 'handoff.html');
  const made = await cli('report', 'handoff', String(r['s2']!.seq), '--url', url, '--out', html, '--key', ledgerKey);
  t.equal(made.code, 0, made.stderr);
  t.match(made.stdout, /^wrote .*handoff\.html: Handoff report: shipment \d+ from SUP2 Ltd to MAN Ltd; 5 signed records verified against checkpoint size \d+ \(pinned key\)/);
  t.match(readFileSync(html, 'utf8'), /^<!doctype html>/);

  const json = join(dir, 'origin.json');
  const origin = await cli('report', 'origin', P, '--url', url, '--out', json);
  t.equal(origin.code, 0, origin.stderr);
  t.match(origin.stdout, /with the key the service names: pass --key to pin it/);
  t.equal((JSON.parse(readFileSync(json, 'utf8')) as OriginReport).kind, 'origin');

  const check = await cli('report', 'verify', html, '--key', ledgerKey);
  t.equal(check.code, 0, check.stdout);
  t.match(check.stdout, /^verified: 5 signed records of "Handoff report: .*" are included in checkpoint .* size \d+ \(pinned key\)/);

  const unpinned = await cli('report', 'verify', html);
  t.equal(unpinned.code, 2, 'no --key and no --trust-report-key: exit 2');
  t.match(unpinned.stderr, /^trace-ledger: .*--key <verifier key>.*--trust-report-key/);
  t.equal((await cli('report', 'verify', html, '--key', ledgerKey, '--trust-report-key')).code, 2, 'both: exit 2');
  const own = await cli('report', 'verify', html, '--trust-report-key');
  t.equal(own.code, 0, own.stdout);
  t.match(own.stdout, /\(the report's own key, NOT pinned: pass --key\)/);
  t.match(JSON.parse((await cli('report', 'verify', html, '--trust-report-key', '--json')).stdout), { ok: true, keySource: 'report' });

  const tampered = join(dir, 'tampered.html');
  writeFileSync(tampered, readFileSync(html, 'utf8').replaceAll('"value":290', '"value":300'));
  const bad = await cli('report', 'verify', tampered, '--key', ledgerKey);
  t.equal(bad.code, 1);
  t.match(bad.stdout, /^FAILED: .*\n {2}leaf-hash \[seq \d+\]/);

  const unknown = await cli('report', 'handoff', '999999', '--url', url, '--out', join(dir, 'x.html'));
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, /^trace-ledger: LEDGER_ENTRY_NOT_FOUND: no record with seq 999999/);
  const unknownCode = await cli('report', 'origin', 'urn:trace:sup:nothing', '--url', url);
  t.equal(unknownCode.code, 1);
  t.match(unknownCode.stderr, /TRACE_OBJECT_NOT_FOUND/);
  t.equal((await cli('report', 'sideways', '1')).code, 2, 'usage');
  t.equal((await cli('report', 'handoff', '1', '--format', 'pdf', '--url', url)).code, 2, 'usage');
});
