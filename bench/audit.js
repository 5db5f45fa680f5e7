// Audit bundle targets of issue 5, measured on the real code (dist/, built by `npm run bench`):
//   auditExportFull    full export (prepareExport → chunks → file), records/s          target ≥ 50,000/s
//   auditExportHttp    the same through GET /v1/export on a listening app (informational)
//   auditVerifyFull    verifyBundleFile of that file (node:crypto, worker pool), records/s
//                      target ≥ 12,000/s and ≥ 0.8 × the Ed25519 verify baseline (same run)
//   auditExportScoped  export of one finished product's chain (code, direction both), ms   target ≤ 1 s
//   auditVerifyScoped  verification of that bundle (workers started included), ms          target ≤ 1 s
// on the generated ledger of bench/trace.js (1,000,000 entries, cached in bench/out/; the first run
// generates it, ~20 min; TRACE_BENCH_ENTRIES=N for another size).
//
// Run alone:  npm run build && node --expose-gc bench/audit.js [--quick] [--keep]
//   --quick   3 scoped repetitions instead of 7
//   --keep    keep the exported full bundle (bench/out/audit-full-<entries>.ndjson) for inspection
// bench/run.js can call auditTargets(ctx) like traceTargets(ctx); results are shaped the same way.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as lib from './lib.js';
import { verifyBaseline } from './baselines.js';
import { traceEntries, traceLedger } from './trace.js';
import { prepareExport } from '../dist/audit/bundle.js';
import { verifyBundleFile } from '../dist/audit/bundle-file.js';
import { buildApp } from '../dist/http/app.js';
import { openDataDir } from '../dist/cli/setup.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(HERE, 'out');

/** Samples the resident set size while `fn` runs: how much memory a streamed export really takes. */
async function withPeakRss(fn) {
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, rssBeforeMiB: before / 1048576, peakRssMiB: peak / 1048576 };
  } finally {
    clearInterval(timer);
  }
}

