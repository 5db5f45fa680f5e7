import { cli } from '../cli-runner.js';
/**
 * Audit bundle export (src/audit/bundle.ts, GET /v1/export, `trace-ledger export`): what a full,
 * scoped and range bundle holds, that every proof in it verifies with the core alone, that it is
 * produced page by page, and the CLI's export → verify round trip against a served instance.
 */
import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBase64, fromHex, toBase64Url } from '../../src/core/bytes.js';
import { verifyCheckpoint } from '../../src/core/checkpoint.js';
import { signEntry } from '../../src/core/entry.js';
import { verifyConsistency, verifyInclusion } from '../../src/core/merkle.js';
import { BUNDLE_FORMAT, EXPORT_PAGE, prepareExport, type BundleHeader } from '../../src/audit/bundle.js';
import { buildApp } from '../../src/http/app.js';
import type { Ledger } from '../../src/ledger.js';
import { nodeEd25519 } from '../../src/platform/node-crypto.js';
import { serve } from '../../src/cli/serve.js';
import { makeLedger, party, payloadOf } from '../helpers.js';
import { A1, B1, F, K, PAL, S, X } from '../trace-chain.js';
import { auditWorld, exportText, linesOf, seqsOf, verifyText, P, type AuditWorld } from '../audit-bundles.js';

const headerOf = (text: string): BundleHeader => JSON.parse(linesOf(text)[0]!) as BundleHeader;

async function world(t: Test): Promise<AuditWorld> {
  const a = await auditWorld();
  t.teardown(() => a.close());
  return a;
}

/** Every entry touching any of the codes, from the ledger's own history answers. */
async function touching(ledger: Ledger, codes: readonly string[]): Promise<number[]> {
  const seqs = new Set<number>();
  for (const c of codes) for (const e of (await ledger.history(c)).entries) seqs.add(e.seq);
  return [...seqs].sort((a, b) => a - b);
}

t.test('a full bundle: every record as stored, no paths, the end line, and it verifies', async (t) => {
  const a = await world(t);
  const { ledger } = a.w.L;
  const text = await exportText(a.w);
  const lines = linesOf(text);
  const size = ledger.size();
  t.equal(lines.length, size + 3, 'header, one line per record, end line, and the empty string after the final newline');
  t.equal(lines.at(-1), '');

  const header = headerOf(text);
  t.match(header, { format: BUNDLE_FORMAT, origin: ledger.origin, ledgerKey: ledger.verifierKey, scope: { kind: 'full' }, exportedAt: String });
  t.notOk('consistency' in header);
  const cp = verifyCheckpoint(header.checkpoint, ledger.verifierKey);
  t.equal(cp.size, size, 'the checkpoint covers the whole log');

  for (let seq = 0; seq < size; seq++) {
    const stored = a.w.L.store.record(seq)!;
    const line = lines[seq + 1]!;
    t.equal(line.slice(0, 10), '{"record":');
    t.ok(line.startsWith(`{"record":${Buffer.from(stored.leaf).toString('utf8')},`), `seq ${seq}: the stored leaf bytes, as they are`);
    const parsed = JSON.parse(line) as Record<string, unknown>;
    t.same(Object.keys(parsed), ['record', 'leafHash', 'chainHash'], `seq ${seq}: no inclusion path in a full bundle`);
    t.equal(parsed['leafHash'], Buffer.from(stored.leafHash).toString('hex'));
    t.equal(parsed['chainHash'], Buffer.from(stored.chainHash).toString('hex'));
  }
  const end = JSON.parse(lines.at(-2)!) as { end: { records: number; sha256: string } };
  const before = text.slice(0, text.length - lines.at(-2)!.length - 1);
  t.same(end, { end: { records: size, sha256: createHash('sha256').update(before).digest('hex') } }, 'end line: count and SHA-256 of everything before it');

  const report = await verifyText(text, { trustedKey: ledger.verifierKey });
  t.ok(report.ok, JSON.stringify(report.failures));
  t.match(report, { keyPinned: true, records: size, checked: { leafHashes: size, chainLinks: size, signatures: size, inclusionProofs: 0, root: true, endLine: true } });
});

