// The service with the demo cluster loaded, as the resolver benchmark drives it: its own process,
// the real app (dist/), on 127.0.0.1 and an ephemeral port; prints `LISTENING <port>` once the
// demo is in; exits when stdin closes.
//   node bench/resolver-server.js --db <path/to/ledger.db>
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildApp } from '../dist/http/app.js';
import { initDataDir, openDataDir, DEFAULT_ORIGIN } from '../dist/cli/setup.js';
import { seedDemo } from '../dist/cli/demo.js';

const { values } = parseArgs({ options: { db: { type: 'string' } } });
if (!existsSync(values.db)) await initDataDir({ db: values.db, origin: DEFAULT_ORIGIN, operatorId: 'operator', operatorName: 'Cluster operator' });
const data = openDataDir(values.db, undefined, { verifyInWorker: true });
await data.ledger.verified; // writes are taken once the start-up verification passed
let base = '';
const app = await buildApp({ ledger: data.ledger, publicUrl: () => base });
const address = await app.listen({ port: 0, host: '127.0.0.1' });
base = address;
const seeded = await seedDemo(base, values.db, () => {});
process.stdout.write(`DEMO ${JSON.stringify(seeded.highlights)}\n`);
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
