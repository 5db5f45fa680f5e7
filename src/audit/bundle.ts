/**
 * Audit bundles (docs/audit.md): the NDJSON export an auditor takes away and verifies
 * offline with `trace-ledger verify` (src/audit/verify.ts). One JSON object per line:
 *
 *   1. header  {"format":"trace-ledger-bundle/1","origin","ledgerKey","checkpoint","scope",
 *               "consistency"?,"exportedAt"}
 *   2. records {"record":<JCS(record)>,"leafHash":"<hex>","chainHash":"<hex>","inclusion"?:["<base64>",…]}
 *              in increasing seq order, all below the header checkpoint's size
 *   3. end     {"end":{"records":<number of record lines>,"sha256":"<hex of every byte before this line>"}}
 *
 * `record` is written as the stored leaf bytes, which are exactly JCS(record) (core/record.ts), so
 * export never re-serialises a record and the verifier can hash what it reads. A full bundle
 * carries every record of the checkpoint's tree and no inclusion paths (the verifier recomputes the
 * root); a scoped bundle (one code's upstream, downstream or both; or a seq range) carries, for
 * every record, its RFC 9162 audit path against the header checkpoint, and also the records that
 * its signatures depend on: genesis, and the registration, key additions and revocations of every
 * signer, transitively (the operator who registered them), up to the last record of the scope.
 *
 * The end line is our addition to the original bundle design: it makes truncation visible in a scoped bundle (whose records
 * prove inclusion, not completeness) and covers the bytes no signature or proof covers (the scope,
 * an unchecked consistency proof) against accidental corruption. It is a checksum, not a
 * signature: anyone can recompute it, so the scope remains the exporter's statement.
 *
 * Export reads the store in pages (better-sqlite3 cannot write while a statement iterates, and a
 * page at a time keeps memory constant whatever the size) and yields one chunk per page. Before
 * each page it gives the event loop a turn (setImmediate): on loopback a socket write completes at
 * once, so without it a fast client had the next page read and sent in the same turn, page after
 * page, and the service answered nothing else for seconds (issue 16, "Stalls"). How much is read
 * ahead of a slow client is bounded by the consumer's backpressure (the HTTP route pipes into the
 * socket, which pauses on a full buffer and resumes on 'drain').
 */