t.test('scoped by code: the chain\'s entries, the key records they need, and a proof each', async (t) => {
  const a = await world(t);
  const { ledger } = a.w.L;
  const size = ledger.size();
  const up = await exportText(a.w, { code: P, direction: 'up' });
  const down = await exportText(a.w, { code: A1, direction: 'down' });
  const both = await exportText(a.w, { code: F });
  t.same(headerOf(both).scope, { kind: 'code', code: F, direction: 'both' }, 'direction defaults to both; the code is canonical');

  const upSeqs = seqsOf(up);
  const expectedUp = await touching(ledger, [P, F, K, S, A1, B1]);
  for (const s of expectedUp) t.ok(upSeqs.includes(s), `upstream of P holds seq ${s}, which touches an ancestor`);
  t.ok(upSeqs.includes(a.inspectSeq), 'the inspection of S signed with the new key');
  t.ok(upSeqs.includes(a.keyAddSeq) && upSeqs.includes(a.revokeSeq), 'and the key addition and revocation its signer\'s keys went through');
  t.ok(upSeqs.includes(0), 'genesis: the operator and ledger keys');
  for (const who of ['sup', 'sup2', 'man', 'man2', 'lab', 'car']) {
    const seq = ledger.participant(who).registeredSeq;
    t.ok(upSeqs.includes(seq), `the registration of signer ${who} (seq ${seq})`);
  }
  t.notOk(upSeqs.includes(a.unrelatedSeq), 'nothing outside the chain');
  t.same(upSeqs, [...upSeqs].sort((x, y) => x - y), 'in seq order');

  const downSeqs = seqsOf(down);
  for (const s of await touching(ledger, [A1, S, X, F, P, PAL])) t.ok(downSeqs.includes(s), `downstream of A1 holds seq ${s}`);
  t.notOk(downSeqs.includes(a.r['cB1']!.seq), 'B1\'s commissioning is not downstream of A1');
  t.notOk(downSeqs.includes(a.r['cK']!.seq), 'nor is K\'s');

  const bothSeqs = seqsOf(both);
  const union = [...new Set([...seqsOf(await exportText(a.w, { code: F, direction: 'up' })), ...seqsOf(await exportText(a.w, { code: F, direction: 'down' }))])].sort((x, y) => x - y);
  t.same(bothSeqs, union, 'both = upstream ∪ downstream');

  for (const text of [up, down, both]) {
    const cp = verifyCheckpoint(headerOf(text).checkpoint, ledger.verifierKey);
    t.equal(cp.size, size);
    for (const line of linesOf(text).slice(1, -2)) {
      const l = JSON.parse(line) as { record: { seq: number }; leafHash: string; inclusion: string[] };
      t.doesNotThrow(() => verifyInclusion(fromHex(l.leafHash), l.record.seq, cp.size, l.inclusion.map(fromBase64), cp.root), `seq ${l.record.seq}: inclusion proof`);
    }
    const report = await verifyText(text, { trustedKey: ledger.verifierKey });
    t.ok(report.ok, JSON.stringify(report.failures));
    t.equal(report.checked.inclusionProofs, report.records);
    t.equal(report.checked.signatures, report.records);
  }
});

t.test('a seq range: the records of the range, the key records before it, and a proof each', async (t) => {
  const a = await world(t);
  const { ledger } = a.w.L;
  const size = ledger.size();
  const from = a.r['t2']!.seq;
  const text = await exportText(a.w, { from, to: a.inspectSeq + 1 });
  const seqs = seqsOf(text);
  const inRange = seqs.filter((s) => s >= from);
  t.same(inRange, Array.from({ length: a.inspectSeq + 1 - from }, (_, i) => from + i), 'every record of [from, to)');
  const before = seqs.filter((s) => s < from);
  t.ok(before.includes(0), 'genesis');
  t.ok(before.includes(ledger.participant('man').registeredSeq) && before.includes(ledger.participant('car').registeredSeq), 'registrations of the range\'s signers');
  t.notOk(before.includes(a.r['cA1']!.seq), 'no other entries before the range');
  t.same(headerOf(text).scope, { kind: 'range', from, to: a.inspectSeq + 1 });
  t.ok((await verifyText(text, { trustedKey: ledger.verifierKey })).ok);

  const open = await exportText(a.w, { from: size - 2, to: size + 100 });
  t.same(headerOf(open).scope, { kind: 'range', from: size - 2, to: size }, 'to is capped at the checkpoint');
  t.ok((await verifyText(open)).ok);
  const fromOnly = await exportText(a.w, { from: 3 });
  t.same(headerOf(fromOnly).scope, { kind: 'range', from: 3, to: size });
});

