/** GET /metrics (src/http/metrics.ts): Prometheus text that parses, and numbers that follow the ledger. */
import t from 'tap';
import { toBase64Url } from '../../src/core/bytes.js';
import { party } from '../helpers.js';
import { appOnLedger } from './app-on-ledger.js';

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/**
 * The text exposition format 0.0.4, strictly: every line is blank, `# HELP name text`,
 * `# TYPE name type` or a sample `name{label="value",…} number`; every sample belongs to a family
 * whose TYPE came before it. @throws naming the first line that is none of these
 */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})? (-?[0-9.e+-]+|(?:nan|[+-]inf))$/i.exec(line);
    if (!m) throw new Error(`not a Prometheus text line: ${line}`);
    const family = [...types.keys()].find((f) => m[1] === f || (types.get(f) === 'histogram' && /^_(bucket|sum|count)$/.test(m[1]!.slice(f.length)) && m[1]!.startsWith(f)));
    if (family === undefined) throw new Error(`sample ${m[1]} has no TYPE before it`);
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { types, samples };
}

const valueOf = (samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

t.test('/metrics is Prometheus text whose counters and histograms move with submissions', async (t) => {
  const { L, app } = await appOnLedger(t);
  const scrape = async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    t.equal(res.statusCode, 200);
    t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
    return parseExposition(res.body);
  };
  const before = await scrape();
  t.equal(before.types.get('trace_ledger_entries_appended_total'), 'counter');
  t.equal(before.types.get('trace_ledger_commit_latency_seconds'), 'histogram');
  t.equal(before.types.get('trace_ledger_commit_group_records'), 'histogram');
  t.equal(before.types.get('trace_ledger_queue_depth'), 'gauge');
  t.equal(before.types.get('trace_ledger_checkpoint_age_seconds'), 'gauge');
  t.ok(before.types.has('process_resident_memory_bytes'), 'the process defaults too');
  t.equal(valueOf(before.samples, 'trace_ledger_entries_appended_total'), 0, 'the app observes from when it was built');
  t.equal(valueOf(before.samples, 'trace_ledger_ready'), 1);
  t.equal(valueOf(before.samples, 'trace_ledger_queue_depth'), 0);
  t.equal(valueOf(before.samples, 'trace_ledger_fsync_failures_total'), 0);
  t.equal(valueOf(before.samples, 'trace_ledger_verifier_records_verified'), undefined, 'no verifier, no verifier gauge');

  const suppliers = Array.from({ length: 5 }, (_, i) => party(`metrics-supplier-${i}`));
  const pending = suppliers.map((s) => L.register(s));
  t.ok(L.ledger.pendingSubmissions() >= 1, 'submissions in flight are counted');
  await Promise.all(pending);
  await L.register(party('metrics-late'));

  const after = await scrape();
  t.equal(valueOf(after.samples, 'trace_ledger_entries_appended_total'), 6, 'six records appended');
  t.equal(valueOf(after.samples, 'trace_ledger_commit_group_records_sum'), 6, 'the group sizes add up to them');
  const groups = valueOf(after.samples, 'trace_ledger_commit_group_records_count')!;
  t.ok(groups >= 2 && groups <= 6, `${groups} group commits`);
  t.equal(valueOf(after.samples, 'trace_ledger_commit_latency_seconds_count'), groups, 'one latency per group commit');
  t.equal(valueOf(after.samples, 'trace_ledger_commit_latency_seconds_bucket', { le: '+Inf' }), groups);
  t.equal(valueOf(after.samples, 'trace_ledger_queue_depth'), 0, 'every submission answered');
  t.equal(valueOf(after.samples, 'trace_ledger_log_size'), L.ledger.size());
  const age = valueOf(after.samples, 'trace_ledger_checkpoint_age_seconds')!;
  t.ok(age >= 0 && age < 60, `checkpoint age ${age} s`);
});

t.test('/metrics shows a failed fsync, the conditions that hold writes back, and the verifier progress', async (t) => {
  let verified: number | undefined;
  const { L, app } = await appOnLedger(t, { verifierProgress: () => verified });
  const s = party('metrics-failing');
  await L.register(s);
  const scrape = async () => parseExposition((await app.inject({ method: 'GET', url: '/metrics' })).body).samples;
  t.equal(valueOf(await scrape(), 'trace_ledger_verifier_records_verified'), 0, 'no pass running');
  verified = 1234;
  t.equal(valueOf(await scrape(), 'trace_ledger_verifier_records_verified'), 1234);

  const realSync = L.store.sync.bind(L.store);
  (L.store as { sync: () => Promise<void> }).sync = () => Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
  t.teardown(() => void ((L.store as { sync: () => Promise<void> }).sync = realSync));
  await t.rejects(L.ledger.submit([L.sign(s, { type: 'participant.key.add', participant: s.id, publicKey: toBase64Url(party('k').publicKey) })]), { code: 'LEDGER_UNAVAILABLE' });
  const samples = await scrape();
  t.equal(valueOf(samples, 'trace_ledger_fsync_failures_total'), 1);
  t.equal(valueOf(samples, 'trace_ledger_ready'), 0);
  t.equal(valueOf(samples, 'trace_ledger_not_ready_condition', { reason: 'sync-failed' }), 1);
  t.equal(valueOf(samples, 'trace_ledger_not_ready_condition', { reason: 'verifying' }), 0, 'a condition not held reads 0');
});

t.test('two apps in one process keep their own counters', async (t) => {
  const a = await appOnLedger(t);
  const b = await appOnLedger(t);
  await a.L.register(party('only-in-a'));
  const count = async (app: typeof a.app) =>
    valueOf(parseExposition((await app.inject({ method: 'GET', url: '/metrics' })).body).samples, 'trace_ledger_entries_appended_total');
  t.equal(await count(a.app), 1);
  t.equal(await count(b.app), 0);
});
