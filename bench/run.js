// Benchmark runner: `npm run bench` (= npm run build && node --expose-gc bench/run.js).
//
//   node --expose-gc bench/run.js [--quick] [--only verify,naiveServer,...] [--skip-ledger]
//                                 [--skip-trace | --trace-only] [--skip-resolver] [--skip-browser]
//                                 [--skip-audit] [--skip-stall | --stall-only]
//                                 [--skip-startup | --startup-only]
//                                 [--out bench/RESULTS.md] [--json bench/out/results.json]
//                                 [--repeat N] [--no-write] [--strict]
//
// 1. runs the baselines of bench/baselines.js (same run, same machine; ~30 s in all),
// 2. runs the ledger measurements of bench/ledger.js (`ledgerTargets(ctx)`),
// 3. runs the traceability measurements of bench/trace.js (`traceTargets(ctx)`, issue 3) on a
//    generated 1,000,000-entry ledger cached in bench/out/ (TRACE_BENCH_ENTRIES=N for another
//    size; the first run generates it, ~10 min),
// 4. judges each TARGET below against its baseline, prints tables, and rewrites the marked
//    sections of bench/RESULTS.md (text outside the <!-- bench:...--> markers is kept) and
//    bench/out/results.json (raw figures; bench/out/ is git-ignored).
//
// --startup-only (what `node bench/startup.js` does) measures the start-up verification at
// 1,000,000 records alone and rewrites only its section of RESULTS.md; --skip-startup leaves it out.
//
// --trace-only (what `node --expose-gc bench/trace.js` does) runs step 3 alone and rewrites only
// the trace section of RESULTS.md (and bench/out/trace-results.json).
//
// 5. runs the stall benchmark of issue 16 (bench/stall.js: /healthz p99 and single-entry ingest
//    while 4 clients loop full exports and 4 loop 1024 px QR images; ~2.5 min on a copy of a
//    100,000-entry ledger of bench/trace.js's generator, made and cached in bench/out/ on the first
//    run) and writes it to the stall section of RESULTS.md. --stall-only runs it alone
//    (no baselines, nothing else rewritten; raw figures in bench/out/stall-results.json):
//      npm run build && node --expose-gc bench/run.js --stall-only
//
// Adding a ledger target: in bench/ledger.js, measure it and return an object
//   { id: '<one of the TARGETS ids>', opsPerSec, p99Ms?, meanMs?, ...anything else to keep }
// (or { id, blocked: '<why>' }). The runner matches it to TARGETS by id, computes the ratio to
// the baseline and pass/fail. A new kind of target: add a row to TARGETS (same shape). Results
// with an id not in TARGETS are still printed and written, as informational.
//
// --only takes baseline ids (bench/baselines.js) and ledger target ids (batchIngestHttp,
// singleIngestHttp, batchIngestHttpKeyAdd, singleIngestHttpKeyAdd, inProcessAppend, proofs): with
// none of the latter, every ledger target runs. A quick check of the ingest targets alone:
//   node --expose-gc --max-semi-space-size=64 bench/run.js --quick --skip-trace --skip-resolver \
//     --skip-audit --only verify,naiveServer,batchIngestHttp,singleIngestHttp --out /tmp/r.md
//
// --repeat N (or BENCH_REPEAT=N) runs each baseline N times and keeps the median (the spread is
// written too); this machine is shared, so a single run can be low: check the load averages that
// the run section records.
//
// Exit code: 0, or 1 with --strict when any target failed or was not measured; 2 on a crash or
// when the run exceeded BENCH_TIMEOUT_S (default 900 s, plus 300 s for the trace part, or 2,400 s
// when its ledger has to be generated first; the baselines alone take well under 3 min).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as lib from './lib.js';
import { BASELINES } from './baselines.js';
import { ledgerTargets } from './ledger.js';
import { cachedLedger, traceEntries, traceTargets, FULL_ENTRIES } from './trace.js';
import { resolverBench } from './resolver.js';
import { browserBench } from './browser.js';
import { auditTargets } from './audit.js';
import { stallEntries, stallTargets, STALL } from './stall.js';
import { startupBench, startupMarkdown } from './startup.js';

const { fmtMs, fmtRate, fmtRatio, markdownTable, textTable, machine, updateMarkdownSection, gc } = lib;
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');

/**
 * The targets of issues 2 and 3. Fields:
 *   id        what bench/ledger.js or bench/trace.js returns as `id`
 *   title     shown in the tables
 *   baseline  id of the baseline it is compared to (bench/baselines.js, or another measured
 *             result of the same run, e.g. coreIngest), or null
 *   minRatio  pass needs opsPerSec ≥ minRatio × baseline.opsPerSec
 *   maxP99Ms  pass also needs p99Ms ≤ this (latency targets, per request or per proof)
 *   maxP50Ms  pass also needs the median p50Ms ≤ this
 *   minEntries  pass also needs the measurement to be made on a ledger of at least this many entries
 *   check     (measured) => reason it does not count, or null
 *   fail      (measured) => reason it fails whatever the figures (e.g. entries refused), or null
 *   section   'trace': written to the trace section of RESULTS.md (issue 3), else to Targets
 */
/** Every entry of an ingest load must be accepted, and none sent twice. */
const allAccepted = (m) =>
  [m.refused > 0 ? `${m.refused} requests refused or failed` : null, m.exhausted > 0 ? `${m.exhausted} requests past the end of the pre-signed entries` : null]
    .filter(Boolean)
    .join('; ') || null;