/** Export into a file with plain synchronous writes; returns the timing. */
async function exportToFile(ledger, request, file) {
  const t0 = performance.now();
  const bundle = prepareExport(ledger, request);
  const planMs = performance.now() - t0;
  const fd = fs.openSync(file, 'w');
  let bytes = 0;
  try {
    for await (const chunk of bundle.chunks()) {
      fs.writeSync(fd, chunk);
      bytes += chunk.length;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { ms: performance.now() - t0, planMs, bytes, records: bundle.records, treeSize: bundle.treeSize };
}

/** GET /v1/export through a listening app, the body read and dropped as it arrives. */
async function exportOverHttp(ledger) {
  const app = await buildApp({ ledger });
  try {
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const t0 = performance.now();
    const res = await fetch(`${url}/v1/export`);
    let bytes = 0;
    for await (const chunk of res.body) bytes += chunk.length;
    return { ms: performance.now() - t0, bytes, records: Number(res.headers.get('x-bundle-records')) };
  } finally {
    await app.close();
  }
}

/** Measures the issue-5 targets; returns results shaped like bench/trace.js's. */
export async function auditTargets(ctx) {
  const { quick = false, log = console.error, keep = false } = ctx;
  const entries = traceEntries();
  const t0 = performance.now();
  const led = await traceLedger({ entries, log });
  const dd = openDataDir(led.db);
  await dd.ledger.verified; // writes are taken once the start-up verification passed
  const { ledger } = dd;
  const out = [];
  const fullFile = path.join(OUT, `audit-full-${entries}.ndjson`);
  const scopedFile = path.join(OUT, `audit-scoped-${entries}.ndjson`);
  fs.mkdirSync(OUT, { recursive: true });
  try {
    // The machine may be shared: the baseline is measured right before and right after the full
    // verification, and the ratio uses their mean (both are kept, with the load averages).
    log('  audit: Ed25519 verify baseline (node:crypto, one core)…');
    const baseBefore = await verifyBaseline({ seconds: 3 });
    log(`  audit: baseline ${Math.round(baseBefore.opsPerSec).toLocaleString('en-US')} verifies/s`);

    lib.gc();
    log(`  audit: full export of ${ledger.size().toLocaleString('en-US')} records to ${path.relative(process.cwd(), fullFile)}…`);
    const ex = await withPeakRss(() => exportToFile(ledger, {}, fullFile));
    const exRate = ex.result.records / (ex.result.ms / 1000);
    log(`  audit: exported ${ex.result.records.toLocaleString('en-US')} records (${(ex.result.bytes / 1048576).toFixed(0)} MiB) in ${(ex.result.ms / 1000).toFixed(1)} s: ${Math.round(exRate).toLocaleString('en-US')} records/s, peak RSS ${ex.peakRssMiB.toFixed(0)} MiB (${ex.rssBeforeMiB.toFixed(0)} before)`);
    out.push({
      id: 'auditExportFull',
      opsPerSec: exRate,
      unit: 'records/s',
      entries,
      seconds: ex.result.ms / 1000,
      bytes: ex.result.bytes,
      peakRssMiB: ex.peakRssMiB,
      rssBeforeMiB: ex.rssBeforeMiB,
      details: `prepareExport + chunks() written to a file, ${ex.result.records.toLocaleString('en-US')} records, ${(ex.result.bytes / 1048576).toFixed(0)} MiB in ${(ex.result.ms / 1000).toFixed(1)} s (plan ${ex.result.planMs.toFixed(0)} ms); RSS ${ex.rssBeforeMiB.toFixed(0)} → peak ${ex.peakRssMiB.toFixed(0)} MiB`,
    });

    lib.gc();
    const http = await withPeakRss(() => exportOverHttp(ledger));
    const httpRate = http.result.records / (http.result.ms / 1000);
    log(`  audit: over HTTP ${Math.round(httpRate).toLocaleString('en-US')} records/s, peak RSS ${http.peakRssMiB.toFixed(0)} MiB`);
    out.push({
      id: 'auditExportHttp',
      opsPerSec: httpRate,
      unit: 'records/s',
      entries,
      peakRssMiB: http.peakRssMiB,
      details: `GET /v1/export on 127.0.0.1, body read by fetch in the same process and dropped: ${(http.result.bytes / 1048576).toFixed(0)} MiB in ${(http.result.ms / 1000).toFixed(1)} s; peak RSS ${http.peakRssMiB.toFixed(0)} MiB`,
    });

    lib.gc();
    log('  audit: verifying the full bundle (worker pool)…');
    let last = performance.now();
    const v0 = performance.now();
    const vc = process.cpuUsage();
    const vr = await withPeakRss(() =>
      verifyBundleFile(fullFile, {
        trustedKey: ledger.verifierKey,
        onProgress: (n) => {
          if (performance.now() - last > 10_000) {
            last = performance.now();
            log(`  audit: … ${n.toLocaleString('en-US')} records, ${Math.round(n / ((last - v0) / 1000)).toLocaleString('en-US')} records/s`);
          }
        },
      }),
    );
    const vMs = performance.now() - v0;
    const vCpu = process.cpuUsage(vc);
    const cpuPerRecordUs = (vCpu.user + vCpu.system) / vr.result.records;
    const loadDuring = os.loadavg();
    const baseAfter = await verifyBaseline({ seconds: 3 });
    const base = { ...baseBefore, opsPerSec: (baseBefore.opsPerSec + baseAfter.opsPerSec) / 2, before: baseBefore.opsPerSec, after: baseAfter.opsPerSec };
    log(`  audit: baseline after ${Math.round(baseAfter.opsPerSec).toLocaleString('en-US')} verifies/s (mean ${Math.round(base.opsPerSec).toLocaleString('en-US')}); load averages ${loadDuring.map((x) => x.toFixed(1)).join(' ')}`);
    const report = vr.result;
    const vRate = report.records / (vMs / 1000);
    log(`  audit: verified ${report.records.toLocaleString('en-US')} records in ${(vMs / 1000).toFixed(1)} s: ${Math.round(vRate).toLocaleString('en-US')} records/s (${(vRate / base.opsPerSec).toFixed(2)} × baseline), ok=${report.ok}`);
    out.push(
      report.ok
        ? {
            id: 'auditVerifyFull',
            opsPerSec: vRate,
            unit: 'records/s',
            entries,
            baselineVerifiesPerSec: base.opsPerSec,
            ratioToVerify: vRate / base.opsPerSec,
            peakRssMiB: vr.peakRssMiB,
            loadAverages: loadDuring,
            cpuUsPerRecord: cpuPerRecordUs,
            coresUsed: (vCpu.user + vCpu.system) / 1000 / vMs,
            details: `verifyBundleFile (node:crypto SHA-256, ${report.checked.signatures.toLocaleString('en-US')} signatures on a pool of ${os.availableParallelism()} worker threads, Merkle root recomputed): ${(vMs / 1000).toFixed(1)} s, process CPU ${cpuPerRecordUs.toFixed(0)} µs per record (${((vCpu.user + vCpu.system) / 1000 / vMs).toFixed(2)} cores busy on average); peak RSS ${vr.peakRssMiB.toFixed(0)} MiB; baseline ${Math.round(base.before).toLocaleString('en-US')} before, ${Math.round(base.after).toLocaleString('en-US')} after (mean ${Math.round(base.opsPerSec).toLocaleString('en-US')}) verifies/s; load averages ${loadDuring.map((x) => x.toFixed(1)).join(' ')}`,
          }
        : { id: 'auditVerifyFull', blocked: `the exported bundle did not verify: ${JSON.stringify(report.failures.slice(0, 3))}` },
    );
    out.push({ ...base, id: 'auditVerifyBaseline', details: 'the Ed25519 verify baseline of this run (bench/baselines.js verifyBaseline), mean of before and after the full verification' });

    const code = led.meta.targets.finished.code;
    const reps = quick ? 3 : 7;
    const exMs = [];
    const vfMs = [];
    const exCpu = [];
    const vfCpu = [];
    const cpuMs = (c) => (c.user + c.system) / 1000;
    let scopedRecords = 0;
    for (let i = 0; i < reps; i++) {
      lib.gc();
      let c = process.cpuUsage();
      const e = await exportToFile(ledger, { code, direction: 'both' }, scopedFile);
      exCpu.push(cpuMs(process.cpuUsage(c)));
      exMs.push(e.ms);
      scopedRecords = e.records;
      const s = performance.now();
      c = process.cpuUsage();
      const r = await verifyBundleFile(scopedFile, { trustedKey: ledger.verifierKey });
      vfCpu.push(cpuMs(process.cpuUsage(c)));
      vfMs.push(performance.now() - s);
      if (!r.ok) throw new Error(`scoped bundle of ${code} did not verify: ${JSON.stringify(r.failures.slice(0, 3))}`);
    }
    const se = lib.summarize(exMs);
    const sv = lib.summarize(vfMs);
    const median = (xs) => lib.percentile(xs, 50);
    log(`  audit: scoped ${code} (both directions, ${scopedRecords} records): export median ${se.p50.toFixed(0)} ms (CPU ${median(exCpu).toFixed(0)} ms), verify median ${sv.p50.toFixed(0)} ms (CPU ${median(vfCpu).toFixed(0)} ms); load averages ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    const row = (id, s, what, cpu) => ({
      id,
      opsPerSec: 1000 / s.mean,
      unit: 'bundles/s',
      p50Ms: s.p50,
      p99Ms: s.max,
      meanMs: s.mean,
      entries,
      records: scopedRecords,
      cpuMs: median(cpu),
      details: `${what} of ${code} (upstream and downstream, ${scopedRecords.toLocaleString('en-US')} records with inclusion proofs); ${reps} runs: median ${s.p50.toFixed(0)} ms (process CPU ${median(cpu).toFixed(0)} ms), max ${s.max.toFixed(0)} ms`,
    });
    out.push(row('auditExportScoped', se, 'export (plan, proofs, file)', exCpu));
    out.push(row('auditVerifyScoped', sv, 'verifyBundleFile (under 4 MiB: on the main thread, no workers)', vfCpu));
  } finally {
    await dd.close();
    if (!keep) fs.rmSync(fullFile, { force: true });
    fs.rmSync(scopedFile, { force: true });
  }
  return { results: out, info: { id: 'audit', entries, seconds: (performance.now() - t0) / 1000 } };
}

// Standalone: measure and print a table (bench/run.js is not needed).
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, keep: { type: 'boolean', default: false } } });
  const { results, info } = await auditTargets({ quick: values.quick, keep: values.keep, log: console.error });
  const rows = results.map((r) => [r.id, r.blocked ? `blocked: ${r.blocked}` : r.p50Ms != null ? `${r.p50Ms.toFixed(0)} ms (median)` : `${Math.round(r.opsPerSec).toLocaleString('en-US')} ${r.unit}`, r.details ?? '']);
  console.log(lib.textTable(['id', 'result', 'details'], rows));
  console.log(`(${info.entries.toLocaleString('en-US')}-entry ledger, ${info.seconds.toFixed(0)} s in all)`);
  fs.writeFileSync(path.join(OUT, 'audit-results.json'), JSON.stringify({ at: new Date().toISOString(), machine: lib.machine(), results, info }, null, 1));
}
