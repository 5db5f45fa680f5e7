// Start-up verification at 1,000,000 records (issue 16, "Tampering and rollback"): the time from
// process start to writes accepted, i.e. until the service has recomputed the whole chain and
// Merkle tree from the records and compared them with every stored checkpoint (src/ledger/startup-verify.ts).
// Target: ≤ 5 s on this machine.
//
//   node bench/startup.js [--runs 2] [--out bench/RESULTS.md] [--no-write]   (after npm run build)
//
// Also a step of `npm run bench` (bench/run.js; --skip-startup leaves it out, --startup-only runs
// it alone). It uses the 1,000,000-entry ledger the trace bench caches in bench/out/ (generate it
// with `node --expose-gc bench/trace.js` first), or STARTUP_BENCH_DIR=<data dir>. The cache is
// never opened: each run copies it to the system's temporary directory and opens the copy, in a
// fresh child process, exactly as `serve` does (openDataDir, then ledger.verified).
//
// Besides the total, each run reports where the time goes: process start to the modules loaded,
// the synchronous open (schema, head, frontier, served checkpoint), and the scan; and, in the same
// child after it, the scan's parts measured alone on the same rows (reading, leaf+chain hashing,
// tree hashing) so that a missed target says which part to work on.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { cachedLedger, FULL_ENTRIES } from './trace.js';
import { updateMarkdownSection } from './lib.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const TARGET_MS = 5000;

/** In the child: open the copy as `serve` does and time each step from process start. */
async function child(db) {
  const t0 = performance.now(); // ms since this process started
  const { openDataDir } = await import(pathToFileURL(path.join(ROOT, 'dist/cli/setup.js')).href);
  const loaded = performance.now();
  const data = openDataDir(db, undefined, { verifyInWorker: true });
  const opened = performance.now();
  const detail = [];
  const timer = setInterval(() => detail.push(data.ledger.readiness.conditions().map((c) => c.detail).join('; ')), 500);
  await data.ledger.verified;
  const chainVerified = performance.now();
  // Writes wait for the derived-state check too (against the seal of the last clean close).
  const derived = await data.derivedVerifier.startup;
  if (derived !== 'ok' || !data.ledger.readiness.ready()) throw new Error(`derived-state check: ${derived}; ${data.ledger.readiness.conditions().map((c) => c.detail).join('; ')}`);
  const derivedMethod = data.derivedVerifier.progress().startup?.method;
  const accepted = performance.now();
  // CPU time of every thread (the scan's worker included) and blocks read from disk so far: how
  // much of the wall time was work, and how much waiting for the disk or for a core.
  const usage = process.resourceUsage();
  clearInterval(timer);
  const size = data.ledger.size();
  await data.close();
  const parts = await scanParts(db, size);
  process.stdout.write(JSON.stringify({ size, startMs: t0, loadedMs: loaded, openedMs: opened, chainMs: chainVerified, acceptedMs: accepted, derivedMethod, progress: detail.at(-1) ?? '', cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, diskReadMiB: (usage.fsRead * 512) / 2 ** 20, parts }));
}

/** The scan's parts alone, on one core: read the rows; hash leaves and chain; hash the tree. */
async function scanParts(db, size) {
  const { createRequire } = await import('node:module');
  const Database = createRequire(import.meta.url)('better-sqlite3');
  const { hash } = await import('node:crypto');
  const raw = new Database(db, { readonly: true });
  try {
    let t = performance.now();
    const rows = raw.prepare('SELECT leaf, leaf_hash FROM records WHERE seq < ? ORDER BY seq').iterate(size);
    const leafHashes = [];
    let bytes = 0;
    const leaves = [];
    for (const r of rows) {
      bytes += r.leaf.length;
      if (leaves.length < 100_000) leaves.push(r.leaf);
      leafHashes.push(r.leaf_hash);
    }
    const readMs = performance.now() - t;
    // Leaf and chain hashing: measured on the first 100,000 leaves, scaled to the log.
    t = performance.now();
    let chain = Buffer.alloc(32);
    for (const leaf of leaves) chain = hash('sha256', Buffer.concat([chain, hash('sha256', Buffer.concat([Buffer.of(0), leaf]), 'buffer')]), 'buffer');
    const leafChainMs = ((performance.now() - t) * size) / leaves.length;
    // The tree: one interior hash per leaf (n − popcount(n) in all) plus the nodes read in order.
    t = performance.now();
    const nodes = raw.prepare('SELECT hash FROM merkle_nodes ORDER BY pos').pluck().iterate();
    let n = 0;
    for (const _ of nodes) n++;
    const nodeReadMs = performance.now() - t;
    t = performance.now();
    let level = leafHashes;
    while (level.length > 1) {
      const up = [];
      for (let i = 0; i + 1 < level.length; i += 2) up.push(hash('sha256', Buffer.concat([Buffer.of(1), level[i], level[i + 1]]), 'buffer'));
      level = up;
    }
    const treeMs = performance.now() - t;
    return { readMs, leafBytes: bytes, leafChainMs, nodeReadMs, nodes: n, treeMs };
  } finally {
    raw.close();
  }
}

/**
 * The cached ledger was written by the benchmark's own generator, and a service that closes
 * cleanly leaves a seal of its derived tables (src/ledger/derived-seal.ts); without one, start-up replays
 * the whole log (half an hour at 1M here). Seal the cache once, as \`trace-ledger rebuild\` does after
 * rebuilding, from the tables as they are (on a copy, migrated): the cost is one digest of every derived row.
 */
