import { cli } from '../cli-runner.js';
/**
 * `trace-ledger monitor` (src/audit/monitor.ts): trust on first use or a pinned key, consistency
 * with the checkpoint kept in the state file, and loud alerts (exit 3) when the ledger shrinks,
 * forks, cannot prove it only grew, or signs with another key; exit 1 when it cannot check.
 */
import t from 'tap';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { toBase64Url } from '../../src/core/bytes.js';
import { signEntry } from '../../src/core/entry.js';
import { MONITOR_EXIT, parseMonitorState, runMonitor, type MonitorOutcome } from '../../src/audit/monitor.js';
import { buildApp } from '../../src/http/app.js';
import { openLedger, type Ledger } from '../../src/ledger.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { makeLedger, ORIGIN, party, type Party } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-monitor-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** `fetch` answered by a Fastify app in-process (app.inject), as if over HTTP. */
function viaApp(app: () => FastifyInstance) {
  return async (url: string): Promise<Response> => {
    const u = new URL(url);
    const res = await app().inject({ method: 'GET', url: `${u.pathname}${u.search}` });
    return new Response(res.body, { status: res.statusCode, headers: { 'content-type': String(res.headers['content-type'] ?? 'text/plain') } });
  };
}

/** Register `n` fresh participants (n records), then sign a checkpoint of everything. */
async function grow(ledger: Ledger, operator: Party, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const p = party(`p-${randomUUID().slice(0, 8)}`);
    await ledger.submit([
      signEntry({ type: 'participant.register', id: randomUUID(), signer: operator.id, time: new Date().toISOString(), participant: p.id, name: 'X', roles: ['supplier'], publicKey: toBase64Url(p.publicKey) }, operator.seed),
    ]);
  }
  ledger.checkpoint(ledger.size());
}

// The honest ledger A, and its service.
const A = await makeLedger();
t.teardown(() => A.close());
const appA = await buildApp({ ledger: A.ledger });
t.teardown(() => appA.close());
const key = A.ledger.verifierKey;
await grow(A.ledger, A.operator, 3);

/**
 * Ledger B: the same ledger key and origin, another history (what an operator rewriting its log
 * would serve). Its genesis differs (another time and operator), so its tree does too.
 */
async function forkOfA(size: number) {
  const path = join(dir, `fork-${randomUUID()}.db`);
  const store = openSqliteStore(path);
  const ledger = openLedger({ store, origin: ORIGIN, ledgerSeed: A.ledgerSeed });
  const operator = party('operator');
  await ledger.initGenesis({ operator: { id: operator.id, name: 'Another operator', publicKey: operator.publicKey } });
  await grow(ledger, operator, size - 1);
  const app = await buildApp({ ledger });
  t.teardown(async () => {
    await app.close();
    await ledger.close();
    await store.close();
  });
  t.equal(ledger.checkpoint().size, size);
  return app;
}

const run = (statePath: string, app: FastifyInstance, extra: { key?: string } = {}) =>
  runMonitor({ url: 'http://ledger.test/', statePath, fetch: viaApp(() => app), ...extra });
const stateOf = (path: string) => parseMonitorState(readFileSync(path, 'utf8'));
const leftovers = () => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

t.test('first run trusts the served key and says so; later runs prove consistency', async (t) => {
  const path = join(dir, 'tofu.json');
  const first = await run(path, appA);
  t.equal(first.status, 'ok');
  t.equal(first.exitCode, MONITOR_EXIT.ok);
  t.match(first.warnings, [/^trusting ledger key .* on first use/]);
  t.match((first as Extract<MonitorOutcome, { status: 'ok' }>).line, /^ok: test\.trace-ledger\.local\/log size 4 root \S+: first checkpoint recorded \(key trusted on first use\)$/);
  const s1 = stateOf(path);
  t.match(s1, { ledgerKey: key, keyPinned: false, origin: ORIGIN, size: 4, url: 'http://ledger.test' });
  t.equal(s1.note, A.ledger.checkpoint().note, 'the signed note is kept as evidence');

  const same = await run(path, appA);
  t.same(same.warnings, [], 'the kept key is used without a word');
  t.match((same as Extract<MonitorOutcome, { status: 'ok' }>).line, /unchanged since/);
  t.equal(stateOf(path).seenAt, s1.seenAt, 'still the checkpoint first seen then');

  await grow(A.ledger, A.operator, 5);
  const grown = await run(path, appA);
  t.equal(grown.status, 'ok');
  t.match((grown as Extract<MonitorOutcome, { status: 'ok' }>).line, /^ok: \S+ size 9 root \S+: consistent with size 4 seen \S+ \(\+5 records\)$/);
  t.equal(stateOf(path).size, 9);
  t.same(leftovers(), [], 'the state file was replaced atomically, no temporary file left');
});

t.test('a pinned key', async (t) => {
  const path = join(dir, 'pinned.json');
  const ok = await run(path, appA, { key });
  t.equal(ok.status, 'ok');
  t.same(ok.warnings, []);
  t.equal(stateOf(path).keyPinned, true);

  const other = await makeLedger();
  const otherKey = other.ledger.verifierKey;
  const appOther = await buildApp({ ledger: other.ledger });
  t.teardown(async () => {
    await appOther.close();
    await other.close();
  });
  const wrongState = await run(path, appA, { key: otherKey });
  t.equal(wrongState.exitCode, MONITOR_EXIT.error, 'a state file follows one ledger');
  t.match((wrongState as { message: string }).message, /use one state file per ledger/);

  // A service that signs with another key than the pinned (or kept) one.
  const before = readFileSync(path, 'utf8');
  const impostor = await run(path, appOther);
  t.equal(impostor.exitCode, MONITOR_EXIT.alert);
  t.match((impostor as { message: string }).message, /does not verify with ledger key .* \(pinned\)/);
  t.equal(readFileSync(path, 'utf8'), before, 'state unchanged');
  const fresh = await run(join(dir, 'pinned-other.json'), appOther, { key });
  t.equal(fresh.exitCode, MONITOR_EXIT.alert, 'also on a first run with --key');
});

