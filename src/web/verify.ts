/**
 * The customer page's verification badge, run in the customer's browser (bundled with esbuild into
 * `/assets/verify.js` by src/http/routes/asset-routes.ts).
 *
 * It trusts nothing the server sends except the ledger verifier key pinned in the page, and checks
 * the evidence (`GET /v1/objects/:code/evidence`) with the same pure core the server uses:
 * 1. the checkpoint note is signed by the pinned key (C2SP signed-note), never by the key the
 *    evidence names;
 * 2. every record: leafHash = SHA-256(0x00 ‖ JCS(record)) equals the served leaf hash and its
 *    inclusion proof leads to the checkpoint's root (RFC 9162 §2.1.3.2);
 * 3. the key registry is rebuilt from the records themselves (genesis, whose signature is checked
 *    with the pinned key, registers the operator; participant.register / key.add / key.revoke,
 *    applied in seq order by the server's own registry rules), and every entry's Ed25519 signature
 *    is checked with its signer's key valid at that seq (cofactorless, as OpenSSL: core's
 *    ed25519.ts, with each key's multiples kept between its signatures: keyed-ed25519.ts);
 * 4. every seq the page's facts cite is among the verified records.
 *
 * What it cannot see: a key revocation the evidence leaves out (only the full log shows that; an
 * auditor's `trace-ledger verify` of an export does), and whether the server rendered the cited
 * entries faithfully (the page links each fact to its entry, which a reader can inspect).
 *
 * The page runs the check in a module worker started from this same script (falling back to the
 * page's own thread where module workers are missing), and exposes the outcome on the badge for
 * tests and benchmarks: `data-state` (pending; ok; fail: a check failed; unavailable: the
 * evidence could not be fetched, so nothing was checked, and a retry button shows), `data-verify-ms` (checking the evidence,
 * after it arrived), `data-fetch-ms`, `data-total-ms` (script start to verdict), `data-entries`,
 * `data-failed-seq`, `data-failed-check`, `data-failed-code` (the record check's code, docs/audit.md), `data-runner` (worker or page), `data-operator-key-seqs` (entries
 * signed with a recovery key the operator added: the badge says so, whatever the page around it says).
 *
 * The module has no side effects unless it runs in a page with a `#verify-config` element or in
 * that page's worker, so Node tests can import {@link verifyEvidence}.
 */
import type { Checkpoint } from '../core/checkpoint.js';
import { nobleEd25519, type Ed25519 } from '../core/ed25519.js';
import { signingMessage, type Entry } from '../core/entry.js';
import { nobleSha256Fn } from '../core/hash.js';
import { canonicalBytes, parseJson } from '../core/jcs.js';
import { parseVerifierKey, type VerifierKey } from '../core/note.js';
import type { Payload } from '../domain/schemas.js';
import { checkCheckpoint } from '../verify/checkpoint.js';
import type { VerifyCode } from '../verify/failure.js';
import { checkInclusion, checkLeafHash } from '../verify/record.js';
import { checkGenesisKey, checkGenesisPosition, isGenesisPosition, missingGenesis, replayRegistry, type RegistryReplay, type TrustedKey } from '../verify/registry.js';
import { checkSignature } from '../verify/signature.js';
import { keyedNobleEd25519 } from './keyed-ed25519.js';

/** Which check failed; the page shows a translated label for each. The record checks' own code (src/verify) comes with it. */
export type VerifyCheck = 'evidence' | 'checkpoint' | 'leafHash' | 'inclusion' | 'key' | 'signature' | 'missing';

export type VerifyResult =
  | {
      readonly ok: true; readonly entries: number; readonly size: number; readonly origin: string; readonly seqs: readonly number[];
      /** Entries signed with a recovery key an operator added (domain/key-rules.ts), seen from the records themselves. */
      readonly operatorKeySeqs: readonly number[];
    }
  | {
      readonly ok: false; readonly check: VerifyCheck; readonly seq: number | undefined; readonly detail: string; readonly seqs: readonly number[];
      /** The shared record check's code (docs/audit.md "Record checks"); undefined for the evidence's own checks (shape, cited entries). */
      readonly verifyCode: VerifyCode | undefined;
    };

export interface VerifyOptions {
  /** Verifier key string pinned in the page (`origin+keyid+base64(0x01‖pubkey)`). */
  readonly pinnedKey: string;
  /** Seqs of the entries the page's facts cite: each must be among the verified records. */
  readonly cited?: readonly number[];
  /** Object code the page is about; the evidence must be for it. */
  readonly code?: string;
  /** Called after each record; a returned promise is awaited (the page yields to the browser there). */
  readonly onProgress?: (done: number, total: number) => void | Promise<void>;
}

