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
 *   same ledger key;
 * - every record line: its shape, leafHash = SHA-256(0x00 ‖ JCS(record)) (RFC 9162 §2.1.1), the
 *   chain hash wherever the previous seq is the line before, the seq order;
 * - every signature (Ed25519 over "trace-ledger/v1 entry\n" ‖ JCS(payload)), with the key the
 *   registry says was valid at that seq: the registry is rebuilt from the bundle's own genesis,
 *   registration and key records with the ledger's rules (src/domain/registry.ts), so a key added
 *   at seq a and revoked at seq r signs exactly the entries a < seq ≤ r;
 * - a full bundle: all leaves 0..size-1, folded into the Merkle root (RFC 9162 §2.1.1) through a
 *   streaming frontier, equal to the checkpoint's; a scoped bundle: every inclusion proof
 *   (§2.1.3.2) against the checkpoint, and for a seq range, that no seq of the range is missing;
 * - with an older checkpoint: its signature (same trusted key) and the bundle's consistency proof
 *   from its size (§2.1.4.2);
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
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { concatBytes, equalBytes, fromBase64, fromBase64Url, fromHex, toBase64, utf8 } from '../core/bytes.js';
import { parseCheckpointBody, type Checkpoint } from '../core/checkpoint.js';
import { nobleEd25519, type Ed25519 } from '../core/ed25519.js';
import { ENTRY_SIGNING_PREFIX } from '../core/entry.js';
import { LedgerError, type LedgerErrorCode } from '../core/errors.js';
import { canonicalize, parseJson } from '../core/jcs.js';
import { verifyConsistency, verifyInclusion } from '../core/merkle.js';
import { openNote, parseVerifierKey, type VerifierKey } from '../core/note.js';
import { CHAIN_HASH_START } from '../core/record.js';
import { createdCodes, PREFIX_TYPES, requireCodeOwned } from '../domain/prefixes.js';
import { canonicalCode } from '../core/codes.js';
import { LEDGER_SIGNER, memoryRegistry, registryEffects, signingKeyFor } from '../domain/registry.js';
import { parseEntry } from '../domain/schemas.js';
import type { VerifyItem, VerifyMany } from '../platform/verify-pool.js';
import { BUNDLE_DIRECTIONS, BUNDLE_FORMAT, type BundleConsistency, type BundleScope } from './bundle.js';
import { failureLog, formatFailures, statedLinkHolds, type BundleCheck, type BundleFailure, type ConsequenceCounts, type Explanation } from './failures.js';
import { leafFolder, rootFromInclusionProof } from './tree.js';

/** Default cap on one line: records are a few KiB; 8 MiB leaves room and bounds memory. */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;
/** Default cap on the failures listed (all are counted). */
export const MAX_FAILURES = 1000;

export type { BundleCheck, BundleFailure, ConsequenceCounts } from './failures.js';

export interface BundleReport {
  /** True only when every check passed. */
  readonly ok: boolean;
  readonly format: string | null;
  readonly origin: string | null;
  readonly scope: BundleScope | null;
  /** The header checkpoint, once its signature verified. */
  readonly checkpoint: { readonly origin: string; readonly size: number; readonly root: string } | null;
  /** The verifier key the checkpoint was checked with. */
  readonly ledgerKey: string | null;
  /** False when that key came from the bundle itself rather than from the caller. */
  readonly keyPinned: boolean;
  readonly records: number;
  readonly checked: {
    readonly leafHashes: number;
    readonly chainLinks: number;
    readonly signatures: number;
    readonly inclusionProofs: number;
    /** Full bundles: the root was recomputed from every leaf and compared. */
    readonly root: boolean;
    /** The consistency proof was checked against an older checkpoint. */
    readonly consistency: boolean;
    readonly endLine: boolean;
  };
  readonly consistency: { readonly from: number; readonly to: number } | null;
  /** Every failure in line order (up to maxFailures): root causes and consequences alike. */
  readonly failures: readonly BundleFailure[];
  readonly failureCount: number;
  /** The failures nothing found before implies, in line order (up to maxFailures). */
  readonly rootCauses: readonly BundleFailure[];
  readonly rootCauseCount: number;
  /** The failures an earlier one implies (src/audit/failures.ts), counted by check. */
  readonly consequences: ConsequenceCounts;
  readonly notes: readonly string[];
  /**
   * Provenance the signatures alone do not show: recovery keys an operator added to a participant
   * (domain/key-rules.ts) and the entries signed with them, which that participant never vouched for.
   */
  readonly operatorAddedKeys: ReadonlyArray<{ readonly kid: string; readonly participant: string; readonly addedBy: string; readonly addedSeq: number }>;
  readonly operatorKeySigned: ReadonlyArray<{ readonly seq: number; readonly signer: string; readonly kid: string }>;
}

/** An incremental SHA-256 (noble's `sha256.create()`, or a node:crypto Hash wrapped). */
export interface Sha256Hasher {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
}

/** SHA-256 in one call, with `create()` for the incremental form: the shape of noble's `sha256`. */
export interface Sha256 {
  (data: Uint8Array): Uint8Array;
  create(): Sha256Hasher;
}