t.test('rollback, fork and an inconsistent history are alerts with the evidence saved', async (t) => {
  const path = join(dir, 'fork.json');
  t.equal((await run(path, appA, { key })).status, 'ok');
  const seen = stateOf(path);
  const before = readFileSync(path, 'utf8');
  for (const [name, size, pattern] of [
    ['rollback', seen.size - 2, /^rollback: .* size \d+, smaller than size \d+ seen/],
    ['fork', seen.size, /^fork: two signed checkpoints of size \d+ with different roots/],
    ['inconsistent', seen.size + 3, /^inconsistent: the log at size \d+ does not extend the one seen at size \d+/],
  ] as const) {
    const app = await forkOfA(size);
    const out = await run(path, app);
    t.equal(out.status, 'alert', name);
    t.equal(out.exitCode, 3, name);
    const alert = out as Extract<MonitorOutcome, { status: 'alert' }>;
    t.match(alert.message, pattern, name);
    t.ok(alert.evidencePath !== undefined && existsSync(alert.evidencePath), `${name}: evidence saved`);
    const evidence = readFileSync(alert.evidencePath!, 'utf8');
    t.ok(evidence.includes(seen.note), `${name}: the checkpoint seen before`);
    t.ok(evidence.includes(A.ledger.origin), `${name}: and the one served now`);
    t.equal(readFileSync(path, 'utf8'), before, `${name}: state unchanged`);
  }
  t.equal((await run(path, appA)).status, 'ok', 'the honest log still checks out');
});

t.test('a proof that is not one', async (t) => {
  const path = join(dir, 'badproof.json');
  t.equal((await run(path, appA, { key })).status, 'ok');
  await grow(A.ledger, A.operator, 2);
  for (const body of ['{"hashes":"nope"}', 'not json', '{"hashes":["AAAA"]}']) {
    const fetch = async (url: string) =>
      url.includes('/v1/proofs/consistency') ? new Response(body, { status: 200, headers: { 'content-type': 'application/json' } }) : viaApp(() => appA)(url);
    const out = await runMonitor({ url: 'http://ledger.test', statePath: path, fetch });
    t.equal(out.exitCode, 3, body);
  }
});

t.test('cannot check: exit 1, state untouched', async (t) => {
  const path = join(dir, 'errors.json');
  t.equal((await run(path, appA, { key })).status, 'ok');
  const before = readFileSync(path, 'utf8');
  const down = await runMonitor({ url: 'http://ledger.test', statePath: path, fetch: async () => Promise.reject(Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } })) });
  t.match(down, { status: 'error', exitCode: 1, message: /cannot fetch the latest checkpoint from http:\/\/ledger\.test: ECONNREFUSED/ });
  const broken = await runMonitor({ url: 'http://ledger.test', statePath: path, fetch: async () => new Response('oops', { status: 503 }) });
  t.match(broken, { status: 'error', exitCode: 1, message: /HTTP 503/ });
  t.equal(readFileSync(path, 'utf8'), before);

  const damaged = join(dir, 'damaged.json');
  writeFileSync(damaged, '{"format":"trace-ledger-monitor/1","size":"ten"}');
  t.match(await run(damaged, appA), { status: 'error', exitCode: 1, message: /is damaged/ });
  t.match(await run(join(dir, 'k.json'), appA, { key: 'not a key' }), { status: 'error', exitCode: 1, message: /^--key/ });
});


t.test('trace-ledger monitor (what cron runs)', async (t) => {
  const url = await appA.listen({ port: 0, host: '127.0.0.1' });
  const state = join(dir, 'cron.json');
  const first = await cli('monitor', '--url', url, '--state', state);
  t.equal(first.code, 0);
  t.match(first.stdout, /^ok: \S+ size \d+ root \S+: first checkpoint recorded \(key trusted on first use\)\n$/, 'one line');
  t.match(first.stderr, /^note: trusting ledger key /, 'says it trusted the key on first use');
  const again = await cli('monitor', '--url', url, '--state', state);
  t.equal(again.code, 0);
  t.equal(again.stderr, '', 'quiet when all is well');

  const fork = await forkOfA(stateOf(state).size);
  const forkUrl = await fork.listen({ port: 0, host: '127.0.0.1' });
  const alert = await cli('monitor', '--url', forkUrl, '--state', state);
  t.equal(alert.code, 3);
  t.equal(alert.stdout, '');
  t.match(alert.stderr, /^ALERT: fork: /);

  await appA.close();
  const down = await cli('monitor', '--url', url, '--state', state);
  t.equal(down.code, 1);
  t.match(down.stderr, /^trace-ledger: cannot fetch [^\n]*: (ECONNREFUSED|ECONNRESET|UND_ERR_SOCKET): [^\n]*npm start[^\n]*\n$/, 'one trace-ledger: line that says to start the service');
  t.equal((await cli('monitor', '--url', url)).code, 2, '--state is required');
});