interface EvidenceRecord {
  readonly seq: number;
  readonly record: { readonly seq: number; readonly recordedAt: string; readonly entry: Entry };
  readonly leafHash: string;
  readonly inclusion: readonly string[];
}

class Failure extends Error {
  constructor(
    readonly check: VerifyCheck,
    readonly seq: number | undefined,
    message: string,
    readonly verifyCode?: VerifyCode,
  ) {
    super(message);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Shape checks of the untrusted evidence document, before any of it is used. */
function parseEvidence(text: string): { code: unknown; ledgerKey: unknown; checkpoint: string; records: EvidenceRecord[] } {
  let doc: unknown;
  try {
    doc = parseJson(text);
  } catch (e) {
    throw new Failure('evidence', undefined, `evidence is not valid JSON: ${messageOf(e)}`);
  }
  if (!isObject(doc) || typeof doc['checkpoint'] !== 'string' || !Array.isArray(doc['records'])) {
    throw new Failure('evidence', undefined, 'evidence must be an object with a checkpoint and records');
  }
  const records = doc['records'] as unknown[];
  records.forEach((r, i) => {
    const ok =
      isObject(r) &&
      Number.isSafeInteger(r['seq']) &&
      isObject(r['record']) &&
      (r['record'] as Record<string, unknown>)['seq'] === r['seq'] &&
      isObject((r['record'] as Record<string, unknown>)['entry']) &&
      typeof r['leafHash'] === 'string' &&
      Array.isArray(r['inclusion']) &&
      (r['inclusion'] as unknown[]).every((h) => typeof h === 'string');
    if (!ok) throw new Failure('evidence', isObject(r) && Number.isSafeInteger(r['seq']) ? (r['seq'] as number) : undefined, `record ${i} is malformed`);
  });
  return { code: doc['code'], ledgerKey: doc['ledgerKey'], checkpoint: doc['checkpoint'], records: records as EvidenceRecord[] };
}

/** The leaf hash of one record, checked against the served one and proved into the checkpoint. */
function checkLeaf(r: EvidenceRecord, cp: Checkpoint): void {
  let leaf: Uint8Array;
  try {
    leaf = canonicalBytes(r.record);
  } catch (e) {
    throw new Failure('leafHash', r.seq, messageOf(e), 'RECORD_LEAF_HASH');
  }
  const hashed = checkLeafHash(nobleSha256Fn, leaf, r.leafHash);
  if (hashed.failure !== undefined) throw new Failure('leafHash', r.seq, 'the record does not hash to its leaf hash: its content was altered', hashed.failure.code);
  const included = checkInclusion(nobleSha256Fn, hashed.hash, r.seq, cp, r.inclusion);
  if (included !== undefined) throw new Failure('inclusion', r.seq, included.message, included.code);
}

/**
 * The signature of one entry, with the key the registry says was valid at its seq (the genesis:
 * the pinned key), then the entry's effect on the registry.
 * @returns whether the entry was signed with an operator-added (recovery) key
 */
function checkEntry(r: EvidenceRecord, registry: RegistryReplay, pinned: TrustedKey, ed: Ed25519): boolean {
  const { payload, signature } = r.record.entry;
  if (!isObject(payload) || !isObject(signature) || typeof payload['signer'] !== 'string' || typeof signature['kid'] !== 'string') {
    throw new Failure('evidence', r.seq, 'entry has no payload signer or signature kid');
  }
  let publicKey: Uint8Array;
  let operatorAdded = false;
  if (isGenesisPosition(r.seq, payload)) {
    // Genesis is the root of the registry: signed by the ledger key, which must be the pinned one.
    const position = checkGenesisPosition(r.seq, payload);
    if (position !== undefined) throw new Failure('key', r.seq, position.message, position.code);
    const mismatch = checkGenesisKey(payload, signature.kid, pinned)[0];
    if (mismatch !== undefined) throw new Failure('key', 0, 'the genesis names another ledger key than the one pinned in this page', mismatch.code);
    publicKey = pinned.key.publicKey;
  } else {
    const key = registry.keyAt(payload.signer, signature.kid, r.seq);
    if (!key.ok) throw new Failure('key', r.seq, key.failure.message, key.failure.code);
    publicKey = key.value.publicKey;
    operatorAdded = key.value.operatorAdded;
  }
  let message: Uint8Array;
  try {
    message = signingMessage(payload);
  } catch (e) {
    throw new Failure('signature', r.seq, messageOf(e), 'RECORD_SIGNATURE');
  }
  const bad = checkSignature(ed, message, signature, publicKey);
  if (bad !== undefined) throw new Failure('signature', r.seq, bad.message, bad.code);
  const effects = registry.effectsOf(payload as unknown as Payload, r.seq);
  if (!effects.ok) throw new Failure('key', r.seq, effects.failure.message, effects.failure.code);
  registry.apply(effects.value);
  return operatorAdded;
}

/**
 * Verifies an evidence document against the pinned ledger key. Never throws: every failure is a
 * result naming the check and, where there is one, the seq of the entry that failed.
 */
export async function verifyEvidence(evidenceText: string, options: VerifyOptions): Promise<VerifyResult> {
  const verified: number[] = [];
  const operatorKeySeqs: number[] = [];
  try {
    let pinned: VerifierKey;
    try {
      pinned = parseVerifierKey(options.pinnedKey);
    } catch (e) {
      throw new Failure('checkpoint', undefined, `the pinned ledger key is malformed: ${messageOf(e)}`, 'CHECKPOINT_SIGNATURE');
    }
    const ev = parseEvidence(evidenceText);
    if (options.code !== undefined && ev.code !== options.code) throw new Failure('evidence', undefined, `the evidence is for ${String(ev.code)}, not ${options.code}`);
    if (ev.ledgerKey !== options.pinnedKey) throw new Failure('checkpoint', undefined, 'the evidence names another ledger key than the one pinned in this page', 'CHECKPOINT_SIGNATURE');
    const checked = checkCheckpoint(ev.checkpoint, pinned, nobleEd25519);
    if (!checked.ok) throw new Failure('checkpoint', undefined, checked.failure.message, checked.failure.code);
    const cp = checked.value;
    const records = [...ev.records].sort((a, b) => a.seq - b.seq);
    if (records[0]?.seq !== 0) throw new Failure('missing', 0, 'the evidence lacks the genesis record (seq 0), the root of the key registry', missingGenesis().code);
    const registry = replayRegistry();
    const trusted: TrustedKey = { text: options.pinnedKey, key: pinned };
    const ed = keyedNobleEd25519();
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      if (i > 0 && r.seq === records[i - 1]!.seq) throw new Failure('evidence', r.seq, 'record appears twice');
      checkLeaf(r, cp);
      if (checkEntry(r, registry, trusted, ed)) operatorKeySeqs.push(r.seq);
      verified.push(r.seq);
      const pending = options.onProgress?.(i + 1, records.length);
      if (pending !== undefined) await pending;
    }
    const have = new Set(verified);
    for (const seq of options.cited ?? []) {
      if (!have.has(seq)) throw new Failure('missing', seq, 'the page cites this entry but the evidence does not contain it');
    }
    return { ok: true, entries: verified.length, size: cp.size, origin: cp.origin, seqs: verified, operatorKeySeqs };
  } catch (e) {
    if (e instanceof Failure) return { ok: false, check: e.check, seq: e.seq, detail: e.message, seqs: verified, verifyCode: e.verifyCode };
    return { ok: false, check: 'evidence', seq: undefined, detail: messageOf(e), seqs: verified, verifyCode: undefined };
  }
}

// ---------------------------------------------------------------------------------------------
// The page: fetch and verify in a worker (so that laying out a long page and checking hundreds of
// signatures share no thread), show progress and the verdict.

/** The badge texts the script shows, in the page's language; `{name}` placeholders. */
export interface BadgeTexts {
  readonly fetching: string;
  readonly progress: string;
  /** The records verified: the headline, what it means ({n}), the technical summary ({n}, {size}, {origin}). */
  readonly ok: string;
  readonly okDetail: string;
  readonly okTech: string;
  /** Added to okDetail when {n} verified entries were signed with a recovery key the operator added. */
  readonly operatorKeys: string;
  /** A check failed: the headline, what it means ({seq}, {check}; without a seq). */
  readonly fail: string;
  readonly failDetail: string;
  readonly failNoSeqDetail: string;
  /** The evidence could not be fetched: nothing was checked. */
  readonly unavailable: string;
  readonly unavailableDetail: string;
  readonly checks: Readonly<Record<VerifyCheck, string>>;
}

/** What the server embeds in `<script type="application/json" id="verify-config">`. */
export interface PageConfig {
  readonly code: string;
  readonly ledgerKey: string;
  readonly evidence: string;
  readonly cited: readonly number[];
  readonly t: BadgeTexts;
}

/**
 * The evidence was fetched and checked (`result` says how that went), or it could not be fetched
 * at all: a network error or an error status. The second is no evidence of tampering, since
 * nothing was checked; it is never shown as a verified page either.
 */
type Outcome =
  | {
      readonly verdict: 'checked';
      readonly result: VerifyResult;
      /** Fetching the evidence, ms. */
      readonly fetchMs: number;
      /** Checking it (parse, checkpoint, hashes, proofs, registry, signatures), ms. */
      readonly verifyMs: number;
    }
  | { readonly verdict: 'unavailable'; readonly detail: string; readonly fetchMs: number };

type WorkerMessage = { readonly kind: 'progress'; readonly done: number; readonly total: number } | ({ readonly kind: 'done' } & Outcome);

type Progress = (done: number, total: number) => void | Promise<void>;

async function fetchAndVerify(config: PageConfig, onProgress: Progress): Promise<Outcome> {
  const started = performance.now();
  let text: string;
  try {
    const res = await fetch(config.evidence, { headers: { accept: 'application/json' } });
    text = await res.text();
    if (!res.ok) {
      let why = text.slice(0, 200);
      try {
        why = String((JSON.parse(text) as { detail?: unknown }).detail ?? why);
      } catch {
        // not problem+json: keep the raw text
      }
      throw new Error(`HTTP ${res.status}: ${why}`);
    }
  } catch (e) {
    return { verdict: 'unavailable', detail: `cannot fetch the evidence: ${messageOf(e)}`, fetchMs: performance.now() - started };
  }
  const fetched = performance.now();
  const result = await verifyEvidence(text, { pinnedKey: config.ledgerKey, cited: config.cited, code: config.code, onProgress });
  return { verdict: 'checked', result, fetchMs: fetched - started, verifyMs: performance.now() - fetched };
}

/** Runs {@link fetchAndVerify} in a module worker started from this very script. */
function inWorker(config: PageConfig, onProgress: Progress): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { type: 'module', name: 'verify' });
    worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
      if (e.data.kind === 'progress') {
        void onProgress(e.data.done, e.data.total);
        return;
      }
      worker.terminate();
      resolve(e.data);
    };
    worker.onerror = (e) => {
      e.preventDefault();
      worker.terminate();
      reject(new Error(e.message));
    };
    worker.postMessage(config);
  });
}

