import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, type Run } from '../cli-runner.js';
import { writeNewKeyPair } from '../../src/cli/keyfiles.js';
import { serve } from '../../src/cli/serve.js';
import { isDemoLedger } from '../../src/cli/demo-ledger.js';
import { openSqliteStore } from '../../src/store/sqlite.js';

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-demo-ledger-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const quietServe = (db: string, demo: boolean) => serve({ db, port: 0, host: '127.0.0.1', origin: undefined, demo, quiet: true, handleSignals: false });

/** Register a participant of one's own, signed with the operator key beside `db`: a non-demo entry. */
async function addOwnParticipant(t: Test, db: string, dir: string): Promise<void> {
  writeNewKeyPair(join(dir, 'acme.key.pem'));
  const server = await quietServe(db, false);
  try {
    const r = await cli('participant', 'add', '--key', join(dir, 'data', 'operator.key.pem'), '--url', server.url, '--id', 'acme-alloys', '--name', 'ACME Alloys', '--roles', 'supplier', '--public-key', join(dir, 'acme.pub.pem'));
    t.equal(r.code, 0, r.stderr);
  } finally {
    await server.close();
  }
}

/** The log as stored: its size, the head's chain hash and the number of checkpoints. */
function logState(db: string) {
  const store = openSqliteStore(db, { readonly: true });
  try {
    const size = store.size();
    return { size, head: Buffer.from(store.record(size - 1)?.chainHash ?? []).toString('hex'), checkpoints: store.checkpoints(1000).length, demo: isDemoLedger(store) };
  } finally {
    void store.close();
  }
}

const digest = (path: string) => (existsSync(path) ? createHash('sha256').update(readFileSync(path)).digest('hex') : 'absent');

/** exit 1, nothing on stdout, exactly one stderr line "trace-ledger: LEDGER_PERMISSION_DENIED: …" */
function refused(t: Test, r: Run): void {
  t.equal(r.code, 1, 'exit 1');
  t.equal(r.stdout, '', 'nothing on stdout');
  t.match(r.stderr, /^trace-ledger: LEDGER_PERMISSION_DENIED: [^\n]+\n$/, 'one line with the code');
}

t.test('serve --demo refuses a ledger made by init that holds an entry of its own, and leaves it as it was', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'data', 'ledger.db');
  t.equal((await cli('init', '--db', db)).code, 0);
  await addOwnParticipant(t, db, dir);
  const before = logState(db);
  t.equal(before.size, 2, 'genesis and the registration');
  const files = ['ledger.db', 'ledger.db-wal'].map((f) => digest(join(dir, 'data', f)));

  refused(t, await cli('serve', '--demo', '--db', db, '--port', '0', '--quiet'));
  t.same(logState(db), before, 'log, head and checkpoints unchanged');
  t.same(['ledger.db', 'ledger.db-wal'].map((f) => digest(join(dir, 'data', f))), files, 'database files byte for byte');
});

t.test('serve --demo refuses even an empty ledger made by init: it is meant to be real', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'data', 'ledger.db');
  t.equal((await cli('init', '--db', db)).code, 0);
  refused(t, await cli('serve', '--demo', '--db', db, '--port', '0', '--quiet'));
  t.equal(logState(db).size, 1, 'genesis only');
});

t.test('a ledger first served without --demo never takes the demo', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'data', 'ledger.db');
  await (await quietServe(db, false)).close();
  t.equal(logState(db).demo, false);
  refused(t, await cli('serve', '--demo', '--db', db, '--port', '0', '--quiet'));
});

t.test('serve --demo without --db uses data/demo/, never data/ledger.db', async (t) => {
  const dir = tempDir(t);
  // A real ledger where the demo would look: if serve used it, it would refuse; it must not be created elsewhere either.
  t.equal((await cli('init', '--db', join(dir, 'data', 'demo', 'ledger.db'))).code, 0);
  const cwd = process.cwd();
  process.chdir(dir);
  t.teardown(() => process.chdir(cwd));
  refused(t, await cli('serve', '--demo', '--port', '0', '--quiet'));
  t.notOk(existsSync(join(dir, 'data', 'ledger.db')), 'data/ledger.db not created');
});

t.test('a demo ledger takes the demo again: nothing appended, also after entries of its own', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'data', 'ledger.db');
  const first = await quietServe(db, true);
  await first.close();
  const seeded = logState(db);
  t.equal(seeded.demo, true, 'marked as created for the demo');
  t.ok(seeded.size > 60, `demo loaded (log size ${seeded.size})`);

  const again = await quietServe(db, true);
  await again.close();
  t.equal(logState(db).size, seeded.size, 'second --demo appended nothing');
  t.equal(logState(db).head, seeded.head, 'same head');

  // The tutorials register participants of their own in the running demo; npm start must still start.
  await addOwnParticipant(t, db, dir);
  const third = await quietServe(db, true);
  await third.close();
  t.equal(logState(db).size, seeded.size + 1, 'only the own registration was added');
});