import { createHash, hash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { toBase64 } from '../core/bytes.js';
import { LedgerError } from '../core/errors.js';
import { consistencyProof } from '../core/merkle.js';
import type { LedgerRecord } from '../core/record.js';
import { requireCode } from '../domain/trace.js';
import type { AuditReader, Ledger } from '../ledger.js';
import type { StoredRecord } from '../store/store.js';
import { inclusionPaths } from '../core/merkle.js';

export const BUNDLE_FORMAT = 'trace-ledger-bundle/1';
export const BUNDLE_MEDIA_TYPE = 'application/x-ndjson';

export type BundleDirection = 'up' | 'down' | 'both';
export const BUNDLE_DIRECTIONS: readonly BundleDirection[] = ['up', 'down', 'both'];

/** Which records a bundle holds. `range` is half-open: seq in [from, to). */
export type BundleScope =
  | { readonly kind: 'full' }
  | { readonly kind: 'range'; readonly from: number; readonly to: number }
  | { readonly kind: 'code'; readonly code: string; readonly direction: BundleDirection };

/** RFC 9162 §2.1.4 consistency proof from tree size `from` to the header checkpoint's size. */
export interface BundleConsistency {
  readonly from: number;
  /** Base64 hashes. */
  readonly proof: readonly string[];
}

export interface BundleHeader {
  readonly format: typeof BUNDLE_FORMAT;
  /** The log's origin: the checkpoint's first line and the ledger key's name. */
  readonly origin: string;
  /** The ledger's C2SP verifier key, `origin+keyid+base64(0x01‖pubkey)`; pin it independently. */
  readonly ledgerKey: string;
  /** The C2SP checkpoint (signed note) every record is proved against. */
  readonly checkpoint: string;
  readonly scope: BundleScope;
  readonly consistency?: BundleConsistency;
  readonly exportedAt: string;
}

export interface BundleRecordLine {
  readonly record: LedgerRecord;
  /** Hex SHA-256(0x00 ‖ JCS(record)). */
  readonly leafHash: string;
  /** Hex chain hash (docs/format.md "Records"). */
  readonly chainHash: string;
  /** Base64 audit path against the header checkpoint (scoped bundles only). */
  readonly inclusion?: readonly string[];
}

export interface BundleEnd {
  readonly end: { readonly records: number; readonly sha256: string };
}

/** Query of `GET /v1/export`: nothing (full), `code` (+ `direction`), or `from`/`to`; `since` with any. */
export interface ExportRequest {
  readonly code?: string | undefined;
  readonly direction?: BundleDirection | undefined;
  readonly from?: number | undefined;
  readonly to?: number | undefined;
  readonly since?: number | undefined;
}

export interface BundleExport {
  readonly header: BundleHeader;
  /** Number of record lines. */
  readonly records: number;
  /** Size of the header checkpoint's tree. */
  readonly treeSize: number;
  /** A file name for the bundle (Content-Disposition). */
  readonly filename: string;
  /** The bundle's bytes, one chunk per page of records, produced on demand. */
  chunks(): AsyncGenerator<Uint8Array, void, undefined>;
}

/**
 * Records per chunk, and so the longest the exporter holds the event loop at a time. Measured with
 * 4 clients looping full exports (bench/stall.js's loopers): at 512 the server's event-loop delay
 * was p50 74-87 ms and p99 358-498 ms, at 128 p50 20 ms and p99 132-149 ms, with more bytes sent.
 */
export const EXPORT_PAGE = 128;

const invalid = (message: string): LedgerError => new LedgerError('LEDGER_QUERY_INVALID', message);
const isSize = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

/** Validated scope of a request, before the checkpoint is known. */
function scopeOf(request: ExportRequest): { kind: 'full' } | { kind: 'range'; from: number; to: number | undefined } | { kind: 'code'; code: string; direction: BundleDirection } {
  const { code, direction, from, to } = request;
  if (code !== undefined) {
    if (from !== undefined || to !== undefined) throw invalid('give either code (with direction) or from/to, not both');
    if (typeof code !== 'string' || code === '') throw invalid('code must be a non-empty string');
    const dir = direction ?? 'both';
    if (!BUNDLE_DIRECTIONS.includes(dir)) throw invalid(`direction must be up, down or both, got ${String(direction)}`);
    return { kind: 'code', code, direction: dir };
  }
  if (direction !== undefined) throw invalid('direction needs a code');
  if (from === undefined && to === undefined) return { kind: 'full' };
  if (from !== undefined && !isSize(from)) throw invalid('from must be a non-negative integer');
  if (to !== undefined && !isSize(to)) throw invalid('to must be a non-negative integer');
  const f = from ?? 0;
  if (to !== undefined && to <= f) throw invalid(`to (${to}) must be greater than from (${f}): the range is [from, to)`);
  return { kind: 'range', from: f, to };
}

/** Seqs of every entry touching the code's upstream or downstream closure (or both), below `size`. */
function codeSeqs(reader: AuditReader, root: string, direction: BundleDirection, size: number): number[] {
  const codes = new Set([root]);
  const edges = [
    ...(direction === 'down' ? [] : reader.upstreamEdges(root)),
    ...(direction === 'up' ? [] : reader.downstreamEdges(root)),
  ];
  for (const e of edges) {
    codes.add(e.from);
    codes.add(e.to);
  }
  const seqs = new Set<number>();
  for (const t of reader.touchesFor([...codes])) if (t.seq < size) seqs.add(t.seq);
  return [...seqs].sort((a, b) => a - b);
}

/**
 * The records the signatures of `signers` depend on, with seq ≤ maxSeq and not `covered` already:
 * each signer's registration, key additions and revocations, then the same for whoever signed
 * those (the operator), down to genesis, which carries the ledger and operator keys.
 */
function registrySeqs(reader: AuditReader, signers: Iterable<string>, maxSeq: number, covered: (seq: number) => boolean): number[] {
  const extra = new Set<number>();
  const pending = [...signers];
  const seen = new Set<string>();
  const add = (seq: number | null) => {
    if (seq === null || seq > maxSeq || extra.has(seq)) return;
    if (!covered(seq)) extra.add(seq);
    pending.push(reader.payloadAt(seq).signer);
  };
  add(0);
  while (pending.length > 0) {
    const id = pending.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const p = reader.participant(id);
    if (p === undefined) continue;
    add(p.registeredSeq);
    for (const k of reader.keysOf(id)) {
      add(k.addedSeq);
      add(k.revokedSeq);
    }
  }
  return [...extra].sort((a, b) => a - b);
}

const sha256 = (data: Uint8Array): Uint8Array => hash('sha256', data, 'buffer') as unknown as Uint8Array;

const RECORD_OPEN = Buffer.from('{"record":', 'latin1');
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** One record line's pieces: the stored leaf bytes go out as they are. */
function pushRecordLine(out: Buffer[], r: StoredRecord, proof: readonly Uint8Array[] | undefined): number {
  const inclusion = proof === undefined ? '' : `,"inclusion":[${proof.map((h) => `"${toBase64(h)}"`).join(',')}]`;
  const tail = Buffer.from(`,"leafHash":"${hex(r.leafHash)}","chainHash":"${hex(r.chainHash)}"${inclusion}}\n`, 'latin1');
  const leaf = Buffer.from(r.leaf.buffer, r.leaf.byteOffset, r.leaf.byteLength);
  out.push(RECORD_OPEN, leaf, tail);
  return RECORD_OPEN.length + leaf.length + tail.length;
}

function fileName(origin: string, scope: BundleScope, size: number): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 80) || 'ledger';
  const what = scope.kind === 'full' ? 'full' : scope.kind === 'range' ? `seq${scope.from}-${scope.to}` : `${safe(scope.code)}-${scope.direction}`;
  return `${safe(origin)}-${what}-${size}.ndjson`;
}