/** Worker side: one request, progress about every 50 ms, then the outcome. */
function serveWorker(scope: { onmessage: ((e: MessageEvent<PageConfig>) => void) | null; postMessage(m: WorkerMessage): void }): void {
  scope.onmessage = (e) => {
    let last = 0;
    void fetchAndVerify(e.data, (done, total) => {
      const now = performance.now();
      if (now - last < 50 && done < total) return;
      last = now;
      scope.postMessage({ kind: 'progress', done, total });
    }).then((outcome) => scope.postMessage({ kind: 'done', ...outcome }));
  };
}

const fill = (template: string, values: Record<string, string | number>): string =>
  template.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? String(values[k]) : m));

/** The badge's parts, rendered by page.ts: title, detail, progress bar, retry button, technical line. */
interface BadgeParts {
  readonly badge: HTMLElement;
  readonly title: HTMLElement | null;
  readonly detail: HTMLElement | null;
  readonly bar: HTMLProgressElement | null;
  readonly retry: HTMLButtonElement | null;
  readonly tech: HTMLElement | null;
}

function badgeParts(badge: HTMLElement): BadgeParts {
  return {
    badge,
    title: badge.querySelector<HTMLElement>('[data-badge-title]'),
    detail: badge.querySelector<HTMLElement>('[data-badge-detail]'),
    bar: badge.querySelector<HTMLProgressElement>('progress'),
    retry: badge.querySelector<HTMLButtonElement>('button[data-badge-retry]'),
    tech: badge.querySelector<HTMLElement>('[data-badge-tech]'),
  };
}

