/** `backup`: a consistent copy of the database while the service runs (src/cli/backup.ts). */
import { resolve } from 'node:path';
import { parse, required, requireFile } from '../args.js';
import { backupDatabase } from '../backup.js';
import { DEFAULT_DB, ledgerKeyPath, operatorKeyPath } from '../setup.js';

export async function backupCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { db: { type: 'string', default: DEFAULT_DB }, out: { type: 'string' } });
  const db = requireFile(resolve(values['db'] as string), 'database file');
  const out = resolve(required(values, 'out'));
  const started = Date.now();
  const progress = process.stderr.isTTY
    ? (done: number, total: number) => process.stderr.write(`\rbacking up: ${done}/${total} pages (${Math.round((100 * done) / Math.max(1, total))}%)`)
    : undefined;
  const copy = await backupDatabase(db, out, progress);
  if (progress) process.stderr.write('\n');
  console.log(
    `backed up ${copy.records} records (latest checkpoint: size ${copy.checkpointSize ?? 'none'}) to ${copy.out} in ${((Date.now() - started) / 1000).toFixed(1)} s\n` +
      `the keys are not in it: back up ${ledgerKeyPath(db)} and ${operatorKeyPath(db)} once, separately; check the copy with trace-ledger verify --db ${copy.out} --key <ledger key>`,
  );
  return 0;
}
