/**
 * The `trace-ledger` command. Every subcommand returns an exit code; errors are one line on stderr
 * (`trace-ledger: …`) and a non-zero exit: 2 for a usage mistake, 1 for anything else.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { fromBase64, fromHex, toBase64Url } from '../core/bytes.js';
import { verifyCheckpoint } from '../core/checkpoint.js';
import { digitalLinkUri, parseCode } from '../core/codes.js';
import { signEntry, type PayloadBase } from '../core/entry.js';
import { LedgerError } from '../core/errors.js';
import { parseJson } from '../core/jcs.js';
import { keyIdOf } from '../core/keys.js';
import { verifyInclusion } from '../core/merkle.js';
import { nodeEd25519 } from '../platform/node-crypto.js';
import { verifyBundleFile } from '../audit/bundle-file.js';
import { formatBundleReport } from '../audit/verify.js';
import { parseVerifierKey } from '../core/note.js';
import { LABELS_PER_SHEET, QR_PNG_SIZE_MAX, QR_SIZE_MAX, QR_SIZE_MIN, qrPng, qrSvg } from '../http/qr.js';
import { readPrivateKey, readPublicKey, writeNewKeyPair } from './keyfiles.js';
import { demoUrls, serve } from './serve.js';
import { seedDemo } from './demo.js';
import { DEMO_DB } from './demo-ledger.js';
import { formatDownstream, formatHistory, formatUpstream } from './trace-format.js';
import { rebuildDerived } from '../ledger.js';
import { openSqliteStore } from '../store/sqlite.js';
import { initDataDir, sealRebuiltState, DEFAULT_DB, DEFAULT_ORIGIN, ledgerKeyPath, operatorKeyPath } from './setup.js';
import { backupDatabase } from './backup.js';
import { formatDbReport, verifyDatabase } from '../audit/db-verify.js';
import { runMonitor } from '../audit/monitor.js';
import { describeFetchFailure, isFetchFailure } from '../platform/fetch-failure.js';
import { CliError, UsageError } from './cli-error.js';
import { lockDataDir } from './data-dir-lock.js';
import { commandUsage, overviewUsage, packageVersion } from './usage.js';
import { parseReportFile, renderReportHtml, verifyReport, type Report } from '../audit/reports.js';

function parse(args: string[], options: ParseArgsConfig['options'], positionals = 0) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean' } }, allowPositionals: positionals > 0, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument ${parsed.positionals[positionals]}`);
  return parsed as { values: Record<string, string | boolean | undefined>; positionals: string[] };
}

function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

/** --url, else $TRACE_LEDGER_URL, else the local default; without a trailing slash. @throws UsageError */
function serviceUrl(values: Record<string, unknown>): string {
  const url = ((values['url'] as string | undefined) ?? process.env['TRACE_LEDGER_URL'] ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new UsageError(`--url (or $TRACE_LEDGER_URL) must be an http(s) URL, got ${url}`);
  return url;
}

/** The service at `url` did not answer: name it, say why, and what to do. */
function unreachable(url: string, cause: unknown): CliError {
  const { reason, hint } = describeFetchFailure(cause);
  return new CliError('CLI_SERVICE_UNREACHABLE', `cannot reach the service at ${new URL(url).origin} (${reason}): ${hint}`, { cause });
}

/** A file the command reads must exist; `what` names it for the message ("database file"). @throws CliError */
function requireFile(path: string, what: string): string {
  if (!existsSync(path)) throw new CliError('CLI_FILE_NOT_FOUND', `${what} ${path} does not exist`);
  return path;
}

/** Longest Retry-After the CLI waits out on a 429 before giving up with the service's problem. */
const MAX_RATE_LIMIT_WAIT_S = 60;

async function http(url: string, init?: RequestInit): Promise<Response> {
  // Expensive routes are rate-limited per client (429 + Retry-After): a script that proves many
  // submissions waits its turn, twice at most, instead of failing. Only reads are retried: a
  // refused POST has done nothing, but retrying writes is the caller's decision.
  for (let attempt = 0; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(url, init);
    } catch (cause) {
      throw unreachable(url, cause);
    }
    const wait = Number(res.headers.get('retry-after'));
    const isRead = (init?.method ?? 'GET') === 'GET';
    if (res.status !== 429 || !isRead || attempt >= 2 || !Number.isFinite(wait) || wait < 0 || wait > MAX_RATE_LIMIT_WAIT_S) return res;
    await res.body?.cancel();
    await new Promise((r) => setTimeout(r, wait * 1000));
  }
}

