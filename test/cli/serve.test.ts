import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format } from 'node:util';
import { serve, serveBanner } from '../../src/cli/serve.js';

t.test('the banner names the data and the URL labels point to', async (t) => {
  const facts = { origin: 'localhost/trace-ledger', base: 'http://127.0.0.1:8080', size: 67, demoLines: [] };
  const lan = serveBanner({ ...facts, db: '/srv/trace/data/ledger.db', demo: false, publicUrl: { url: 'http://192.168.1.20:8080', source: 'lan-address' } });
  t.equal(lan[0], 'trace-ledger localhost/trace-ledger is listening on http://127.0.0.1:8080  (log size 67)');
  t.match(lan, [String, /^ {2}ledger: +\/srv\/trace\/data\/ledger\.db$/, /^ {2}QR codes and links: +http:\/\/192\.168\.1\.20:8080 +\(.*LAN address.*--public-url.*\)$/]);
  t.notOk(lan.some((l) => l.includes('demo')), 'no demo wording for a real ledger');
  t.ok(lan.slice(1, 8).every((l) => /^ {2}\S.{20} \S/.test(l)), 'values in one column');

  const demo = serveBanner({ ...facts, db: '/home/me/trace-ledger/data/demo/ledger.db', demo: true, publicUrl: { url: 'https://trace.example.com', source: 'public-url' } });
  t.match(demo[1], /^ {2}demo ledger: +\/home\/me\/trace-ledger\/data\/demo\/ledger\.db +\(delete its directory to start over\)$/);
  t.match(demo[2], /^ {2}QR codes and links: +https:\/\/trace\.example\.com +\(--public-url\)$/);
});

t.test('serve on loopback prints where its ledger is and what labels point to', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-serve-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'data', 'ledger.db');
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(...format(...args).split('\n'));
  let server;
  try {
    server = await serve({ db, port: 0, host: '127.0.0.1', origin: 'serve.test.local/log', demo: false, quiet: false, handleSignals: false });
  } finally {
    console.log = log;
  }
  t.teardown(() => server.close());
  t.equal(server.publicUrl, server.url, 'loopback: the listening URL');
  t.ok(lines.includes(`  ledger:               ${db}`), 'the database path');
  t.ok(lines.includes(`  QR codes and links:   ${server.url}  (the listening address)`), 'the public URL');
  await server.close();

  const withPublic = await serve({ db, port: 0, host: '127.0.0.1', origin: undefined, demo: false, quiet: true, handleSignals: false, publicUrl: 'https://trace.example.com/' });
  t.teardown(() => withPublic.close());
  t.equal(withPublic.publicUrl, 'https://trace.example.com', '--public-url, without its trailing slash');
});
