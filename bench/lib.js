// Small helpers shared by the benchmark files (plain ESM, no build step).
//
// - timing: now(), nsToMs(), sleep()
// - statistics: percentile(), summarize()
// - formatting: fmtInt(), fmtRate(), fmtMs(), fmtBytes(), markdownTable()
// - loops: measure(name, fn, { seconds }) runs fn (sync or async) repeatedly for a bounded time
// - machine(): CPU model, cores, memory, Node and SQLite versions
// - processes: spawnServer() starts a child that prints `LISTENING <port>`, stop() ends it;
//   every child started through it is also ended when this process exits
// - load: runAutocannon() drives a server on 127.0.0.1 and normalises the result; ingestLoad()
//   POSTs signed entries from a load generator in a process of its own (bench/load-child.js)
// - results: updateMarkdownSection() rewrites one marked section of a markdown file
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

// ---------------------------------------------------------------- timing

/** Monotonic time in nanoseconds (bigint). */
export const now = () => process.hrtime.bigint();

/** bigint nanoseconds -> milliseconds (number). */
export const nsToMs = (ns) => Number(ns) / 1e6;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs a full GC when node was started with --expose-gc (npm run bench does); no-op otherwise. */
export function gc() {
  if (typeof globalThis.gc === 'function') globalThis.gc();
}

// ---------------------------------------------------------------- statistics

/**
 * p-th percentile (0..100) by the nearest-rank method.
 * `values` need not be sorted; pass `{ sorted: true }` to skip the copy and sort.
 */
export function percentile(values, p, { sorted = false } = {}) {
  const n = values.length;
  if (n === 0) return NaN;
  const a = sorted ? values : Float64Array.from(values).sort();
  const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
  return a[rank - 1];
}

/** { count, mean, min, p50, p90, p99, p999, max } of a list of numbers (e.g. latencies in ms). */
export function summarize(values) {
  const a = Float64Array.from(values).sort();
  const n = a.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += a[i];
  return {
    count: n,
    mean: n ? sum / n : NaN,
    min: n ? a[0] : NaN,
    p50: percentile(a, 50, { sorted: true }),
    p90: percentile(a, 90, { sorted: true }),
    p99: percentile(a, 99, { sorted: true }),
    p999: percentile(a, 99.9, { sorted: true }),
    max: n ? a[n - 1] : NaN,
  };
}

// ---------------------------------------------------------------- formatting

export function fmtInt(x) {
  if (x == null || Number.isNaN(x)) return '–';
  return Math.round(x).toLocaleString('en-US');
}

/** 15234.7 -> "15,235/s" */
export function fmtRate(x, unit = '/s') {
  if (x == null || Number.isNaN(x)) return '–';
  return `${fmtInt(x)}${unit}`;
}

/** milliseconds with a sensible number of digits: 0.0123 -> "0.012 ms", 12.3 -> "12.3 ms" */
export function fmtMs(x) {
  if (x == null || Number.isNaN(x)) return '–';
  if (x < 0.1) return `${x.toFixed(4)} ms`;
  if (x < 10) return `${x.toFixed(3)} ms`;
  if (x < 100) return `${x.toFixed(1)} ms`;
  return `${Math.round(x)} ms`;
}

