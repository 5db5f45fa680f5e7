// The load generator of the ingest measurements, in a process of its own:
//   node bench/load-child.js '<json options>'
// Options: { url, connections, bodiesFile, streams, warmupSeconds, seconds }. bodiesFile holds one
// JSON request body a line, each POSTed to /v1/entries at most once: a warm-up, then the measured
// run on the bodies after it. With `streams` > 0 each line is "<stream number> <body>": the
// warm-up's connections each send one of streams 0..connections-1 in order, the measured run's
// one of the others (lib.js streamFeeder). Prints one JSON line: runAutocannon()'s result without
// `raw`, plus `used` (bodies sent) and `exhausted` (requests past the last body); with streams
// also `usedPerStream`, `warmup` and `refusals`.
//
// Why a process of its own: autocannon times each request in its own event loop, so a pause of
// that loop counts as server latency. In the runner, which by then holds every signed entry and
// the garbage of signing them, its scavenges took 25-47 ms and a full collection 70-145 ms
// during the single-entry measurement.
import fs from 'node:fs';
import { entryFeeder, runAutocannon, streamFeeder } from './lib.js';

const { url, connections, bodiesFile, streams: streamCount = 0, warmupSeconds, seconds } = JSON.parse(process.argv[2] ?? '{}');
const lines = fs.readFileSync(bodiesFile, 'utf8').split('\n').filter((line) => line.length > 0);

if (streamCount > 0) {
  if (streamCount !== 2 * connections) throw new Error(`load-child: ${streamCount} streams for ${connections} connections (need 2 per connection)`);
  const streams = Array.from({ length: streamCount }, () => []);
  for (const line of lines) {
    const space = line.indexOf(' ');
    streams[Number(line.slice(0, space))].push(line.slice(space + 1));
  }
  const run = async (first, duration) => {
    const feeder = streamFeeder(streams, first, connections);
    const { raw: _raw, ...result } = await runAutocannon({ url, connections, requests: [feeder.request], duration });
    const usedPerStream = feeder.usedPerStream();
    return { ...result, usedPerStream, used: usedPerStream.reduce((a, b) => a + b, 0), exhausted: feeder.exhausted(), refusals: feeder.refusals() };
  };
  const warm = warmupSeconds > 0 ? await run(0, warmupSeconds) : null;
  const measured = await run(connections, seconds);
  const warmup = warm && { ok: warm.ok, non2xx: warm.non2xx, errors: warm.errors, exhausted: warm.exhausted, used: warm.used };
  const refusals = [...(warm?.refusals ?? []), ...measured.refusals].slice(0, 5);
  process.stdout.write(`${JSON.stringify({ ...measured, warmedUp: warm?.used ?? 0, warmup, refusals })}\n`);
} else {
  const feeder = entryFeeder(lines);
  const common = { url, connections, requests: [feeder.request] };
  // Each connection builds one request ahead, so leave `connections` bodies of slack per run.
  if (warmupSeconds > 0) await runAutocannon({ ...common, duration: warmupSeconds, maxOverallRequests: Math.floor(lines.length / 10) });
  const warmedUp = feeder.used();
  const { raw: _raw, ...result } = await runAutocannon({ ...common, duration: seconds, maxOverallRequests: Math.max(connections, lines.length - warmedUp - 2 * connections) });
  process.stdout.write(`${JSON.stringify({ ...result, warmedUp, used: feeder.used(), exhausted: feeder.exhausted() })}\n`);
}
