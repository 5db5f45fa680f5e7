/**
 * `export`: streams GET /v1/export into FILE.partial, renamed to FILE once the bundle's end line
 * has arrived, so an interrupted export never leaves a file that looks complete.
 */
import { createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { intOption, parse, required } from '../args.js';
import { UsageError } from '../cli-error.js';
import { progressLine } from '../progress.js';
import { getOk, serviceUrl } from '../service-client.js';

export async function exportCommand(args: string[]): Promise<number> {
  const { values } = parse(args, {
    out: { type: 'string' }, url: { type: 'string' }, code: { type: 'string' }, direction: { type: 'string' },
    from: { type: 'string' }, to: { type: 'string' }, since: { type: 'string' },
  });
  const out = resolve(required(values, 'out'));
  const query = exportQuery(values);
  const res = await getOk(`${serviceUrl(values)}/v1/export${query.size > 0 ? `?${query}` : ''}`);
  if (res.body === null) throw new Error('the service sent no bundle');
  const total = Number(res.headers.get('x-bundle-records') ?? NaN);
  mkdirSync(dirname(out), { recursive: true });
  const started = Date.now();
  const bundle = await streamBundle(res.body as unknown as WebReadableStream<Uint8Array>, `${out}.partial`, total);
  rmSync(out, { force: true });
  renameSync(`${out}.partial`, out);
  let summary = '';
  try {
    const h = JSON.parse(bundle.headerLine) as { checkpoint: string; scope: { kind: string } };
    summary = `, checkpoint size ${h.checkpoint.split('\n')[1]}, scope ${h.scope.kind}`;
  } catch {
    // the summary is a courtesy; verify checks the header
  }
  const records = bundle.lines - 2;
  console.log(`wrote ${out}: ${records.toLocaleString('en-US')} records, ${(bundle.bytes / 1048576).toFixed(1)} MiB${summary} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

/** The scope options as the query of GET /v1/export: a code's chain, a seq range, or the whole log. @throws UsageError */
function exportQuery(values: Record<string, unknown>): URLSearchParams {
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
  return query;
}

interface StreamedBundle {
  readonly bytes: number;
  /** Newline-terminated lines: the header, the records, the end line. */
  readonly lines: number;
  /** The first line (the bundle's header), for the summary. */
  readonly headerLine: string;
}

/**
 * Copy the bundle to `partial`, counting lines for the progress line and keeping the head (for
 * the summary) and the tail (to see that the end line arrived). `total` is the record count the
 * service announced (NaN when it did not).
 * @throws Error when the stream stops or ends without the bundle's end line; `partial` keeps what arrived
 */
async function streamBundle(body: WebReadableStream<Uint8Array>, partial: string, total: number): Promise<StreamedBundle> {
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
    await pipeline(Readable.fromWeb(body), counter, createWriteStream(partial, { mode: 0o644 }));
  } catch (cause) {
    progress.done();
    throw new Error(`the export stopped after ${bytes} bytes (${(cause as Error).message}); what arrived is in ${partial}`);
  }
  progress.done();
  const lastLine = tail.toString('utf8').trimEnd().split('\n').at(-1) ?? '';
  if (!lastLine.startsWith('{"end":')) throw new Error(`the service stopped before the end of the bundle; what arrived is in ${partial}`);
  return { bytes, lines: newlines, headerLine: head.slice(0, head.indexOf('\n')) };
}