/**
 * Plans a bundle: validates the request, picks the checkpoint (signing one on demand so that it
 * covers everything durable), computes the scope's seqs and the consistency proof. Nothing is
 * streamed yet, so every request error surfaces here, before a response has started.
 *
 * @throws LedgerError LEDGER_QUERY_INVALID (malformed request), LEDGER_PROOF_RANGE (a range or
 *   `since` outside the log), TRACE_CODE_INVALID / TRACE_OBJECT_NOT_FOUND (code scope)
 */
export function prepareExport(ledger: Ledger, request: ExportRequest = {}, now: () => number = Date.now): BundleExport {
  const wanted = scopeOf(request);
  const since = request.since;
  if (since !== undefined && (!isSize(since) || since === 0)) {
    throw invalid('since must be a tree size of at least 1 (a consistency proof from the empty tree proves nothing)');
  }
  const reader = ledger.auditReader();
  const cp = ledger.checkpoint(ledger.size());
  const size = cp.size;

  let scope: BundleScope;
  /** Seqs outside the scope proper (registry records), and the scope proper as a list or a range. */
  let plan: { extra: number[]; list: number[] } | { extra: number[]; from: number; to: number };
  if (wanted.kind === 'full') {
    scope = { kind: 'full' };
    plan = { extra: [], from: 0, to: size };
  } else if (wanted.kind === 'range') {
    if (wanted.from >= size) throw new LedgerError('LEDGER_PROOF_RANGE', `from ${wanted.from} is beyond the log (checkpoint size ${size})`);
    const to = Math.min(wanted.to ?? size, size);
    scope = { kind: 'range', from: wanted.from, to };
    const extra = registrySeqs(reader, reader.signersBetween(wanted.from, to), to - 1, (s) => s >= wanted.from && s < to);
    plan = { extra, from: wanted.from, to };
  } else {
    const canonical = requireCode(reader, wanted.code).code;
    const seqs = codeSeqs(reader, canonical, wanted.direction, size);
    scope = { kind: 'code', code: canonical, direction: wanted.direction };
    const inScope = new Set(seqs);
    const last = seqs.at(-1) ?? 0;
    const extra = registrySeqs(reader, new Set(seqs.map((s) => reader.payloadAt(s).signer)), last, (s) => inScope.has(s));
    plan = { extra: [], list: [...new Set([...seqs, ...extra])].sort((a, b) => a - b) };
  }

  let consistency: BundleConsistency | undefined;
  if (since !== undefined) {
    if (since > size) throw new LedgerError('LEDGER_PROOF_RANGE', `since ${since} is beyond the header checkpoint (size ${size})`);
    consistency = { from: since, proof: consistencyProof((l, i) => reader.node(l, i), since, size).map(toBase64) };
  }

  const header: BundleHeader = {
    format: BUNDLE_FORMAT,
    origin: ledger.origin,
    ledgerKey: ledger.verifierKey,
    checkpoint: cp.note,
    scope,
    ...(consistency === undefined ? {} : { consistency }),
    exportedAt: new Date(now()).toISOString(),
  };
  const scoped = scope.kind !== 'full';
  const records = 'list' in plan ? plan.list.length : plan.extra.length + (plan.to - plan.from);

  async function* chunks(): AsyncGenerator<Uint8Array, void, undefined> {
    const digest = createHash('sha256');
    // Proofs share their upper nodes and the tree's right edge: computed once per export.
    const pathOf = inclusionPaths((l, i) => reader.node(l, i), size, sha256);
    let written = 0;
    const emit = (parts: Buffer[], bytes: number): Buffer => {
      const chunk = Buffer.concat(parts, bytes);
      digest.update(chunk);
      return chunk;
    };
    const page = (rows: readonly StoredRecord[]): Buffer => {
      const parts: Buffer[] = [];
      let bytes = 0;
      for (const r of rows) {
        bytes += pushRecordLine(parts, r, scoped ? pathOf(r.seq) : undefined);
        written++;
      }
      return emit(parts, bytes);
    };
    const bySeq = (seqs: readonly number[]): StoredRecord[] =>
      seqs.map((s) => reader.record(s) ?? (() => { throw new LedgerError('LEDGER_STORE_CORRUPT', `record ${s} is missing`); })());

    const head = Buffer.from(`${JSON.stringify(header)}\n`, 'utf8');
    yield emit([head], head.length);
    for (let i = 0; i < plan.extra.length; i += EXPORT_PAGE) {
      await nextTurn();
      yield page(bySeq(plan.extra.slice(i, i + EXPORT_PAGE)));
    }
    if ('list' in plan) {
      for (let i = 0; i < plan.list.length; i += EXPORT_PAGE) {
        await nextTurn();
        yield page(bySeq(plan.list.slice(i, i + EXPORT_PAGE)));
      }
    } else {
      for (let after = plan.from - 1; after < plan.to - 1; ) {
        await nextTurn();
        const rows = reader.records(after, Math.min(EXPORT_PAGE, plan.to - 1 - after));
        if (rows.length === 0 || rows[0]!.seq !== after + 1) throw new LedgerError('LEDGER_STORE_CORRUPT', `record ${after + 1} is missing`);
        after = rows.at(-1)!.seq;
        yield page(rows);
      }
    }
    if (written !== records) throw new LedgerError('LEDGER_INTERNAL', `bundle planned ${records} records but wrote ${written}`);
    const end: BundleEnd = { end: { records: written, sha256: digest.digest('hex') } };
    yield Buffer.from(`${JSON.stringify(end)}\n`, 'utf8');
  }

  return { header, records, treeSize: size, filename: fileName(ledger.origin, scope, size), chunks };
}
