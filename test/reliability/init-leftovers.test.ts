/**
 * Issue 16 merge seam: `init` (and `serve` on its first run) refused to start a second log under a
 * leftover ledger key, but not beside a leftover served checkpoint (`<db>.checkpoint`, kept since
 * the start-up verification work). With the old database and key removed and that file left, init
 * created a new key and an empty database, then failed on the file (LEDGER_STORE_CORRUPT, "rolled
 * back"), leaving a database without genesis that every later init refused to replace. Now init
 * refuses first, and creates nothing.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { initDataDir, ledgerKeyPath } from '../../src/cli/setup.js';
import { servedCheckpointPath } from '../../src/store/served-checkpoint.js';

t.test('a served checkpoint without its database is refused before anything is created', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tl-init-leftovers-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'ledger.db');
  writeFileSync(servedCheckpointPath(db), 'localhost/trace-ledger\n5\nAAAA\n\n— localhost/trace-ledger AAAA\n');
  await t.rejects(initDataDir({ db, origin: 'localhost/trace-ledger', operatorId: 'operator', operatorName: 'Operator' }), { code: 'LEDGER_PERMISSION_DENIED' });
  t.notOk(existsSync(db), 'no database was created');
  t.notOk(existsSync(ledgerKeyPath(db)), 'no ledger key was created');
});