const TARGETS = [
  {
    id: 'batchIngestHttp',
    title: 'Batch ingest over HTTP, demo-chain mix (batches of 100, 8 clients, durable), entries/s',
    baseline: 'verify',
    minRatio: 0.7,
    fail: allAccepted,
  },
  {
    id: 'singleIngestHttp',
    title: 'Single-entry ingest over HTTP, demo-chain mix (32 clients, durable), req/s',
    baseline: 'naiveServer',
    minRatio: 2,
    maxP99Ms: 20,
    fail: allAccepted,
  },
  {
    // Against a baseline that does the same durable work per append (one fsync'd SQLite commit),
    // not hypercore, which does not fsync (see bench/baselines.js); hypercore stays informational.
    id: 'inProcessAppend',
    title: 'Awaited one-at-a-time appends in-process, each durable, appends/s',
    baseline: 'sqliteSingleCommit',
    minRatio: 0.5,
  },
  {
    id: 'inclusionProof',
    title: 'Inclusion proof at 1,000,000 entries',
    baseline: null,
    maxP99Ms: 1,
  },
  {
    id: 'consistencyProof',
    title: 'Consistency proof at 1,000,000 entries',
    baseline: null,
    maxP99Ms: 1,
  },
  // Issue 3 (bench/trace.js)
  {
    id: 'traceUpstream',
    section: 'trace',
    title: 'Upstream trace of a finished product with ≥ 1,000 ancestors, 1,000,000-entry ledger',
    baseline: null,
    maxP50Ms: 20,
    minEntries: FULL_ENTRIES,
    check: (m) => (m.ancestors >= 1000 ? null : `only ${m.ancestors} ancestors`),
  },
  {
    id: 'traceDownstream',
    section: 'trace',
    title: 'Downstream recall impact of a raw-material lot, 1,000,000-entry ledger',
    baseline: null,
    maxP50Ms: 50,
    minEntries: FULL_ENTRIES,
  },
  {
    id: 'traceFootprint',
    section: 'trace',
    title: 'Footprint roll-up (PACT) of that finished product, 1,000,000-entry ledger',
    baseline: null,
    maxP50Ms: 20,
    minEntries: FULL_ENTRIES,
  },
  // Issue 4 (bench/resolver.js, bench/browser.js): throughput floors of issue 4. Latency is reported
  // (autocannon measures it in whole milliseconds) but no issue sets a bound on it.
  {
    id: 'resolverJson',
    title: 'Resolver JSON (Accept: application/json) on the demo window lot, 32 connections: req/s and latency',
    baseline: null,
    minOpsPerSec: 5000,
  },
  {
    id: 'resolverHtml',
    title: 'Resolver HTML (the customer page) on the demo window lot, 32 connections: req/s and latency',
    baseline: null,
    minOpsPerSec: 3000,
  },
  {
    id: 'browserVerify',
    title: 'In-browser verification of a 208-entry provenance (Chromium, phone viewport), first visit',
    baseline: null,
    maxP50Ms: 1000,
    check: (m) => (m.entries >= 200 ? null : `only ${m.entries} entries`),
  },
  // Issue 5 (bench/audit.js) on the 1,000,000-entry ledger of bench/trace.js
  {
    id: 'auditExportFull',
    title: 'Full export (NDJSON bundle to a file), records/s',
    baseline: null,
    minOpsPerSec: 50000,
  },
  {
    id: 'auditVerifyFull',
    title: 'Full-bundle verification (both cores), records/s',
    baseline: 'auditVerifyBaseline',
    minRatio: 0.8,
    minOpsPerSec: 12000,
  },
  {
    id: 'auditExportScoped',
    title: 'Scoped export of one product from the 1,000,000-entry ledger',
    baseline: null,
    maxP50Ms: 1000,
  },
  {
    id: 'auditVerifyScoped',
    title: 'Verification of that scoped bundle',
    baseline: null,
    maxP50Ms: 1000,
  },
  // Issue 16 (bench/stall.js): while 4 clients loop full exports and 4 loop 1024 px QR images
  {
    id: 'stallHealthz',
    section: 'stall',
    title: 'GET /healthz while 4 clients loop full exports and 4 loop QR PNGs at 1024 px (and single-entry ingest runs)',
    baseline: null,
    maxP99Ms: 50,
  },
  {
    id: 'stallIngest',
    section: 'stall',
    title: 'Single-entry ingest over HTTP during that load (32 connections), req/s',
    baseline: 'stallIngestAlone',
    minRatio: 0.8,
    fail: allAccepted,
  },
  {
    id: 'domainIngest',
    section: 'trace',
    title: 'Ingest of domain entries, in-process (batches of 100, 4 submitters, durable), entries/s',
    baseline: 'coreIngest',
    minRatio: 0.8,
  },
];

