/**
 * `report handoff|origin`: fetch a dispute report, verify it here, write JSON or HTML;
 * `report verify FILE`: check a saved one offline.
 */
import { parseReportFile, renderReportHtml, verifyReport, type Report } from '../../audit/reports.js';
import { nodeEd25519 } from '../../platform/node-crypto.js';
import { parse, requireFile } from '../args.js';
import { UsageError } from '../cli-error.js';
import { readTextFile, writeOutput } from '../files.js';
import { ledgerKeyOption, requireKeyChoice } from '../ledger-key-option.js';
import { getOk, serviceUrl } from '../service-client.js';

export async function reportCommand(args: string[]): Promise<number> {
  const [kind, ...rest] = args;
  if (kind === 'verify') return verifyReportCommand(rest);
  if (kind !== 'handoff' && kind !== 'origin') throw new UsageError('report handoff SHIPMENT | report origin CODE | report verify FILE');
  return fetchReportCommand(kind, rest);
}

async function verifyReportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { key: { type: 'string' }, 'trust-report-key': { type: 'boolean', default: false }, json: { type: 'boolean', default: false } }, 1);
  const file = positionals[0];
  if (file === undefined) throw new UsageError('give the report file (JSON or HTML)');
  requireFile(file, 'report file');
  requireKeyChoice(values, 'report');
  const report = parseReportFile(readTextFile(file));
  const result = verifyReport(report, ledgerKeyOption(values['key']), nodeEd25519);
  if (values['json']) console.log(JSON.stringify(result, null, 2));
  else if (result.ok) {
    console.log(`verified: ${result.records} signed records of "${report.title}" are included in checkpoint ${result.checkpoint!.origin} size ${result.checkpoint!.size}${result.keySource === 'pinned' ? ' (pinned key)' : ' (the report\'s own key, NOT pinned: pass --key)'}`);
    for (const e of result.operatorKeySigned) console.log(`OPERATOR KEY signed seq ${e.seq} as "${e.signer}" (key ${e.kid}, added by operator "${e.addedBy}")`);
  }
  else console.log([`FAILED: ${result.failures.length} problems in ${file}`, ...result.failures.map((f) => `  ${f.check}${f.seq === undefined ? '' : ` [seq ${f.seq}]`}: ${f.message}`)].join('\n'));
  return result.ok ? 0 : 1;
}

async function fetchReportCommand(kind: 'handoff' | 'origin', args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { url: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, key: { type: 'string' } }, 1);
  const subject = positionals[0];
  if (subject === undefined) throw new UsageError(kind === 'handoff' ? 'give the shipment: the seq or leaf hash of its ship entry' : 'give the object code');
  const out = values['out'] as string | undefined;
  const format = (values['format'] as string | undefined) ?? (out !== undefined && /\.html?$/i.test(out) ? 'html' : 'json');
  if (format !== 'html' && format !== 'json') throw new UsageError(`--format must be html or json, got ${format}`);
  const key = ledgerKeyOption(values['key']);
  const res = await getOk(`${serviceUrl(values)}/v1/reports/${kind}/${encodeURIComponent(subject)}?format=json`);
  const report = (await res.json()) as Report;
  // Check what the service sent before putting a name to it: proofs, checkpoint, signatures.
  const check = verifyReport(report, key, nodeEd25519);
  if (!check.ok) throw new Error(`the service's report does not verify (${check.failures.length} problems; first: ${check.failures[0]!.check}${check.failures[0]!.seq === undefined ? '' : ` seq ${check.failures[0]!.seq}`}: ${check.failures[0]!.message})`);
  const text = format === 'html' ? renderReportHtml(report) : `${JSON.stringify(report, null, 2)}\n`;
  const verified = `${check.records} signed records verified against checkpoint size ${check.checkpoint!.size}${key === undefined ? ' (with the key the service names: pass --key to pin it)' : ' (pinned key)'}`;
  if (out === undefined) {
    process.stdout.write(text);
    process.stderr.write(`${verified}\n`);
  } else {
    console.log(`wrote ${writeOutput(out, text)}: ${report.title}; ${verified}`);
  }
  return 0;
}
