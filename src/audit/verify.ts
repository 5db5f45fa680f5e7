/**
 * Offline verification of audit bundles (src/audit/bundle.ts, docs/audit.md). Pure: no
 * file, network or database; the caller hands in the bundle's lines, and optionally a faster
 * Ed25519, a batch verifier on other threads and a faster SHA-256 (the CLI passes node:crypto and
 * a worker pool: src/audit/bundle-file.ts).
 *
 * What is checked, and against what:
 * - the header checkpoint's signature (C2SP signed-note) against a trusted verifier key: the one
 *   pinned by the caller, or else the bundle's own (and the report then says it was not pinned);
 *   origin in the header = checkpoint origin = key name = genesis origin, and the genesis names the
 *   same ledger key (bundle-verify/header.ts);
 * - every record line (bundle-verify/records.ts, with the shared record checks of src/verify):
 *   its shape, leaf hash, chain hash, seq order, signature with the key the registry, rebuilt from
 *   the bundle's own genesis, registration and key records, says was valid at that seq;
 * - a full bundle: all leaves 0..size-1, folded into the Merkle root (RFC 9162 §2.1.1) through a
 *   streaming frontier, equal to the checkpoint's; a scoped bundle: every inclusion proof
 *   (§2.1.3.2) against the checkpoint, and for a seq range, that no seq of the range is missing;
 * - with an older checkpoint: its signature (same trusted key) and the bundle's consistency proof
 *   from its size (§2.1.4.2; bundle-verify/consistency.ts);
 * - the end line: the number of record lines and the SHA-256 of every byte before it (truncation,
 *   and accidental damage to the parts no signature covers).
 *
 * It never throws and never stops at the first failure: every failure is listed with its line,
 * seq, check and expected/found values (up to `maxFailures`; `failureCount` counts them all), and
 * sorted into root causes and the consequences they imply (src/audit/failures.ts).
 * A line longer than `maxLineBytes` is reported and skipped, not parsed.
 *
 * What a scoped bundle cannot show: that nothing was left out (a revocation, an entry of the
 * product's chain). The inclusion proofs show that what is there is in the log; only a full bundle
 * (or a seq range) is complete by construction.
 */
import { equalBytes, toBase64, toHex, utf8 } from '../core/bytes.js';
import { parseJson } from '../core/jcs.js';
import { bundleRun, codeOf, HEX64, isObject, isSize, keysProblem, messageOf, type BundleRun, type Obj } from './bundle-verify/context.js';
import { headerState, pinTrustedKey, readHeader, type HeaderState } from './bundle-verify/header.js';
import { checkRecordLine, recordState, type RecordContext, type RecordState } from './bundle-verify/records.js';
import type { BundleReport, Sha256Hasher, VerifyBundleOptions } from './bundle-verify/report.js';
import { signatureQueue } from './bundle-verify/signatures.js';

export { bundleLines } from './bundle-verify/lines.js';
export { formatBundleReport, MAX_FAILURES, MAX_LINE_BYTES } from './bundle-verify/report.js';
export type { BundleReport, Sha256, Sha256Hasher, VerifyBundleOptions } from './bundle-verify/report.js';
export type { BundleCheck, BundleFailure, ConsequenceCounts } from './failures.js';

const NEWLINE = Uint8Array.of(0x0a);

/** The lines around the records: how many were read, the digest the end line must carry, and the end line itself. */
interface Framing {
  lineNo: number;
  headerSeen: boolean;
  /** An empty line is only allowed last (after the final newline); it is reported when another line follows. */
  pendingEmpty: number | null;
  lastLineText: string | null;
  readonly digest: Sha256Hasher;
  endLine: number | null;
  endChecked: boolean;
}

/**
 * Verifies an audit bundle, line by line, in constant memory (apart from the registry and the
 * failures listed).
 *
 * @param lines the bundle split at every "\n", as `text.split('\n')` would: a complete bundle's
 *   last element is the empty string after its final newline ({@link bundleLines} does this for
 *   a byte stream, with the line cap)
 * @returns the report; never rejects
 */
