/**
 * Issue 16, "Stalls": `GET /v1/export` must stream without holding the event loop. One fast
 * client looping full exports pushed `/healthz` p90 to 1.04 s: on loopback every socket write
 * completes at once, so the next page was read and sent in the same turn, page after page, and
 * nothing else ran until the kernel's socket buffers were full. Asserted by interleaving (what
 * ran between two pages), never by timing.
 */
import t, { type Test } from 'tap';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { ServerResponse } from 'node:http';
import { signEntry } from '../../src/core/entry.js';
import { EXPORT_PAGE } from '../../src/audit/bundle.js';
import { buildApp } from '../../src/http/app.js';
import type { Ledger } from '../../src/ledger.js';
import { nodeEd25519 } from '../../src/platform/node-crypto.js';
import type { StoredRecord } from '../../src/store/store.js';
import { makeLedger, party, payloadOf } from '../helpers.js';

/** Enough records (~6 MB of bundle) that the kernel's loopback buffers cannot take them all. */
const RECORDS = 10_000;

/** A ledger of RECORDS commissions, and an app whose exporter reports every page it reads. */
async function exportingApp(t: Test, onPage: (rows: readonly StoredRecord[]) => void) {
  const L = await makeLedger({ ed: nodeEd25519 });
  t.teardown(() => L.close());
  const sup = party('sup-stall');
  await L.register(sup, ['supplier']);
  const total = RECORDS;
  for (let i = 0; i < total; i += 1000) {
    await L.ledger.submit(
      Array.from({ length: Math.min(1000, total - i) }, (_, j) =>
        signEntry(payloadOf(sup, { type: 'commission', objects: [{ code: `urn:trace:sup-stall:lot-${i + j}`, level: 'material', product: { name: 'Lot' }, quantity: { value: 1, unit: 'KGM' } }] }), sup.seed, nodeEd25519),
      ),
    );
  }
  const reader = L.ledger.auditReader();
  const counting = {
    ...reader,
    records: (after: number, limit: number) => {
      const rows = reader.records(after, limit);
      onPage(rows);
      return rows;
    },
  };
  const ledger = { ...L.ledger, auditReader: () => counting } as Ledger;
  const app = await buildApp({ ledger });
  t.teardown(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, port: (app.server.address() as AddressInfo).port, pages: Math.ceil(L.ledger.size() / EXPORT_PAGE) };
}

const opened = (port: number): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });

/** Resolves with everything received once the server closes the socket. */
const drained = (s: Socket): Promise<string> =>
  new Promise((resolve) => {
    let text = '';
    s.on('data', (d) => (text += d.toString('latin1')));
    s.on('close', () => resolve(text));
  });

t.test('a fast client: the event loop turns between pages, and /healthz is answered mid-export', async (t) => {
  // A macrotask that counts event-loop turns: if it did not run between two page reads, the
  // exporter held the loop from one page to the next.
  let turns = 0;
  let ticking = true;
  const tick = () => {
    turns++;
    if (ticking) setImmediate(tick);
  };
  t.teardown(() => {
    ticking = false;
  });
  const turnsAtPage: number[] = [];
  let healthzAt: number | undefined;
  let health: Socket | undefined;
  const { app, port, pages } = await exportingApp(t, () => {
    turnsAtPage.push(turns);
    // The first page is being read: a health probe arrives now, on a connection already open.
    if (turnsAtPage.length === 1) health!.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  });
  health = await opened(port);
  const healthAnswer = drained(health);
  app.server.on('request', (req) => {
    if (req.url === '/healthz') healthzAt = turnsAtPage.length;
  });

  setImmediate(tick);
  const exporter = await opened(port);
  const body = drained(exporter);
  exporter.write('GET /v1/export HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  const text = await body;
  t.match(text, /^HTTP\/1\.1 200 /);
  t.match(text, /\{"end":\{"records":\d+,"sha256":"[0-9a-f]{64}"\}\}\r?\n/, 'the export completed');
  t.match(await healthAnswer, /^HTTP\/1\.1 200 /, '/healthz answered');

  t.equal(turnsAtPage.length, pages, `${pages} pages read`);
  const held = turnsAtPage.slice(1).filter((n, i) => n === turnsAtPage[i]).length;
  t.equal(held, 0, 'every page after the first is read in a later event-loop turn than the one before');
  // The probe was sent while page 1 was read: it is handled before the exporter reads page 3.
  t.ok(healthzAt !== undefined && healthzAt <= 2, `/healthz handled after page ${healthzAt} of ${pages}`);
});

t.test('a client that does not read: the server buffers a bounded amount, not the bundle', async (t) => {
  let pagesRead = 0;
  let largestBuffered = 0;
  let response: ServerResponse | undefined;
  const { app, port, pages } = await exportingApp(t, () => {
    pagesRead++;
    // What the response holds in memory, not yet handed to the kernel, as each page is read.
    largestBuffered = Math.max(largestBuffered, response?.writableLength ?? 0);
  });
  app.server.on('request', (_req, res) => {
    response = res;
  });
  const reader = await opened(port);
  t.teardown(() => reader.destroy());
  reader.pause(); // reads nothing: the kernel buffers fill, then the server's
  reader.write('GET /v1/export HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');

  // Wait, bounded, until the exporter stops reading pages (it waits for 'drain').
  let last = -1;
  for (let i = 0; i < 100 && pagesRead !== last; i++) {
    last = pagesRead;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.ok(response !== undefined, 'the request reached the server');
  t.ok(pagesRead < pages, `the exporter stopped at page ${pagesRead} of ${pages}, waiting for the client`);
  // A page of commission records is under 600 bytes a record; the response holds at most the
  // page being written and the one the stream read ahead.
  const page = EXPORT_PAGE * 600;
  t.ok(largestBuffered <= 2 * page, `at most ${largestBuffered} bytes buffered in the response (bound ${2 * page})`);

  // Reading resumes the export where it stopped, and it completes.
  const body = drained(reader);
  reader.resume();
  t.match(await body, /\{"end":\{"records":/, 'the export completes once the client reads');
  t.equal(pagesRead, pages, 'every page read once');
});
