/** Recreating the derived tables (registry and traceability projections) from the log alone. */
import { LedgerError } from '../core/errors.js';
import type { LedgerRecord } from '../core/record.js';
import { registryEffects } from '../domain/registry.js';
import { domainEffects } from '../domain/rules.js';
import type { Payload } from '../domain/schemas.js';
import type { LedgerStore } from '../store/store.js';

/** Records read per page. */
const PAGE = 1000;

/**
 * Recreate every derived table (registry and traceability projections) from the log alone, in one
 * transaction: either the rebuilt tables replace the old ones or nothing changes. The rules run
 * again on every entry; one that no longer holds means the log and this program disagree, and is
 * reported with its seq.
 * @throws LedgerError LEDGER_STORE_CORRUPT naming the first record that does not replay
 */
export function rebuildDerived(store: LedgerStore, onProgress?: (done: number, total: number) => void): { records: number } {
  const total = store.size();
  store.transaction(() => {
    store.clearDerived();
    let seq = 0;
    // In pages: SQLite refuses writes on a connection while one of its statements is iterating.
    for (let page = store.records(-1, PAGE); page.length > 0; page = store.records(page.at(-1)!.seq, PAGE))
    for (const r of page) {
      let payload: Payload;
      try {
        payload = (JSON.parse(new TextDecoder().decode(r.leaf)) as LedgerRecord).entry.payload as unknown as Payload;
        store.applyEffects(registryEffects(store, payload, r.seq));
        store.applyDomainEffects(domainEffects(store, payload, r.seq));
      } catch (e) {
        throw new LedgerError('LEDGER_STORE_CORRUPT', `record ${r.seq} does not replay: ${(e as Error).message}`, { cause: e, details: { seq: r.seq } });
      }
      seq++;
      if (onProgress !== undefined && (seq % 10_000 === 0 || seq === total)) onProgress(seq, total);
    }
  });
  return { records: total };
}