export function fmtBytes(n) {
  if (n == null) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let x = n;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${x.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function fmtRatio(x) {
  if (x == null || Number.isNaN(x)) return '–';
  return `${x.toFixed(2)}×`;
}

/** A GitHub-flavoured markdown table. Cells are stringified; `|` is escaped. */
export function markdownTable(headers, rows, align) {
  const esc = (c) => String(c ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const al = align ?? headers.map(() => 'l');
  const sep = al.map((a) => (a === 'r' ? '---:' : a === 'c' ? ':---:' : '---'));
  return [
    `| ${headers.map(esc).join(' | ')} |`,
    `| ${sep.join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** A plain-text table for the terminal. */
export function textTable(headers, rows) {
  const all = [headers, ...rows].map((r) => r.map((c) => String(c ?? '')));
  const widths = headers.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(all[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}

// ---------------------------------------------------------------- measurement loop

/**
 * Calls `fn()` (sync or async; async calls are awaited one at a time) repeatedly for
 * `seconds` seconds after `warmupSeconds` of warm-up, and reports the rate.
 *
 * - `opsPerCall`: how many operations one call performs (e.g. 1,000 rows per transaction).
 * - `latencies`: record the duration of every call (ms) and report percentiles. Costs two
 *   hrtime reads per call; leave it off for sub-microsecond operations.
 * - `maxCalls`: an upper bound on calls, whatever the time (keeps runs bounded in count too).
 *
 * `fn` receives the call index (0-based, counting warm-up calls too).
 * Returns { name, calls, ops, seconds, opsPerSec, latencyMs? }.
 */
export async function measure(
  name,
  fn,
  { seconds = 3, warmupSeconds = 0.3, opsPerCall = 1, latencies = false, maxCalls = Infinity } = {},
) {
  let i = 0;
  const warmEnd = now() + BigInt(Math.round(warmupSeconds * 1e9));
  while (now() < warmEnd && i < maxCalls) {
    const r = fn(i++);
    if (r && typeof r.then === 'function') await r;
  }
  gc();
  const lat = latencies ? [] : null;
  const start = now();
  const end = start + BigInt(Math.round(seconds * 1e9));
  let calls = 0;
  let t = start;
  while (t < end && i < maxCalls) {
    const r = fn(i++);
    if (r && typeof r.then === 'function') await r;
    calls++;
    const t2 = now();
    if (lat) lat.push(nsToMs(t2 - t));
    t = t2;
  }
  const elapsed = nsToMs(t - start) / 1000;
  const ops = calls * opsPerCall;
  const out = { name, calls, ops, seconds: elapsed, opsPerSec: elapsed > 0 ? ops / elapsed : NaN };
  if (lat) out.latencyMs = summarize(lat);
  return out;
}

// ---------------------------------------------------------------- machine

let sqliteVersionCache;
/** SQLite library version as linked into better-sqlite3 (e.g. "3.50.4"), or null. */
export function sqliteVersion() {
  if (sqliteVersionCache !== undefined) return sqliteVersionCache;
  try {
    const Database = require('better-sqlite3');
    const db = new Database(':memory:');
    sqliteVersionCache = db.prepare('select sqlite_version() as v').get().v;
    db.close();
  } catch {
    sqliteVersionCache = null;
  }
  return sqliteVersionCache;
}

/** Version of an installed package (read from its package.json), or null. */
export function packageVersion(name) {
  try {
    const dir = path.dirname(require.resolve(`${name}/package.json`));
    return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  } catch {
    try {
      // packages whose "exports" hide package.json: walk up from the entry point
      let dir = path.dirname(require.resolve(name));
      for (let k = 0; k < 5; k++) {
        const f = path.join(dir, 'package.json');
        if (fs.existsSync(f)) {
          const j = JSON.parse(fs.readFileSync(f, 'utf8'));
          if (j.name === name) return j.version;
        }
        dir = path.dirname(dir);
      }
    } catch {
      /* not installed */
    }
    return null;
  }
}

/** Filesystem type of the mount holding `dir` (Linux, from /proc/mounts), or null. */
export function filesystemOf(dir) {
  try {
    const real = fs.realpathSync(dir);
    const mounts = fs
      .readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' '))
      .filter((f) => f.length > 2);
    let best = null;
    for (const [dev, mnt, type] of mounts) {
      if ((real === mnt || real.startsWith(mnt.endsWith('/') ? mnt : `${mnt}/`)) && (!best || mnt.length > best.mnt.length)) {
        best = { dev, mnt, type };
      }
    }
    return best ? `${best.type} (${best.dev} on ${best.mnt})` : null;
  } catch {
    return null;
  }
}

/** A description of this machine for the results file. */
export function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    memory: fmtBytes(os.totalmem()),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    sqlite: sqliteVersion(),
    betterSqlite3: packageVersion('better-sqlite3'),
    tmpFilesystem: filesystemOf(benchTmpRoot()),
  };
}

// ---------------------------------------------------------------- temp dirs

/** Where benchmarks put their databases: $BENCH_TMPDIR or the OS temp dir. */
export function benchTmpRoot() {
  return process.env.BENCH_TMPDIR || os.tmpdir();
}

/** A fresh temp directory; `remove()` deletes it (also done at process exit). */
export function tempDir(prefix = 'trace-ledger-bench-') {
  const dir = fs.mkdtempSync(path.join(benchTmpRoot(), prefix));
  tempDirs.add(dir);
  return {
    dir,
    remove() {
      tempDirs.delete(dir);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
const tempDirs = new Set();

// ---------------------------------------------------------------- child processes

const children = new Set();
let exitHooksInstalled = false;
function installExitHooks() {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const cleanup = () => {
    for (const c of children) {
      try {
        c.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
    for (const d of tempDirs) {
      try {
        fs.rmSync(d, { recursive: true, force: true });
      } catch {
        /* best effort */
      }
    }
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      cleanup();
      process.exit(128 + (os.constants.signals[sig] ?? 1));
    });
  }
}
installExitHooks();

/**
 * The service's V8 flags: a 64 MiB young generation, so that the garbage of one request (a
 * 1,000-ancestor trace allocates ~16 MiB, most of it dead by the reply) dies young instead of
 * being copied and promoted by a scavenge in the middle of the next one.
 */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=64'];

/**
 * Starts `node <script> ...args` as a child process and waits until it prints a line
 * `LISTENING <port>` on stdout (bind to 127.0.0.1, port 0, and print the real port).
 * The child's stdin is a pipe that stays open; a well-behaved server exits when it ends,
 * so the child cannot outlive this process even if this one is SIGKILLed.
 * Every server (ours and the naive baseline alike) runs with the V8 flags the service is started
 * with (SERVICE_NODE_FLAGS, as in bin/trace-ledger.js and `npm start`).
 * Returns { child, port, url, stop(), output() }.
 */
export async function spawnServer(script, args = [], { env = {}, nodeArgs = [], startTimeoutMs = 20_000, cwd } = {}) {
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, ...nodeArgs, script, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    err += d;
    if (err.length > 64_000) err = err.slice(-32_000);
  });
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script}: no LISTENING line within ${startTimeoutMs} ms\n${err}`)), startTimeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^LISTENING (\d+)\s*$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
      if (out.length > 64_000) out = out.slice(-32_000);
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited before listening (code ${code}, signal ${signal})\n${err}`));
    });
  });
  let stopped = null;
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    output: () => ({ stdout: out, stderr: err }),
    /** SIGTERM, then SIGKILL after `graceMs`; resolves with { code, signal }. */
    stop(graceMs = 5_000) {
      if (stopped) return stopped;
      stopped = (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.stdin.end();
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
          const r = await exited;
          clearTimeout(t);
          return r;
        }
        return exited;
      })();
      return stopped;
    },
  };
}

// ---------------------------------------------------------------- load generation

/**
 * Drives `url` with autocannon (in this process) and returns a normalised result:
 * { reqPerSec, okPerSec, ok, non2xx, errors, timeouts, seconds, connections,
 *   latencyMs: { mean, p50, p90, p99, p999, max }, statusCodes, raw }.
 *
 * `okPerSec` counts 2xx responses only; use it as the throughput figure.
 * Options are autocannon's (url, connections, duration, requests, method, headers, body,
 * maxOverallRequests, ...). Only 127.0.0.1 / localhost / [::1] targets are accepted.
 */
export async function runAutocannon(opts) {
  const u = new URL(opts.url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) {
    throw new Error(`runAutocannon: refusing non-loopback target ${u.hostname}`);
  }
  const { default: autocannon } = await import('autocannon');
  const raw = await new Promise((resolve, reject) => {
    const inst = autocannon({ duration: 5, ...opts }, (err, res) => (err ? reject(err) : resolve(res)));
    // a hard stop in case the server stalls: duration + 15 s
    const hard = setTimeout(() => inst.stop(), ((opts.duration ?? 5) + 15) * 1000);
    hard.unref();
    inst.on('done', () => clearTimeout(hard));
  });
  const seconds = raw.duration; // seconds, as measured by autocannon
  const statusCodes = {};
  for (const [code, v] of Object.entries(raw.statusCodeStats ?? {})) statusCodes[code] = v.count;
  return {
    reqPerSec: raw.requests.total / seconds,
    okPerSec: raw['2xx'] / seconds,
    ok: raw['2xx'],
    non2xx: raw.non2xx,
    errors: raw.errors,
    timeouts: raw.timeouts,
    seconds,
    connections: raw.connections,
    latencyMs: {
      mean: raw.latency.mean,
      p50: raw.latency.p50,
      p90: raw.latency.p90,
      p99: raw.latency.p99,
      p999: raw.latency.p99_9,
      max: raw.latency.max,
    },
    statusCodes,
    raw,
  };
}

/**
 * POSTs pre-built request bodies (JSON strings) to `url`/v1/entries, each at most once, from a
 * load generator in a process of its own (bench/load-child.js): a warm-up of `warmupSeconds`, then
 * the measured run of `seconds`. The bodies go through a file in `dir`. Either
 *   - `bodies`: one list, taken in order by whichever connection is free (entries that do not
 *     depend on each other), or
 *   - `streams`: 2 × `connections` lists of bodies whose order matters (a later entry may depend
 *     on an earlier one): during the warm-up each connection sends the bodies of one of the first
 *     `connections` streams in order, during the measured run one of the others (see streamFeeder).
 * Returns runAutocannon()'s result (without `raw`) plus `warmedUp`, `used`, `exhausted` and, with
 * streams, `usedPerStream` and `warmup` ({ ok, non2xx, errors, exhausted } of the warm-up) and
 * `refusals` (status and body of the first few non-2xx answers).
 */
export async function ingestLoad({ url, connections, bodies, streams, dir, warmupSeconds = 1, seconds }) {
  const bodiesFile = path.join(dir, 'bodies.ndjson');
  // One body a line; with streams, each line starts with the stream's number and a space.
  const lines = streams ? streams.flatMap((bs, s) => bs.map((b) => `${s} ${b}`)) : bodies;
  fs.writeFileSync(bodiesFile, `${lines.join('\n')}\n`);
  try {
    const options = JSON.stringify({ url, connections, bodiesFile, streams: streams ? streams.length : 0, warmupSeconds, seconds });
    const child = spawn(process.execPath, [fileURLToPath(new URL('./load-child.js', import.meta.url)), options], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    // 'close', not 'exit': it comes once stdout has been read to the end.
    const code = await new Promise((resolve) => child.once('close', (c) => resolve(c)));
    children.delete(child);
    if (code !== 0) throw new Error(`bench/load-child.js exited with code ${code}: ${err.trim().split('\n').slice(-5).join('\n')}`);
    return JSON.parse(out.trim().split('\n').at(-1));
  } finally {
    fs.rmSync(bodiesFile, { force: true });
  }
}

/**
 * An autocannon request that POSTs the pre-built `bodies` to /v1/entries, each at most once (past
 * the end it repeats the last one and counts it in `exhausted`). `used()` says how many went out.
 */
export function entryFeeder(bodies) {
  let next = 0;
  let exhausted = 0;
  return {
    request: {
      method: 'POST',
      path: '/v1/entries',
      headers: { 'content-type': 'application/json' },
      setupRequest(req) {
        if (next >= bodies.length) exhausted++;
        req.body = bodies[Math.min(next++, bodies.length - 1)];
        return req;
      },
    },
    used: () => next,
    exhausted: () => exhausted,
  };
}

/**
 * An autocannon request that gives each connection a stream of its own: the first connection to
 * ask gets streams[first], the next streams[first + 1], and so on; each then POSTs its stream's
 * bodies in order, one request at a time (autocannon's default pipelining of 1), so an entry goes
 * out only once the one before it on that stream was answered. Past the end of a stream it repeats
 * the stream's last body (an identical resubmission, answered with the original receipt) and
 * counts it in `exhausted`: a run with exhausted > 0 had too few bodies.
 *
 * How a connection keeps its stream: autocannon deep-clones the options for every client it makes
 * (lodash.clonedeep in lib/httpClient.js, autocannon 7-9), so the `slot` object below is one
 * object per connection, and the request that setupRequest receives is a shallow copy that still
 * points to it. (The `context` argument would not do: with a single request in the list it is
 * reset before every request.)
 */
export function streamFeeder(streams, first, count) {
  let nextStream = first;
  let exhausted = 0;
  const next = new Array(streams.length).fill(0);
  const refusals = [];
  return {
    request: {
      method: 'POST',
      path: '/v1/entries',
      headers: { 'content-type': 'application/json' },
      slot: {},
      setupRequest(req) {
        if (req.slot.stream === undefined) {
          if (nextStream >= first + count) throw new Error(`streamFeeder: more connections than the ${count} streams`);
          req.slot.stream = nextStream++;
        }
        const s = req.slot.stream;
        const bodies = streams[s];
        if (next[s] >= bodies.length) exhausted++;
        req.body = bodies[Math.min(next[s]++, bodies.length - 1)];
        return req;
      },
      onResponse(status, body) {
        if ((status < 200 || status > 299) && refusals.length < 5) refusals.push({ status, body: String(body).slice(0, 500) });
      },
    },
    usedPerStream: () => next.slice(first, first + count),
    exhausted: () => exhausted,
    refusals: () => refusals,
  };
}

// ---------------------------------------------------------------- results file

/**
 * Replaces the section of markdown file `file` between
 *   <!-- bench:<id>:start --> and <!-- bench:<id>:end -->
 * with `body`, or appends the marked section at the end if it is not there yet.
 * Text outside the markers (hand-written notes) is kept. Creates the file with `title`
 * as its first line if it does not exist.
 */
export function updateMarkdownSection(file, id, body, { title = '# Benchmark results' } = {}) {
  const start = `<!-- bench:${id}:start -->`;
  const end = `<!-- bench:${id}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : `${title}\n`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i !== -1 && j > i) {
    text = text.slice(0, i) + block + text.slice(j + end.length);
  } else {
    text = `${text.replace(/\s*$/, '')}\n\n${block}\n`;
  }
  fs.writeFileSync(file, text);
}