export async function ensureSeal(dir, log) {
  const db = path.join(dir, 'ledger.db');
  if (fs.existsSync(`${db}.seal`)) return;
  log('sealing the cached ledger\'s derived tables once (one digest of every derived row) ...');
  const t = performance.now();
  const { openSqliteStore } = await import(pathToFileURL(path.join(ROOT, 'dist/store/sqlite.js')).href);
  const { sealRebuiltState } = await import(pathToFileURL(path.join(ROOT, 'dist/cli/setup.js')).href);
  // On a copy: opening migrates the schema as each run's copy will be migrated (the cache itself
  // is never opened), and the seal is of the tables as they are then.
  const copy = copyDataDir(dir);
  try {
    const copyDb = path.join(copy, 'ledger.db');
    const store = openSqliteStore(copyDb);
    try {
      sealRebuiltState(copyDb, store);
    } finally {
      await store.close();
    }
    fs.copyFileSync(`${copyDb}.seal`, `${db}.seal`);
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
  log(`  sealed in ${Math.round(performance.now() - t).toLocaleString('en-US')} ms`);
}

function copyDataDir(from) {
  const to = fs.mkdtempSync(path.join(os.tmpdir(), 'trace-ledger-startup-'));
  for (const f of fs.readdirSync(from)) {
    if (/^ledger\.db(-wal|\.checkpoint|\.seal)?$|\.pem$/.test(f)) fs.copyFileSync(path.join(from, f), path.join(to, f));
  }
  return to;
}

/** Runs (each: copy, start a child, open, wait for writes accepted). */
export async function startupBench({ runs = 2, log = console.error } = {}) {
  const dir = process.env.STARTUP_BENCH_DIR ?? cachedLedger(FULL_ENTRIES)?.dir;
  if (dir === undefined) return { id: 'startupVerify', blocked: 'no cached 1,000,000-entry ledger in bench/out/: run node --expose-gc bench/trace.js once first' };
  await ensureSeal(dir, log);
  const results = [];
  for (let i = 0; i < runs; i++) {
    const copy = copyDataDir(dir);
    try {
      log(`startup run ${i + 1}/${runs}: ${copy}`);
      const out = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', path.join(copy, 'ledger.db')], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (out.status !== 0) throw new Error(`child failed (${out.status}): ${out.stderr.trim().split('\n').slice(-3).join(' ')}`);
      results.push({ ...JSON.parse(out.stdout), warnings: out.stderr.trim() });
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  }
  const totals = results.map((r) => r.acceptedMs);
  return {
    id: 'startupVerify',
    size: results[0].size,
    runs: results,
    worstMs: Math.max(...totals),
    pass: Math.max(...totals) <= TARGET_MS,
    loadavg: os.loadavg(),
  };
}

const ms = (x) => `${Math.round(x).toLocaleString('en-US')} ms`;

export function startupMarkdown(r) {
  if (r.blocked) return `## Start-up verification (issue 16)\n\nNot measured: ${r.blocked}.\n`;
  const lines = [
    '## Start-up verification (issue 16)',
    '',
    `Time from process start to writes accepted (readiness released) on a copy of the cached ${r.size.toLocaleString('en-US')}-record ledger, opened as \`serve\` opens it, in a fresh process; target ≤ ${ms(TARGET_MS)}. ` +
      `Verdict: **${r.pass ? 'pass' : 'fail'}** (worst ${ms(r.worstMs)}). Load averages at the end: ${r.loadavg.map((x) => x.toFixed(2)).join(' / ')} (2 cores, shared).`,
    '',
    '| run | modules loaded | open (sync checks) | chain and tree verified | derived tables verified (method) | writes accepted | CPU time until then (all threads) | read from disk |',
    '|---|---|---|---|---|---|---|---|',
    ...r.runs.map(
      (x, i) =>
        `| ${i + 1} | ${ms(x.loadedMs)} | ${ms(x.openedMs - x.loadedMs)} | ${ms(x.chainMs - x.openedMs)} | ${ms(x.acceptedMs - x.chainMs)} (${x.derivedMethod}) | **${ms(x.acceptedMs)}** | ${x.cpuMs === undefined ? '–' : ms(x.cpuMs)} | ${x.diskReadMiB === undefined ? '–' : `${x.diskReadMiB.toFixed(0)} MiB`} |`,
    ),
    '',
    'Where the scan\'s time goes, each part measured alone afterwards in the same process on one core:',
    '',
    '| run | read records | leaf + chain hashes | read nodes | tree hashes |',
    '|---|---|---|---|---|',
    ...r.runs.map((x, i) => `| ${i + 1} | ${ms(x.parts.readMs)} (${(x.parts.leafBytes / 2 ** 20).toFixed(0)} MiB of leaves) | ${ms(x.parts.leafChainMs)} | ${ms(x.parts.nodeReadMs)} (${x.parts.nodes.toLocaleString('en-US')} nodes) | ${ms(x.parts.treeMs)} |`),
    '',
  ];
  return lines.join('\n');
}

const isMain = process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (isMain) {
  const { values } = parseArgs({ options: { child: { type: 'string' }, runs: { type: 'string', default: '2' }, out: { type: 'string', default: path.join(HERE, 'RESULTS.md') }, 'no-write': { type: 'boolean', default: false } } });
  if (values.child) {
    await child(values.child);
  } else {
    const r = await startupBench({ runs: Number(values.runs) });
    const md = startupMarkdown(r);
    console.log(md);
    console.log(JSON.stringify(r.runs ?? r, null, 1));
    if (!values['no-write']) updateMarkdownSection(values.out, 'startup', md);
  }
}
