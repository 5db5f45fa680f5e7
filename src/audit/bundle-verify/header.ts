/**
 * The bundle's first line (docs/audit.md "Bundle format"): its format, origin and scope, the ledger
 * key to trust, the checkpoint everything is proved against, and an optional consistency proof
 * from an older checkpoint.
 */
import type { Checkpoint } from '../../core/checkpoint.js';
import { parseJson } from '../../core/jcs.js';
import { parseVerifierKey } from '../../core/note.js';
import { checkCheckpoint } from '../../verify/checkpoint.js';
import type { TrustedKey } from '../../verify/registry.js';
import { BUNDLE_DIRECTIONS, BUNDLE_FORMAT, type BundleConsistency, type BundleScope } from '../bundle.js';
import { checkConsistency } from './consistency.js';
import { codeOf, isObject, isSize, keysProblem, messageOf, type BundleRun, type Obj } from './context.js';

/** What the header establishes, for the record stream and the summary. */
export interface HeaderState {
  format: string | null;
  origin: string | null;
  scope: BundleScope | null;
  /** The key checkpoints and the genesis are checked against. */
  trusted: TrustedKey | undefined;
  keyPinned: boolean;
  /** The header checkpoint, once its signature verified. */
  checkpoint: Checkpoint | undefined;
  consistency: { from: number; to: number } | null;
  consistencyChecked: boolean;
}

export function headerState(): HeaderState {
  return { format: null, origin: null, scope: null, trusted: undefined, keyPinned: false, checkpoint: undefined, consistency: null, consistencyChecked: false };
}

/** The caller's trusted key, before any line is read. */
export function pinTrustedKey(run: BundleRun, state: HeaderState): void {
  const text = run.options.trustedKey;
  if (text === undefined) return;
  try {
    state.trusted = { text, key: parseVerifierKey(text) };
    state.keyPinned = true;
  } catch (e) {
    run.fail('ledger-key', null, null, `the trusted key given is malformed: ${messageOf(e)}`, { code: codeOf(e) });
  }
}

/**
 * Line 1. Returns false when it is no header but a record line, which the caller then checks as
 * one (a bundle whose header was cut off still has its records checked).
 */
export function readHeader(run: BundleRun, state: HeaderState, text: string, line: number): boolean {
  let v: unknown;
  try {
    v = parseJson(text);
  } catch (e) {
    run.fail('header', line, null, `line 1 is not JSON: ${messageOf(e)}`, { code: codeOf(e) });
    return true;
  }
  if (!isObject(v) || !('format' in v)) {
    run.fail('header', line, null, 'the bundle does not start with a header line (is line 1 missing?)');
    return !(isObject(v) && 'record' in v);
  }
  state.format = typeof v['format'] === 'string' ? v['format'] : null;
  if (v['format'] !== BUNDLE_FORMAT) {
    run.fail('header', line, null, `unsupported format ${JSON.stringify(v['format'])}`, { expected: BUNDLE_FORMAT, found: String(v['format']) });
    return true;
  }
  const problem = keysProblem(v, ['format', 'origin', 'ledgerKey', 'checkpoint', 'scope', 'exportedAt'], ['consistency']);
  if (problem !== undefined) run.fail('header', line, null, `header: ${problem}`);
  if (typeof v['origin'] === 'string') state.origin = v['origin'];
  else run.fail('header', line, null, 'header.origin must be a string');
  const s = parseScope(v['scope']);
  if (typeof s === 'string') run.fail('header', line, null, `header: ${s}`);
  else state.scope = s;
  if (typeof v['exportedAt'] !== 'string') run.fail('header', line, null, 'header.exportedAt must be a string');

  readLedgerKey(run, state, v, line);
  readCheckpoint(run, state, v, line);
  readConsistency(run, state, v, line);
  return true;
}

/** The key to trust: the caller's, which the bundle must name, or else the bundle's own (not pinned). */
function readLedgerKey(run: BundleRun, state: HeaderState, v: Obj, line: number): void {
  const named = typeof v['ledgerKey'] === 'string' ? v['ledgerKey'] : undefined;
  if (named === undefined) run.fail('header', line, null, 'header.ledgerKey must be a string');
  const pinned = run.options.trustedKey;
  if (pinned !== undefined) {
    if (named !== undefined && named !== pinned) run.fail('ledger-key', line, null, 'the bundle names another ledger key than the trusted one', { expected: pinned, found: named });
    return;
  }
  if (named === undefined) return;
  try {
    state.trusted = { text: named, key: parseVerifierKey(named) };
    run.notes.push('the ledger key was taken from the bundle itself, not independently pinned: pass the key you trust (trace-ledger verify --key)');
  } catch (e) {
    run.fail('ledger-key', line, null, `header.ledgerKey is malformed: ${messageOf(e)}`, { code: codeOf(e) });
  }
}