export async function verifyBundle(lines: AsyncIterable<string> | Iterable<string>, options: VerifyBundleOptions = {}): Promise<BundleReport> {
  const run = bundleRun(options);
  const header = headerState();
  const c: RecordContext = { run, header, state: recordState(run), signatures: signatureQueue(run) };
  const framing: Framing = { lineNo: 0, headerSeen: false, pendingEmpty: null, lastLineText: null, digest: run.sha256.create(), endLine: null, endChecked: false };
  pinTrustedKey(run, header);
  try {
    for await (const text of lines) {
      const before = c.state.records;
      readLine(c, framing, text);
      if (c.state.records !== before && c.state.records % 1000 === 0) options.onProgress?.(c.state.records);
      const backlog = c.signatures.backlog();
      if (backlog !== undefined) await backlog;
    }
  } catch (e) {
    run.fail('truncated', framing.lineNo + 1, null, `reading the bundle failed: ${messageOf(e)}`);
  }
  checkFraming(run, framing);
  await c.signatures.drain();
  const rootChecked = checkCompleteness(run, header, c.state, framing.headerSeen);
  options.onProgress?.(c.state.records);
  return summary(run, header, c, framing, rootChecked);
}

/** One line of input: the header, a record, the end line, or a line that cannot be any of them. */
function readLine(c: RecordContext, f: Framing, text: unknown): void {
  const { run } = c;
  f.lineNo++;
  if (typeof text !== 'string') {
    run.fail('format', f.lineNo, null, 'the input gave a line that is not a string');
    return;
  }
  f.lastLineText = text;
  if (f.pendingEmpty !== null) {
    run.fail('format', f.pendingEmpty, null, 'empty line');
    f.pendingEmpty = null;
  }
  if (text === '') {
    f.pendingEmpty = f.lineNo;
    if (f.endLine === null) f.digest.update(NEWLINE);
    return;
  }
  // The length in UTF-16 units bounds the bytes from below: a line that long is not encoded at all.
  const bytes = text.length > run.maxLineBytes ? undefined : utf8(text);
  if (bytes === undefined || bytes.length > run.maxLineBytes) {
    run.fail('line-length', f.lineNo, null, `line is longer than ${run.maxLineBytes} bytes: not read`);
    if (f.headerSeen) c.state.records++;
    f.headerSeen = true;
    c.state.frontierBroken ??= `line ${f.lineNo} is too long`;
    return;
  }
  if (!f.headerSeen) {
    f.headerSeen = true;
    f.digest.update(bytes);
    f.digest.update(NEWLINE);
    if (!readHeader(run, c.header, text, f.lineNo)) checkRecordLine(c, text, bytes, f.lineNo, f.endLine);
    return;
  }
  // The end line is recognised by its start; anything else is a record line.
  if (text.startsWith('{"end":')) {
    readEndLine(run, f, c.state, text);
    return;
  }
  if (f.endLine === null) {
    f.digest.update(bytes);
    f.digest.update(NEWLINE);
  }
  checkRecordLine(c, text, bytes, f.lineNo, f.endLine);
}

/** The end line: the number of record lines and the SHA-256 of every byte before it. */
function readEndLine(run: BundleRun, f: Framing, records: RecordState, text: string): void {
  const line = f.lineNo;
  let v: unknown;
  try {
    v = parseJson(text);
  } catch (e) {
    run.fail('end', line, null, `the end line is not JSON: ${messageOf(e)}`, { code: codeOf(e) });
    f.endLine ??= line;
    return;
  }
  if (!isObject(v)) {
    run.fail('end', line, null, 'the end line is not a JSON object');
    return;
  }
  if (f.endLine !== null) {
    run.fail('format', line, null, `a second end line (the first is line ${f.endLine})`);
    return;
  }
  f.endLine = line;
  const end = (v as Obj)['end'];
  if (keysProblem(v, ['end']) !== undefined || !isObject(end) || keysProblem(end, ['records', 'sha256']) !== undefined || !isSize(end['records']) || typeof end['sha256'] !== 'string' || !HEX64.test(end['sha256'])) {
    run.fail('end', line, null, 'the end line must be {"end":{"records":<count>,"sha256":"<64 hex>"}}');
    return;
  }
  const computed = toHex(f.digest.digest());
  f.endChecked = true;
  if (end['records'] !== records.records) run.fail('end', line, null, 'the end line counts another number of record lines than were read', { expected: String(records.records), found: String(end['records']) });
  if (computed !== end['sha256']) {
    run.fail('end', line, null, 'the bytes before the end line are not the ones exported (SHA-256 differs): lines were changed, added, dropped or moved', { expected: computed, found: end['sha256'] });
  }
}

