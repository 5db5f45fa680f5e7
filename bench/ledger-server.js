// The ledger service as the benchmark drives it: its own process, the real app (dist/), on
// 127.0.0.1 and an ephemeral port; prints `LISTENING <port>`; exits when stdin closes.
//   node bench/ledger-server.js --db <path/to/ledger.db>
import { parseArgs } from 'node:util';
import { buildApp } from '../dist/http/app.js';
import { openDataDir } from '../dist/cli/setup.js';

const { values } = parseArgs({ options: { db: { type: 'string' } } });
const data = openDataDir(values.db, undefined, { verifyInWorker: true });
await data.ledger.verified; // writes are taken once the start-up verification passed
if ((await data.derivedVerifier.startup) !== 'ok') throw new Error('the derived-state check failed');
const { ledger } = data;
const app = await buildApp({ ledger });
const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`LISTENING ${new URL(address).port}\n`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await app.close();
  await data.close();
  process.exit(0);
}
process.stdin.on('end', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