async function expectOk(res: Response): Promise<Response> {
  if (res.ok) return res;
  const text = await res.text();
  try {
    const p = JSON.parse(text) as { code?: string; detail?: string };
    throw new Error(`${p.code ?? res.status}: ${p.detail ?? text}`);
  } catch (e) {
    if (e instanceof SyntaxError) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
    throw e;
  }
}

function readJsonFile(path: string, what: string): unknown {
  requireFile(path, what);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new Error(`cannot read ${path}: ${(cause as NodeJS.ErrnoException).code ?? cause}`);
  }
  try {
    return parseJson(text);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

/** Fill in the envelope fields a person should not have to type: signer, a fresh id, the time. */
function completePayload(payload: unknown, signer: string | undefined): PayloadBase {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw new Error('the payload file must hold a JSON object');
  const p = { ...(payload as Record<string, unknown>) };
  if (typeof p['type'] !== 'string') throw new Error('the payload needs a "type"');
  p['signer'] ??= signer;
  if (p['signer'] === undefined) throw new UsageError('--signer is required when the payload has no "signer"');
  if (signer !== undefined && p['signer'] !== signer) throw new Error(`payload signer "${String(p['signer'])}" differs from --signer ${signer}`);
  p['id'] ??= randomUUID();
  p['time'] ??= new Date().toISOString();
  return p as PayloadBase;
}

function signFile(values: Record<string, unknown>, file: string | undefined) {
  if (file === undefined) throw new UsageError('give the payload file');
  const seed = readPrivateKey(required(values, 'key'));
  const payload = completePayload(readJsonFile(file, 'payload file'), values['signer'] as string | undefined);
  return signEntry(payload, seed, nodeEd25519);
}

async function postEntries(url: string, body: unknown): Promise<unknown> {
  const res = await expectOk(
    await http(`${url}/v1/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  );
  return res.json();
}

/** Fetch the checkpoint and the inclusion proof for `seq`, verify both, and say what was checked. */
async function proveInclusion(url: string, seq: number, leafHash: string, pinnedKey: string | undefined): Promise<string> {
  const key = pinnedKey ?? (await (await expectOk(await http(`${url}/v1/checkpoint/key`))).text()).trim();
  const note = await (await expectOk(await http(`${url}/v1/checkpoint?minSize=${seq + 1}`))).text();
  const cp = verifyCheckpoint(note, key, nodeEd25519);
  const proof = (await (await expectOk(await http(`${url}/v1/proofs/inclusion?seq=${seq}&size=${cp.size}`))).json()) as {
    leafHash: string;
    hashes: string[];
  };
  if (proof.leafHash !== leafHash) throw new Error(`the service proves leaf ${proof.leafHash}, not the receipt's ${leafHash}`);
  verifyInclusion(fromHex(leafHash), seq, cp.size, proof.hashes.map(fromBase64), cp.root);
  return (
    `verified: seq ${seq} is included in checkpoint ${cp.origin} size ${cp.size}, signed by ${key.split('+')[0]}` +
    (pinnedKey === undefined ? ' (key fetched from the service, not independently pinned: pass --ledger-key)' : ' (pinned key)')
  );
}

/** Sign `fields` as the operator (--key, --signer) with a fresh id and the current time, submit, print the receipt. */
async function submitAsOperator(values: Record<string, unknown>, fields: Record<string, unknown> & { type: string }): Promise<number> {
  const payload = { signer: values['signer'] as string, id: randomUUID(), time: new Date().toISOString(), ...fields };
  const receipt = await postEntries(serviceUrl(values), signEntry(payload, readPrivateKey(values['key'] as string), nodeEd25519));
  console.log(JSON.stringify(receipt));
  return 0;
}

async function participantCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  const common = { key: { type: 'string', default: 'data/operator.key.pem' }, signer: { type: 'string', default: 'operator' }, url: { type: 'string' } } as const;
  if (action === 'add') {
    const { values } = parse(rest, { ...common, id: { type: 'string' }, name: { type: 'string' }, roles: { type: 'string' }, gln: { type: 'string' }, 'public-key': { type: 'string' }, prefixes: { type: 'string' } });
    return submitAsOperator(values, {
      type: 'participant.register',
      participant: required(values, 'id'),
      name: required(values, 'name'),
      roles: required(values, 'roles').split(',').map((r) => r.trim()),
      ...(values['gln'] ? { gln: values['gln'] as string } : {}),
      publicKey: toBase64Url(readPublicKey(required(values, 'public-key'))),
      // Always stated: without --prefixes the participant commissions no GS1 keys (src/domain/prefixes.ts).
      prefixes: prefixList(values['prefixes']),
    });
  }
  if (action === 'prefixes') {
    const { values } = parse(rest, { ...common, id: { type: 'string' }, prefixes: { type: 'string' } });
    return submitAsOperator(values, { type: 'participant.prefixes.set', participant: required(values, 'id'), prefixes: prefixList(values['prefixes']) });
  }
  if (action === 'revoke') {
    const { values } = parse(rest, { ...common, id: { type: 'string' }, kid: { type: 'string' }, reason: { type: 'string' } });
    return submitAsOperator(values, {
      type: 'participant.key.revoke',
      participant: required(values, 'id'),
      kid: required(values, 'kid'),
      ...(values['reason'] ? { reason: values['reason'] as string } : {}),
    });
  }
  throw new UsageError('participant add|prefixes|revoke');
}

/** `--prefixes 0614141,952012` (or nothing: none); the ledger validates each. */
const prefixList = (value: unknown): string[] =>
  typeof value === 'string' ? value.split(',').map((p) => p.trim()).filter((p) => p !== '') : [];

const TRACE_VIEWS = { up: 'upstream', down: 'downstream', history: 'history', footprint: 'footprint', state: '' } as const;

async function traceCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { url: { type: 'string' }, json: { type: 'boolean', default: false }, ...Object.fromEntries(Object.keys(TRACE_VIEWS).map((k) => [k, { type: 'boolean', default: false }])) },
    1,
  );
  const code = positionals[0];
  if (code === undefined) throw new UsageError('give the object code');
  const chosen = Object.keys(TRACE_VIEWS).filter((k) => values[k]) as Array<keyof typeof TRACE_VIEWS>;
  if (chosen.length > 1) throw new UsageError(`choose one of --${chosen.join(', --')}`);
  const view = chosen[0] ?? 'up';
  const path = `/v1/objects/${encodeURIComponent(code)}${TRACE_VIEWS[view] ? `/${TRACE_VIEWS[view]}` : ''}`;
  const body = (await (await expectOk(await http(`${serviceUrl(values)}${path}`))).json()) as Record<string, unknown>;
  if (values['json'] || view === 'footprint' || view === 'state') console.log(JSON.stringify(body, null, 2));
  else console.log(view === 'up' ? formatUpstream(body) : view === 'down' ? formatDownstream(body) : formatHistory(body));
  return 0;
}

