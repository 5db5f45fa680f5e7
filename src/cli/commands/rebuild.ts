/**
 * `rebuild`: recreate the registry and traceability tables from the log alone, then seal them.
 * Holds the data-directory lock, so it is refused while the service runs.
 */
import { resolve } from 'node:path';
import { rebuildDerived } from '../../ledger.js';
import { parse, requireFile } from '../args.js';
import { lockDataDir } from '../data-dir-lock.js';
import { DEFAULT_DB, openStore, sealRebuiltState } from '../setup.js';

export async function rebuildCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { db: { type: 'string', default: DEFAULT_DB } });
  const db = requireFile(resolve(values['db'] as string), 'database file');
  const lock = lockDataDir(db, 'rebuild');
  let store;
  try {
    store = openStore(db);
  } catch (e) {
    lock.release();
    throw e;
  }
  try {
    const started = Date.now();
    const progress = process.stderr.isTTY
      ? (done: number, total: number) => process.stderr.write(`\rrebuilding: ${done}/${total} records (${Math.round((100 * done) / total)}%)`)
      : undefined;
    const { records } = rebuildDerived(store, progress);
    sealRebuiltState(db, store);
    if (progress) process.stderr.write('\n');
    console.log(`rebuilt the derived tables from ${records} records in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await store.close();
    lock.release();
  }
  return 0;
}