/** The stall section of RESULTS.md (issue 16): the verdicts, the figures around them, the method. */
function stallSectionMd({ verdicts, measured, info, error, targetsTable, started, cmd, loadStart, loadEnd, m }) {
  const load = (l) => l.map((x) => x.toFixed(2)).join(' / ');
  const lines = [
    '## Stalls (issue 16)',
    '',
    `- Run: ${started.toISOString()}, commit ${describeCommit() ?? 'unknown'}, \`${process.env.npm_lifecycle_event === 'bench' ? 'npm run bench → ' : ''}${cmd}\`; ${m.cpu}, ${m.cores} cores; load average ${load(loadStart)} before, ${load(loadEnd)} after${loadStart[0] > 0.5 ? ' (busy before the run: figures may be low)' : ''}; stall part ${info?.seconds?.toFixed(0) ?? '–'} s`,
    `- Ledger: a copy of the ${info ? info.entries.toLocaleString('en-US') : '–'}-entry ledger of bench/trace.js`,
    '',
    targetsTable(verdicts),
  ];
  const extra = measured.filter((x) => !TARGETS.some((t) => t.id === x.id));
  if (extra.length) lines.push('', 'Other figures:', '', markdownTable(['id', 'figure', 'details'], extra.map((x) => [x.id, measuredFigure(x), x.details ?? ''])));
  const detailed = measured.filter((x) => TARGETS.some((t) => t.id === x.id) && x.details);
  if (detailed.length) lines.push('', 'Details:', '', ...detailed.map((x) => `- ${x.id}: ${x.details}`));
  if (error) lines.push('', `bench/stall.js failed: \`${error.split('\n')[0]}\``);
  lines.push(
    '',
    `Method: the service (bench/stall-server.js: the real app on a copy of the ledger, signatures verified on its worker thread, per-client rate limits raised so that the loopers, all from 127.0.0.1, do the work that clients on many addresses could) in its own process; ${STALL.exporters} export loopers and ${STALL.qr} QR loopers in another (bench/stall-child.js), each client sending its next request when the previous answer has been read to the end, the QR clients cycling over ${STALL.qrCodes.toLocaleString('en-US')} codes so that the PNG cache (256 images) never answers; single-entry ingest from autocannon in a third (bench/load-child.js, ${STALL.ingestConnections} connections, pre-signed participant.key.add entries); the health prober in the runner, one GET /healthz at a time every ${STALL.probeEveryMs} ms, timed with hrtime. Phases: ingest alone, ingest with the loopers (started 2 s before), ingest alone again; the ingest ratio is against the mean of the two phases alone. The server's event-loop delay comes from perf_hooks.monitorEventLoopDelay (10 ms resolution) in the server.`,
  );
  return lines.join('\n');
}

/** Judges one target: { target, measured, baseline, ratio, pass, status, detail }. */
function judge(target, measured, baselines, measuredById = new Map()) {
  // A target that measured its baseline just before and after its own load is judged against that.
  const adjacent = measured?.adjacentBaseline?.id === target.baseline ? measured.adjacentBaseline : undefined;
  const base = target.baseline ? (adjacent ?? baselines.get(target.baseline) ?? measuredById.get(target.baseline)) : null;
  const out = { target, measured, baseline: base, ratio: null, pass: false, status: '', detail: '' };
  if (!measured) return { ...out, status: 'not measured' };
  if (measured.blocked) return { ...out, status: 'blocked', detail: measured.blocked };
  const why = [];
  let pass = true;
  if (target.baseline) {
    if (!base || base.blocked || !(base.opsPerSec > 0)) {
      return { ...out, status: 'no baseline', detail: base?.blocked ?? `baseline ${target.baseline} missing` };
    }
    out.ratio = measured.opsPerSec / base.opsPerSec;
    const ok = out.ratio >= target.minRatio;
    pass &&= ok;
    why.push(`${fmtRatio(out.ratio)} of ${target.baseline}${adjacent ? ' around it' : ''} (need ≥ ${target.minRatio}×)`);
    const atStart = adjacent && baselines.get(target.baseline);
    if (atStart?.opsPerSec > 0) why.push(`${fmtRatio(measured.opsPerSec / atStart.opsPerSec)} of ${target.baseline} at the start of the run`);
  }
  if (target.maxP99Ms != null) {
    const p99 = measured.p99Ms;
    const ok = typeof p99 === 'number' && p99 <= target.maxP99Ms;
    pass &&= ok;
    why.push(`p99 ${fmtMs(p99)} (need ≤ ${target.maxP99Ms} ms)`);
  }
  if (target.minOpsPerSec != null) {
    pass &&= measured.opsPerSec >= target.minOpsPerSec;
    why.push(`${fmtRate(measured.opsPerSec)} (need ≥ ${fmtRate(target.minOpsPerSec)})`);
  }
  if (target.maxP50Ms != null) {
    const p50 = measured.p50Ms;
    pass &&= typeof p50 === 'number' && p50 <= target.maxP50Ms;
    why.push(`median ${fmtMs(p50)} (need ≤ ${target.maxP50Ms} ms)`);
  }
  const failure = target.fail?.(measured);
  if (failure) return { ...out, pass: false, status: `FAIL (${failure})`, detail: why.join('; ') };
  const invalid = [];
  if (target.minEntries != null && !(measured.entries >= target.minEntries)) {
    invalid.push(`measured on ${Number(measured.entries).toLocaleString('en-US')} entries, not ${target.minEntries.toLocaleString('en-US')}`);
  }
  const reason = target.check?.(measured);
  if (reason) invalid.push(reason);
  if (invalid.length > 0) {
    // The figures are shown, but they do not answer the target as written.
    return { ...out, pass: false, status: `${pass ? 'PASS' : 'FAIL'} (${invalid.join('; ')})`, detail: why.join('; ') };
  }
  return { ...out, pass, status: pass ? 'PASS' : 'FAIL', detail: why.join('; ') };
}

// ---------------------------------------------------------------- main

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    'skip-ledger': { type: 'boolean', default: false },
    'skip-trace': { type: 'boolean', default: false },
    'trace-only': { type: 'boolean', default: false },
    'skip-resolver': { type: 'boolean', default: false },
    'skip-browser': { type: 'boolean', default: false },
    'skip-audit': { type: 'boolean', default: false },
    'skip-stall': { type: 'boolean', default: false },
    'stall-only': { type: 'boolean', default: false },
    'skip-startup': { type: 'boolean', default: false },
    'startup-only': { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(HERE, 'RESULTS.md') },
    json: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    strict: { type: 'boolean', default: false },
    repeat: { type: 'string', default: process.env.BENCH_REPEAT || '1' },
  },
});