function writeOutput(out: string, data: string | Uint8Array): string {
  const path = resolve(out);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
  } catch (cause) {
    throw new Error(`cannot write ${path}: ${(cause as NodeJS.ErrnoException).code ?? cause}`);
  }
  return path;
}

/** Where `qr` points codes when neither --public-url nor $PUBLIC_URL says: a local `serve`. */
const QR_DEFAULT_PUBLIC_URL = 'http://127.0.0.1:8080';

/**
 * `qr`: code → Digital Link URI on the public URL → SVG or PNG file, without the service, so
 * labels can be made before the resolver is reachable. It therefore cannot check that the code
 * was commissioned: `GET /v1/objects/:code/qr.png` does.
 */
async function qrCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { out: { type: 'string' }, 'public-url': { type: 'string' }, size: { type: 'string' } }, 1);
  const input = positionals[0];
  if (input === undefined) throw new UsageError('give the object code');
  const out = required(values, 'out');
  const format = /\.(svg|png)$/i.exec(out)?.[1]?.toLowerCase();
  if (format === undefined) throw new Error(`--out ${out}: the file name must end in .svg or .png`);
  let size: number | undefined;
  if (values['size'] !== undefined) {
    size = Number(values['size']);
    const max = format === 'png' ? QR_PNG_SIZE_MAX : QR_SIZE_MAX;
    if (!Number.isInteger(size) || size < QR_SIZE_MIN || size > max) throw new UsageError(`--size must be ${QR_SIZE_MIN}-${max} pixels for ${format.toUpperCase()}, got ${values['size']}`);
  }
  const base = (values['public-url'] as string | undefined) ?? process.env['PUBLIC_URL'] ?? QR_DEFAULT_PUBLIC_URL;
  const code = parseCode(input);
  let uri: string;
  try {
    uri = digitalLinkUri(code, base);
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(`--public-url (or $PUBLIC_URL): ${e.message}`);
    throw e;
  }
  writeOutput(out, format === 'png' ? await qrPng(uri, { size }) : qrSvg(uri, { size }));
  console.log(uri);
  return 0;
}

