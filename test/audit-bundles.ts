/**
 * Fixtures of the audit tests: the trace chain of test/trace-chain.ts with a key rotation, its
 * bundles as text, and a forger that builds correctly hashed, proved and signed bundles of logs the
 * ledger itself would refuse (a revoked key signing, a key used before it was added), so that the
 * verifier's own rules are tested and not only its hashing.
 */
import { toBase64, toBase64Url, toHex, utf8 } from '../src/core/bytes.js';
import { signCheckpoint } from '../src/core/checkpoint.js';
import { nobleEd25519 } from '../src/core/ed25519.js';
import { signEntry, type Entry, type PayloadBase } from '../src/core/entry.js';
import { keyIdOf } from '../src/core/keys.js';
import { appendLeaf, frontierRoot, hashLeaf, inclusionProof, type NodeReader } from '../src/core/merkle.js';
import { formatVerifierKey } from '../src/core/note.js';
import { CHAIN_HASH_START, chainHash, recordLeafBytes, type LedgerRecord } from '../src/core/record.js';
import { BUNDLE_FORMAT, prepareExport, type BundleScope, type ExportRequest } from '../src/audit/bundle.js';
import { verifyBundle, type BundleReport, type VerifyBundleOptions } from '../src/audit/verify.js';
import { nodeEd25519 } from '../src/platform/node-crypto.js';
import { nodeSha256 } from '../src/audit/bundle-file.js';
import { A1, at, buildChain, P, S, type Seqs } from './trace-chain.js';
import { makeWorld, type World } from './trace-world.js';
import { party, type Party } from './helpers.js';

export interface AuditWorld {
  readonly w: World;
  readonly r: Seqs;
  /** man's second key, added after the chain; man's first key is revoked right after. */
  readonly man2Key: Party;
  readonly keyAddSeq: number;
  readonly revokeSeq: number;
  /** An inspection of S signed with the new key (after the revocation). */
  readonly inspectSeq: number;
  /** An entry outside P's chain, after everything else. */
  readonly unrelatedSeq: number;
  close(): Promise<void>;
}

/**
 * The chain, then: man adds a second key (signed with the first), revokes the first (signed with
 * the first: allowed, seq = r), inspects S with the second; sup2 commissions an unrelated lot.
 */
export async function auditWorld(): Promise<AuditWorld> {
  const w = await makeWorld();
  const r = await buildChain(w);
  const man2Key = party('man', new Uint8Array(32).fill(77));
  const oldKid = keyIdOf(w.man.publicKey);
  const add = await w.submit(w.man, { type: 'participant.key.add', participant: 'man', publicKey: toBase64Url(man2Key.publicKey), time: at(120) });
  const revoke = await w.submit(w.man, { type: 'participant.key.revoke', participant: 'man', kid: oldKid, reason: 'rotation', time: at(121) });
  const inspect = await w.submit(man2Key, { type: 'inspect', objects: [S], result: 'pass', standard: 'EN 485-2', time: at(122) });
  const unrelated = await w.submit(w.sup2, { type: 'commission', objects: [{ code: 'urn:trace:sup2:other-1', level: 'material', product: { name: 'Other' }, quantity: { value: 5, unit: 'KGM' } }], time: at(123) });
  return {
    w,
    r,
    man2Key,
    keyAddSeq: add.seq,
    revokeSeq: revoke.seq,
    inspectSeq: inspect.seq,
    unrelatedSeq: unrelated.seq,
    close: () => w.L.close(),
  };
}

/** The bundle's text and its lines (split at "\n", as verifyBundle takes them). */
export async function exportText(w: World, request: ExportRequest = {}): Promise<string> {
  const bundle = prepareExport(w.L.ledger, request);
  const parts: Buffer[] = [];
  for await (const chunk of bundle.chunks()) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString('utf8');
}

export const linesOf = (text: string): string[] => text.split('\n');

/** Fast verification for tests: node:crypto, inline (no worker). */
export function verifyText(text: string, options: VerifyBundleOptions = {}): Promise<BundleReport> {
  return verifyBundle(linesOf(text), { ed: nodeEd25519, sha256: nodeSha256, ...options });
}

/** Seqs of the record lines of a bundle. */
export function seqsOf(text: string): number[] {
  return linesOf(text)
    .slice(1)
    .filter((l) => l.startsWith('{"record":'))
    .map((l) => (JSON.parse(l) as { record: LedgerRecord }).record.seq);
}

// ---------------------------------------------------------------------------------------------
// Forged logs