t.test('since: a consistency proof from an older tree size', async (t) => {
  const a = await world(t);
  const { ledger } = a.w.L;
  const old = ledger.checkpoint(ledger.size());
  await a.w.submit(a.w.sup, { type: 'commission', objects: [{ code: 'urn:trace:sup:later-1', level: 'material', product: { name: 'Later' }, quantity: { value: 1, unit: 'KGM' } }] });
  const text = await exportText(a.w, { since: old.size });
  const header = headerOf(text);
  const cp = verifyCheckpoint(header.checkpoint, ledger.verifierKey);
  t.equal(cp.size, old.size + 1);
  t.equal(header.consistency?.from, old.size);
  t.doesNotThrow(() => verifyConsistency(old.size, cp.size, header.consistency!.proof.map(fromBase64), old.root, cp.root));
  const report = await verifyText(text, { trustedKey: ledger.verifierKey, oldCheckpoint: old.note });
  t.ok(report.ok, JSON.stringify(report.failures));
  t.ok(report.checked.consistency);
  const scoped = await exportText(a.w, { code: 'urn:trace:sup:later-1', since: old.size });
  const scopedReport = await verifyText(scoped, { trustedKey: ledger.verifierKey, oldCheckpoint: old.note });
  t.ok(scopedReport.ok && scopedReport.checked.consistency, 'a scoped bundle carries it too');
  const same = await exportText(a.w, { since: cp.size });
  t.same(headerOf(same).consistency, { from: cp.size, proof: [] }, 'since = size: the empty proof');
});

t.test('request errors surface before the first byte', async (t) => {
  const a = await world(t);
  const size = a.w.L.ledger.size();
  const cases: Array<[string, Parameters<typeof prepareExport>[1], string]> = [
    ['code and a range', { code: P, from: 1 }, 'LEDGER_QUERY_INVALID'],
    ['direction without code', { direction: 'up' }, 'LEDGER_QUERY_INVALID'],
    ['unknown direction', { code: P, direction: 'sideways' as never }, 'LEDGER_QUERY_INVALID'],
    ['empty range', { from: 5, to: 5 }, 'LEDGER_QUERY_INVALID'],
    ['negative from', { from: -1 }, 'LEDGER_QUERY_INVALID'],
    ['from beyond the log', { from: size }, 'LEDGER_PROOF_RANGE'],
    ['since 0', { since: 0 }, 'LEDGER_QUERY_INVALID'],
    ['since beyond the log', { since: size + 1 }, 'LEDGER_PROOF_RANGE'],
    ['unknown code', { code: 'urn:trace:sup:never' }, 'TRACE_OBJECT_NOT_FOUND'],
    ['malformed code', { code: 'https://id.gs1.org/01/12345678901234' }, 'TRACE_CODE_INVALID'],
  ];
  for (const [what, request, code] of cases) t.throws(() => prepareExport(a.w.L.ledger, request), { code }, what);
});

