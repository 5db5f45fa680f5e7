/**
 * The record stream of a bundle: every record line after the header, checked with the shared
 * record checks (src/verify) in constant memory, apart from the registry:
 * - leafHash = SHA-256(0x00 ‖ JCS(record)) (RFC 9162 §2.1.1), the chain hash wherever the previous
 *   seq is the line before, the seq order;
 * - a full bundle: every leaf folded into the Merkle root; a scoped one: every inclusion proof
 *   (§2.1.3.2) against the checkpoint, and for a seq range, that no seq of it is missing;
 * - every signature with the key the registry, replayed from the bundle's own genesis,
 *   registration and key records, says was valid at that seq.
 */
import { fromHex, toHex } from '../../core/bytes.js';
import { canonicalCode } from '../../core/codes.js';
import { signingMessageFromCanonical } from '../../core/entry.js';
import { leafFolder, type LeafFolder } from '../../core/merkle.js';
import { CHAIN_HASH_START } from '../../core/record.js';
import { createdCodes, PREFIX_TYPES, requireCodeOwned } from '../../domain/prefixes.js';
import { parseEntry, type Payload } from '../../domain/schemas.js';
import { checkChainLink, checkInclusion, checkLeafHash } from '../../verify/record.js';
import { checkGenesisKey, checkGenesisPosition, isGenesisPosition, missingGenesis, replayRegistry, type RegistryReplay } from '../../verify/registry.js';
import { decodeSignature } from '../../verify/signature.js';
import { failure } from '../../verify/failure.js';
import { statedLinkHolds } from '../failures.js';
import { codeOf, messageOf, type BundleRun, type Obj } from './context.js';
import type { HeaderState } from './header.js';
import { readRecordLine, type RecordLine } from './record-line.js';
import type { OperatorAddedKey, BundleReport } from './report.js';
import type { SignatureQueue } from './signatures.js';

const REGISTRY_TYPES = new Set(['ledger.genesis', 'participant.register', 'participant.key.add', 'participant.key.revoke', ...PREFIX_TYPES]);
const CREATING_TYPES = new Set(['commission', 'transform', 'aggregate']);
/** The chain before seq 0 (the zero hash), as computed and as a line would state it. */
const CHAIN_START = { seq: -1, chain: CHAIN_HASH_START, stated: toHex(CHAIN_HASH_START) };

/** What the stream has seen so far; owned by one verification. */
export interface RecordState {
  records: number;
  lastSeq: number;
  /** The previous record line's seq, chain hash as computed (or stated, after a gap) and as stated. */
  prev: { seq: number; chain: Uint8Array; stated: string } | undefined;
  readonly frontier: LeafFolder;
  /** Why the root cannot be recomputed, once a line could not be placed in the tree. */
  frontierBroken: string | undefined;
  rangeSeen: number;
  leafHashes: number;
  chainLinks: number;
  inclusionProofs: number;
  genesisChecked: boolean;
  readonly registry: RegistryReplay;
  /** Codes created so far (full bundles): an aggregate creates its parent only the first time. */
  readonly created: Set<string>;
  readonly operatorAddedKeys: OperatorAddedKey[];
  readonly operatorKeySigned: Array<BundleReport['operatorKeySigned'][number]>;
}

export function recordState(run: BundleRun): RecordState {
  return {
    records: 0, lastSeq: -1, prev: undefined, frontier: leafFolder(run.sha256), frontierBroken: undefined, rangeSeen: 0,
    leafHashes: 0, chainLinks: 0, inclusionProofs: 0, genesisChecked: false,
    registry: replayRegistry(), created: new Set(), operatorAddedKeys: [], operatorKeySigned: [],
  };
}

/** One verification's parts, as the record checks need them. */
export interface RecordContext {
  readonly run: BundleRun;
  readonly header: HeaderState;
  readonly state: RecordState;
  readonly signatures: SignatureQueue;
}

/** A record line: anything after the header that is not the end line. */
export function checkRecordLine(c: RecordContext, text: string, bytes: Uint8Array, line: number, endLine: number | null): void {
  c.state.records++;
  if (endLine !== null) c.run.fail('format', line, null, `data after the end line (line ${endLine})`);
  const r = readRecordLine(c.run, text, bytes, line);
  if ('unreadable' in r) {
    c.state.frontierBroken ??= r.unreadable;
    return;
  }
  const scope = c.header.scope;
  if (scope !== null && scope.kind !== 'full' && r.inclusion === undefined) c.run.fail('inclusion', line, r.seq, 'a scoped bundle carries an inclusion proof on every record; this one has none');
  const leaf = checkHashes(c, r, line);
  checkPlacement(c, r, leaf, line);
  checkEntry(c, r, line);
}

