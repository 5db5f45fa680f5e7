/**
 * Issue 16, "backups": `trace-ledger backup --out FILE` copies the database while the service
 * runs and takes writes; the copy passes `verify --db`, and restored (with the keys, which are
 * backed up separately) it serves reads and takes writes. Spawns bin/trace-ledger.js: `npm run
 * build` first.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPrivateKey } from '../../src/cli/keyfiles.js';
import { ledgerKeyPath, operatorKeyPath } from '../../src/cli/setup.js';
import { toBase64Url } from '../../src/core/bytes.js';
import { signEntry } from '../../src/core/entry.js';
import { party } from '../helpers.js';
import { runCli, startServe, stopServe } from './serve-process.js';

const dir = mkdtempSync(join(tmpdir(), 'backup-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** A participant.register signed by the operator key of the data directory of `db`. */
function registration(db: string) {
  const p = party(`p-${randomUUID().slice(0, 8)}`);
  return signEntry(
    { type: 'participant.register', id: randomUUID(), signer: 'operator', time: new Date().toISOString(), participant: p.id, name: p.id, roles: ['supplier'], publicKey: toBase64Url(p.publicKey) },
    readPrivateKey(operatorKeyPath(db)),
  );
}

const post = (url: string, entry: unknown) => fetch(`${url}/v1/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(entry) });

t.test('a backup taken under writes verifies, and restored it serves reads and writes', async (t) => {
  const db = join(dir, 'live', 'ledger.db');
  mkdirSync(join(dir, 'live'));
  const service = await startServe(db);
  t.teardown(() => stopServe(service));
  const key = (await (await fetch(`${service.url}/v1/checkpoint/key`)).text()).trim();
  for (let i = 0; i < 20; i++) t.equal((await post(service.url, registration(db))).status, 201);

  // Writers keep committing while the backup copies.
  let writing = true;
  let written = 0;
  const writer = (async () => {
    while (writing) if ((await post(service.url, registration(db))).status === 201) written++;
  })();
  const out = join(dir, 'copy.db');
  const backup = await runCli(['backup', '--db', db, '--out', out]);
  writing = false;
  await writer;
  t.equal(backup.code, 0, `backup exits 0 beside the running service: ${backup.stderr}`);
  t.match(backup.stdout, /^backed up \d+ records/);
  t.ok(written > 0, `${written} entries were written around the backup`);

  const verify = await runCli(['verify', '--db', out, '--key', key]);
  t.equal(verify.code, 0, `the copy passes verify --db: ${verify.stdout}${verify.stderr}`);

  const again = await runCli(['backup', '--db', db, '--out', out]);
  t.equal(again.code, 1, 'an existing --out is never overwritten');
  t.match(again.stderr, /^trace-ledger: [^\n]*already exists[^\n]*\n$/);

  // Restore: the copy as the database of a new data directory, with the keys backed up beside it.
  const restoredDir = join(dir, 'restored');
  mkdirSync(restoredDir);
  const restored = join(restoredDir, 'ledger.db');
  copyFileSync(out, restored);
  copyFileSync(ledgerKeyPath(db), ledgerKeyPath(restored));
  copyFileSync(operatorKeyPath(db), operatorKeyPath(restored));
  const second = await startServe(restored);
  t.teardown(() => stopServe(second));
  t.equal((await (await fetch(`${second.url}/v1/checkpoint/key`)).text()).trim(), key, 'the same ledger');
  const health = (await (await fetch(`${second.url}/healthz`)).json()) as { size: number };
  t.ok(health.size >= 21, `the restored log has ${health.size} records`);
  t.equal((await fetch(`${second.url}/v1/entries/20`)).status, 200, 'reads a record taken before the backup');
  const write = await post(second.url, registration(restored));
  t.equal(write.status, 201, 'takes writes');
  t.equal(((await write.json()) as { seq: number }).seq, health.size, 'appended after the restored records');
});

t.test('backup of a missing database is one line and exit 1', async (t) => {
  const r = await runCli(['backup', '--db', join(dir, 'nothing.db'), '--out', join(dir, 'x.db')]);
  t.equal(r.code, 1);
  t.match(r.stderr, /^trace-ledger: CLI_FILE_NOT_FOUND: [^\n]*\n$/);
  t.notOk(existsSync(join(dir, 'x.db')));
});