/** The checkpoint everything is proved against, and the origins that must agree with it. */
function readCheckpoint(run: BundleRun, state: HeaderState, v: Obj, line: number): void {
  const { trusted } = state;
  if (typeof v['checkpoint'] !== 'string') run.fail('header', line, null, 'header.checkpoint must be a string (a signed note)');
  else if (trusted !== undefined) {
    const checked = checkCheckpoint(v['checkpoint'], trusted.key, run.ed);
    if (checked.ok) state.checkpoint = checked.value;
    else run.failCheck('checkpoint', line, null, checked.failure, { message: `the checkpoint does not verify with ledger key ${trusted.key.name}: ${checked.failure.message}` });
  }
  const cp = state.checkpoint;
  if (state.origin !== null) {
    const want = cp?.origin ?? trusted?.key.name;
    if (want !== undefined && state.origin !== want) run.fail('origin', line, null, 'the header names another origin than the checkpoint and key', { expected: want, found: state.origin });
  }
  const scope = state.scope;
  if (cp !== undefined && scope?.kind === 'range' && scope.to > cp.size) {
    run.fail('scope', line, null, `range [${scope.from}, ${scope.to}) goes beyond the checkpoint (size ${cp.size})`);
  }
}

/** Consistency with an older checkpoint: checked when the caller gives one, else noted. */
function readConsistency(run: BundleRun, state: HeaderState, v: Obj, line: number): void {
  let proof: BundleConsistency | undefined;
  if ('consistency' in v) {
    const c = parseConsistency(v['consistency']);
    if (typeof c === 'string') run.fail('header', line, null, `header: ${c}`);
    else {
      proof = c;
      state.consistency = { from: c.from, to: state.checkpoint?.size ?? NaN };
    }
  }
  if (run.options.oldCheckpoint !== undefined) state.consistencyChecked = checkConsistency(run, state, run.options.oldCheckpoint, proof, line);
  else if (proof !== undefined) run.notes.push(`the bundle carries a consistency proof from size ${proof.from}, not checked: give the older checkpoint (trace-ledger verify --checkpoint old.txt)`);
}

function parseScope(v: unknown): BundleScope | string {
  if (!isObject(v)) return 'scope must be an object';
  if (v['kind'] === 'full') return keysProblem(v, ['kind']) ?? { kind: 'full' };
  if (v['kind'] === 'range') {
    const p = keysProblem(v, ['kind', 'from', 'to']);
    if (p !== undefined) return `range scope: ${p}`;
    if (!isSize(v['from']) || !isSize(v['to']) || v['from'] >= v['to']) return 'range scope needs integers 0 ≤ from < to';
    return { kind: 'range', from: v['from'], to: v['to'] };
  }
  if (v['kind'] === 'code') {
    const p = keysProblem(v, ['kind', 'code', 'direction']);
    if (p !== undefined) return `code scope: ${p}`;
    if (typeof v['code'] !== 'string' || v['code'] === '') return 'code scope needs a code';
    if (!BUNDLE_DIRECTIONS.includes(v['direction'] as never)) return 'code scope direction must be up, down or both';
    return { kind: 'code', code: v['code'], direction: v['direction'] as 'up' | 'down' | 'both' };
  }
  return `unknown scope kind ${JSON.stringify(v['kind'])}`;
}

function parseConsistency(v: unknown): BundleConsistency | string {
  if (!isObject(v)) return 'consistency must be an object';
  const p = keysProblem(v, ['from', 'proof']);
  if (p !== undefined) return `consistency: ${p}`;
  if (!isSize(v['from']) || v['from'] === 0) return 'consistency.from must be a tree size ≥ 1';
  if (!Array.isArray(v['proof']) || !v['proof'].every((h) => typeof h === 'string')) return 'consistency.proof must be an array of base64 strings';
  return { from: v['from'], proof: v['proof'] as string[] };
}