t.test('GET /v1/export streams the bundle; errors are problem+json', async (t) => {
  const a = await world(t);
  const { ledger } = a.w.L;
  const app = await buildApp({ ledger });
  t.teardown(() => app.close());
  const res = await app.inject('/v1/export');
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^application\/x-ndjson/);
  t.match(res.headers['content-disposition'], /^attachment; filename="test\.trace-ledger\.local_log-full-\d+\.ndjson"$/);
  t.equal(res.headers['x-bundle-records'], String(ledger.size()));
  t.ok((await verifyText(res.body, { trustedKey: ledger.verifierKey })).ok);

  const scoped = await app.inject(`/v1/export?code=${encodeURIComponent(P)}&direction=up&since=2`);
  t.equal(scoped.statusCode, 200);
  const h = headerOf(scoped.body);
  t.same(h.scope, { kind: 'code', code: P, direction: 'up' });
  t.equal(h.consistency?.from, 2);
  t.ok((await verifyText(scoped.body, { trustedKey: ledger.verifierKey })).ok);
  const range = await app.inject('/v1/export?from=3&to=9');
  t.same(headerOf(range.body).scope, { kind: 'range', from: 3, to: 9 });

  for (const [url, status, code] of [
    [`/v1/export?code=${encodeURIComponent(P)}&from=1`, 400, 'LEDGER_QUERY_INVALID'],
    ['/v1/export?direction=up', 400, 'LEDGER_QUERY_INVALID'],
    ['/v1/export?direction=left&code=x', 400, 'LEDGER_QUERY_INVALID'],
    ['/v1/export?since=0', 400, 'LEDGER_QUERY_INVALID'],
    ['/v1/export?since=100000', 400, 'LEDGER_PROOF_RANGE'],
    ['/v1/export?from=100000', 400, 'LEDGER_PROOF_RANGE'],
    ['/v1/export?frm=1', 400, 'LEDGER_QUERY_INVALID'],
    [`/v1/export?code=${encodeURIComponent('urn:trace:sup:never')}`, 404, 'TRACE_OBJECT_NOT_FOUND'],
  ] as const) {
    const r = await app.inject(url);
    t.equal(r.statusCode, status, url);
    t.match(r.headers['content-type'], /^application\/problem\+json/, url);
    t.equal(r.json().code, code, url);
  }
});

t.test('export is streamed: a page at a time, chunked over HTTP', async (t) => {
  const L = await makeLedger({ ed: nodeEd25519 });
  t.teardown(() => L.close());
  const sup = party('sup-stream');
  await L.register(sup, ['supplier']);
  const total = 6 * EXPORT_PAGE;
  for (let i = 0; i < total; i += 1000) {
    await L.ledger.submit(
      Array.from({ length: Math.min(1000, total - i) }, (_, j) =>
        signEntry(payloadOf(sup, { type: 'commission', objects: [{ code: `urn:trace:sup-stream:lot-${i + j}`, level: 'material', product: { name: 'Lot' }, quantity: { value: 1, unit: 'KGM' } }] }), sup.seed, nodeEd25519),
      ),
    );
  }
  const size = L.ledger.size();

  // Count what the exporter reads from the store while chunks are taken one by one.
  let rowsRead = 0;
  const reader = L.ledger.auditReader();
  const counting = { ...reader, records: (after: number, limit: number) => { const rows = reader.records(after, limit); rowsRead += rows.length; return rows; } };
  const ledger = { ...L.ledger, auditReader: () => counting } as Ledger;
  const bundle = prepareExport(ledger);
  t.equal(bundle.records, size);
  const it = bundle.chunks();
  const first = await it.next();
  t.equal(rowsRead, 0, 'the header goes out before any record is read');
  t.notOk(first.done);
  let chunks = 0;
  let maxLines = 0;
  let bytes = 0;
  for (let next = await it.next(); !next.done; next = await it.next()) {
    chunks++;
    bytes += next.value.length;
    const lines = Buffer.from(next.value).toString('utf8').split('\n').length - 1;
    maxLines = Math.max(maxLines, lines);
    t.ok(rowsRead <= chunks * EXPORT_PAGE, `after ${chunks} chunks, at most ${chunks} pages read (${rowsRead})`);
  }
  t.ok(maxLines <= EXPORT_PAGE, `no chunk holds more than a page (${maxLines} lines)`);
  t.ok(chunks >= Math.ceil(size / EXPORT_PAGE), `${chunks} chunks for ${size} records (${bytes} bytes)`);

  // Over a real socket: no Content-Length, chunked transfer, and the bundle verifies.
  const app = await buildApp({ ledger: L.ledger });
  t.teardown(() => app.close());
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const res = await fetch(`${url}/v1/export`);
  t.equal(res.headers.get('transfer-encoding'), 'chunked');
  t.equal(res.headers.get('content-length'), null);
  const text = await res.text();
  const report = await verifyText(text, { trustedKey: L.ledger.verifierKey });
  t.ok(report.ok, JSON.stringify(report.failures.slice(0, 3)));
  t.equal(report.records, size);
});

