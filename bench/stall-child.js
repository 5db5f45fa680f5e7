// The loopers of the stall benchmark (bench/stall.js), in a process of their own so that reading
// hundreds of MB of exports does not pause the runner's health prober:
//   node bench/stall-child.js '<json options>'
// Options: { url, exporters, qr, codes, size }. `exporters` clients loop GET /v1/export, reading
// the body as fast as it comes and dropping it; `qr` clients loop GET /v1/objects/<code>/qr.png
// ?size=<size> over `codes` in turn (more codes than the server's PNG cache holds, so every image
// is drawn). Prints `READY` once every looper has sent its first request; on SIGTERM (or stdin
// closing) stops and prints one JSON line of counts.
import http from 'node:http';

const { url, exporters, qr, codes, size } = JSON.parse(process.argv[2] ?? '{}');
const agent = new http.Agent({ keepAlive: true, maxSockets: exporters + qr });
let running = true;
const counts = { exports: 0, exportBytes: 0, exportsPartial: 0, qr: 0, qrBytes: 0, status: {}, errors: 0 };

/** One GET, the body counted and dropped; resolves with { status, bytes }. */
function get(path) {
  return new Promise((resolve) => {
    const req = http.get(`${url}${path}`, { agent }, (res) => {
      let bytes = 0;
      res.on('data', (d) => (bytes += d.length));
      res.on('end', () => resolve({ status: res.statusCode, bytes, complete: true }));
      res.on('aborted', () => resolve({ status: res.statusCode, bytes, complete: false }));
      res.on('error', () => resolve({ status: res.statusCode, bytes, complete: false }));
    });
    req.on('error', () => resolve({ status: 0, bytes: 0, complete: false }));
  });
}

const tally = (status) => (counts.status[status] = (counts.status[status] ?? 0) + 1);
let started = 0;
const first = () => ++started === exporters + qr && process.stdout.write('READY\n');

async function exportLoop() {
  first();
  while (running) {
    const r = await get('/v1/export');
    tally(r.status);
    if (r.status === 0) counts.errors++;
    counts.exportBytes += r.bytes;
    if (r.complete && r.status === 200) counts.exports++;
    else if (r.status === 200) counts.exportsPartial++;
  }
}

async function qrLoop(k) {
  first();
  for (let i = k; running; i += qr) {
    const r = await get(`/v1/objects/${encodeURIComponent(codes[i % codes.length])}/qr.png?size=${size}`);
    tally(r.status);
    if (r.status === 0) counts.errors++;
    if (r.status === 200) {
      counts.qr++;
      counts.qrBytes += r.bytes;
    }
  }
}

function stop() {
  if (!running) return;
  running = false;
  // Exports in flight are cut: they are counted as partial, with the bytes they got.
  agent.destroy();
  setTimeout(() => {
    process.stdout.write(`${JSON.stringify(counts)}\n`);
    process.exit(0);
  }, 200);
}
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
for (let i = 0; i < exporters; i++) void exportLoop();
for (let k = 0; k < qr; k++) void qrLoop(k);