export interface VerifyBundleOptions {
  /** Verifier key to trust (`origin+keyid+base64(0x01‖pubkey)`); default: the bundle's own, reported as not pinned. */
  readonly trustedKey?: string | undefined;
  /** An older checkpoint note (same log): the bundle must prove the log only grew since it. */
  readonly oldCheckpoint?: string | undefined;
  /** Ed25519 for checkpoints and (without verifyMany) entries. Default nobleEd25519. */
  readonly ed?: Ed25519;
  /** Checks entry signatures in batches elsewhere (worker threads); same verdicts as `ed`. */
  readonly verifyMany?: VerifyMany | undefined;
  /** SHA-256 for leaves, chain and digest. Default @noble/hashes. */
  readonly sha256?: Sha256;
  readonly maxFailures?: number;
  readonly maxLineBytes?: number;
  /** Called with the number of record lines read, about every 1,000 lines and at the end. */
  readonly onProgress?: (records: number) => void;
}

// Lowercase hex through a table: two hashes per record are compared as hex.
const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
function hex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX_BYTE[bytes[i]!]!;
  return s;
}

const HEX64 = /^[0-9a-f]{64}$/;
const RECORD_OPEN = '{"record":';
const LINE_TAIL_MARK = ',"leafHash":"';
// The rest of a record line as the exporter writes it (ASCII only, so char and byte offsets agree).
const LINE_TAIL = /,"leafHash":"([0-9a-f]{64})","chainHash":"([0-9a-f]{64})"(?:,"inclusion":\[(?:"[A-Za-z0-9+/]{43}="(?:,"[A-Za-z0-9+/]{43}=")*)?\])?\}$/y;
const RECORD_HEAD = '{"entry":{"payload":';
const RECORD_TAIL_MARK = ',"signature":{"kid":"';
// JCS(record) after the payload (RFC 8785 §3.2.3 key order: entry < recordedAt < seq, kid < sig).
const RECORD_TAIL = /,"signature":\{"kid":"[0-9a-f]{16}","sig":"[A-Za-z0-9_-]{86}"\}\},"recordedAt":"[0-9TZ:.+-]{1,40}","seq":(?:0|[1-9][0-9]{0,15})\}/y;
const PREFIX_BYTES = utf8(ENTRY_SIGNING_PREFIX);
const ZERO = Uint8Array.of(0);
const NEWLINE = Uint8Array.of(0x0a);
const REGISTRY_TYPES = new Set(['ledger.genesis', 'participant.register', 'participant.key.add', 'participant.key.revoke', ...PREFIX_TYPES]);
const CREATING_TYPES = new Set(['commission', 'transform', 'aggregate']);
const SIGNATURE_BATCH = 256;
/** The chain before seq 0 (the zero hash), as computed and as a line would state it. */
const CHAIN_START = { chain: CHAIN_HASH_START, stated: hex(CHAIN_HASH_START) };

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isSize = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const codeOf = (e: unknown): LedgerErrorCode | null => (e instanceof LedgerError ? e.code : null);

