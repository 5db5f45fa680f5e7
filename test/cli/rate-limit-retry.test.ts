// The service rate-limits its expensive routes per client (429 + Retry-After). The command waits
// out a short Retry-After on a read, twice at most, then reports the service's problem.
import t from 'tap';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cli } from '../cli-runner.js';

const CODE = 'https://id.gs1.org/01/06931000080010/10/CW2611-19';

/** A fake service answering the queued statuses in turn (429 with Retry-After: 0, or a 404 problem). */
async function fakeService(statuses: number[]): Promise<{ url: string; hits: () => number; server: Server }> {
  let hits = 0;
  const server = createServer((_req, res) => {
    const status = statuses[Math.min(hits, statuses.length - 1)]!;
    hits++;
    const code = status === 429 ? 'LEDGER_RATE_LIMITED' : 'LEDGER_NOT_FOUND';
    res.writeHead(status, { 'content-type': 'application/problem+json', ...(status === 429 ? { 'retry-after': '0' } : {}) });
    res.end(JSON.stringify({ type: `/problems/${code}`, title: code, status, detail: `fake ${status}`, code, instance: '/' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => hits, server };
}

t.test('a read that gets 429 is retried after Retry-After and then answered', async (t) => {
  const fake = await fakeService([429, 404]);
  t.teardown(() => fake.server.close());
  const r = await cli('trace', CODE, '--url', fake.url);
  t.equal(fake.hits(), 2, 'asked twice');
  t.equal(r.code, 1);
  t.match(r.stderr, /^trace-ledger: LEDGER_NOT_FOUND: fake 404\n$/, 'the answer after the wait is what counts');
});

t.test('a service that keeps answering 429 is asked three times, then its problem is reported', async (t) => {
  const fake = await fakeService([429]);
  t.teardown(() => fake.server.close());
  const r = await cli('trace', CODE, '--url', fake.url);
  t.equal(fake.hits(), 3, 'two retries at most');
  t.equal(r.code, 1);
  t.match(r.stderr, /^trace-ledger: LEDGER_RATE_LIMITED: fake 429\n$/);
});
