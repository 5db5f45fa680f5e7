/**
 * Durable receipts (src/ledger/durability.ts): a committed group is answered only after the sync
 * that covers it, one sync covers every group committed while the previous one ran, and a failed
 * sync stops the ledger for good.
 */
import t from 'tap';
import { LedgerError } from '../../src/core/errors.js';
import { createDurability, type CommittedGroup } from '../../src/ledger/durability.js';
import { EMPTY_HEAD, headsAt, type Head } from '../../src/ledger/heads.js';
import { createObservers } from '../../src/ledger/observers.js';
import { createReadiness } from '../../src/ledger/readiness.js';

/** A store whose syncs the test settles one by one. */
function manualSync() {
  const calls: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  return {
    calls,
    store: { sync: () => new Promise<void>((resolve, reject) => void calls.push({ resolve, reject })) },
  };
}

const headOf = (size: number): Head => ({ ...EMPTY_HEAD, size });

function group(size: number, answers: Array<string>): CommittedGroup {
  return {
    settle: (failure?: LedgerError) => void answers.push(failure === undefined ? `ok ${size}` : `${failure.code} ${size}`),
    head: headOf(size),
    records: 1,
    committedAt: performance.now(),
  };
}

const turn = () => new Promise((r) => setImmediate(r));

t.test('groups are answered after the sync that covers them; one sync covers those committed meanwhile', async (t) => {
  const { calls, store } = manualSync();
  const heads = headsAt(EMPTY_HEAD);
  const readiness = createReadiness();
  let afterSync = 0;
  const durable: number[] = [];
  const observers = createObservers();
  observers.add({ durable: (records) => void durable.push(records), syncFailed: () => t.fail('no sync fails'), commitFailed: () => undefined });
  const d = createDurability({ store, heads, readiness, observers, afterSync: () => void afterSync++ });
  const answers: string[] = [];

  heads.committed = headOf(1);
  d.committed(group(1, answers));
  t.equal(calls.length, 1, 'the first group starts a sync');
  heads.committed = headOf(2);
  d.committed(group(2, answers));
  heads.committed = headOf(3);
  d.committed(group(3, answers));
  t.equal(calls.length, 1, 'groups committed during a sync wait for the next one');
  let barrierPassed = false;
  void d.barrier().then(() => (barrierPassed = true));
  t.notOk(d.idle());

  calls[0]!.resolve();
  await turn();
  t.same(answers, ['ok 1'], 'only the group the first sync covered is answered');
  t.equal(heads.durable.size, 1);
  t.notOk(barrierPassed, 'a query that could see size 3 still waits');
  t.equal(calls.length, 2, 'one sync for the two groups that waited');

  calls[1]!.resolve();
  await turn();
  t.same(answers, ['ok 1', 'ok 2', 'ok 3']);
  t.equal(heads.durable.size, 3);
  t.ok(barrierPassed, 'the barrier opens once size 3 is durable');
  t.ok(d.idle());
  t.equal(afterSync, 2, 'the checkpoint schedule hears of each sync');
  t.same(durable, [1, 1, 1], 'observers hear of each durable group');
  t.equal(d.failure(), undefined);
});

t.test('a failed sync refuses its groups and the waiting ones, holds sync-failed and opens the barriers', async (t) => {
  const { calls, store } = manualSync();
  const heads = headsAt(EMPTY_HEAD);
  const readiness = createReadiness();
  let syncFailed = 0;
  const observers = createObservers();
  observers.add({ durable: () => t.fail('nothing is durable'), syncFailed: () => void syncFailed++, commitFailed: () => undefined });
  const d = createDurability({ store, heads, readiness, observers, afterSync: () => t.fail('no checkpoint after a failed sync') });
  const answers: string[] = [];

  heads.committed = headOf(1);
  d.committed(group(1, answers));
  heads.committed = headOf(2);
  d.committed(group(2, answers));
  const barrier = d.barrier();
  calls[0]!.reject(new Error('EIO'));
  await barrier;
  await turn();
  t.same(answers, ['LEDGER_UNAVAILABLE 1', 'LEDGER_UNAVAILABLE 2']);
  t.equal(d.failure()?.code, 'LEDGER_UNAVAILABLE');
  t.same(readiness.conditions().map((c) => c.reason), ['sync-failed']);
  t.equal(syncFailed, 1);
  t.equal(heads.durable.size, 0, 'the durable head stays where the last good sync left it');
  t.equal(calls.length, 1, 'no sync is tried again');
  await d.barrier();
  t.pass('later barriers do not wait on a stopped ledger');
});