const traceOnly = opts['trace-only'];
const stallOnly = opts['stall-only'];
/** One part alone (--trace-only, --stall-only): the shared baselines and the other parts are skipped. */
const oneSection = traceOnly || stallOnly;
const runTrace = traceOnly || (!opts['skip-trace'] && !stallOnly);
const runStall = stallOnly || (!opts['skip-stall'] && !traceOnly);
if (!opts.json) opts.json = path.join(HERE, 'out', traceOnly ? 'trace-results.json' : stallOnly ? 'stall-results.json' : 'results.json');
const traceAllowanceS = runTrace ? (cachedLedger(traceEntries()) ? 300 : 2400) : 0;
const stallAllowanceS = runStall ? (cachedLedger(stallEntries()) ? 300 : 900) : 0;
const timeoutS = Number(process.env.BENCH_TIMEOUT_S || (oneSection ? 0 : 900) + traceAllowanceS + stallAllowanceS);
const watchdog = setTimeout(() => {
  console.error(`bench: exceeded BENCH_TIMEOUT_S=${timeoutS} s, aborting (children are killed on exit)`);
  process.exit(2);
}, timeoutS * 1000);
watchdog.unref();

const log = (...a) => console.error(...a);

/** Runs `fn` with a time limit; a run over the limit is reported as blocked, not awaited forever. */
async function bounded(label, limitS, fn) {
  let timer;
  try {
    return await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${label}: over its ${limitS} s limit`)), limitS * 1000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function describeCommit() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return null;
  }
}

function baselineFigure(b) {
  if (b.blocked) return 'blocked';
  if (b.before != null) {
    const p99 = b.p99Before != null ? ` (p99 ${fmtMs(b.p99Before)} / ${fmtMs(b.p99After)})` : '';
    return `${fmtRate(b.opsPerSec, ` ${b.unit}`)}: mean of ${fmtRate(b.before, '')} just before and ${fmtRate(b.after, '')} just after${p99}`;
  }
  const lat = b.p99Ms != null ? `, p99 ${fmtMs(b.p99Ms)}` : '';
  return `${fmtRate(b.opsPerSec, ` ${b.unit}`)}${lat}`;
}

function measuredFigure(m) {
  if (!m) return '–';
  if (m.blocked) return 'blocked';
  if (m.p50Ms != null) return [`median ${fmtMs(m.p50Ms)}`, m.p95Ms != null ? `p95 ${fmtMs(m.p95Ms)}` : null].filter(Boolean).join(', ');
  const parts = [];
  if (m.opsPerSec != null) parts.push(fmtRate(m.opsPerSec, ` ${m.unit ?? '/s'}`));
  // HTTP loads: autocannon's percentiles, in whole milliseconds.
  if (m.latencyMs?.p50 != null) parts.push(`p50 ${m.latencyMs.p50} ms`);
  if (m.p99Ms != null) parts.push(m.latencyMs?.p99 != null ? `p99 ${m.latencyMs.p99} ms` : `p99 ${fmtMs(m.p99Ms)}`);
  if (m.meanMs != null) parts.push(`mean ${fmtMs(m.meanMs)}`);
  return parts.join(', ') || '–';
}

/** The trace section of RESULTS.md (issue 3): what was measured on what, the verdicts, the method. */
function traceSectionMd({ verdicts, measured, info, error, targetsTable, started, cmd, loadStart, loadEnd, m, totalSeconds }) {
  const lines = ['## Traceability targets (issue 3)', ''];
  const load = (l) => l.map((x) => x.toFixed(2)).join(' / ');
  lines.push(
    `- Run: ${started.toISOString()}, commit ${describeCommit() ?? 'unknown'}, \`${process.env.npm_lifecycle_event === 'bench' ? 'npm run bench → ' : ''}${cmd}\`; ${m.cpu}, ${m.cores} cores; load average ${load(loadStart)} before, ${load(loadEnd)} after${loadStart[0] > 0.5 ? ' (busy before the run: figures may be low)' : ''}; trace part ${info?.seconds?.toFixed(0) ?? '–'} s of ${totalSeconds.toFixed(0)} s`,
  );
  if (info) {
    const g = info.meta;
    const counts = Object.entries(g.counts).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ');
    const w = g.world;
    lines.push(
      `- Ledger: ${info.entries.toLocaleString('en-US')} entries from \`bench/trace.js\` (generator version ${g.version}), ${info.cached ? `reused from bench/out/ (generated ${g.generatedAt} ` : `generated in this run (`}in ${g.generationSeconds.toFixed(0)} s: ${Math.round((info.entries - 1) / g.generationSeconds).toLocaleString('en-US')} entries/s signed and submitted in ${g.batches.toLocaleString('en-US')} batches), database ${lib.fmtBytes(info.dbBytes)}`,
      `- Cluster: ${Object.values(w).reduce((a, b) => a + b, 0)} participants (${w.suppliers} suppliers, ${w.manufacturers} manufacturers, ${w.labs} labs, ${w.carriers} carriers, ${w.distributors} distributors) plus the operator; entries: registrations ${Object.values(w).reduce((a, b) => a + b, 0)}, ${counts}`,
      `- Queried: flagship family f${g.targets.family} (of ${g.flagships.length} flagships: ${g.flagships.map((f) => `f${f.family} ${f.lots.toLocaleString('en-US')} lots`).join(', ')}): finished product \`${g.targets.finished.code}\` and raw-material lot \`${g.targets.raw.code}\` (the generator counted ${g.targets.finished.ancestors.toLocaleString('en-US')} ancestors and ${g.targets.raw.derived.toLocaleString('en-US')} derived lots, ${g.targets.raw.finished} of them finished products)`,
    );
  }
  lines.push('', targetsTable(verdicts));
  const extra = measured.filter((x) => !TARGETS.some((t) => t.id === x.id));
  if (extra.length) lines.push('', 'Other figures:', '', markdownTable(['id', 'figure', 'details'], extra.map((x) => [x.id, measuredFigure(x), x.details ?? ''])));
  const detailed = measured.filter((x) => TARGETS.some((t) => t.id === x.id) && x.details);
  if (detailed.length) lines.push('', 'Details:', '', ...detailed.map((x) => `- ${x.id}: ${x.details}`));
  if (error) lines.push('', `bench/trace.js failed: \`${error.split('\n')[0]}\``);
  lines.push(
    '',
    'Method: query latencies are wall-clock (performance.now()) around `await ledger.upstream(code)` / `downstream(code)` / `footprint(code)` in a Node process of their own started with the service\'s V8 flags (`--max-semi-space-size=64`), with only the cached ledger open (not in the runner, whose heap holds what the earlier parts left). The ledger keeps answers until the log grows, so every timed call goes to a fresh `openLedger` over the same open store (opening not timed): the answer is computed each time, with SQLite\'s page cache and the store\'s payload cache warm after 5 warm-up calls, as on a service that keeps ingesting; the answer-cache hit, the first call and the main thread\'s CPU time per call (from /proc, so it leaves out time spent waiting for a core while other jobs run on this 2-core machine) are in the details. The JSON result is not serialised inside the timing. The ingest comparison runs the same harness twice, on fresh ledgers with 16 signers each: pre-signed `participant.key.add` entries (core) and pre-signed domain entries (transform, inspect, ship, receive), 4 concurrent in-process submitters of 100-entry batches, each awaited until durable (fsync), signatures checked inline; the ratio is domain ÷ core.',
  );
  return lines.join('\n');
}

async function main() {
  const started = new Date();
  const t0 = lib.now();
  const only = opts.only ? new Set(opts.only.split(',').map((s) => s.trim())) : null;
  const scale = opts.quick ? 0.4 : 1;
  const repeat = Math.max(1, Math.min(5, Number(opts.repeat) || 1));
  const loadStart = os.loadavg();

  // Start-up verification at 1,000,000 records (bench/startup.js), first: before the other steps
  // leave their files in the page cache. It writes its own section of RESULTS.md.
  if (opts['startup-only'] || (!oneSection && !opts['skip-startup'])) {
    log('start-up verification at 1,000,000 records ...');
    const r = await startupBench({ log });
    const md = startupMarkdown(r);
    log(md);
    if (!opts['no-write']) updateMarkdownSection(opts.out, 'startup', md);
    if (opts['startup-only']) return 0;
  }

  const m = machine();
  if (loadStart[0] > 0.5) log(`warning: load average ${loadStart.map((x) => x.toFixed(2)).join(' ')} before the run: other processes are busy, figures may be low`);
  log(`trace-ledger bench: ${m.cpu}, ${m.cores} cores, ${m.memory}, Node ${m.node}, SQLite ${m.sqlite}`);

  // ---- baselines
  const baselines = new Map();
  for (const b of BASELINES) {
    if (oneSection || (only && !only.has(b.id))) continue;
    log(`baseline ${b.id} ...`);
    const bt = lib.now();
    const defaults = { verify: 3, sqliteInsert: 3, naiveServer: 5, sqliteSingleCommit: 3, hypercore: 3, fdatasync: 2 };
    const seconds = Math.max(1, (defaults[b.id] ?? 3) * scale);
    const runs = [];
    for (let k = 0; k < repeat; k++) {
      try {
        runs.push(await bounded(b.id, 60, () => b.run({ seconds })));
      } catch (e) {
        runs.push({ id: b.id, name: b.id, blocked: `failed: ${e?.stack ?? e}` });
      }
      gc();
    }
    const ok = runs.filter((x) => !x.blocked).sort((x, y) => x.opsPerSec - y.opsPerSec);
    let r = ok.length ? ok[Math.floor((ok.length - 1) / 2)] : runs[0];
    if (runs.length > 1 && ok.length) {
      r = { ...r, runs: ok.map((x) => x.opsPerSec), spread: `median of ${ok.length}: ${ok.map((x) => fmtRate(x.opsPerSec, '')).join(' / ')}` };
    }
    r.informational = !!b.informational;
    r.wallSeconds = lib.nsToMs(lib.now() - bt) / 1000;
    baselines.set(b.id, r);
    log(`  ${r.name}: ${baselineFigure(r)}${r.blocked ? ` — ${r.blocked.split('\n')[0]}` : ''} (${r.wallSeconds.toFixed(1)} s)`);
    gc();
  }
  const baselineSeconds = lib.nsToMs(lib.now() - t0) / 1000;

  // ---- ledger measurements (bench/ledger.js)
  let measured = [];
  let ledgerError = null;
  if (!opts['skip-ledger'] && !oneSection) {
    log('ledger targets ...');
    try {
      measured = (await ledgerTargets({ baselines, lib, quick: opts.quick, log, root: ROOT, only })) ?? [];
    } catch (e) {
      ledgerError = e?.stack ?? String(e);
      log(`ledger targets failed: ${ledgerError}`);
    }
  }
  // ---- traceability measurements (bench/trace.js)
  let traceInfo = null;
  let traceError = null;
  if (runTrace) {
    log('trace targets ...');
    try {
      const r = await traceTargets({ lib, quick: opts.quick, log, root: ROOT });
      measured.push(...r.results.map((x) => ({ ...x, section: 'trace' })));
      traceInfo = r.info;
    } catch (e) {
      traceError = e?.stack ?? String(e);
      log(`trace targets failed: ${traceError}`);
    }
  }
  // ---- resolver, customer page and audit measurements (issues 4 and 5)
  if (!oneSection && !opts['skip-resolver']) {
    log('resolver targets ...');
    try {
      const r = await resolverBench({ seconds: opts.quick ? 2 : 5 });
      for (const [id, kind] of [['resolverJson', 'json'], ['resolverHtml', 'html']]) {
        const x = r[kind];
        measured.push({
          id, opsPerSec: x.okPerSec, unit: 'req/s', p99Ms: x.latencyMs.p99, latencyMs: x.latencyMs,
          details: `GET ${x.url} (${kind === 'json' ? 'Accept: application/json' : 'Accept: text/html'}), 32 connections, ${x.seconds.toFixed(1)} s after a 1 s warm-up: ${x.ok} × 2xx, non-2xx ${x.non2xx}, errors ${x.errors}, p50 ${x.latencyMs.p50} ms, p99 ${x.latencyMs.p99} ms; ${x.bytes} bytes per answer; the server (bench/resolver-server.js, demo loaded through the API) in its own process, autocannon in the runner`,
        });
      }
    } catch (e) {
      log(`resolver targets failed: ${e?.stack ?? e}`);
      measured.push({ id: 'resolverJson', blocked: `failed: ${e?.message ?? e}` }, { id: 'resolverHtml', blocked: `failed: ${e?.message ?? e}` });
    }
    try {
      if (opts['skip-browser']) throw new Error('skipped (--skip-browser)');
      const b = await browserBench({ loads: opts.quick ? 3 : 7 });
      measured.push(b.skipped ? { id: 'browserVerify', blocked: b.skipped } : {
        id: 'browserVerify', opsPerSec: 1000 / b.medianMs, p50Ms: b.medianMs, entries: b.entries,
        details: `Chromium ${b.chromium}, ${b.runs.length} first visits (fresh contexts) of a page citing ${b.entries} entries: verification ${b.runs.map((r) => r.verifyMs).join(' / ')} ms (median ${b.medianMs}, max ${b.maxMs}); from script start to verdict incl. the evidence fetch ${b.runs.map((r) => r.totalMs).join(' / ')} ms; all green: ${b.allOk}`,
      });
    } catch (e) {
      measured.push({ id: 'browserVerify', blocked: `failed: ${e?.message ?? e}` });
    }
  }
  if (!oneSection && !opts['skip-audit']) {
    log('audit targets ...');
    try {
      const a = await auditTargets({ quick: opts.quick, log });
      measured.push(...a.results);
    } catch (e) {
      log(`audit targets failed: ${e?.stack ?? e}`);
    }
  }

  // ---- stall benchmark (issue 16, bench/stall.js)
  let stallInfo = null;
  let stallError = null;
  if (runStall) {
    log('stall targets ...');
    try {
      const r = await bounded('stall', cachedLedger(stallEntries()) ? 600 : 1500, () => stallTargets({ quick: opts.quick, log }));
      measured.push(...r.results.map((x) => ({ ...x, section: 'stall' })));
      stallInfo = r.info;
    } catch (e) {
      stallError = e?.stack ?? String(e);
      log(`stall targets failed: ${stallError}`);
    }
  }

  const byId = new Map(measured.map((x) => [x.id, x]));
  const active = TARGETS.filter((t) => (t.section === 'trace' ? runTrace : t.section === 'stall' ? runStall : !oneSection));
  const verdicts = active.map((t) => judge(t, byId.get(t.id), baselines, byId));
  const extra = measured.filter((x) => !TARGETS.some((t) => t.id === x.id));
  const isTrace = (x) => (x.target ?? x).section === 'trace';
  const isStall = (x) => (x.target ?? x).section === 'stall';
  const totalSeconds = lib.nsToMs(lib.now() - t0) / 1000;
  const loadEnd = os.loadavg();

  // ---- terminal output
  const bRows = [...baselines.values()].map((b) => [b.id + (b.informational ? ' (info)' : ''), baselineFigure(b), b.name]);
  if (bRows.length) {
    console.log('\nBaselines');
    console.log(textTable(['id', 'figure', 'what'], bRows));
  }
  console.log('\nTargets');
  console.log(
    textTable(
      ['target', 'measured', 'baseline', 'ratio', 'result'],
      verdicts.map((v) => [v.target.id, measuredFigure(v.measured), v.baseline ? baselineFigure(v.baseline) : '–', v.ratio != null ? fmtRatio(v.ratio) : '–', `${v.status}${v.detail ? ` (${v.detail.split('\n')[0]})` : ''}`]),
    ),
  );
  if (extra.length) {
    console.log('\nOther ledger figures');
    console.log(textTable(['id', 'figure'], extra.map((x) => [x.id, measuredFigure(x)])));
  }
  for (const x of measured.filter((y) => y.section === 'trace' && y.details)) console.log(`${x.id}: ${x.details}`);
  console.log(`\nbaselines ${baselineSeconds.toFixed(1)} s, total ${totalSeconds.toFixed(1)} s`);

  // ---- files
  if (!opts['no-write']) {
    const cmd = `node ${process.execArgv.join(' ')} ${path.relative(ROOT, process.argv[1])} ${process.argv.slice(2).join(' ')}`.replace(/\s+/g, ' ').trim();
    const runMd = [
      `- Date: ${started.toISOString()}`,
      `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memory} RAM, ${m.os}`,
      `- Software: Node ${m.node}, SQLite ${m.sqlite} (better-sqlite3 ${m.betterSqlite3}), autocannon ${lib.packageVersion('autocannon') ?? '–'}, hypercore ${lib.packageVersion('hypercore') ?? '–'}`,
      `- Temp files on: ${m.tmpFilesystem ?? lib.benchTmpRoot()}`,
      `- Commit: ${describeCommit() ?? 'unknown'}`,
      `- Command: \`${process.env.npm_lifecycle_event === 'bench' ? 'npm run bench → ' : ''}${cmd}\`${opts.quick ? ' (quick: shortened durations)' : ''}`,
      `- Duration: baselines ${baselineSeconds.toFixed(1)} s, total ${totalSeconds.toFixed(1)} s`,
      `- Load average (1/5/15 min): ${loadStart.map((x) => x.toFixed(2)).join(' / ')} before, ${loadEnd.map((x) => x.toFixed(2)).join(' / ')} after${loadStart[0] > 0.5 ? ' (the machine was busy before the run: figures may be low)' : ''}`,
      `- Baseline repeats: ${repeat}${repeat > 1 ? ' (median kept)' : ''}`,
      '- Traffic: loopback only (127.0.0.1), server in its own process; autocannon in a process of its own for the ingest targets and the naive server (bench/load-child.js), in the runner for the resolver.',
    ].join('\n');

    const baselinesMd = markdownTable(
      ['baseline', 'figure', 'details'],
      [...baselines.values()].map((b) => [
        `${b.name}${b.informational ? ' *(informational)*' : ''}`,
        baselineFigure(b),
        b.blocked
          ? b.blocked.split('\n')[0]
          : [
              b.ops != null ? `${b.ops.toLocaleString('en-US')} ops in ${b.seconds.toFixed(2)} s` : null,
              b.ok != null ? `${b.ok.toLocaleString('en-US')} × 2xx in ${b.seconds.toFixed(2)} s, non-2xx ${b.non2xx}, errors ${b.errors}, p50 ${fmtMs(b.latencyMs?.p50)}, rows in db ${b.rowsInDb}` : null,
              b.messageBytes ? `${b.messageBytes}-byte messages` : null,
              b.bodyBytes ? `${b.bodyBytes}-byte bodies` : null,
              b.txnLatencyMs ? `txn p99 ${fmtMs(b.txnLatencyMs.p99)}` : null,
              b.latencyMs && b.ok == null ? `p50 ${fmtMs(b.latencyMs.p50)}` : null,
              b.durability ?? null,
              b.spread ?? null,
            ]
              .filter(Boolean)
              .join('; '),
      ]),
    );

    const targetsTable = (vs) =>
      markdownTable(
        ['target', 'measured', 'baseline (same run)', 'ratio', 'requirement', 'result'],
        vs.map((v) => [
          v.target.title,
          measuredFigure(v.measured),
          v.baseline ? baselineFigure(v.baseline) : '–',
          v.ratio != null ? fmtRatio(v.ratio) : '–',
          [
            v.target.minRatio != null ? `≥ ${v.target.minRatio}× ${v.target.baseline}` : null,
            v.target.minOpsPerSec != null ? `≥ ${fmtRate(v.target.minOpsPerSec, '')} ${v.measured?.unit ?? '/s'}` : null,
            v.target.maxP99Ms != null ? `p99 ≤ ${v.target.maxP99Ms} ms` : null,
            v.target.maxP50Ms != null ? `median ≤ ${v.target.maxP50Ms} ms` : null,
          ]
            .filter(Boolean)
            .join(', '),
          v.status === 'PASS' || v.status === 'FAIL' ? `**${v.status}**` : v.status + (v.detail ? `: ${v.detail.split('\n')[0]}` : ''),
        ]),
      );
    const targetsMd = targetsTable(verdicts.filter((v) => !isTrace(v) && !isStall(v)));
    const mainExtra = extra.filter((x) => !isTrace(x) && !isStall(x));
    const extraMd = mainExtra.length ? `\n\nOther ledger figures:\n\n${markdownTable(['id', 'figure', 'details'], mainExtra.map((x) => [x.id, measuredFigure(x), x.details ?? '']))}` : '';
    const ingestDetails = verdicts.filter((v) => ['batchIngestHttp', 'singleIngestHttp'].includes(v.target.id) && v.measured?.details);
    const detailsMd = ingestDetails.length ? `\n\nIngest details:\n\n${ingestDetails.map((v) => `- ${v.target.id}: ${v.measured.details}`).join('\n')}` : '';
    const ledgerErrMd = ledgerError ? `\n\nbench/ledger.js failed: \`${ledgerError.split('\n')[0]}\`` : '';

    const title = '# Benchmark results\n\nWritten by `npm run bench` (bench/run.js). Sections between `<!-- bench:... -->` markers are rewritten on every run; notes outside them are kept.';
    if (runTrace) {
      const traceMd = traceSectionMd({ verdicts: verdicts.filter(isTrace), measured: measured.filter(isTrace), info: traceInfo, error: traceError, targetsTable, started, cmd, loadStart, loadEnd, m, totalSeconds });
      updateMarkdownSection(opts.out, 'trace', traceMd, { title });
    }
    if (runStall) {
      const stallMd = stallSectionMd({ verdicts: verdicts.filter(isStall), measured: measured.filter(isStall), info: stallInfo, error: stallError, targetsTable, started, cmd, loadStart, loadEnd, m });
      updateMarkdownSection(opts.out, 'stall', stallMd, { title });
    }
    if (!oneSection) {
      updateMarkdownSection(opts.out, 'run', `## Run\n\n${runMd}`, { title });
      updateMarkdownSection(opts.out, 'baselines', `## Baselines\n\n${baselinesMd}`, { title });
      updateMarkdownSection(opts.out, 'targets', `## Targets\n\n${targetsMd}${detailsMd}${extraMd}${ledgerErrMd}`, { title });

      const notesMd = [
        '## Method notes',
        '',
        '- Every ratio is against the baseline measured in this same run, on this machine. The two ingest targets over HTTP measure their baseline again just before their load (after their entries are signed) and just after it (once their server has stopped), and are judged against the mean of the two: this machine\'s speed drifts by 20-35 % over the minutes of a run, so a baseline from the start of the run would judge the drift too. The Baselines table keeps the figures from the start of the run.',
        '- verify: `crypto.verify(null, msg, keyObject, sig)` in a loop on the main thread, 256 distinct ~500-byte messages (prefix + JSON of a `ship` payload).',
        '- naiveServer: `bench/naive-server.js` (node:http, JSON.parse, Ed25519 verify, one autocommit INSERT per request with WAL + synchronous=FULL, i.e. one fsync per request), driven by autocannon with distinct pre-signed entries (never resent); 1 s warm-up then the measured run; the figure counts 2xx responses only.',
        '- Ingest mix (batchIngestHttp, singleIngestHttp; bench/mix.js): the event types of the demo chain (fixtures/demo/chain.json) in its proportions, a cycle of 43 entries: commission 4, transform 11, ship 9, receive 9, inspect 8, aggregate 2 (the demo\'s track 8, disaggregate 2 and recall 1 are left out). A cycle is a day of a window chain: a supplier commissions and ships alumina and ingot; four manufacturers receive, transform (casting, extrusion, anodising, assembly; 1-3 inputs, partial consumption) and ship on; the last packs windows and gasket sets on two SSCC pallets and ships them; a distributor receives; a lab and the distributor inspect. GS1 Digital Link codes with valid check digits (GTIN + lot, SSCC), every code commissioned once, every rule of the ledger (holder, mass balance, addressee, units) kept. A receive names its shipment by the ship entry\'s leaf hash, known only once the ledger has recorded it, so the receives of a cycle receive shipments sent "yesterday": before the load, the runner submits in-process (not timed) the commissions and ships they refer to, then signs every entry of the load. Each connection has a chain of its own (its own 8 registered participants and lots) and sends it in order, one request at a time, so an entry goes out only after those it depends on were accepted; the warm-up uses other chains than the measured run. Every request must be answered 2xx (warm-up included) and none may repeat an entry: a refusal fails the target. The details under the Targets table say what was sent. The key.add rows under "Other ledger figures" are the same loads of `participant.key.add` entries, what these targets measured before issue 15.',
        '- inProcessAppend: `await ledger.submit([entry])` one at a time (participant.key.add entries), each durable (fsync\'d group commit), judged against sqliteSingleCommit: one 400-byte row per autocommit transaction in WAL mode with synchronous=FULL, i.e. the same fsync per append, without the signature check, the rules and the Merkle tree; ≥ 0.5× of it is the target.',
        '- hypercore *(informational)*: `await core.append(block)` one at a time. Hypercore 11 stores in RocksDB with sync=false writes: an append is written to the RocksDB WAL but not fsynced (checked with strace: 0 fsync/fdatasync per append), so it is durable against a process crash, not against power loss; no target is judged against it since issue 15. `fdatasync` shows the disk\'s floor for a durable append.',
        '- Resolver rows: requests/s (2xx only) and autocannon\'s latency percentiles, which it records in whole milliseconds, rounded down (a p50 of 0 ms means under 1 ms); autocannon runs in the runner, the server in its own process. The answers are cached until the log grows, so these rows measure routing, the cache lookup and sending the answer (uncompressed: autocannon sends no Accept-Encoding).',
        '- Throughput figures are means over the measured window; latency percentiles come from autocannon (HTTP) or per-call hrtime (in-process).',
      ].join('\n');
      updateMarkdownSection(opts.out, 'notes', notesMd, { title });
    }

    fs.mkdirSync(path.dirname(opts.json), { recursive: true });
    const strip = (o) => (o && typeof o === 'object' ? Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'raw')) : o);
    fs.writeFileSync(
      opts.json,
      JSON.stringify(
        {
          date: started.toISOString(),
          machine: m,
          baselines: [...baselines.values()].map(strip),
          targets: verdicts.map((v) => ({ id: v.target.id, status: v.status, ratio: v.ratio, detail: v.detail, measured: strip(v.measured) })),
          other: extra.map(strip),
          ledgerError,
          trace: traceInfo,
          traceError,
          stall: stallInfo,
          stallError,
        },
        null,
        2,
      ),
    );
    log(`wrote ${path.relative(process.cwd(), opts.out)} and ${path.relative(process.cwd(), opts.json)}`);
  }

  const failed = verdicts.some((v) => v.status !== 'PASS');
  return opts.strict && failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e?.stack ?? e);
    process.exit(2);
  },
);