/** `labels`: the service names the products, so the sheet comes from `GET /v1/labels.svg`. */
async function labelsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { out: { type: 'string' }, url: { type: 'string' }, skip: { type: 'string' }, outlines: { type: 'boolean', default: false } },
    Number.MAX_SAFE_INTEGER,
  );
  const out = required(values, 'out');
  if (positionals.length === 0) throw new UsageError('give one or more object codes');
  const skip = Number(values['skip'] ?? 0);
  if (!Number.isInteger(skip) || skip < 0 || skip >= LABELS_PER_SHEET) throw new UsageError(`--skip must be 0-${LABELS_PER_SHEET - 1}, got ${values['skip']}`);
  if (positionals.length > LABELS_PER_SHEET - skip) {
    throw new UsageError(`${positionals.length} codes: one A4 sheet holds ${LABELS_PER_SHEET} labels${skip > 0 ? `, ${LABELS_PER_SHEET - skip} after --skip ${skip}` : ''}; run labels once per sheet`);
  }
  if (!/\.svg$/i.test(out)) throw new Error(`--out ${out}: label sheets are SVG, the file name must end in .svg`);
  const query = new URLSearchParams(positionals.map((c) => ['code', c]));
  if (skip > 0) query.set('skip', String(skip));
  if (values['outlines']) query.set('outlines', 'true');
  const svg = await (await expectOk(await http(`${serviceUrl(values)}/v1/labels.svg?${query}`))).text();
  const path = writeOutput(out, svg);
  console.log(`wrote ${path}: ${positionals.length} label${positionals.length === 1 ? '' : 's'} on one A4 sheet (print at 100 % scale, no margins)`);
  return 0;
}

/** A non-negative integer option, or undefined. @throws UsageError */
function intOption(values: Record<string, unknown>, name: string): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new UsageError(`--${name} must be a non-negative integer, got ${String(v)}`);
  return n;
}

