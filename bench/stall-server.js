// The service as the stall benchmark (bench/stall.js) drives it: its own process, the real app
// (dist/), on 127.0.0.1 and an ephemeral port; prints `LISTENING <port>`; exits when stdin closes.
//   node bench/stall-server.js --db <path/to/ledger.db> [--rate-max N]
// It watches its own event loop (perf_hooks.monitorEventLoopDelay, 10 ms resolution) and answers
// two commands on stdin, one a line: `reset` starts a new window, `report` prints
// `DELAY {"maxMs","p99Ms","p50Ms","meanMs"}` for the window so far.
// --rate-max raises the per-client rate limits of the expensive routes (src/http/rate-limits.ts):
// every looper of the benchmark comes from 127.0.0.1, and the point is to measure the work they
// cause, as clients on many addresses would, not the 429s that one address earns.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { buildApp } from '../dist/http/app.js';
import { openDataDir } from '../dist/cli/setup.js';

const { values } = parseArgs({ options: { db: { type: 'string' }, 'rate-max': { type: 'string' } } });
const data = openDataDir(values.db, undefined, { verifyInWorker: true });
// Measure the service as it runs once it takes writes: after the start-up checks (issue 16).
await data.ledger.verified;
if ((await data.derivedVerifier.startup) !== 'ok') throw new Error('the derived-state check failed');
const rateMax = values['rate-max'] ? Number(values['rate-max']) : undefined;
const app = await buildApp({ ledger: data.ledger, ...(rateMax ? { rateLimits: { max: rateMax } } : {}) });
const address = await app.listen({ port: 0, host: '127.0.0.1' });
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
process.stdout.write(`LISTENING ${new URL(address).port}\n`);

const ms = (ns) => ns / 1e6;
let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  delay.disable();
  await app.close();
  await data.close();
  process.exit(0);
}
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'reset') delay.reset();
  if (line === 'report') {
    const report = { maxMs: ms(delay.max), p99Ms: ms(delay.percentile(99)), p50Ms: ms(delay.percentile(50)), meanMs: ms(delay.mean) };
    process.stdout.write(`DELAY ${JSON.stringify(report)}\n`);
  }
});
process.stdin.on('end', stop);
process.on('SIGTERM', stop);
