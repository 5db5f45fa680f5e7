/**
 * Issue 16, "honest health": a read-only data directory or database was reported as
 * LEDGER_STORE_CORRUPT, and a disk that filled up under a running service answered 500 while
 * /healthz said ok. Now: a one-line CLI_DATA_DIR_READ_ONLY / LEDGER_STORE_UNWRITABLE at start, and
 * at run time readiness 'store-unwritable' (/readyz 503) while /healthz stays liveness. The
 * process tests spawn bin/trace-ledger.js (`npm run build` first); permissions do not bind root,
 * so as root they run the command as nobody.
 */
import t, { type Test } from 'tap';
import { chmodSync, chownSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { initDataDir } from '../../src/cli/setup.js';
import { toBase64Url } from '../../src/core/bytes.js';
import { party } from '../helpers.js';
import { appOnLedger } from '../http/app-on-ledger.js';
import { ownStderr, runCli } from './serve-process.js';

const NOBODY = 65534;
const asUser = process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};

/**
 * As nobody, the command must reach the checkout (its dist/ and node_modules/): a clone inside a
 * private directory (mktemp -d makes them 0700) is out of its reach. Let others traverse (x only,
 * not list) every directory above the checkout that forbids it, for this file's tests, and put
 * the modes back afterwards.
 */
function letNobodyReachCheckout(): void {
  if (asUser.uid === undefined) return;
  const changed: Array<{ path: string; mode: number }> = [];
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const mode = statSync(dir).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      chmodSync(dir, mode | 0o001);
      changed.push({ path: dir, mode });
    }
    if (dirname(dir) === dir) break;
  }
  t.teardown(() => changed.forEach(({ path, mode }) => chmodSync(path, mode)));
}
letNobodyReachCheckout();

/** An initialised data directory, owned by whoever runs the commands. */
async function dataDir(t: Test): Promise<{ dir: string; db: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'read-only-'));
  t.teardown(() => {
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  });
  const db = join(dir, 'ledger.db');
  await initDataDir({ db, origin: 'read-only.test/log', operatorId: 'operator', operatorName: 'Operator' });
  if (asUser.uid !== undefined) for (const p of [dir, ...readdirSync(dir).map((f) => join(dir, f))]) chownSync(p, NOBODY, NOBODY);
  return { dir, db };
}

t.test('serve and rebuild in a read-only data directory say so in one line, not LEDGER_STORE_CORRUPT', async (t) => {
  const { dir, db } = await dataDir(t);
  chmodSync(dir, 0o555);
  for (const args of [['serve', '--db', db, '--port', '0'], ['rebuild', '--db', db]]) {
    const r = await runCli(args, asUser);
    t.equal(r.code, 1, `${args[0]} exits 1`);
    t.match(ownStderr(r), /^trace-ledger: CLI_DATA_DIR_READ_ONLY: [^\n]*\n$/, `${args[0]}: one line, the read-only code`);
    t.notMatch(ownStderr(r), /CORRUPT/);
  }
});

t.test('serve on a read-only database file says the store cannot be written', async (t) => {
  const { db } = await dataDir(t);
  chmodSync(db, 0o444);
  t.equal(statSync(db).mode & 0o777, 0o444);
  const r = await runCli(['serve', '--db', db, '--port', '0'], asUser);
  t.equal(r.code, 1);
  t.match(ownStderr(r), /^trace-ledger: LEDGER_STORE_UNWRITABLE: [^\n]*\n$/);
});

t.test('a disk that fills under the running service: 503 not 500, /readyz not ready, /healthz alive', async (t) => {
  const { L, app } = await appOnLedger(t);
  const supplier = party('disk-full-supplier');
  await L.register(supplier);
  const size = L.ledger.size();
  // What better-sqlite3 throws when SQLite cannot grow the file (SQLITE_FULL, "database or disk is full").
  const insertRecord = L.store.insertRecord.bind(L.store);
  (L.store as { insertRecord: typeof insertRecord }).insertRecord = () => {
    throw new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
  };
  t.teardown(() => void ((L.store as { insertRecord: typeof insertRecord }).insertRecord = insertRecord));
  const entry = () => L.sign(supplier, { type: 'participant.key.add', participant: supplier.id, publicKey: toBase64Url(party('k').publicKey) });

  const refused = await app.inject({ method: 'POST', url: '/v1/entries', payload: entry() });
  t.equal(refused.statusCode, 503, 'a full disk is no internal error');
  t.equal(refused.json().code, 'LEDGER_UNAVAILABLE');

  const ready = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 503);
  t.equal(ready.json().code, 'LEDGER_NOT_READY');
  t.same(ready.json().conditions.map((c: { reason: string }) => c.reason), ['store-unwritable']);
  t.match(ready.json().conditions[0].detail, /disk is full/);
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'liveness is not readiness');
  t.equal((await app.inject({ method: 'GET', url: `/v1/entries/${size - 1}` })).statusCode, 200, 'reads are served');

  const later = await app.inject({ method: 'POST', url: '/v1/entries', payload: entry() });
  t.equal(later.statusCode, 503);
  t.equal(later.json().code, 'LEDGER_NOT_READY', 'later writes are refused before they reach the store');
  t.equal(L.ledger.size(), size, 'nothing was written');
});
