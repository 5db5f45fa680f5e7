/**
 * Issue 16, "Stalls": full exports are the most expensive answers, so only a few run at once
 * (src/http/work-slots.ts); more wait their turn in order, and beyond the queue a client is told to
 * come back (429 + Retry-After) instead of piling work onto the machine the writers need.
 */
import t from 'tap';
import { createWorkSlots } from '../../src/http/work-slots.js';
import { appOnLedger } from '../http/app-on-ledger.js';

t.test('slots: at most max run, the next waits in order, the queue is bounded, a release is given once', async (t) => {
  const slots = createWorkSlots(1, 2, 7);
  const first = await slots.acquire('exports');
  const order: string[] = [];
  const second = slots.acquire('exports').then((release) => (order.push('second'), release));
  const third = slots.acquire('exports').then((release) => (order.push('third'), release));
  await t.rejects(slots.acquire('exports'), { code: 'LEDGER_RATE_LIMITED', details: { retryAfter: 7 } }, 'the queue is full');
  t.same(slots.load(), { running: 1, waiting: 2 });
  first();
  first(); // a second release of the same slot gives nothing back
  const releaseSecond = await second;
  t.same(order, ['second']);
  t.same(slots.load(), { running: 1, waiting: 1 }, 'the slot passed on: still one running');
  releaseSecond();
  (await third)();
  t.same(order, ['second', 'third']);
  t.same(slots.load(), { running: 0, waiting: 0 });
});

t.test('HTTP: exports give their slot back when they end; with none free the answer is 429 + Retry-After', async (t) => {
  const { app } = await appOnLedger(t, { exportConcurrency: { max: 1, queue: 0 }, rateLimits: { max: 1000 } });
  // One slot and no queue: were a slot kept after an answer, the second export would be refused.
  for (let i = 0; i < 3; i++) {
    const res = await app.inject({ method: 'GET', url: '/v1/export' });
    t.equal(res.statusCode, 200, `export ${i + 1} runs`);
    t.match(res.body, /"end":/);
  }
  const bad = await app.inject({ method: 'GET', url: '/v1/export?from=999999' });
  t.equal(bad.statusCode, 400, 'a refused request gives its slot back too');
  t.equal((await app.inject({ method: 'GET', url: '/v1/export' })).statusCode, 200);

  const { app: full } = await appOnLedger(t, { exportConcurrency: { max: 0, queue: 0 }, rateLimits: { max: 1000 } });
  const refused = await full.inject({ method: 'GET', url: '/v1/export' });
  t.equal(refused.statusCode, 429);
  t.equal(refused.json().code, 'LEDGER_RATE_LIMITED');
  t.equal(refused.headers['retry-after'], '5');
});