// ---------------------------------------------------------------------------------------------
// The CLI against a served instance


t.test('trace-ledger export and verify against a served instance', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-audit-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'data', 'ledger.db');
  const init = await cli('init', '--db', db, '--origin', 'audit.test.local/log');
  t.equal(init.code, 0, init.stderr);
  const key = /ledger key \(publish this\): (\S+)/.exec(init.stdout)![1]!;
  const server = await serve({ db, port: 0, host: '127.0.0.1', origin: undefined, demo: false, quiet: true, handleSignals: false });
  t.teardown(() => server.close());
  const url = server.url;
  const operatorKey = join(dir, 'data', 'operator.key.pem');
  t.equal((await cli('keygen', '--out', join(dir, 'smelter.key.pem'))).code, 0);
  const add = await cli('participant', 'add', '--key', operatorKey, '--url', url, '--id', 'smelter', '--name', 'Smelter', '--roles', 'supplier', '--public-key', join(dir, 'smelter.pub.pem'));
  t.equal(add.code, 0, add.stderr);
  const submit = async (payload: Record<string, unknown>) => {
    const file = join(dir, `p-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(payload));
    const r = await cli('submit', '--key', join(dir, 'smelter.key.pem'), '--signer', 'smelter', '--url', url, file);
    t.equal(r.code, 0, r.stderr);
  };
  await submit({ type: 'commission', objects: [{ code: 'urn:trace:smelter:ingot-1', level: 'material', product: { name: 'Ingot' }, quantity: { value: 10, unit: 'KGM' } }] });
  const checkpointFile = join(dir, 'old.txt');
  writeFileSync(checkpointFile, await (await fetch(`${url}/v1/checkpoint?minSize=3`)).text());
  await submit({ type: 'inspect', objects: ['urn:trace:smelter:ingot-1'], result: 'pass' });
  await submit({ type: 'participant.key.add', participant: 'smelter', publicKey: toBase64Url(party('k2').publicKey) });

  const full = join(dir, 'out', 'full.ndjson');
  const ex = await cli('export', '--url', url, '--out', full, '--since', '3');
  t.equal(ex.code, 0, ex.stderr);
  t.match(ex.stdout, /^wrote .*full\.ndjson: 5 records, [\d.]+ MiB, checkpoint size 5, scope full in [\d.]+ s\n$/);
  t.equal(ex.stderr, '', 'no progress when stderr is not a terminal');
  t.notOk(existsSync(`${full}.partial`));

  const ok = await cli('verify', full, '--key', key, '--checkpoint', checkpointFile);
  t.equal(ok.code, 0, ok.stdout);
  t.match(ok.stdout, /checked {5}5 records: 5 leaf hashes, 5 chain links, 5 signatures, the Merkle root recomputed from all 5 leaves, consistency from size 3, the end line/);
  t.match(ok.stdout, /\(pinned\)/);
  t.match(ok.stdout, /\nOK: every check passed$/m);
  const keyFile = join(dir, 'ledger.key.txt');
  writeFileSync(keyFile, `${key}\n`);
  t.equal((await cli('verify', full, '--key', keyFile)).code, 0, '--key may name a file holding the key');
  // Without a pinned key a bundle only shows it is self-consistent: that must not pass silently.
  const unpinned = await cli('verify', full);
  t.equal(unpinned.code, 2, 'no --key and no --trust-bundle-key: exit 2');
  t.equal(unpinned.stdout, '', 'nothing was verified');
  t.match(unpinned.stderr, /^trace-ledger: .*--key <verifier key>.*--trust-bundle-key/);
  t.equal((await cli('verify', full, '--key', key, '--trust-bundle-key')).code, 2, 'both: exit 2');
  const trusted = await cli('verify', full, '--trust-bundle-key');
  t.equal(trusted.code, 0, trusted.stdout);
  t.match(trusted.stdout, /NOT independently pinned/);
  t.match(trusted.stdout, /\nOK \(key NOT pinned\): every check passed/);
  const trustedJson = await cli('verify', full, '--trust-bundle-key', '--json');
  t.equal(trustedJson.code, 0);
  t.match(JSON.parse(trustedJson.stdout), { ok: true, keyPinned: false, notes: [/not independently pinned/] });
  const json = await cli('verify', full, '--key', key, '--json');
  t.equal(json.code, 0);
  t.match(JSON.parse(json.stdout), { ok: true, keyPinned: true, records: 5, failures: [], rootCauses: [], rootCauseCount: 0, consequences: { count: 0, byCheck: {} } });

  const scoped = join(dir, 'ingot.ndjson');
  const exScoped = await cli('export', '--url', url, '--out', scoped, '--code', 'urn:trace:smelter:ingot-1', '--direction', 'up');
  t.equal(exScoped.code, 0, exScoped.stderr);
  t.equal((await cli('verify', scoped, '--key', key)).code, 0);
  const range = join(dir, 'range.ndjson');
  t.equal((await cli('export', '--url', url, '--out', range, '--from', '3', '--to', '5')).code, 0);
  t.equal((await cli('verify', range, '--key', key)).code, 0);

  // A tampered bundle: exit 1, and the report names the line, seq and check.
  const text = readFileSync(full, 'utf8');
  const tampered = join(dir, 'tampered.ndjson');
  writeFileSync(tampered, text.replace('"value":10}', '"value":11}'));
  const bad = await cli('verify', tampered, '--key', key);
  t.equal(bad.code, 1);
  t.match(bad.stdout, /FAILED: \d+ failures/);
  t.match(bad.stdout, /line 4, seq 2: leaf-hash: the record does not hash to the leaf hash on its line/);
  t.match(bad.stdout, /line 4, seq 2: signature \(LEDGER_SIGNATURE_INVALID\)/);
  t.match(bad.stdout, /\n {2}\+ 1 merkle-root failure that follows from the above, not listed/, 'the root mismatch is counted as a consequence');
  t.notMatch(bad.stdout, /chain-hash: /, 'chain hashes after the record are not listed');
  const badJson = JSON.parse((await cli('verify', tampered, '--key', key, '--json')).stdout) as { ok: boolean; failures: Array<{ seq: number | null; check: string }>; rootCauses: Array<{ seq: number | null; check: string }>; consequences: { byCheck: Record<string, number> } };
  t.equal(badJson.ok, false);
  t.ok(badJson.failures.some((f) => f.seq === 2 && f.check === 'leaf-hash'));
  t.match(badJson.rootCauses[0], { seq: 2, check: 'leaf-hash' }, 'the altered record is the first root cause');
  t.match(badJson.consequences.byCheck, { 'chain-hash': 3, 'merkle-root': 1 }, 'seq 2..4 chain hashes and the root');

  // Usage and runtime errors.
  for (const args of [
    ['export', '--url', url],
    ['export', '--url', url, '--out', join(dir, 'x'), '--code', 'c', '--from', '1'],
    ['export', '--url', url, '--out', join(dir, 'x'), '--direction', 'up'],
    ['export', '--url', url, '--out', join(dir, 'x'), '--from', 'one'],
    ['verify'],
    ['verify', full, '--key', 'not-a-key'],
  ]) {
    const r = await cli(...args);
    t.equal(r.code, 2, `${args.join(' ')}: exit 2`);
  }
  const missing = await cli('export', '--url', url, '--out', join(dir, 'nothing.ndjson'), '--code', 'urn:trace:smelter:none');
  t.equal(missing.code, 1);
  t.match(missing.stderr, /^trace-ledger: TRACE_OBJECT_NOT_FOUND/);
  t.notOk(existsSync(join(dir, 'nothing.ndjson')), 'no file for a failed export');
  const gone = await cli('verify', join(dir, 'none.ndjson'), '--key', key);
  t.equal(gone.code, 1);
  t.match(gone.stderr, /^trace-ledger: CLI_FILE_NOT_FOUND: /);
});