/** Keys of `o` are exactly `required` plus any of `optional`; returns what is wrong, if anything. */
function keysProblem(o: Obj, required: readonly string[], optional: readonly string[] = []): string | undefined {
  for (const k of required) if (!(k in o)) return `missing "${k}"`;
  for (const k of Object.keys(o)) if (!required.includes(k) && !optional.includes(k)) return `unexpected member "${k}"`;
  return undefined;
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

/** Verifies a checkpoint note with one key; the origin check is left to the caller (it is its own failure). */
function openCheckpoint(note: string, key: VerifierKey, ed: Ed25519): Checkpoint {
  return parseCheckpointBody(openNote(note, [key], ed).text);
}


interface PendingSignature {
  readonly line: number;
  readonly seq: number;
  readonly kid: string;
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
  const ed = options.ed ?? nobleEd25519;
  const sha256: Sha256 = options.sha256 ?? nobleSha256;
  const maxFailures = options.maxFailures ?? MAX_FAILURES;
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  const verifyMany = options.verifyMany;

  const log = failureLog(maxFailures);
  const notes: string[] = [];
  const fail = (check: BundleCheck, line: number | null, seq: number | null, message: string, extra: { code?: LedgerErrorCode | null; expected?: string; found?: string; explanation?: Explanation | undefined } = {}): void => {
    log.add({ line, seq, check, code: extra.code ?? null, message, ...(extra.expected === undefined ? {} : { expected: extra.expected }), ...(extra.found === undefined ? {} : { found: extra.found }) }, extra.explanation);
  };
  /** Scratch for HASH(prev ‖ leaf) of the chain, hashed in one call. */
  const pair = new Uint8Array(64);

  // Header state
  let format: string | null = null;
  let origin: string | null = null;
  let scope: BundleScope | null = null;
  let trusted: VerifierKey | undefined;
  let trustedString: string | null = null;
  let keyPinned = false;
  let cp: Checkpoint | undefined;
  let consistency: { from: number; to: number } | null = null;
  let consistencyChecked = false;
  let headerSeen = false;

  // Record state
  const registry = memoryRegistry();
  const operatorAddedKeys: Array<BundleReport['operatorAddedKeys'][number]> = [];
  const operatorKeySigned: Array<BundleReport['operatorKeySigned'][number]> = [];
  /** Codes created so far (full bundles): an aggregate creates its parent only the first time. */
  const created = new Set<string>();
  let records = 0;
  let lastSeq = -1;
  let prev: { seq: number; chain: Uint8Array; stated: string } | undefined;
  const frontier = leafFolder(sha256);
  let frontierBroken: string | undefined;
  let rangeSeen = 0;
  let leafHashes = 0;
  let chainLinks = 0;
  let signatures = 0;
  let inclusionProofs = 0;
  let genesisChecked = false;

  // End state
  const digest = sha256.create();
  let endLine: number | null = null;
  let endChecked = false;
  let pendingEmpty: number | null = null;
  let lineNo = 0;
  let lastLineText: string | null = null;

  // Signatures in flight on other threads
  let batch: VerifyItem[] = [];
  let batchMeta: PendingSignature[] = [];
  const inflight: Promise<void>[] = [];

  function settle(items: readonly VerifyItem[], meta: readonly PendingSignature[], ok: readonly boolean[]): void {
    for (let i = 0; i < meta.length; i++) {
      signatures++;
      if (ok[i] !== true) {
        const m = meta[i]!;
        fail('signature', m.line, m.seq, `signature by key ${m.kid} does not verify`, { code: 'LEDGER_SIGNATURE_INVALID' });
      }
    }
    void items;
  }

  function dispatch(): void {
    if (batch.length === 0) return;
    const items = batch;
    const meta = batchMeta;
    batch = [];
    batchMeta = [];
    inflight.push(
      verifyMany!(items).then(
        (ok) => settle(items, meta, ok),
        // A dead worker must not turn into a verdict: check the batch here instead.
        () => settle(items, meta, items.map((it) => ed.verify(it.signature, it.message, it.publicKey))),
      ),
    );
  }

  function checkSignature(line: number, seq: number, kid: string, sig: string, message: Uint8Array, publicKey: Uint8Array): void {
    let signature: Uint8Array;
    try {
      signature = fromBase64Url(sig);
    } catch (e) {
      fail('signature', line, seq, `signature is not base64url: ${messageOf(e)}`, { code: 'LEDGER_SIGNATURE_INVALID' });
      return;
    }
    if (signature.length !== 64) {
      fail('signature', line, seq, `signature must be 64 bytes, got ${signature.length}`, { code: 'LEDGER_SIGNATURE_INVALID' });
      return;
    }
    if (verifyMany === undefined) {
      settle([], [{ line, seq, kid }], [ed.verify(signature, message, publicKey)]);
      return;
    }
    batch.push({ signature, message, publicKey });
    batchMeta.push({ line, seq, kid });
    if (batch.length >= SIGNATURE_BATCH) dispatch();
  }

  function onHeader(text: string, line: number): boolean {
    let v: unknown;
    try {
      v = parseJson(text);
    } catch (e) {
      fail('header', line, null, `line 1 is not JSON: ${messageOf(e)}`, { code: codeOf(e) });
      return true;
    }
    if (!isObject(v) || !('format' in v)) {
      fail('header', line, null, 'the bundle does not start with a header line (is line 1 missing?)');
      // Not a header: if it is a record, check it as one.
      return !(isObject(v) && 'record' in v);
    }
    format = typeof v['format'] === 'string' ? v['format'] : null;
    if (v['format'] !== BUNDLE_FORMAT) {
      fail('header', line, null, `unsupported format ${JSON.stringify(v['format'])}`, { expected: BUNDLE_FORMAT, found: String(v['format']) });
      return true;
    }
    const problem = keysProblem(v, ['format', 'origin', 'ledgerKey', 'checkpoint', 'scope', 'exportedAt'], ['consistency']);
    if (problem !== undefined) fail('header', line, null, `header: ${problem}`);
    if (typeof v['origin'] === 'string') origin = v['origin'];
    else fail('header', line, null, 'header.origin must be a string');
    const s = parseScope(v['scope']);
    if (typeof s === 'string') fail('header', line, null, `header: ${s}`);
    else scope = s;
    if (typeof v['exportedAt'] !== 'string') fail('header', line, null, 'header.exportedAt must be a string');

    // The key to trust.
    const named = typeof v['ledgerKey'] === 'string' ? v['ledgerKey'] : undefined;
    if (named === undefined) fail('header', line, null, 'header.ledgerKey must be a string');
    if (options.trustedKey !== undefined) {
      if (named !== undefined && named !== options.trustedKey) {
        fail('ledger-key', line, null, 'the bundle names another ledger key than the trusted one', { expected: options.trustedKey, found: named });
      }
    } else if (named !== undefined) {
      try {
        trusted = parseVerifierKey(named);
        trustedString = named;
        notes.push('the ledger key was taken from the bundle itself, not independently pinned: pass the key you trust (trace-ledger verify --key)');
      } catch (e) {
        fail('ledger-key', line, null, `header.ledgerKey is malformed: ${messageOf(e)}`, { code: codeOf(e) });
      }
    }

    // The checkpoint everything is proved against.
    if (typeof v['checkpoint'] !== 'string') fail('header', line, null, 'header.checkpoint must be a string (a signed note)');
    else if (trusted !== undefined) {
      try {
        cp = openCheckpoint(v['checkpoint'], trusted, ed);
      } catch (e) {
        fail('checkpoint', line, null, `the checkpoint does not verify with ledger key ${trusted.name}: ${messageOf(e)}`, { code: codeOf(e) });
      }
    }
    if (cp !== undefined && trusted !== undefined && cp.origin !== trusted.name) {
      fail('origin', line, null, 'the checkpoint is for another log than the ledger key names', { expected: trusted.name, found: cp.origin });
    }
    if (origin !== null) {
      const want = cp?.origin ?? trusted?.name;
      if (want !== undefined && origin !== want) fail('origin', line, null, 'the header names another origin than the checkpoint and key', { expected: want, found: origin });
    }
    if (cp !== undefined && scope?.kind === 'range' && scope.to > cp.size) {
      fail('scope', line, null, `range [${scope.from}, ${scope.to}) goes beyond the checkpoint (size ${cp.size})`);
    }

    // Consistency with an older checkpoint.
    let proof: BundleConsistency | undefined;
    if ('consistency' in v) {
      const c = parseConsistency(v['consistency']);
      if (typeof c === 'string') fail('header', line, null, `header: ${c}`);
      else {
        proof = c;
        consistency = { from: c.from, to: cp?.size ?? NaN };
      }
    }
    if (options.oldCheckpoint !== undefined) checkConsistency(proof, line);
    else if (proof !== undefined) notes.push(`the bundle carries a consistency proof from size ${proof.from}, not checked: give the older checkpoint (trace-ledger verify --checkpoint old.txt)`);
    return true;
  }

  function checkConsistency(proof: BundleConsistency | undefined, line: number): void {
    if (trusted === undefined) {
      fail('consistency', null, null, 'the older checkpoint cannot be checked without a trusted ledger key');
      return;
    }
    let old: Checkpoint;
    try {
      old = openCheckpoint(options.oldCheckpoint!, trusted, ed);
    } catch (e) {
      fail('consistency', null, null, `the older checkpoint does not verify with ledger key ${trusted.name}: ${messageOf(e)}`, { code: codeOf(e) });
      return;
    }
    if (old.origin !== trusted.name) {
      fail('consistency', null, null, 'the older checkpoint is for another log', { expected: trusted.name, found: old.origin });
      return;
    }
    if (cp === undefined) {
      fail('consistency', line, null, 'no verified checkpoint in the bundle to prove consistency with');
      return;
    }
    if (old.size > cp.size) {
      fail('consistency', line, null, `the older checkpoint (size ${old.size}) is larger than the bundle's (size ${cp.size}): the log shrank, or the bundle predates it`, { code: 'LEDGER_CONSISTENCY_PROOF_INVALID' });
      return;
    }
    if (proof === undefined) {
      if (old.size === cp.size && equalBytes(old.root, cp.root)) {
        consistencyChecked = true;
        return;
      }
      fail('consistency', line, null, `the bundle carries no consistency proof: export it with since=${old.size}`, { code: 'LEDGER_CONSISTENCY_PROOF_INVALID' });
      return;
    }
    if (proof.from !== old.size) {
      fail('consistency', line, null, 'the consistency proof starts from another tree size than the older checkpoint', { code: 'LEDGER_CONSISTENCY_PROOF_INVALID', expected: String(old.size), found: String(proof.from) });
      return;
    }
    try {
      verifyConsistency(old.size, cp.size, proof.proof.map((h) => fromBase64(h)), old.root, cp.root);
      consistencyChecked = true;
    } catch (e) {
      fail('consistency', line, null, messageOf(e), { code: 'LEDGER_CONSISTENCY_PROOF_INVALID' });
    }
  }

  function onEnd(v: Obj, line: number): void {
    if (endLine !== null) {
      fail('format', line, null, `a second end line (the first is line ${endLine})`);
      return;
    }
    endLine = line;
    const end = v['end'];
    if (keysProblem(v, ['end']) !== undefined || !isObject(end) || keysProblem(end, ['records', 'sha256']) !== undefined || !isSize(end['records']) || typeof end['sha256'] !== 'string' || !HEX64.test(end['sha256'])) {
      fail('end', line, null, 'the end line must be {"end":{"records":<count>,"sha256":"<64 hex>"}}');
      return;
    }
    const computed = hex(digest.digest());
    endChecked = true;
    if (end['records'] !== records) fail('end', line, null, 'the end line counts another number of record lines than were read', { expected: String(records), found: String(end['records']) });
    if (computed !== end['sha256']) {
      fail('end', line, null, 'the bytes before the end line are not the ones exported (SHA-256 differs): lines were changed, added, dropped or moved', { expected: computed, found: end['sha256'] });
    }
  }

  /** A record line (anything after the header that is not the end line). */
  /**
   * The exporter's exact layout: `{"record":` R `,"leafHash":"…","chainHash":"…"[,"inclusion":[…]]}`
   * with R = `{"entry":{"payload":` P `,"signature":{…}},"recordedAt":"…","seq":N}`. Returns the
   * byte ranges of R (to hash as read) and P (the signed payload), or undefined for any other
   * layout. Only ASCII is matched after P, so char and byte offsets from the end agree.
   */
  function exporterLayout(text: string, bytes: Uint8Array): { prefixedLeaf: Uint8Array; payload: Uint8Array } | undefined {
    if (!text.startsWith(RECORD_OPEN)) return undefined;
    const tailAt = text.lastIndexOf(LINE_TAIL_MARK);
    if (tailAt < 0) return undefined;
    LINE_TAIL.lastIndex = tailAt;
    if (!LINE_TAIL.test(text)) return undefined;
    const sigAt = text.lastIndexOf(RECORD_TAIL_MARK, tailAt);
    if (sigAt < RECORD_OPEN.length + RECORD_HEAD.length || !text.startsWith(RECORD_HEAD, RECORD_OPEN.length)) return undefined;
    RECORD_TAIL.lastIndex = sigAt;
    const m = RECORD_TAIL.exec(text);
    if (m === null || m.index + m[0].length !== tailAt) return undefined;
    const leafEnd = bytes.length - (text.length - tailAt);
    // RFC 9162 §2.1.1 hashes 0x00 ‖ leaf: the byte before the record is the ':' of `{"record":`,
    // already digested, so it is overwritten with 0x00 to hash the leaf without copying it.
    bytes[RECORD_OPEN.length - 1] = 0;
    return {
      prefixedLeaf: bytes.subarray(RECORD_OPEN.length - 1, leafEnd),
      payload: bytes.subarray(RECORD_OPEN.length + RECORD_HEAD.length, leafEnd - (tailAt - sigAt)),
    };
  }

  /** A record line (anything after the header that is not the end line). */
  function onRecord(text: string, bytes: Uint8Array, line: number): void {
    records++;
    if (endLine !== null) fail('format', line, null, `data after the end line (line ${endLine})`);
    // In the exporter's layout, everything outside R was matched exactly (no duplicate or stray
    // member can hide there) and R itself is hashed as read, so plain JSON.parse is enough; any
    // other line goes through the strict parser and is canonicalised from its parsed values.
    const layout = exporterLayout(text, bytes);
    let v: unknown;
    try {
      v = layout === undefined ? parseJson(text) : JSON.parse(text);
    } catch (e) {
      fail('format', line, null, `not JSON: ${messageOf(e)}`, { code: codeOf(e) });
      frontierBroken ??= `line ${line} could not be read`;
      return;
    }
    const bad = (message: string, seq: number | null = null): void => {
      fail('format', line, seq, message);
      frontierBroken ??= `line ${line} is not a record line`;
    };
    if (!isObject(v)) return bad('not a JSON object');
    if (layout === undefined) {
      const shape = keysProblem(v, ['record', 'leafHash', 'chainHash'], ['inclusion']);
      if (shape !== undefined) return bad(`record line: ${shape}`);
    }
    const record = v['record'];
    if (!isObject(record) || (layout === undefined && keysProblem(record, ['entry', 'recordedAt', 'seq']) !== undefined)) return bad('record must be {entry, recordedAt, seq}');
    const seq = record['seq'];
    if (!isSize(seq)) return bad('record.seq must be a non-negative integer');
    const entry = record['entry'];
    if (!isObject(entry) || (layout === undefined && keysProblem(entry, ['payload', 'signature']) !== undefined)) return bad('record.entry must be {payload, signature}', seq);
    const payload = entry['payload'];
    const signature = entry['signature'];
    if (!isObject(payload) || typeof payload['type'] !== 'string' || typeof payload['signer'] !== 'string' || typeof payload['id'] !== 'string' || typeof payload['time'] !== 'string') {
      return bad('record.entry.payload must be an object with string type, id, signer and time', seq);
    }
    if (!isObject(signature) || (layout === undefined && keysProblem(signature, ['kid', 'sig']) !== undefined) || typeof signature['kid'] !== 'string' || typeof signature['sig'] !== 'string') {
      return bad('record.entry.signature must be {kid, sig} strings', seq);
    }
    if (typeof record['recordedAt'] !== 'string') return bad('record.recordedAt must be a string', seq);
    const statedLeaf = v['leafHash'];
    const statedChain = v['chainHash'];
    if (typeof statedLeaf !== 'string' || !HEX64.test(statedLeaf)) return bad('leafHash must be 64 lowercase hex digits', seq);
    if (typeof statedChain !== 'string' || !HEX64.test(statedChain)) return bad('chainHash must be 64 lowercase hex digits', seq);
    const inclusion = v['inclusion'];
    if (inclusion !== undefined && (!Array.isArray(inclusion) || !inclusion.every((h) => typeof h === 'string'))) return bad('inclusion must be an array of base64 strings', seq);
    if (scope !== null && scope.kind !== 'full' && inclusion === undefined) fail('inclusion', line, seq, 'a scoped bundle carries an inclusion proof on every record; this one has none');

    // JCS(record) and JCS(payload): as read in the exporter's layout, else recomputed from the
    // parsed values. Either way, what is hashed is what the root or the inclusion proof vouches
    // for, and the signature is checked over the payload bytes inside it.
    let prefixedLeaf: Uint8Array;
    let payloadBytes: Uint8Array;
    if (layout !== undefined) {
      prefixedLeaf = layout.prefixedLeaf;
      payloadBytes = layout.payload;
    } else {
      try {
        prefixedLeaf = concatBytes(ZERO, utf8(canonicalize(record)));
        payloadBytes = utf8(canonicalize(payload));
      } catch (e) {
        fail('format', line, seq, `record cannot be canonicalised (RFC 8785): ${messageOf(e)}`, { code: codeOf(e) });
        frontierBroken ??= `line ${line} could not be hashed`;
        return;
      }
    }

    // Leaf hash (RFC 9162 §2.1.1).
    const leaf = sha256(prefixedLeaf);
    leafHashes++;
    const leafHex = hex(leaf);
    if (leafHex !== statedLeaf) fail('leaf-hash', line, seq, 'the record does not hash to the leaf hash on its line: the record or the hash was altered', { expected: leafHex, found: statedLeaf });

    // Order, and the chain hash where the previous seq is on the previous record line. The chain
    // is carried forward as computed, so one wrong chain hash is one failure, not two.
    if (seq <= lastSeq) {
      fail('order', line, seq, `seq ${seq} comes after seq ${lastSeq}: lines are out of order or repeated`);
      frontierBroken ??= `seq ${seq} is out of order`;
    } else if (scope?.kind === 'full' && seq > lastSeq + 1) {
      fail('order', line, seq, `records ${lastSeq + 1}..${seq - 1} are missing`, { expected: String(lastSeq + 1), found: String(seq) });
      frontierBroken ??= `records ${lastSeq + 1}..${seq - 1} are missing`;
    }
    const previous = seq === 0 ? CHAIN_START : prev?.seq === seq - 1 ? prev : undefined;
    let chain: Uint8Array;
    if (previous !== undefined) {
      pair.set(previous.chain, 0);
      pair.set(leaf, 32);
      chain = sha256(pair);
      chainLinks++;
      const chainHex = hex(chain);
      if (chainHex !== statedChain) {
        const explanation = statedLinkHolds(sha256, previous.stated, statedLeaf, statedChain) ? 'chain-link-intact' : undefined;
        fail('chain-hash', line, seq, `chain hash does not follow from ${seq === 0 ? 'the zero hash' : `seq ${seq - 1}`} and this leaf`, { expected: chainHex, found: statedChain, explanation });
      }
    } else {
      chain = fromHex(statedChain); // after a gap: the next record is checked against this one
    }
    prev = { seq, chain, stated: statedChain };
    if (cp !== undefined && seq >= cp.size) fail('order', line, seq, `seq ${seq} is beyond the checkpoint (size ${cp.size})`);
    if (seq > lastSeq) lastSeq = seq;

    // Merkle: fold into the frontier (full bundle) or check the audit path (scoped).
    if (scope?.kind === 'full' && frontierBroken === undefined && seq === frontier.size) frontier.append(leaf);
    if (scope?.kind === 'range' && seq >= scope.from && seq < scope.to) rangeSeen++;
    if (inclusion !== undefined && cp !== undefined && seq < cp.size) {
      inclusionProofs++;
      try {
        const proof = (inclusion as string[]).map((h) => fromBase64(h));
        const root = rootFromInclusionProof(sha256, leaf, seq, cp.size, proof);
        if (root === undefined || !equalBytes(root, cp.root)) {
          // The core's verifier names what is wrong; should it ever accept, the proof still failed here.
          verifyInclusion(leaf, seq, cp.size, proof, cp.root);
          throw new Error('the path does not lead to the checkpoint\'s root');
        }
      } catch (e) {
        fail('inclusion', line, seq, `inclusion proof against the checkpoint (size ${cp.size}) fails: ${messageOf(e)}`, { code: 'LEDGER_INCLUSION_PROOF_INVALID', explanation: 'leaf-altered' });
      }
    }

    checkEntry(line, seq, payload, signature as { kid: string; sig: string }, entry, payloadBytes);
  }

  /** Signing key at this seq, registry effects, and the signature (queued). */
  function checkEntry(line: number, seq: number, payload: Obj, signature: { kid: string; sig: string }, entry: Obj, payloadBytes: Uint8Array): void {
    const type = payload['type'] as string;
    const signer = payload['signer'] as string;
    if (seq !== 0 && !genesisChecked) {
      genesisChecked = true;
      fail('scope', line, 0, 'the bundle lacks the genesis record (seq 0), the root of the key registry: signatures cannot be checked', { code: 'LEDGER_SIGNER_UNKNOWN' });
    }
    let publicKey: Uint8Array | undefined;
    if (seq === 0) {
      genesisChecked = true;
      publicKey = checkGenesis(line, payload);
    } else if (signer === LEDGER_SIGNER && type !== 'ledger.genesis') {
      fail('signing-key', line, seq, 'the ledger key signs only the genesis entry and checkpoints', { code: 'LEDGER_PERMISSION_DENIED' });
    } else {
      try {
        const key = signingKeyFor(registry.view, signer, signature.kid, seq);
        publicKey = key.publicKey;
        if (key.operatorAdded) operatorKeySigned.push({ seq, signer, kid: key.kid });
      } catch (e) {
        fail('signing-key', line, seq, messageOf(e), { code: codeOf(e) });
      }
    }
    if (REGISTRY_TYPES.has(type)) {
      // Registry entries change whose keys are valid from the next seq on. The rules are checked
      // on every one; the effects apply only when the signer's key was valid at this seq (as the
      // ledger would have refused the entry otherwise), and also when only the signature fails,
      // which the worker threads tell later: that failure is reported anyway.
      try {
        const effects = registryEffects(registry.view, parseEntry(entry, `seq ${seq}`).payload, seq);
        if (publicKey !== undefined || seq === 0) {
          registry.apply(effects);
          for (const e of effects) {
            if (e.kind === 'key.insert' && e.key.operatorAdded) operatorAddedKeys.push({ kid: e.key.kid, participant: e.key.participant, addedBy: e.key.addedBy, addedSeq: e.key.addedSeq });
          }
        }
      } catch (e) {
        fail('registry', line, seq, messageOf(e), { code: codeOf(e) });
      }
    }
    if (CREATING_TYPES.has(type)) checkOwnership(line, seq, entry);
    if (publicKey !== undefined) checkSignature(line, seq, signature.kid, signature.sig, concatBytes(PREFIX_BYTES, payloadBytes), publicKey);
  }

  /**
   * GS1 keys are commissioned under the signer's company prefixes (src/domain/prefixes.ts). Only a
   * full bundle holds every prefix and delegation entry; a scoped one cannot show who held what.
   * An entry that does not parse is left to the hash and signature checks.
   */
  function checkOwnership(line: number, seq: number, entry: Obj): void {
    if (scope?.kind !== 'full') return;
    let payload: ReturnType<typeof parseEntry>['payload'];
    try {
      payload = parseEntry(entry, `seq ${seq}`).payload;
    } catch {
      return;
    }
    for (const { code, where } of createdCodes(payload)) {
      const canonical = canonicalCode(code);
      if (where === 'parent' && created.has(canonical)) continue;
      created.add(canonical);
      try {
        requireCodeOwned(registry.view, canonical, payload.signer, payload.time, where);
      } catch (e) {
        fail('registry', line, seq, messageOf(e), { code: codeOf(e) });
      }
    }
  }

  /** Genesis is the root of trust inside the log: it must name the trusted key and origin. */
  function checkGenesis(line: number, payload: Obj): Uint8Array | undefined {
    if (payload['type'] !== 'ledger.genesis' || payload['signer'] !== LEDGER_SIGNER) {
      fail('registry', line, 0, 'seq 0 is not the ledger genesis', { code: 'LEDGER_PERMISSION_DENIED' });
      return undefined;
    }
    if (trusted === undefined) {
      fail('ledger-key', line, 0, 'no trusted ledger key to check the genesis with');
      return undefined;
    }
    if (payload['origin'] !== trusted.name) fail('origin', line, 0, 'the genesis is of another log', { expected: trusted.name, found: String(payload['origin']) });
    if (payload['ledgerKey'] !== trustedString) fail('ledger-key', line, 0, 'the genesis names another ledger key than the trusted one', { expected: trustedString ?? '', found: String(payload['ledgerKey']) });
    let named: Uint8Array | undefined;
    try {
      named = fromBase64Url(String(payload['ledgerPublicKey']));
    } catch {
      named = undefined;
    }
    if (named === undefined || !equalBytes(named, trusted.publicKey)) {
      fail('ledger-key', line, 0, 'the genesis ledgerPublicKey is not the trusted key', { expected: toBase64(trusted.publicKey), found: String(payload['ledgerPublicKey']) });
    }
    return trusted.publicKey;
  }

  if (options.trustedKey !== undefined) {
    try {
      trusted = parseVerifierKey(options.trustedKey);
      trustedString = options.trustedKey;
      keyPinned = true;
    } catch (e) {
      fail('ledger-key', null, null, `the trusted key given is malformed: ${messageOf(e)}`, { code: codeOf(e) });
    }
  }
  try {
    for await (const text of lines) {
      lineNo++;
      if (typeof text !== 'string') {
        fail('format', lineNo, null, 'the input gave a line that is not a string');
        continue;
      }
      lastLineText = text;
      if (pendingEmpty !== null) {
        fail('format', pendingEmpty, null, 'empty line');
        pendingEmpty = null;
      }
      if (text === '') {
        pendingEmpty = lineNo;
        if (endLine === null) digest.update(NEWLINE);
        continue;
      }
      if (text.length > maxLineBytes) {
        fail('line-length', lineNo, null, `line is longer than ${maxLineBytes} bytes: not read`);
        if (headerSeen) records++;
        headerSeen = true;
        frontierBroken ??= `line ${lineNo} is too long`;
        continue;
      }
      const bytes = utf8(text);
      if (bytes.length > maxLineBytes) {
        fail('line-length', lineNo, null, `line is longer than ${maxLineBytes} bytes: not read`);
        if (headerSeen) records++;
        headerSeen = true;
        frontierBroken ??= `line ${lineNo} is too long`;
        continue;
      }
      if (!headerSeen) {
        headerSeen = true;
        digest.update(bytes);
        digest.update(NEWLINE);
        if (onHeader(text, lineNo)) continue;
        onRecord(text, bytes, lineNo);
        continue;
      }
      // The end line is recognised by its start; anything else is a record line.
      const isEnd = text.startsWith('{"end":');
      if (!isEnd && endLine === null) {
        digest.update(bytes);
        digest.update(NEWLINE);
      }
      if (isEnd) {
        let v: unknown;
        try {
          v = parseJson(text);
        } catch (e) {
          fail('end', lineNo, null, `the end line is not JSON: ${messageOf(e)}`, { code: codeOf(e) });
          endLine ??= lineNo;
          continue;
        }
        if (isObject(v)) onEnd(v, lineNo);
        else fail('end', lineNo, null, 'the end line is not a JSON object');
        continue;
      }
      onRecord(text, bytes, lineNo);
      if (records % 1000 === 0) options.onProgress?.(records);
      if (inflight.length > 8) await inflight.shift();
    }
  } catch (e) {
    fail('truncated', lineNo + 1, null, `reading the bundle failed: ${messageOf(e)}`);
  }

  // The end of the input.
  if (lineNo === 0 || (lineNo === 1 && pendingEmpty !== null)) fail('header', null, null, 'the bundle is empty');
  else if (!headerSeen) fail('header', null, null, 'the bundle has no header line');
  if (lineNo > 0 && pendingEmpty === null) {
    fail('truncated', lineNo, null, lastLineText === null ? 'the bundle does not end with a newline' : 'the bundle does not end with a newline: its last line may be cut short');
  }
  if (endLine === null && lineNo > 0) fail('truncated', null, null, 'the bundle has no end line: it was cut short');
  if (verifyMany !== undefined) {
    dispatch();
    await Promise.all(inflight);
  }
  let rootChecked = false;
  // Assigned inside the line handlers, which TypeScript's narrowing does not follow.
  const finalCp = cp as Checkpoint | undefined;
  const finalScope = scope as BundleScope | null;
  if (finalCp !== undefined && finalScope !== null) {
    if (finalScope.kind === 'full') {
      if (frontierBroken !== undefined) {
        fail('merkle-root', null, null, `the root cannot be recomputed: ${frontierBroken}`, { explanation: 'leaves-unreadable' });
      } else if (frontier.size !== finalCp.size) {
        if (frontier.size < finalCp.size) fail('order', null, frontier.size, `records ${frontier.size}..${finalCp.size - 1} are missing: the checkpoint has ${finalCp.size}`, { expected: String(finalCp.size), found: String(frontier.size) });
        fail('merkle-root', null, null, `the root cannot be recomputed: ${frontier.size} of the checkpoint's ${finalCp.size} leaves were read`, { explanation: 'leaves-unreadable' });
      } else {
        const root = frontier.root();
        rootChecked = true;
        if (!equalBytes(root, finalCp.root)) fail('merkle-root', null, null, 'the records do not give the checkpoint\'s Merkle root', { expected: toBase64(finalCp.root), found: toBase64(root), explanation: 'leaf-altered' });
      }
    } else if (finalScope.kind === 'range' && rangeSeen !== Math.min(finalScope.to, finalCp.size) - finalScope.from) {
      fail('scope', null, null, `the range [${finalScope.from}, ${finalScope.to}) has ${Math.min(finalScope.to, finalCp.size) - finalScope.from} records, the bundle carries ${rangeSeen} of them`, { expected: String(Math.min(finalScope.to, finalCp.size) - finalScope.from), found: String(rangeSeen) });
    }
  } else if (headerSeen && finalCp === undefined) {
    notes.push('no verified checkpoint: neither the Merkle root nor the inclusion proofs were checked');
  }
  if (finalScope?.kind === 'code') notes.push('which entries belong to a product\'s chain is the exporter\'s statement: the proofs show that every entry in the bundle is in the log, not that none was left out');
  options.onProgress?.(records);

  return {
    ok: log.count === 0,
    format,
    origin,
    scope: finalScope,
    checkpoint: finalCp === undefined ? null : { origin: finalCp.origin, size: finalCp.size, root: toBase64(finalCp.root) },
    ledgerKey: trustedString,
    keyPinned,
    records,
    checked: { leafHashes, chainLinks, signatures, inclusionProofs, root: rootChecked, consistency: consistencyChecked, endLine: endChecked },
    consistency,
    failures: log.listed(),
    failureCount: log.count,
    rootCauses: log.rootCauses(),
    rootCauseCount: log.rootCauseCount,
    consequences: log.consequences(),
    notes,
    operatorAddedKeys,
    operatorKeySigned,
  };
}

/**
 * Splits a byte stream into lines as `verifyBundle` takes them (at every "\n"; the text after the
 * last one, usually "", comes last), decoding UTF-8 (malformed bytes become U+FFFD, which then
 * fails the end line's digest). A line longer than `maxLineBytes` is never held whole: only its
 * first maxLineBytes + 1 bytes are kept, enough for the verifier to report it.
 */
export async function* bundleLines(chunks: AsyncIterable<Uint8Array>, maxLineBytes = MAX_LINE_BYTES): AsyncGenerator<string, void, undefined> {
  const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  let parts: Uint8Array[] = [];
  let length = 0;
  const take = (piece: Uint8Array, copy: boolean) => {
    if (length > maxLineBytes || piece.length === 0) return;
    const keep = length + piece.length > maxLineBytes ? piece.subarray(0, maxLineBytes + 1 - length) : piece;
    parts.push(copy ? keep.slice() : keep);
    length += keep.length;
  };
  const line = (): string => {
    const text = parts.length === 0 ? '' : decoder.decode(parts.length === 1 ? parts[0]! : concatBytes(...parts));
    parts = [];
    length = 0;
    return text;
  };
  for await (const chunk of chunks) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) {
        take(chunk.subarray(start), true);
        break;
      }
      take(chunk.subarray(start, nl), false);
      yield line();
      start = nl + 1;
    }
  }
  yield line();
}

