/**
 * Which ledgers the demo may be loaded into. The demo appends 66 permanent entries signed with keys
 * whose private halves are in this repository (keys/), so they must never land in a real ledger.
 *
 * A demo ledger is one that `serve --demo` created: initDataDir writes the meta row
 * `demo_ledger = 1` into the new database before its genesis entry. Nothing else writes that row,
 * so a ledger made by `trace-ledger init` or a plain `serve` is never a demo ledger, even while it
 * holds only its genesis entry; and no request can set it (meta is not reachable over HTTP).
 *
 * Why a marker and not "holds only demo entries": an empty real ledger holds only demo entries
 * too; a demo key's signature proves nothing (the private keys are public); and the tutorials add
 * their own participants to the running demo, after which `npm start` must still work (loading the
 * demo again appends nothing: its entries have fixed ids).
 */
import { LedgerError } from '../core/errors.js';
import { openSqliteStore } from '../store/sqlite.js';
import type { LedgerStore } from '../store/store.js';

/** Where `npm start` (and `serve --demo` without --db) keeps the demo: apart from data/ledger.db. */
export const DEMO_DB = 'data/demo/ledger.db';

const DEMO_LEDGER_META = 'demo_ledger';

/** Mark a ledger being created for the demo. Only initDataDir calls this, before genesis. */
export function markDemoLedger(store: LedgerStore): void {
  store.setMeta(DEMO_LEDGER_META, '1');
}

export const isDemoLedger = (store: LedgerStore): boolean => store.meta(DEMO_LEDGER_META) === '1';

/**
 * Refuse to load the demo into the existing database `db` unless `serve --demo` created it. Reads
 * the database read-only: a refused ledger is left exactly as it was.
 * @throws LedgerError LEDGER_PERMISSION_DENIED when `db` is not a demo ledger
 */
export async function assertDemoLedger(db: string): Promise<void> {
  const store = openSqliteStore(db, { readonly: true });
  let demo: boolean;
  try {
    demo = isDemoLedger(store);
  } finally {
    await store.close();
  }
  if (!demo) {
    throw new LedgerError(
      'LEDGER_PERMISSION_DENIED',
      `${db} was not created by "serve --demo": refusing to add the demo's entries to it (they are permanent); run the demo on its own database, e.g. --db ${DEMO_DB}`,
    );
  }
}