/** The end of the input: a header, a final newline, an end line. */
function checkFraming(run: BundleRun, f: Framing): void {
  if (f.lineNo === 0 || (f.lineNo === 1 && f.pendingEmpty !== null)) run.fail('header', null, null, 'the bundle is empty');
  else if (!f.headerSeen) run.fail('header', null, null, 'the bundle has no header line');
  if (f.lineNo > 0 && f.pendingEmpty === null) {
    run.fail('truncated', f.lineNo, null, f.lastLineText === null ? 'the bundle does not end with a newline' : 'the bundle does not end with a newline: its last line may be cut short');
  }
  if (f.endLine === null && f.lineNo > 0) run.fail('truncated', null, null, 'the bundle has no end line: it was cut short');
}

/**
 * After the last record: a full bundle's root against the checkpoint's, a range's record count.
 * @returns whether the root was recomputed and compared
 */
function checkCompleteness(run: BundleRun, header: HeaderState, state: RecordState, headerSeen: boolean): boolean {
  const { checkpoint: cp, scope } = header;
  if (cp === undefined || scope === null) {
    if (cp === undefined && headerSeen) run.notes.push('no verified checkpoint: neither the Merkle root nor the inclusion proofs were checked');
    if (scope?.kind === 'code') run.notes.push(CODE_SCOPE_NOTE);
    return false;
  }
  const { frontier } = state;
  if (scope.kind === 'full') {
    if (state.frontierBroken !== undefined) {
      run.fail('merkle-root', null, null, `the root cannot be recomputed: ${state.frontierBroken}`, { explanation: 'leaves-unreadable' });
      return false;
    }
    if (frontier.size !== cp.size) {
      if (frontier.size < cp.size) run.fail('order', null, frontier.size, `records ${frontier.size}..${cp.size - 1} are missing: the checkpoint has ${cp.size}`, { expected: String(cp.size), found: String(frontier.size) });
      run.fail('merkle-root', null, null, `the root cannot be recomputed: ${frontier.size} of the checkpoint's ${cp.size} leaves were read`, { explanation: 'leaves-unreadable' });
      return false;
    }
    const root = frontier.root();
    if (!equalBytes(root, cp.root)) run.fail('merkle-root', null, null, 'the records do not give the checkpoint\'s Merkle root', { expected: toBase64(cp.root), found: toBase64(root), explanation: 'leaf-altered' });
    return true;
  }
  if (scope.kind === 'range') {
    const want = Math.min(scope.to, cp.size) - scope.from;
    if (state.rangeSeen !== want) run.fail('scope', null, null, `the range [${scope.from}, ${scope.to}) has ${want} records, the bundle carries ${state.rangeSeen} of them`, { expected: String(want), found: String(state.rangeSeen) });
  }
  if (scope.kind === 'code') run.notes.push(CODE_SCOPE_NOTE);
  return false;
}

const CODE_SCOPE_NOTE = 'which entries belong to a product\'s chain is the exporter\'s statement: the proofs show that every entry in the bundle is in the log, not that none was left out';

function summary(run: BundleRun, header: HeaderState, c: RecordContext, f: Framing, rootChecked: boolean): BundleReport {
  const { log } = run;
  const { state } = c;
  const cp = header.checkpoint;
  return {
    ok: log.count === 0,
    format: header.format,
    origin: header.origin,
    scope: header.scope,
    checkpoint: cp === undefined ? null : { origin: cp.origin, size: cp.size, root: toBase64(cp.root) },
    ledgerKey: header.trusted?.text ?? null,
    keyPinned: header.keyPinned,
    records: state.records,
    checked: {
      leafHashes: state.leafHashes, chainLinks: state.chainLinks, signatures: c.signatures.checked, inclusionProofs: state.inclusionProofs,
      root: rootChecked, consistency: header.consistencyChecked, endLine: f.endChecked,
    },
    consistency: header.consistency,
    failures: log.listed(),
    failureCount: log.count,
    rootCauses: log.rootCauses(),
    rootCauseCount: log.rootCauseCount,
    consequences: log.consequences(),
    notes: run.notes,
    operatorAddedKeys: state.operatorAddedKeys,
    operatorKeySigned: state.operatorKeySigned,
  };
}