/** Verify with a worker, or on the page's thread where module workers are missing. */
async function runCheck(config: PageConfig, parts: BadgeParts, showProgress: Progress): Promise<Outcome> {
  try {
    const outcome = await inWorker(config, showProgress);
    parts.badge.dataset['runner'] = 'worker';
    return outcome;
  } catch {
    // No module workers here: verify on the page's thread, yielding about every 50 ms so the
    // progress bar moves and the page scrolls.
    let lastPaint = performance.now();
    const outcome = await fetchAndVerify(config, (done, total) => {
      const now = performance.now();
      if (now - lastPaint < 50 && done < total) return undefined;
      lastPaint = now;
      void showProgress(done, total);
      return new Promise<void>((resolve) => setTimeout(resolve, 0));
    });
    parts.badge.dataset['runner'] = 'page';
    return outcome;
  }
}

async function runBadge(config: PageConfig, parts: BadgeParts): Promise<void> {
  const { badge, bar, retry, tech } = parts;
  const say = (main: string, sub = '', technical = '') => {
    if (parts.title) parts.title.textContent = main;
    if (parts.detail) parts.detail.textContent = sub;
    if (tech) tech.textContent = technical;
  };
  const t = config.t;
  const started = performance.now();
  for (const key of ['entries', 'operatorKeySeqs', 'failedSeq', 'failedCheck', 'failedCode', 'verifyMs', 'fetchMs', 'totalMs']) delete badge.dataset[key];
  badge.dataset['state'] = 'pending';
  if (retry) retry.hidden = true;
  if (bar) {
    bar.hidden = false;
    bar.removeAttribute('value');
  }
  say(t.fetching);
  const showProgress = (done: number, total: number) => {
    if (bar) {
      bar.max = total;
      bar.value = done;
    }
    say(fill(t.progress, { done, total }));
  };
  const outcome = await runCheck(config, parts, showProgress);
  badge.dataset['fetchMs'] = outcome.fetchMs.toFixed(1);
  badge.dataset['totalMs'] = (performance.now() - started).toFixed(1);
  if (bar) bar.hidden = true;
  if (outcome.verdict === 'unavailable') {
    // Nothing was checked: say so, neutrally, and offer to try again.
    say(t.unavailable, t.unavailableDetail, outcome.detail);
    badge.dataset['state'] = 'unavailable';
    if (retry) retry.hidden = false;
    return;
  }
  const { result } = outcome;
  badge.dataset['verifyMs'] = outcome.verifyMs.toFixed(1);
  if (result.ok) {
    const values = { n: result.entries, size: result.size, origin: result.origin };
    const operatorKeys = result.operatorKeySeqs.length === 0 ? '' : ` ${fill(t.operatorKeys, { n: result.operatorKeySeqs.length })}`;
    say(t.ok, fill(t.okDetail, values) + operatorKeys, fill(t.okTech, values));
    badge.dataset['entries'] = String(result.entries);
    if (result.operatorKeySeqs.length > 0) badge.dataset['operatorKeySeqs'] = result.operatorKeySeqs.join(',');
  } else {
    const check = t.checks[result.check] ?? result.check;
    say(t.fail, result.seq === undefined ? fill(t.failNoSeqDetail, { check }) : fill(t.failDetail, { seq: result.seq, check }), result.detail);
    badge.dataset['failedCheck'] = result.check;
    if (result.verifyCode !== undefined) badge.dataset['failedCode'] = result.verifyCode;
    if (result.seq !== undefined) badge.dataset['failedSeq'] = String(result.seq);
  }
  // Mark each cited fact: verified, or the one that failed.
  const ok = new Set(result.seqs);
  document.querySelectorAll<HTMLElement>('[data-seq]').forEach((el) => {
    const seq = Number(el.dataset['seq']);
    el.classList.remove('v-ok', 'v-bad');
    if (!result.ok && seq === result.seq) el.classList.add('v-bad');
    else if (result.ok && ok.has(seq)) el.classList.add('v-ok');
  });
  badge.dataset['state'] = result.ok ? 'ok' : 'fail';
}

/** Runs the badge, and again each time its retry button is pressed (it shows only when the evidence could not be fetched). */
function startBadge(config: PageConfig, badge: HTMLElement): void {
  const parts = badgeParts(badge);
  parts.retry?.addEventListener('click', () => void runBadge(config, parts));
  void runBadge(config, parts);
}

// Side effects only in a page that has a badge, or in the worker the page starts; nothing when
// imported elsewhere (Node tests).
if (typeof document !== 'undefined') {
  const configEl = document.getElementById('verify-config');
  const badge = document.getElementById('badge');
  if (configEl !== null && badge !== null) startBadge(JSON.parse(configEl.textContent ?? '{}') as PageConfig, badge);
} else if ('WorkerGlobalScope' in globalThis) {
  serveWorker(globalThis as unknown as Parameters<typeof serveWorker>[0]);
}
