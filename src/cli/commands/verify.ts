/**
 * `verify BUNDLE` (an audit bundle, offline: no network, no database) and `verify --db FILE` (a
 * database file, on a snapshot); the exit code says whether every check held.
 */
import { resolve } from 'node:path';
import { verifyBundleFile } from '../../audit/bundle-file.js';
import { formatDbReport, verifyDatabase } from '../../audit/db-verify.js';
import { formatBundleReport } from '../../audit/verify.js';
import { parse, required, requireFile } from '../args.js';
import { UsageError } from '../cli-error.js';
import { readTextFile } from '../files.js';
import { ledgerKeyOption, requireKeyChoice } from '../ledger-key-option.js';
import { progressLine } from '../progress.js';

export async function verifyCommand(args: string[]): Promise<number> {
  // `verify --db FILE` audits a database file; `verify BUNDLE` an audit bundle.
  return args.some((a) => a === '--db' || a.startsWith('--db=')) ? verifyDbCommand(args) : verifyBundleCommand(args);
}

async function verifyBundleCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { key: { type: 'string' }, 'trust-bundle-key': { type: 'boolean', default: false }, checkpoint: { type: 'string' }, json: { type: 'boolean', default: false } }, 1);
  const file = positionals[0];
  if (file === undefined) throw new UsageError('give the bundle file');
  requireFile(file, 'bundle file');
  requireKeyChoice(values, 'bundle');
  const trustedKey = ledgerKeyOption(values['key']);
  const oldCheckpoint = values['checkpoint'] === undefined ? undefined : readTextFile(values['checkpoint'] as string);
  const progress = progressLine('verifying');
  const started = Date.now();
  const report = await verifyBundleFile(file, {
    trustedKey,
    oldCheckpoint,
    onProgress: (records) => progress.update(`${records.toLocaleString('en-US')} records, ${Math.round(records / Math.max(0.001, (Date.now() - started) / 1000)).toLocaleString('en-US')} records/s`),
  });
  progress.done();
  console.log(values['json'] ? JSON.stringify(report, null, 2) : formatBundleReport(report));
  return report.ok ? 0 : 1;
}

/** `verify --db FILE`: src/audit/db-verify.ts on a snapshot of the file. */
async function verifyDbCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { db: { type: 'string' }, key: { type: 'string' }, 'trust-db-key': { type: 'boolean', default: false }, json: { type: 'boolean', default: false } });
  const db = requireFile(resolve(required(values, 'db')), 'database file');
  requireKeyChoice(values, 'db');
  const ledgerKey = ledgerKeyOption(values['key']);
  const progress = progressLine('verifying');
  const report = await verifyDatabase(db, {
    ...(ledgerKey === undefined ? {} : { ledgerKey }),
    onProgress: (phase, done, total) => progress.update(`${phase} ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}`),
  });
  progress.done();
  console.log(values['json'] ? JSON.stringify(report, null, 2) : formatDbReport(report));
  return report.ok ? 0 : 1;
}