/** Progress on stderr, only on a terminal, at most 5 times a second. */
function progressLine(what: string): { update(text: string): void; done(): void } {
  if (!process.stderr.isTTY) return { update() {}, done() {} };
  let last = 0;
  let shown = false;
  return {
    update(text) {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      shown = true;
      process.stderr.write(`\r${what}: ${text}\u001b[K`);
    },
    done() {
      if (shown) process.stderr.write('\n');
    },
  };
}

/**
 * `export`: streams GET /v1/export into FILE.partial, renamed to FILE once the bundle's end line
 * has arrived, so an interrupted export never leaves a file that looks complete.
 */
async function exportCommand(args: string[]): Promise<number> {
  const { values } = parse(args, {
    out: { type: 'string' }, url: { type: 'string' }, code: { type: 'string' }, direction: { type: 'string' },
    from: { type: 'string' }, to: { type: 'string' }, since: { type: 'string' },
  });
  const out = resolve(required(values, 'out'));
  const query = new URLSearchParams();
  const code = values['code'] as string | undefined;
  const direction = values['direction'] as string | undefined;
  const [from, to, since] = [intOption(values, 'from'), intOption(values, 'to'), intOption(values, 'since')];
  if (code !== undefined && (from !== undefined || to !== undefined)) throw new UsageError('give either --code or --from/--to, not both');
  if (direction !== undefined && code === undefined) throw new UsageError('--direction needs --code');
  if (direction !== undefined && !['up', 'down', 'both'].includes(direction)) throw new UsageError(`--direction must be up, down or both, got ${direction}`);
  if (code !== undefined) query.set('code', code);
  if (direction !== undefined) query.set('direction', direction);
  if (from !== undefined) query.set('from', String(from));
  if (to !== undefined) query.set('to', String(to));
  if (since !== undefined) query.set('since', String(since));
  const res = await expectOk(await http(`${serviceUrl(values)}/v1/export${query.size > 0 ? `?${query}` : ''}`));
  if (res.body === null) throw new Error('the service sent no bundle');
  const total = Number(res.headers.get('x-bundle-records') ?? NaN);
  mkdirSync(dirname(out), { recursive: true });
  const partial = `${out}.partial`;
  const progress = progressLine('exporting');
  const started = Date.now();
  let bytes = 0;
  let newlines = 0;
  let head = '';
  let tail = Buffer.alloc(0);
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) newlines++;
      if (!head.includes('\n')) head += chunk.toString('utf8', 0, Math.min(chunk.length, 1 << 20));
      tail = Buffer.concat([tail, chunk]).subarray(-4096);
      const records = Math.max(0, newlines - 1);
      progress.update(`${records.toLocaleString('en-US')}${Number.isFinite(total) ? ` / ${total.toLocaleString('en-US')}` : ''} records, ${(bytes / 1048576).toFixed(1)} MiB, ${Math.round(records / Math.max(0.001, (Date.now() - started) / 1000)).toLocaleString('en-US')} records/s`);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>), counter, createWriteStream(partial, { mode: 0o644 }));
  } catch (cause) {
    progress.done();
    throw new Error(`the export stopped after ${bytes} bytes (${(cause as Error).message}); what arrived is in ${partial}`);
  }
  progress.done();
  const lastLine = tail.toString('utf8').trimEnd().split('\n').at(-1) ?? '';
  if (!lastLine.startsWith('{"end":')) throw new Error(`the service stopped before the end of the bundle; what arrived is in ${partial}`);
  rmSync(out, { force: true });
  renameSync(partial, out);
  let summary = '';
  try {
    const h = JSON.parse(head.slice(0, head.indexOf('\n'))) as { checkpoint: string; scope: { kind: string } };
    summary = `, checkpoint size ${h.checkpoint.split('\n')[1]}, scope ${h.scope.kind}`;
  } catch {
    // the summary is a courtesy; verify checks the header
  }
  const records = newlines - 2;
  console.log(`wrote ${out}: ${records.toLocaleString('en-US')} records, ${(bytes / 1048576).toFixed(1)} MiB${summary} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

/** `verify`: offline, no network or database; the exit code says whether every check held. */
async function verifyCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { key: { type: 'string' }, 'trust-bundle-key': { type: 'boolean', default: false }, checkpoint: { type: 'string' }, json: { type: 'boolean', default: false } }, 1);
  const file = positionals[0];
  if (file === undefined) throw new UsageError('give the bundle file');
  requireFile(file, 'bundle file');
  requireKeyChoice(values, 'bundle');
  const trustedKey = ledgerKeyOption(values['key']);
  let oldCheckpoint: string | undefined;
  if (values['checkpoint'] !== undefined) {
    try {
      oldCheckpoint = readFileSync(values['checkpoint'] as string, 'utf8');
    } catch (cause) {
      throw new Error(`cannot read ${String(values['checkpoint'])}: ${(cause as NodeJS.ErrnoException).code ?? cause}`);
    }
  }
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

/**
 * `--key` or an explicit `--trust-<what>-key`: a file checked against the key it carries itself
 * proves only that it is self-consistent (whoever forged it signed it too), so such a check must
 * not exit 0 unless the user asked for it.
 */
function requireKeyChoice(values: Record<string, unknown>, what: 'bundle' | 'db' | 'report'): void {
  const trust = values[`trust-${what}-key`] === true;
  if (values['key'] === undefined && !trust) {
    throw new UsageError(`verify needs the key to check the ${what === 'db' ? 'database' : what} against: pass --key <verifier key> (the ledger's published key, GET /v1/checkpoint/key) or --trust-${what}-key to accept its own key unpinned`);
  }
  if (values['key'] !== undefined && trust) throw new UsageError(`--key and --trust-${what}-key exclude each other`);
}

