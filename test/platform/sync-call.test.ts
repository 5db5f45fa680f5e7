import t from 'tap';
import { serveSyncCalls, startSyncWorker, SyncCallFailed, SyncCallTimeout } from '../../src/platform/sync-call.js';

const WORKER = new URL('./sync-call-worker.ts', import.meta.url);

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

t.test('a call blocks until the worker answered its asynchronous work, and returns the answer', async (t) => {
  const w = startSyncWorker(WORKER, { data: { name: 'fixture' } });
  t.teardown(() => w.terminate());
  const bytes = new Uint8Array([0, 1, 254, 255]);
  t.same(w.call('echo', [1, 'two', bytes, null]), [1, 'two', bytes, null], 'values and bytes cross both ways');
  const started = Date.now();
  t.equal(w.call('later', [50]), 'late answer');
  t.ok(Date.now() - started >= 45, 'the call waited for the worker timer');
  t.same(w.call('data'), { name: 'fixture' }, 'the worker gets options.data');
  // Calls are answered in order, one at a time: no answer is taken by the wrong call.
  const answers = Array.from({ length: 200 }, (_, i) => w.call('echo', [i]));
  t.same(answers, Array.from({ length: 200 }, (_, i) => [i]));
});

t.test('a failure in the worker comes back with its name, message and code', async (t) => {
  const w = startSyncWorker(WORKER);
  t.teardown(() => w.terminate());
  const e = thrown(() => w.call('fail'));
  t.ok(e instanceof SyncCallFailed);
  t.match((e as SyncCallFailed).error, { name: 'Error', message: 'refused', code: '23505' });
  t.match((thrown(() => w.call('nope')) as SyncCallFailed).error, { name: 'TypeError' });
  t.match((thrown(() => w.call('uncloneable')) as SyncCallFailed).error, { name: 'TypeError' }, 'an answer that cannot be sent is an error, not a hang');
  t.same(w.call('echo', ['still fine']), ['still fine'], 'the channel works after failures');
});

t.test('no answer in time: SyncCallTimeout, and the channel is closed after it', async (t) => {
  const w = startSyncWorker(WORKER, { timeoutMs: 300 });
  t.teardown(() => w.terminate());
  t.same(w.call('echo', ['warm']), ['warm'], "the worker's start is not counted against a call's timeout");
  t.throws(() => w.call('never'), SyncCallTimeout);
  t.throws(() => w.call('echo', ['x']), TypeError);
});

t.test('misuse', async (t) => {
  t.throws(() => startSyncWorker(WORKER, { timeoutMs: 0 }), RangeError);
  t.throws(() => startSyncWorker(WORKER, { startTimeoutMs: -1 }), RangeError);
  t.throws(() => serveSyncCalls(async () => undefined), TypeError, 'serveSyncCalls outside a sync worker');
  const w = startSyncWorker(WORKER);
  t.same(w.call('echo', []), []);
  await w.terminate();
  t.throws(() => w.call('echo', []), TypeError, 'a call after terminate');
});

t.test('round trip: the cost of one call to a worker that answers at once', async (t) => {
  const w = startSyncWorker(WORKER);
  t.teardown(() => w.terminate());
  for (let i = 0; i < 200; i++) w.call('echo', [i]);
  const n = 2000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) w.call('echo', [i]);
  const us = Number(process.hrtime.bigint() - started) / 1000 / n;
  t.comment(`sync call round trip: ${us.toFixed(1)} µs`);
  t.ok(us < 5000, 'a call to an idle worker takes well under 5 ms');
});