export interface ForgedLog {
  readonly origin: string;
  readonly ledgerKey: string;
  readonly ledgerSeed: Uint8Array;
  /** Full bundle text (end line included), or scoped with inclusion proofs for `keep`. */
  bundle(scope?: BundleScope, keep?: (seq: number) => boolean): string;
  readonly records: LedgerRecord[];
}

/** Payload base fields filled in. */
const payload = (who: { id: string }, fields: Record<string, unknown> & { type: string }, i: number): PayloadBase =>
  ({ id: `forged-${i}`, signer: who.id, time: new Date(Date.UTC(2026, 10, 1, 0, i)).toISOString(), ...fields }) as PayloadBase;

/**
 * A log built without the ledger's rules: genesis (signed with the ledger key) registering the
 * operator, then `entries(ctx)` signed as given. Hashes, chain, tree and checkpoint are correct.
 */
export function forgeLog(
  entries: (ctx: { operator: Party; sign: (who: Party, fields: Record<string, unknown> & { type: string }) => Entry }) => Entry[],
  origin = 'forged.test.local/log',
  ledgerSeed = new Uint8Array(32).fill(9),
): ForgedLog {
  const ledgerPublicKey = nobleEd25519.publicKey(ledgerSeed);
  const ledgerKey = formatVerifierKey(origin, ledgerPublicKey);
  const operator = party('operator', new Uint8Array(32).fill(10));
  let i = 0;
  const sign = (who: Party, fields: Record<string, unknown> & { type: string }) => signEntry(payload(who, fields, i++), who.seed, nodeEd25519);
  const genesis = signEntry(
    {
      type: 'ledger.genesis', id: 'genesis', signer: 'ledger', time: '2026-11-01T00:00:00.000Z', origin, ledgerKey,
      ledgerPublicKey: toBase64Url(ledgerPublicKey), operator: { id: 'operator', name: 'Operator', publicKey: toBase64Url(operator.publicKey) },
    },
    ledgerSeed,
    nodeEd25519,
  );
  const all = [genesis, ...entries({ operator, sign })];
  const records: LedgerRecord[] = all.map((entry, seq) => ({ seq, recordedAt: new Date(Date.UTC(2026, 10, 2, 0, 0, seq)).toISOString(), entry }));
  const leaves = records.map((r) => hashLeaf(recordLeafBytes(r)));
  const chains: Uint8Array[] = [];
  leaves.forEach((h, k) => chains.push(chainHash(k === 0 ? CHAIN_HASH_START : chains[k - 1]!, h)));
  let frontier: Uint8Array[] = [];
  const nodes = new Map<string, Uint8Array>();
  leaves.forEach((h, k) => {
    nodes.set(`0:${k}`, h);
    const out = appendLeaf(frontier, k, h);
    frontier = out.frontier;
    for (const n of out.newNodes) nodes.set(`${n.level}:${n.index}`, n.hash);
  });
  const size = records.length;
  const note = signCheckpoint({ origin, size, root: frontierRoot(frontier, size) }, { name: origin, seed: ledgerSeed }, nodeEd25519);
  const read: NodeReader = (level, index) => nodes.get(`${level}:${index}`)!;
  return {
    origin,
    ledgerKey,
    ledgerSeed,
    records,
    bundle(scope = { kind: 'full' }, keep = () => true) {
      const header = { format: BUNDLE_FORMAT, origin, ledgerKey, checkpoint: note, scope, exportedAt: '2026-11-03T00:00:00.000Z' };
      const lines = [JSON.stringify(header)];
      for (const r of records) {
        if (!keep(r.seq)) continue;
        const inclusion = scope.kind === 'full' ? '' : `,"inclusion":[${inclusionProof(read, r.seq, size).map((h) => `"${toBase64(h)}"`).join(',')}]`;
        lines.push(`{"record":${new TextDecoder().decode(recordLeafBytes(r))},"leafHash":"${toHex(leaves[r.seq]!)}","chainHash":"${toHex(chains[r.seq]!)}"${inclusion}}`);
      }
      return withEnd(lines);
    },
  };
}

/** Appends the end line (record count and SHA-256 of the text before it) and the final newline. */
export function withEnd(lines: readonly string[]): string {
  const body = lines.map((l) => `${l}\n`).join('');
  const digest = toHex(shaOf(body));
  return `${body}${JSON.stringify({ end: { records: lines.length - 1, sha256: digest } })}\n`;
}

const shaOf = (text: string): Uint8Array => nodeSha256(utf8(text));

/** Replaces the end line of a bundle text with a correct one for the lines before it. */
export function reseal(text: string): string {
  const lines = linesOf(text).filter((l) => l !== '' && !l.startsWith('{"end":'));
  return withEnd(lines);
}

export { A1, P, S };