/** Leaf hash, order, and chain link; returns the leaf hash as recomputed. */
function checkHashes(c: RecordContext, r: RecordLine, line: number): Uint8Array {
  const { run, state } = c;
  const { seq } = r;
  const leaf = checkLeafHash(run.sha256, r.leaf, r.statedLeaf);
  state.leafHashes++;
  if (leaf.failure !== undefined) run.failCheck('leaf-hash', line, seq, leaf.failure, { message: 'the record does not hash to the leaf hash on its line: the record or the hash was altered' });

  if (seq <= state.lastSeq) {
    run.fail('order', line, seq, `seq ${seq} comes after seq ${state.lastSeq}: lines are out of order or repeated`);
    state.frontierBroken ??= `seq ${seq} is out of order`;
  } else if (c.header.scope?.kind === 'full' && seq > state.lastSeq + 1) {
    run.fail('order', line, seq, `records ${state.lastSeq + 1}..${seq - 1} are missing`, { expected: String(state.lastSeq + 1), found: String(seq) });
    state.frontierBroken ??= `records ${state.lastSeq + 1}..${seq - 1} are missing`;
  }
  // The chain is carried forward as computed, so one wrong chain hash is one failure, not two;
  // after a gap, the next record is checked against this line's stated chain hash.
  const previous = seq === 0 ? CHAIN_START : state.prev?.seq === seq - 1 ? state.prev : undefined;
  let chain: Uint8Array;
  if (previous !== undefined) {
    const link = checkChainLink(run.sha256, previous.chain, leaf.hash, r.statedChain);
    chain = link.hash;
    state.chainLinks++;
    if (link.failure !== undefined) {
      const explanation = statedLinkHolds(run.sha256, previous.stated, r.statedLeaf, r.statedChain) ? 'chain-link-intact' : undefined;
      run.failCheck('chain-hash', line, seq, link.failure, { message: `chain hash does not follow from ${seq === 0 ? 'the zero hash' : `seq ${seq - 1}`} and this leaf`, explanation });
    }
  } else {
    chain = fromHex(r.statedChain);
  }
  state.prev = { seq, chain, stated: r.statedChain };
  const cp = c.header.checkpoint;
  if (cp !== undefined && seq >= cp.size) run.fail('order', line, seq, `seq ${seq} is beyond the checkpoint (size ${cp.size})`);
  if (seq > state.lastSeq) state.lastSeq = seq;
  return leaf.hash;
}

/** Merkle: fold the leaf into the root (full bundle), or check its audit path (scoped). */
function checkPlacement(c: RecordContext, r: RecordLine, leaf: Uint8Array, line: number): void {
  const { state } = c;
  const { scope, checkpoint: cp } = c.header;
  if (scope?.kind === 'full' && state.frontierBroken === undefined && r.seq === state.frontier.size) state.frontier.append(leaf);
  if (scope?.kind === 'range' && r.seq >= scope.from && r.seq < scope.to) state.rangeSeen++;
  if (r.inclusion === undefined || cp === undefined || r.seq >= cp.size) return;
  state.inclusionProofs++;
  const f = checkInclusion(c.run.sha256, leaf, r.seq, cp, r.inclusion);
  if (f !== undefined) c.run.failCheck('inclusion', line, r.seq, f, { message: `inclusion proof against the checkpoint (size ${cp.size}) fails: ${f.message}`, explanation: 'leaf-altered' });
}

/** The signing key at this seq (traced back to genesis), the registry's replay, and the signature. */
function checkEntry(c: RecordContext, r: RecordLine, line: number): void {
  const { run, state } = c;
  const { seq, payload, signature } = r;
  if (seq !== 0 && !state.genesisChecked) {
    state.genesisChecked = true;
    run.failCheck('scope', line, 0, missingGenesis(), { message: 'the bundle lacks the genesis record (seq 0), the root of the key registry: signatures cannot be checked' });
  }
  const publicKey = signingKeyOf(c, r, line);
  if (REGISTRY_TYPES.has(payload['type'] as string)) replayRegistryEntry(c, r, line, publicKey !== undefined || seq === 0);
  if (CREATING_TYPES.has(payload['type'] as string)) checkOwnership(c, seq, r.entry, line);
  if (publicKey === undefined) return;
  const decoded = decodeSignature(signature.sig);
  if (!decoded.ok) {
    run.failCheck('signature', line, seq, decoded.failure);
    return;
  }
  c.signatures.check({ signature: decoded.value, message: signingMessageFromCanonicalBytes(r.payloadBytes), publicKey }, { line, seq, kid: signature.kid });
}

