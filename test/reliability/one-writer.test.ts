/**
 * Issue 16, "one writer": a second `serve` on the same data directory started, served stale data
 * and answered writes with 500. The directory's lock (src/cli/data-dir-lock.ts) refuses a second
 * writer with one line naming the holder; read-only commands run beside it; a killed holder
 * leaves nothing that blocks a restart. Spawns bin/trace-ledger.js: `npm run build` first.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startServe, stopServe } from './serve-process.js';

const dir = mkdtempSync(join(tmpdir(), 'one-writer-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const db = join(dir, 'ledger.db');

t.test('a second serve, rebuild and init refuse while the service holds the directory; verify --db runs beside it', async (t) => {
  const first = await startServe(db);
  t.teardown(() => stopServe(first));
  const pid = String(first.child.pid);

  const second = await runCli(['serve', '--db', db, '--port', '0']);
  t.equal(second.code, 1, 'the second serve exits 1');
  t.equal(second.stdout, '', 'and never says it listens');
  t.match(second.stderr, /^trace-ledger: CLI_DATA_DIR_LOCKED: [^\n]*\n$/, 'one line with the code');
  t.match(second.stderr, new RegExp(`pid ${pid}\\b`), 'naming the holder');

  const rebuild = await runCli(['rebuild', '--db', db]);
  t.equal(rebuild.code, 1);
  t.match(rebuild.stderr, /^trace-ledger: CLI_DATA_DIR_LOCKED: [^\n]*\n$/);

  const key = (await (await fetch(`${first.url}/v1/checkpoint/key`)).text()).trim();
  const verify = await runCli(['verify', '--db', db, '--key', key]);
  t.equal(verify.code, 0, `verify --db is read-only and runs beside the service: ${verify.stderr}`);

  t.equal((await fetch(`${first.url}/readyz`)).status, 200, 'the first service is unaffected');
});

t.test('after kill -9 the lock is gone: serve starts again and rebuild runs once it stops', async (t) => {
  const killed = await startServe(db);
  await stopServe(killed, 'SIGKILL');
  const again = await startServe(db);
  t.equal((await fetch(`${again.url}/readyz`)).status, 200, 'restarted and ready');
  await stopServe(again);
  const rebuild = await runCli(['rebuild', '--db', db]);
  t.equal(rebuild.code, 0, `rebuild runs on a stopped ledger: ${rebuild.stderr}`);
});