/**
 * A pinned ledger key option: a file holding the key, or the key itself (origin+keyid+base64,
 * which always has a '+'). A bare name that is no file is taken for a missing key file.
 * @throws CliError CLI_KEY_FILE_NOT_FOUND, UsageError when it is not a verifier key
 */
function ledgerKeyOption(value: unknown, option = '--key'): string | undefined {
  if (typeof value !== 'string') return undefined;
  let key = value;
  if (existsSync(value)) key = readFileSync(value, 'utf8').trim();
  else if (!value.includes('+')) throw new CliError('CLI_KEY_FILE_NOT_FOUND', `${option} ${value}: no such key file (nor a ledger verifier key origin+keyid+base64)`, { exitCode: 2 });
  try {
    parseVerifierKey(key);
  } catch (e) {
    throw new UsageError(`${option} is not a ledger verifier key (origin+keyid+base64, as GET /v1/checkpoint/key gives it): ${(e as Error).message}`);
  }
  return key;
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

/** `monitor`: one run of src/audit/monitor.ts; exit 0 ok, 1 could not check, 3 alert. */
async function monitorCommand(args: string[]): Promise<number> {
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

/** `report handoff|origin`: fetch the JSON report, verify it here, write JSON or HTML; `report verify FILE`. */
async function reportCommand(args: string[]): Promise<number> {
  const [kind, ...rest] = args;
  if (kind === 'verify') {
    const { values, positionals } = parse(rest, { key: { type: 'string' }, 'trust-report-key': { type: 'boolean', default: false }, json: { type: 'boolean', default: false } }, 1);
    const file = positionals[0];
    if (file === undefined) throw new UsageError('give the report file (JSON or HTML)');
    requireFile(file, 'report file');
    requireKeyChoice(values, 'report');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (cause) {
      throw new Error(`cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? cause}`);
    }
    const report = parseReportFile(text);
    const result = verifyReport(report, ledgerKeyOption(values['key']), nodeEd25519);
    if (values['json']) console.log(JSON.stringify(result, null, 2));
    else if (result.ok) {
      console.log(`verified: ${result.records} signed records of "${report.title}" are included in checkpoint ${result.checkpoint!.origin} size ${result.checkpoint!.size}${result.keySource === 'pinned' ? ' (pinned key)' : ' (the report\'s own key, NOT pinned: pass --key)'}`);
      for (const e of result.operatorKeySigned) console.log(`OPERATOR KEY signed seq ${e.seq} as "${e.signer}" (key ${e.kid}, added by operator "${e.addedBy}")`);
    }
    else console.log([`FAILED: ${result.failures.length} problems in ${file}`, ...result.failures.map((f) => `  ${f.check}${f.seq === undefined ? '' : ` [seq ${f.seq}]`}: ${f.message}`)].join('\n'));
    return result.ok ? 0 : 1;
  }
  if (kind !== 'handoff' && kind !== 'origin') throw new UsageError('report handoff SHIPMENT | report origin CODE | report verify FILE');
  const { values, positionals } = parse(rest, { url: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, key: { type: 'string' } }, 1);
  const subject = positionals[0];
  if (subject === undefined) throw new UsageError(kind === 'handoff' ? 'give the shipment: the seq or leaf hash of its ship entry' : 'give the object code');
  const out = values['out'] as string | undefined;
  const format = (values['format'] as string | undefined) ?? (out !== undefined && /\.html?$/i.test(out) ? 'html' : 'json');
  if (format !== 'html' && format !== 'json') throw new UsageError(`--format must be html or json, got ${format}`);
  const key = ledgerKeyOption(values['key']);
  const res = await expectOk(await http(`${serviceUrl(values)}/v1/reports/${kind}/${encodeURIComponent(subject)}?format=json`));
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

const isHelp = (a: string) => a === '--help' || a === '-h';

async function run(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || isHelp(command) || (command === 'help' && args.length === 0)) {
    console.log(overviewUsage());
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-V' || command === 'version') {
    console.log(packageVersion());
    return 0;
  }
  // `help CMD` and `CMD --help` (anywhere before a `--`) show that command's usage alone.
  const options = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  const helpFor = command === 'help' ? args[0] : options.some(isHelp) ? command : undefined;
  if (helpFor !== undefined) {
    const usage = commandUsage(helpFor);
    if (usage === undefined) throw new UsageError(`unknown command "${helpFor}"`);
    console.log(usage);
    return 0;
  }
  switch (command) {
    case 'init': {
      const { values } = parse(args, { db: { type: 'string', default: DEFAULT_DB }, origin: { type: 'string', default: DEFAULT_ORIGIN }, 'operator-id': { type: 'string', default: 'operator' }, 'operator-name': { type: 'string', default: 'Cluster operator' } });
      const db = resolve(values['db'] as string);
      if (existsSync(db)) throw new Error(`${db} already exists; a ledger is initialised once`);
      mkdirSync(dirname(db), { recursive: true });
      const lock = lockDataDir(db, 'init');
      let info;
      try {
        info = await initDataDir({ db, origin: values['origin'] as string, operatorId: values['operator-id'] as string, operatorName: values['operator-name'] as string });
      } finally {
        lock.release();
      }
      console.log(`initialised ${db}\nledger key (publish this): ${info.verifierKey}\noperator key: ${info.operatorKeyPath}`);
      return 0;
    }
    case 'serve': {
      const { values } = parse(args, {
        db: { type: 'string' },
        port: { type: 'string', default: process.env['PORT'] ?? '8080' },
        host: { type: 'string', default: '127.0.0.1' },
        origin: { type: 'string' },
        demo: { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        'public-url': { type: 'string', default: process.env['PUBLIC_URL'] },
      });
      const publicUrl = values['public-url'] as string | undefined;
      if (publicUrl !== undefined && !/^https?:\/\/[^/\s]+(\/[^\s]*)?$/.test(publicUrl)) throw new UsageError(`--public-url must be an http(s) URL, got ${publicUrl}`);
      const port = Number(values['port']);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0-65535, got ${values['port']}`);
      await serve({
        // The demo keeps its own database, so that it never touches data/ledger.db.
        db: resolve((values['db'] as string | undefined) ?? (values['demo'] ? DEMO_DB : DEFAULT_DB)),
        port,
        host: values['host'] as string,
        origin: values['origin'] as string | undefined,
        demo: values['demo'] as boolean,
        quiet: values['quiet'] as boolean,
        publicUrl,
      });
      return 0;
    }
    case 'keygen': {
      const { values } = parse(args, { out: { type: 'string' } });
      const out = resolve(required(values, 'out'));
      mkdirSync(dirname(out), { recursive: true });
      const { publicKey, publicPath } = writeNewKeyPair(out);
      console.log(`private key: ${out} (mode 0600, keep it secret)\npublic key:  ${publicPath}\nkid:         ${keyIdOf(publicKey)}\npublicKey:   ${toBase64Url(publicKey)}`);
      return 0;
    }
    case 'participant':
      return participantCommand(args);
    case 'sign': {
      const { values, positionals } = parse(args, { key: { type: 'string' }, signer: { type: 'string' } }, 1);
      console.log(JSON.stringify(signFile(values, positionals[0]), null, 2));
      return 0;
    }
    case 'submit': {
      const { values, positionals } = parse(args, { key: { type: 'string' }, signer: { type: 'string' }, url: { type: 'string' }, prove: { type: 'boolean', default: false }, 'ledger-key': { type: 'string' } }, 1);
      const url = serviceUrl(values);
      const entry = signFile(values, positionals[0]);
      const ledgerKey = ledgerKeyOption(values['ledger-key'], '--ledger-key');
      const receipt = (await postEntries(url, entry)) as { seq: number; leafHash: string };
      console.log(JSON.stringify(receipt));
      if (values['prove']) console.log(await proveInclusion(url, receipt.seq, receipt.leafHash, ledgerKey));
      return 0;
    }
    case 'trace':
      return traceCommand(args);
    case 'qr':
      return qrCommand(args);
    case 'labels':
      return labelsCommand(args);
    case 'export':
      return exportCommand(args);
    case 'verify':
      // `verify --db FILE` audits a database file; `verify BUNDLE` an audit bundle.
      return args.some((a) => a === '--db' || a.startsWith('--db=')) ? verifyDbCommand(args) : verifyCommand(args);
    case 'monitor':
      return monitorCommand(args);
    case 'report':
      return reportCommand(args);
    case 'demo': {
      const { values } = parse(args, { url: { type: 'string' }, db: { type: 'string', default: DEMO_DB } });
      const url = serviceUrl(values);
      const { highlights } = await seedDemo(url, resolve(values['db'] as string), (s) => console.log(s)).catch((e: unknown) => {
        throw isFetchFailure(e) ? unreachable(url, e) : e;
      });
      console.log(demoUrls(url, highlights).join('\n'));
      return 0;
    }
    case 'backup': {
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
    case 'rebuild': {
      const { values } = parse(args, { db: { type: 'string', default: DEFAULT_DB } });
      const db = requireFile(resolve(values['db'] as string), 'database file');
      const lock = lockDataDir(db, 'rebuild');
      let store;
      try {
        store = openSqliteStore(db);
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
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/**
 * Run one command. Every failure is ONE line on stderr starting `trace-ledger:` (with the code of a
 * LedgerError or CliError), exit 2 for a mistake in the command line, 1 otherwise.
 */
export async function main(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (e) {
    const message = e instanceof LedgerError || e instanceof CliError ? `${e.code}: ${e.message}` : (e as Error).message;
    const command = argv[0] !== undefined && commandUsage(argv[0]) !== undefined ? `${argv[0]} ` : '';
    const exitCode = e instanceof UsageError ? 2 : e instanceof CliError ? e.exitCode : 1;
    const pointer = exitCode === 2 ? ` (see "trace-ledger ${command}--help")` : '';
    process.stderr.write(`trace-ledger: ${message.split('\n')[0]}${pointer}\n`);
    return exitCode;
  }
}
