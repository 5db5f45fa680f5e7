/** The trace-answer cache (src/ledger/queries/answer-cache.ts): per canonical code, until the log grows. */
import t from 'tap';
import { createAnswerCache } from '../../src/ledger/queries/answer-cache.js';

const store = { readTransaction: <T>(fn: () => T): T => fn() };

t.test('an answer is computed once per (kind, canonical code) until the log grows', async (t) => {
  let size = 10;
  const cache = createAnswerCache(store, () => size);
  let computed = 0;
  const compute = () => ({ n: ++computed });
  const first = cache.get('up', 'urn:trace:acme:lot-1', compute);
  t.equal(cache.get('up', 'URN:TRACE:acme:lot-1', compute), first, 'another spelling of the same code hits');
  t.not(cache.get('down', 'urn:trace:acme:lot-1', compute), first, 'another kind does not');
  t.equal(computed, 2);
  size = 11;
  t.not(cache.get('up', 'urn:trace:acme:lot-1', compute), first, 'the log grew: computed again');
  t.equal(computed, 3);
});

t.test('an invalid code is not cached: compute() fails with its reason every time', async (t) => {
  const cache = createAnswerCache(store, () => 1);
  let calls = 0;
  const compute = () => {
    calls++;
    throw new RangeError('not a code');
  };
  t.throws(() => cache.get('up', 'not a code', compute), RangeError);
  t.throws(() => cache.get('up', 'not a code', compute), RangeError);
  t.equal(calls, 2);
});
