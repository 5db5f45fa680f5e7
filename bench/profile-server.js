// One ingest run against the service, for profiling and before/after comparisons:
//   npm run build && node --expose-gc bench/profile-server.js [entriesPerRequest=1] [connections=32] [seconds=5]
// With PROF=1 the server runs with --cpu-prof and writes its profile to bench/out/prof/.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lib from './lib.js';
import { makeDataDir, makeEntries, requestBodies } from './ledger.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const [perRequest = 1, connections = 32, seconds = 5] = process.argv.slice(2).map(Number);
const { td, db, parties } = await makeDataDir(lib, 16);
const bodies = requestBodies(makeEntries(parties, Math.ceil((perRequest > 1 ? 12_000 : 5_000) * (seconds + 1) * 1.5)), perRequest);
const nodeArgs = process.env.PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.join(HERE, 'out', 'prof')}`] : [];
const server = await lib.spawnServer(path.join(HERE, 'ledger-server.js'), ['--db', db], { nodeArgs });
const feeder = lib.entryFeeder(bodies);
const r = await lib.runAutocannon({ url: server.url, connections, duration: seconds, requests: [feeder.request], maxOverallRequests: bodies.length - 2 * connections });
console.log(`${perRequest} entries/request, ${connections} connections: ${Math.round(r.okPerSec * perRequest)} entries/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, non-2xx ${r.non2xx}`);
await server.stop();
td.remove();
