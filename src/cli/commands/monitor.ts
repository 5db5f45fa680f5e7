/** `monitor`: one run of src/audit/monitor.ts, for cron; exit 0 ok, 1 could not check, 3 alert. */
import { resolve } from 'node:path';
import { runMonitor } from '../../audit/monitor.js';
import { parse, required } from '../args.js';
import { ledgerKeyOption } from '../ledger-key-option.js';
import { serviceUrl } from '../service-client.js';

export async function monitorCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { url: { type: 'string' }, state: { type: 'string' }, key: { type: 'string' } });
  const key = ledgerKeyOption(values['key']);
  const outcome = await runMonitor({ url: serviceUrl(values), statePath: resolve(required(values, 'state')), ...(key === undefined ? {} : { key }) });
  // The verdict first: cron mails stderr, and its first line is what a reader sees.
  // An alert keeps its documented `ALERT:` prefix; a check that could not run is an error like any other.
  if (outcome.status !== 'ok') process.stderr.write(`${outcome.status === 'alert' ? 'ALERT' : 'trace-ledger'}: ${outcome.status === 'alert' ? outcome.message : outcome.message.split('\n')[0]}\n`);
  for (const w of outcome.warnings) process.stderr.write(`note: ${w}\n`);
  if (outcome.status === 'ok') console.log(outcome.line);
  return outcome.exitCode;
}
