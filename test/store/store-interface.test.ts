/** The LedgerStore interface's cases (store-cases.ts) on SQLite; postgres.test.ts runs them on PostgreSQL. */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { storeCases } from './store-cases.js';

storeCases(t, {
  name: 'SQLite',
  async create(t) {
    const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-store-'));
    const file = join(dir, 'ledger.db');
    const store = openSqliteStore(file);
    t.teardown(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return { store, reopen: () => openSqliteStore(file) };
  },
});
