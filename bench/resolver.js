// Resolver throughput on the demo data (issue 4): GET /01/<gtin>/10/<lot> of the demo's green
// window lot with Accept: application/json (provenance summary) and Accept: text/html (the
// customer page), 32 connections, loopback, the server in its own process.
//   npm run build && node --expose-gc bench/resolver.js [seconds=5]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lib from './lib.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export async function resolverBench({ seconds = 5, connections = 32 } = {}) {
  const dir = lib.tempDir('trace-ledger-bench-resolver-');
  const server = await lib.spawnServer(path.join(HERE, 'resolver-server.js'), ['--db', path.join(dir.dir, 'ledger.db')], { startTimeoutMs: 60_000 });
  try {
    const highlights = JSON.parse(/^DEMO (.*)$/m.exec(server.output().stdout)[1]);
    const code = new URL(highlights.greenFrameLot);
    const url = `${server.url}${code.pathname}`;
    const out = {};
    for (const [kind, accept] of [['json', 'application/json'], ['html', 'text/html']]) {
      // Warm-up, then the measured run.
      await lib.runAutocannon({ url, connections, duration: 1, headers: { accept } });
      const r = await lib.runAutocannon({ url, connections, duration: seconds, headers: { accept } });
      const sample = await fetch(url, { headers: { accept, 'accept-encoding': 'identity' } });
      const body = await sample.text();
      out[kind] = { ...r, raw: undefined, bytes: Buffer.byteLength(body), status: sample.status, url: code.pathname };
    }
    return out;
  } finally {
    await server.stop();
    dir.remove();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const seconds = Number(process.argv[2] ?? 5);
  const r = await resolverBench({ seconds });
  for (const [kind, x] of Object.entries(r)) {
    console.log(`${kind}: ${Math.round(x.okPerSec)} req/s (2xx), p50 ${x.latencyMs.p50} ms, p99 ${x.latencyMs.p99} ms, non-2xx ${x.non2xx}, ${x.bytes} bytes, status ${x.status}`);
  }
}