const describeScope = (s: BundleScope | null): string =>
  s === null ? 'unknown' : s.kind === 'full' ? 'the whole log' : s.kind === 'range' ? `seqs ${s.from} to ${s.to - 1}` : `${s.direction === 'both' ? 'upstream and downstream' : s.direction === 'up' ? 'upstream' : 'downstream'} of ${s.code}`;

/** The report as text for a person: what was checked, then the root causes, one per line, and the consequences counted. */
export function formatBundleReport(r: BundleReport): string {
  const out: string[] = [];
  out.push(`bundle      ${r.format ?? '(no header)'}, origin ${r.origin ?? '?'}, scope: ${describeScope(r.scope)}`);
  out.push(`ledger key  ${r.ledgerKey ?? '(none)'} ${r.ledgerKey === null ? '' : r.keyPinned ? '(pinned)' : '(taken from the bundle: NOT independently pinned)'}`.trimEnd());
  if (r.checkpoint !== null) out.push(`checkpoint  size ${r.checkpoint.size}, root ${r.checkpoint.root}`);
  const c = r.checked;
  const what = [
    `${c.leafHashes} leaf hashes`,
    `${c.chainLinks} chain links`,
    `${c.signatures} signatures`,
    ...(r.scope?.kind === 'full' ? [c.root ? `the Merkle root recomputed from all ${r.checkpoint?.size ?? 0} leaves` : 'the Merkle root NOT recomputed'] : [`${c.inclusionProofs} inclusion proofs`]),
    ...(c.consistency && r.consistency !== null ? [`consistency from size ${r.consistency.from}`] : []),
    ...(c.endLine ? ['the end line (count and SHA-256)'] : []),
  ];
  out.push(`checked     ${r.records} records: ${what.join(', ')}`);
  for (const n of r.notes) out.push(`note        ${n}`);
  for (const k of r.operatorAddedKeys) {
    out.push(`OPERATOR KEY ${k.kid} of "${k.participant}" was added by operator "${k.addedBy}" at seq ${k.addedSeq} (a recovery key: "${k.participant}" never signed for it)`);
  }
  for (const e of r.operatorKeySigned) out.push(`OPERATOR KEY signed seq ${e.seq} as "${e.signer}" (key ${e.kid})`);
  if (r.ok) {
    out.push(r.keyPinned ? 'OK: every check passed' : 'OK (key NOT pinned): every check passed against the bundle\'s own key, which shows the bundle is intact, not that it is the ledger\'s');
    return out.join('\n');
  }
  out.push(...formatFailures(r));
  return out.join('\n');
}
