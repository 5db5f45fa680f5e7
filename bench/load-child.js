// The load generator of the ingest measurements, in a process of its own:
//   node bench/load-child.js '<json options>'
// Options: { url, connections, bodiesFile, warmupSeconds, seconds }. bodiesFile holds one JSON
// request body a line, each POSTed to /v1/entries at most once: a warm-up, then the measured run
// on the bodies after it. Prints one JSON line: runAutocannon()'s result without `raw`, plus
// `used` (bodies sent) and `exhausted` (requests past the last body).
//
// Why a process of its own: autocannon times each request in its own event loop, so a pause of
// that loop counts as server latency. In the runner, which by then holds every signed entry and
// the garbage of signing them, its scavenges took 25-47 ms and a full collection 70-145 ms
// during the single-entry measurement.
import fs from 'node:fs';
import { entryFeeder, runAutocannon } from './lib.js';

const { url, connections, bodiesFile, warmupSeconds, seconds } = JSON.parse(process.argv[2] ?? '{}');
const bodies = fs.readFileSync(bodiesFile, 'utf8').split('\n').filter((line) => line.length > 0);
const feeder = entryFeeder(bodies);
const common = { url, connections, requests: [feeder.request] };
// Each connection builds one request ahead, so leave `connections` bodies of slack per run.
if (warmupSeconds > 0) await runAutocannon({ ...common, duration: warmupSeconds, maxOverallRequests: Math.floor(bodies.length / 10) });
const warmedUp = feeder.used();
const { raw: _raw, ...result } = await runAutocannon({ ...common, duration: seconds, maxOverallRequests: Math.max(connections, bodies.length - warmedUp - 2 * connections) });
process.stdout.write(`${JSON.stringify({ ...result, warmedUp, used: feeder.used(), exhausted: feeder.exhausted() })}\n`);
