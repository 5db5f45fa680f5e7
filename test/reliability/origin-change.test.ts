/**
 * Issue 16, "Tampering": a changed `meta.origin` is reported as what it is. The database keeps its
 * log's origin in meta (unsigned) beside the signed genesis entry; after the row was edited, `serve`
 * said the ledger key did not match, or that the database "belongs to" the edited origin.
 */
import t, { type Test } from 'tap';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyDatabase } from '../../src/audit/db-verify.js';
import { formatVerifierKey, parseVerifierKey } from '../../src/core/note.js';
import { initDataDir, openDataDir } from '../../src/cli/setup.js';
import { cli } from '../cli-runner.js';

const ORIGIN = 'origin-change.test.local/log';
const EDITED = 'evil.example/log';

async function dataDir(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-origin-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'ledger.db');
  const { verifierKey } = await initDataDir({ db, origin: ORIGIN, operatorId: 'operator', operatorName: 'Operator', demo: false });
  return { db, verifierKey };
}

const editMetaOrigin = (db: string) => {
  const raw = new Database(db);
  raw.prepare("UPDATE meta SET value = ? WHERE key = 'origin'").run(EDITED);
  raw.close();
};

t.test('an edited meta.origin: serve and verify --db say the origin changed, and name both', async (t) => {
  const { db, verifierKey } = await dataDir(t);
  editMetaOrigin(db);
  // serve takes the origin from meta when not given, or is told the right one: either way.
  t.throws(() => openDataDir(db), { code: 'LEDGER_ORIGIN_CHANGED', details: { genesisOrigin: ORIGIN, storedOrigin: EDITED } });
  t.throws(() => openDataDir(db, ORIGIN), { code: 'LEDGER_ORIGIN_CHANGED', details: { genesisOrigin: ORIGIN, storedOrigin: EDITED, givenOrigin: ORIGIN } });
  const served = await cli('serve', '--db', db, '--port', '0', '--quiet');
  t.not(served.code, 0);
  t.match(served.stderr, /^trace-ledger: LEDGER_ORIGIN_CHANGED: [^\n]*\n$/, 'one line with the code');
  t.ok(served.stderr.includes(EDITED) && served.stderr.includes(ORIGIN), 'naming both origins');

  const report = await verifyDatabase(db, { ledgerKey: verifierKey });
  t.notOk(report.ok);
  t.same(
    report.failures.map((f) => [f.check, f.code, f.expected, f.found]),
    [['meta', 'LEDGER_ORIGIN_CHANGED', ORIGIN, EDITED]],
    'one failure: the meta row, nothing about the key',
  );
  const verified = await cli('verify', '--db', db, '--key', verifierKey);
  t.equal(verified.code, 1);
  t.match(verified.stdout, /LEDGER_ORIGIN_CHANGED/);
});

t.test('opening a log as another origin is a mismatch, not a corrupt store', async (t) => {
  const { db, verifierKey } = await dataDir(t);
  t.throws(() => openDataDir(db, 'other.example/log'), { code: 'LEDGER_ORIGIN_MISMATCH', details: { genesisOrigin: ORIGIN, givenOrigin: 'other.example/log' } });
  const served = await cli('serve', '--db', db, '--port', '0', '--quiet', '--origin', 'other.example/log');
  t.match(served.stderr, /^trace-ledger: LEDGER_ORIGIN_MISMATCH: [^\n]*\n$/);
  // verify --db pinned to the ledger's public key under another name.
  const renamed = formatVerifierKey('other.example/log', parseVerifierKey(verifierKey).publicKey);
  const report = await verifyDatabase(db, { ledgerKey: renamed });
  t.match(report.failures[0], { check: 'genesis', seq: 0, code: 'LEDGER_ORIGIN_MISMATCH', expected: 'other.example/log', found: ORIGIN });
  t.notOk(report.failures.some((f) => f.check === 'genesis' && f.code === undefined), 'not also reported as another ledger key');
  // An untouched database opens.
  const open = openDataDir(db);
  t.equal(open.ledger.origin, ORIGIN);
  await open.close();
});