const PREFIX_BYTES = signingMessageFromCanonical('');
/** core/entry.ts's signing message, from the payload's JCS bytes as read. */
function signingMessageFromCanonicalBytes(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(PREFIX_BYTES.length + payload.length);
  out.set(PREFIX_BYTES, 0);
  out.set(payload, PREFIX_BYTES.length);
  return out;
}

/** The key the entry must verify with, or undefined (and the reason reported). */
function signingKeyOf(c: RecordContext, r: RecordLine, line: number): Uint8Array | undefined {
  const { run, state } = c;
  const { seq, payload, signature } = r;
  if (isGenesisPosition(seq, payload)) {
    if (seq === 0) state.genesisChecked = true;
    const position = checkGenesisPosition(seq, payload);
    if (position !== undefined) {
      run.failCheck('registry', line, seq, position);
      return undefined;
    }
    // Genesis is the root of trust inside the log: it must name the trusted key and origin.
    const trusted = c.header.trusted;
    if (trusted === undefined) {
      run.fail('ledger-key', line, 0, 'no trusted ledger key to check the genesis with');
      return undefined;
    }
    for (const f of checkGenesisKey(payload, signature.kid, trusted)) run.failCheck(f.field === 'origin' ? 'origin' : 'ledger-key', line, seq, f);
    return trusted.key.publicKey;
  }
  const key = state.registry.keyAt(payload['signer'] as string, signature.kid, seq);
  if (!key.ok) {
    run.failCheck('signing-key', line, seq, key.failure);
    return undefined;
  }
  if (key.value.operatorAdded) state.operatorKeySigned.push({ seq, signer: payload['signer'] as string, kid: key.value.kid });
  return key.value.publicKey;
}

/**
 * Registry entries change whose keys are valid from the next seq on. The rules are checked on
 * every one; the effects apply only when the signer's key was valid at this seq (as the ledger
 * would have refused the entry otherwise), and also when only the signature fails, which the
 * worker threads tell later: that failure is reported anyway.
 */
function replayRegistryEntry(c: RecordContext, r: RecordLine, line: number, keyValid: boolean): void {
  const { run, state } = c;
  let payload: Payload;
  try {
    payload = parseEntry(r.entry, `seq ${r.seq}`).payload;
  } catch (e) {
    run.failCheck('registry', line, r.seq, failure('REGISTRY_ENTRY', messageOf(e), { cause: e }));
    return;
  }
  const effects = state.registry.effectsOf(payload, r.seq);
  if (!effects.ok) {
    run.failCheck('registry', line, r.seq, effects.failure);
    return;
  }
  if (!keyValid) return;
  state.registry.apply(effects.value);
  for (const e of effects.value) {
    if (e.kind === 'key.insert' && e.key.operatorAdded) state.operatorAddedKeys.push({ kid: e.key.kid, participant: e.key.participant, addedBy: e.key.addedBy, addedSeq: e.key.addedSeq });
  }
}

/**
 * GS1 keys are commissioned under the signer's company prefixes (src/domain/prefixes.ts). Only a
 * full bundle holds every prefix and delegation entry; a scoped one cannot show who held what.
 * An entry that does not parse is left to the hash and signature checks.
 */
function checkOwnership(c: RecordContext, seq: number, entry: Obj, line: number): void {
  if (c.header.scope?.kind !== 'full') return;
  let payload: Payload;
  try {
    payload = parseEntry(entry, `seq ${seq}`).payload;
  } catch {
    return;
  }
  for (const { code, where } of createdCodes(payload)) {
    const canonical = canonicalCode(code);
    if (where === 'parent' && c.state.created.has(canonical)) continue;
    c.state.created.add(canonical);
    try {
      requireCodeOwned(c.state.registry.view, canonical, payload.signer, payload.time, where);
    } catch (e) {
      c.run.fail('registry', line, seq, messageOf(e), { code: codeOf(e) });
    }
  }
}
