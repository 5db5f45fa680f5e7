/**
 * Dispute reports: the evidence a court or an arbitrator needs about one handoff or one product's
 * origin, verifiable offline with nothing but the ledger's published key.
 *
 * - handoff (`report handoff <shipment>`): what the sender signed it shipped, what the receiver
 *   signed it received, when, the carrier's tracking statements and the discrepancy between them;
 * - origin (`report origin <code>`): the upstream path from a product to every source lot, each
 *   lot's creation (commission or transformation), inspections, recalls and handoffs.
 *
 * Every statement carries its full signed entry (the record whose leaf the log holds), its
 * RFC 9162 inclusion proof and the signed checkpoint (C2SP tlog-checkpoint) it verifies against;
 * the records that registered the signers' keys come along (down to genesis), so each signature
 * can be checked against a key the log itself vouches for. `verifyReport` checks a report (JSON, or
 * the HTML with the report embedded); the HTML also says how to check the same records through an
 * audit bundle (`trace-ledger export --since` + `trace-ledger verify --checkpoint`).
 *
 * The HTML form is one standalone file: inline CSS, no scripts, images, fonts or links to
 * anything outside it, every text escaped, print CSS for A4 (no navigation, statements kept on
 * one page where they fit), and the JSON report embedded as inert data so the file a court
 * receives can be verified as it is.
 */
import { fromBase64Url, toBase64, toHex, utf8 } from '../core/bytes.js';
import type { Checkpoint } from '../core/checkpoint.js';
import { nobleEd25519, type Ed25519 } from '../core/ed25519.js';
import { signingMessageFromCanonical } from '../core/entry.js';
import { LedgerError } from '../core/errors.js';
import { parseCode } from '../core/codes.js';
import { sha256 } from '../core/hash.js';
import { canonicalize } from '../core/jcs.js';
import { keyIdOf } from '../core/keys.js';
import { parseVerifierKey } from '../core/note.js';
import type { LedgerRecord } from '../core/record.js';
import type { KeyRecord } from '../domain/registry.js';
import type { Payload } from '../domain/schemas.js';
import type { Ledger } from '../ledger.js';
import { checkCheckpoint } from '../verify/checkpoint.js';
import { failure, type CheckFailure, type VerifyCode } from '../verify/failure.js';
import { checkInclusion, checkLeafHash } from '../verify/record.js';
import { checkGenesisKey, checkGenesisPosition, isGenesisPosition, missingGenesis, replayRegistry, type RegistryReplay, type TrustedKey } from '../verify/registry.js';
import { checkSignature } from '../verify/signature.js';

export const REPORT_FORMAT = 'trace-ledger-report/1';
/** Reports larger than this are refused: export an audit bundle instead. */
export const MAX_REPORT_RECORDS = 5000;
/** Paths listed in an origin report (a product of many mixed lots has combinatorially many). */
export const MAX_ORIGIN_PATHS = 200;

/** What a report is built from: the ledger's read side. */
export type ReportSource = Pick<
  Ledger,
  'origin' | 'verifierKey' | 'record' | 'seqOfLeafHash' | 'checkpoint' | 'inclusionProof' | 'participant' | 'object' | 'upstream' | 'downstream' | 'history' | 'shipment'
>;

/** One record with what proves it is in the log: an audit-bundle line plus its seq. */
export interface EvidenceRecord {
  readonly seq: number;
  readonly record: LedgerRecord;
  /** Hex SHA-256(0x00 ‖ JCS(record)). */
  readonly leafHash: string;
  /** RFC 9162 audit path (base64) for leaf `seq` in the tree of the report's checkpoint. */
  readonly inclusion: string[];
}

export interface Statement extends EvidenceRecord {
  /** dispatch, tracking, receipt, retraction, origin, transformation, packing, inspection, recall… */
  readonly role: string;
  readonly type: string;
  readonly signer: { readonly id: string; readonly name: string };
  /** payload.time: when the signer says it happened. */
  readonly time: string;
  readonly recordedAt: string;
  /** The statement in words (generated from the signed payload, which is what counts). */
  readonly says: string;
  /** Object codes the statement is about, where the report ties it to some. */
  readonly about?: readonly string[];
  /**
   * Signed with a recovery key an operator added (domain/key-rules.ts), not a key the signer added
   * itself: the signer never vouched for it. verifyReport holds it to the replayed registry.
   */
  readonly operatorAddedKey: boolean;
}

export interface RegistryStatement extends EvidenceRecord {
  readonly says: string;
}

interface Quantity {
  readonly value: number;
  readonly unit: string;
}

interface ReportBase {
  readonly format: typeof REPORT_FORMAT;
  readonly title: string;
  readonly generatedAt: string;
  readonly origin: string;
  /** The ledger's verifier key as served; compare it with the one the operator publishes. */
  readonly ledgerKey: string;
  readonly checkpoint: { readonly note: string; readonly size: number; readonly root: string };
  readonly statements: Statement[];
  /** Records registering the signers and their keys (genesis carries the operator's). */
  readonly registry: RegistryStatement[];
}

export interface HandoffItem {
  readonly code: string;
  readonly product: string;
  readonly shipped: Quantity;
  readonly received: Quantity | null;
  /** shipped − received, when received. */
  readonly missing: Quantity | null;
}

export interface HandoffReport extends ReportBase {
  readonly kind: 'handoff';
  readonly shipment: {
    readonly seq: number;
    readonly leafHash: string;
    readonly status: string;
    readonly sender: { readonly id: string; readonly name: string };
    readonly receiver: { readonly id: string; readonly name: string };
    readonly carrier: { readonly id: string; readonly name: string } | null;
    readonly reference: string | null;
    readonly dispatchedAt: string;
    readonly expectedDelivery: string | null;
    readonly receivedSeq: number | null;
    readonly receivedAt: string | null;
    readonly condition: string | null;
    readonly note: string | null;
    readonly retractedSeq: number | null;
  };
  readonly items: HandoffItem[];
  readonly discrepancy: { readonly summary: string; readonly items: HandoffItem[] } | null;
}

export interface OriginLot {
  readonly code: string;
  readonly depth: number;
  readonly level: string;
  readonly product: string;
  readonly producer: { readonly id: string; readonly name: string };
  readonly quantity: Quantity;
  readonly created: { readonly seq: number; readonly by: string };
  readonly inputs: ReadonlyArray<{ readonly code: string; readonly quantity: Quantity; readonly seqs: readonly number[]; readonly kind: 'consumed' | 'packed' }>;
  readonly inspections: ReadonlyArray<{ readonly seq: number; readonly result: string; readonly signer: string; readonly time: string; readonly standard?: string; readonly note?: string }>;
  readonly recalls: ReadonlyArray<{ readonly seq: number; readonly reason: string; readonly time: string }>;
  readonly handoffs: ReadonlyArray<{ readonly seq: number; readonly type: string; readonly signer: string; readonly time: string }>;
}

export interface OriginReport extends ReportBase {
  readonly kind: 'origin';
  readonly code: string;
  readonly product: string;
  readonly flags: ReadonlyArray<Record<string, unknown>>;
  /** Every path from the product down to a source lot, as codes (product first). */
  readonly paths: string[][];
  readonly pathsTruncated: boolean;
  readonly lots: OriginLot[];
}

export type Report = HandoffReport | OriginReport;

// ---------------------------------------------------------------------------------------------
// Building

const UNIT_NAMES: Record<string, string> = {
  KGM: 'kg', TNE: 't', GRM: 'g', MTR: 'm', MTK: 'm²', MTQ: 'm³', LTR: 'l', H87: 'pcs', C62: 'units', SET: 'sets', PR: 'pairs', KWH: 'kWh',
};
const qtyText = (q: Quantity | undefined | null): string => (q == null ? '-' : `${q.value} ${UNIT_NAMES[q.unit] ?? q.unit}`);

type P<T extends Payload['type']> = Extract<Payload, { type: T }>;

/** Memoised participant names and the evidence set of one report. */
function reportContext(ledger: ReportSource) {
  const names = new Map<string, string>();
  const nameOf = (id: string): string => {
    let n = names.get(id);
    if (n === undefined) {
      try {
        n = ledger.participant(id).name;
      } catch {
        n = id.startsWith('customer:') ? id.slice('customer:'.length) : id;
      }
      names.set(id, n);
    }
    return n;
  };
  const party = (id: string) => ({ id, name: nameOf(id) });
  const payloadAt = (seq: number) => ledger.record(seq).record.entry.payload as unknown as Payload;
  return { nameOf, party, payloadAt };
}

/** An entry's statement in words. The signed payload is what counts; this is a reading aid. */
export function describeEntry(payload: Payload, nameOf: (id: string) => string): string {
  const who = `${nameOf(payload.signer)} (${payload.signer})`;
  const items = (list: ReadonlyArray<{ code: string; quantity: Quantity }>) => list.map((o) => `${qtyText(o.quantity)} of ${o.code}`).join(', ');
  switch (payload.type) {
    case 'ledger.genesis':
      return `The ledger ${payload.origin} starts, with ${payload.operator.name} (${payload.operator.id}) as its operator.`;
    case 'participant.register':
      return `${who} registers ${payload.name} (${payload.participant}) as ${payload.roles.join(', ')}, with key ${keyIdOf(fromBase64Url(payload.publicKey))}${payload.prefixes === undefined ? '' : `, GS1 Company Prefixes ${payload.prefixes.join(', ') || 'none'}`}.`;
    case 'participant.key.add':
      return `${who} adds key ${keyIdOf(fromBase64Url(payload.publicKey))} for ${payload.participant}.`;
    case 'participant.key.revoke':
      return `${who} revokes key ${payload.kid} of ${payload.participant}${payload.reason === undefined ? '' : `: ${payload.reason}`}.`;
    case 'participant.prefixes.set':
      return `${who} sets the GS1 Company Prefixes of ${payload.participant} to ${payload.prefixes.join(', ') || 'none'}.`;
    case 'prefix.delegate':
      return `${who} lets ${nameOf(payload.to)} (${payload.to}) commission codes under the company prefix ${payload.prefix}${payload.until === undefined ? '' : ` until ${payload.until}`}.`;
    case 'prefix.delegate.revoke':
      return `${who} withdraws the delegation of the company prefix ${payload.prefix} to ${nameOf(payload.to)} (${payload.to})${payload.reason === undefined ? '' : `: ${payload.reason}`}.`;
    case 'commission':
      return `${who} commissions ${payload.objects.map((o) => `${qtyText(o.quantity)} of ${o.product.name} (${o.code})`).join(', ')}.`;
    case 'transform':
      return `${who} transforms ${items(payload.inputs)} into ${payload.outputs.map((o) => `${qtyText(o.quantity)} of ${o.product.name} (${o.code})`).join(', ')}${payload.process?.name === undefined ? '' : ` by ${payload.process.name}`}.`;
    case 'aggregate':
      return `${who} packs ${items(payload.children)} into ${payload.parent}.`;
    case 'disaggregate':
      return `${who} unpacks ${payload.children === undefined ? 'everything' : items(payload.children)} from ${payload.parent}.`;
    case 'ship':
      return `${who} ships ${items(payload.objects)} to ${nameOf(payload.to)} (${payload.to})${payload.carrier === undefined ? '' : `, carried by ${nameOf(payload.carrier)} (${payload.carrier})`}${payload.expectedDelivery === undefined ? '' : `, expected ${payload.expectedDelivery}`}${payload.reference === undefined ? '' : `, reference ${payload.reference}`}.`;
    case 'receive':
      return `${who} receives shipment ${payload.shipment}: ${payload.objects.length === 0 ? 'nothing' : items(payload.objects)}${payload.condition === undefined ? '' : `, condition ${payload.condition}`}${payload.note === undefined ? '' : `; note: ${payload.note}`}.`;
    case 'inspect':
      return `${who} inspects ${payload.objects.join(', ')}: ${payload.result.toUpperCase()}${payload.standard === undefined ? '' : ` against ${payload.standard}`}${(payload.measurements ?? []).map((m) => `; ${m.type} ${m.value}${m.unit === undefined ? '' : ` ${m.unit}`}${m.min === undefined ? '' : ` (min ${m.min})`}${m.max === undefined ? '' : ` (max ${m.max})`}`).join('')}${payload.note === undefined ? '' : `; note: ${payload.note}`}.`;
    case 'track':
      return `${who} reports ${payload.status.replace(/_/g, ' ')}${payload.shipment === undefined ? '' : ` for shipment ${payload.shipment}`}${payload.objects === undefined ? '' : ` of ${items(payload.objects)} to ${payload.recipient}`}${payload.location === undefined ? '' : ` at ${payload.location.name ?? payload.location.gln}`}${payload.note === undefined ? '' : `; note: ${payload.note}`}.`;
    case 'recall':
      return `${who} recalls ${payload.objects.join(', ')}: ${payload.reason}.`;
    case 'retract':
      return `${who} retracts entry ${payload.target}: ${payload.reason}.`;
  }
}

/**
 * Turn a set of statement seqs into the evidence: the records registering every signer's key
 * (recursively: the registering operator's too, down to genesis), the checkpoint covering them all,
 * and each record's inclusion proof in it.
 */
function assemble(
  ledger: ReportSource,
  ctx: ReturnType<typeof reportContext>,
  statements: ReadonlyArray<{ seq: number; role: string; about?: readonly string[] }>,
) {
  const statementSeqs = new Set(statements.map((s) => s.seq));
  const registrySeqs = new Set<number>([0]);
  const pending = [...statementSeqs, 0];
  const seen = new Set<number>();
  while (pending.length > 0) {
    const seq = pending.pop()!;
    if (seen.has(seq)) continue;
    seen.add(seq);
    const { payload, signature } = ledger.record(seq).record.entry;
    let p;
    try {
      p = ledger.participant(payload.signer);
    } catch {
      continue;
    }
    const key = p.keys.find((k) => k.kid === signature.kid);
    // A recovery key is valid only because every earlier key of its participant was revoked
    // (key-rules.ts): the verifier replays all of them to see that.
    const keys = key?.operatorAdded === true ? p.keys.filter((k) => k.addedSeq <= key.addedSeq) : key === undefined ? [] : [key];
    for (const s of [p.registeredSeq, ...keys.flatMap((k) => [k.addedSeq, k.revokedSeq])]) {
      if (typeof s === 'number' && !statementSeqs.has(s)) {
        registrySeqs.add(s);
        pending.push(s);
      }
    }
  }
  const all = new Set([...statementSeqs, ...registrySeqs]);
  if (all.size > MAX_REPORT_RECORDS) {
    throw new LedgerError('LEDGER_QUERY_INVALID', `this report would cite ${all.size} records, more than ${MAX_REPORT_RECORDS}: export an audit bundle instead`);
  }
  const cp = ledger.checkpoint(Math.max(...all) + 1);
  const evidence = (seq: number): EvidenceRecord => {
    const view = ledger.record(seq);
    return { seq, record: view.record, leafHash: view.leafHash, inclusion: ledger.inclusionProof(seq, cp.size).hashes };
  };
  const operatorAdded = (signer: string, kid: string): boolean => {
    try {
      return ledger.participant(signer).keys.find((k) => k.kid === kid)?.operatorAdded === true;
    } catch {
      return false;
    }
  };
  const out: Statement[] = statements.map((s) => {
    const e = evidence(s.seq);
    const payload = e.record.entry.payload as unknown as Payload;
    return {
      role: s.role,
      type: payload.type,
      signer: ctx.party(payload.signer),
      time: payload.time,
      recordedAt: e.record.recordedAt,
      says: describeEntry(payload, ctx.nameOf),
      ...(s.about === undefined ? {} : { about: s.about }),
      operatorAddedKey: operatorAdded(e.record.entry.payload.signer, e.record.entry.signature.kid),
      ...e,
    };
  });
  const registry = [...registrySeqs].sort((a, b) => a - b).map((seq) => {
    const e = evidence(seq);
    return { says: describeEntry(e.record.entry.payload as unknown as Payload, ctx.nameOf), ...e };
  });
  return {
    checkpoint: { note: cp.note, size: cp.size, root: toBase64(cp.root) },
    statements: out,
    registry,
  };
}

/**
 * `shipment` is the seq or the hex leaf hash of a ship entry.
 * @throws LedgerError LEDGER_ENTRY_NOT_FOUND (no such entry) | LEDGER_NOT_FOUND (not a ship entry) | LEDGER_QUERY_INVALID
 */
export async function buildHandoffReport(ledger: ReportSource, shipment: string, now: Date = new Date()): Promise<HandoffReport> {
  const ctx = reportContext(ledger);
  let seq: number;
  if (/^\d{1,15}$/.test(shipment)) seq = Number(shipment);
  else if (/^[0-9a-fA-F]{64}$/.test(shipment)) seq = ledger.seqOfLeafHash(shipment.toLowerCase());
  else throw new LedgerError('LEDGER_QUERY_INVALID', `shipment must be the seq or the leaf hash (64 hex characters) of a ship entry, got ${JSON.stringify(shipment.slice(0, 80))}`);
  const view = ledger.record(seq);
  const ship = view.record.entry.payload as unknown as Payload;
  if (ship.type !== 'ship') throw new LedgerError('LEDGER_NOT_FOUND', `entry ${seq} is a ${ship.type} entry, not a shipment`);

  // Read directly, not from the lot's downstream answer: a retracted shipment is gone from that
  // answer but stays the subject of a report, which then says it was retracted and cites the retraction.
  const sh = await ledger.shipment(seq);
  const receipt = sh.receivedSeq === null ? undefined : (ctx.payloadAt(sh.receivedSeq) as P<'receive'>);

  const items: HandoffItem[] = [];
  for (const it of sh.items) {
    let product = it.code;
    try {
      product = (await ledger.object(it.code)).product.name;
    } catch {
      // keep the code
    }
    const missing = it.received === null ? null : { value: Number((it.shipped.value - it.received.value).toPrecision(12)), unit: it.shipped.unit };
    items.push({ code: it.code, product, shipped: it.shipped, received: it.received, missing });
  }
  const short = items.filter((i) => i.missing !== null && i.missing.value !== 0);
  const discrepancy = short.length === 0
    ? null
    : {
        summary:
          `${sh.receiver.name} signed for less than ${sh.sender.name} signed it shipped: ` +
          short.map((i) => `${i.product} (${i.code}) shipped ${qtyText(i.shipped)}, received ${qtyText(i.received)}, ${i.missing!.value > 0 ? `${qtyText(i.missing)} missing` : `${qtyText({ value: -i.missing!.value, unit: i.missing!.unit })} more than shipped`}`).join('; ') +
          (receipt?.condition === undefined ? '' : `; condition on receipt: ${receipt.condition}`) +
          (receipt?.note === undefined ? '' : `; receiver's note: ${receipt.note}`) +
          '.',
        items: short,
      };

  const statements: Array<{ seq: number; role: string }> = [{ seq, role: 'dispatch' }];
  for (const step of sh.timeline) if (step.status !== 'dispatched' && step.status !== 'received') statements.push({ seq: step.seq, role: 'tracking' });
  if (sh.receivedSeq !== null) statements.push({ seq: sh.receivedSeq, role: 'receipt' });
  if (sh.retractedSeq !== null) statements.push({ seq: sh.retractedSeq, role: 'retraction' });

  const evidence = assemble(ledger, ctx, statements);
  return {
    format: REPORT_FORMAT,
    kind: 'handoff',
    title: `Handoff report: shipment ${seq} from ${sh.sender.name} to ${sh.receiver.name}${sh.retractedSeq === null ? '' : ` (retracted at seq ${sh.retractedSeq})`}`,
    generatedAt: now.toISOString(),
    origin: ledger.origin,
    ledgerKey: ledger.verifierKey,
    shipment: {
      seq,
      leafHash: view.leafHash,
      status: sh.status,
      sender: sh.sender,
      receiver: sh.receiver,
      carrier: sh.carrier,
      reference: ship.reference ?? null,
      dispatchedAt: sh.dispatchedAt,
      expectedDelivery: sh.expectedDelivery,
      receivedSeq: sh.receivedSeq,
      receivedAt: sh.receivedAt,
      condition: receipt?.condition ?? null,
      note: receipt?.note ?? null,
      retractedSeq: sh.retractedSeq,
    },
    items,
    discrepancy,
    ...evidence,
  };
}

/**
 * The upstream path of `code` to each source lot, every step with its signed entry and proof.
 * @throws LedgerError TRACE_CODE_INVALID | TRACE_OBJECT_NOT_FOUND | LEDGER_QUERY_INVALID
 */
export async function buildOriginReport(ledger: ReportSource, code: string, now: Date = new Date()): Promise<OriginReport> {
  const ctx = reportContext(ledger);
  const up = await ledger.upstream(code);
  const statements = new Map<number, { seq: number; role: string; about: string[] }>();
  const cite = (seq: number | null | undefined, role: string, about: string) => {
    if (typeof seq !== 'number') return;
    const s = statements.get(seq);
    if (s === undefined) statements.set(seq, { seq, role, about: [about] });
    else if (!s.about.includes(about)) s.about.push(about);
  };
  const lots: OriginLot[] = [];
  for (const n of up.nodes) {
    cite(n.createdSeq, n.createdBy === 'commission' ? 'origin' : n.createdBy === 'transform' ? 'transformation' : 'packing', n.code);
    const inputs = n.inputs.map((input) => {
      // A transform input (consumed, with the transform's seq) or a packed child (with the aggregates' seqs).
      const i = input as { code: string; consumed?: Quantity; packed?: Quantity; seq?: number | null; seqs?: number[] };
      const kind = i.packed === undefined ? ('consumed' as const) : ('packed' as const);
      const seqs = i.seqs ?? (typeof i.seq === 'number' ? [i.seq] : []);
      seqs.forEach((s) => cite(s, kind === 'consumed' ? 'transformation' : 'packing', n.code));
      return { code: i.code, quantity: (i.consumed ?? i.packed)!, seqs, kind };
    });
    n.inspections.forEach((i) => cite(i.seq, 'inspection', n.code));
    n.recalls.forEach((r) => cite(r.seq, 'recall', n.code));
    const history = await ledger.history(n.code);
    const handoffs = history.entries
      .filter((e) => (e.type === 'ship' || e.type === 'receive') && e.retractedBy === null)
      .map((e) => ({ seq: e.seq, type: e.type, signer: e.signer, time: e.time }));
    handoffs.forEach((h) => cite(h.seq, h.type === 'ship' ? 'dispatch' : 'receipt', n.code));
    lots.push({
      code: n.code,
      depth: n.depth,
      level: n.level,
      product: n.product.name,
      producer: n.producer,
      quantity: n.quantity,
      created: { seq: n.createdSeq, by: n.createdBy },
      inputs,
      inspections: n.inspections.map((i) => ({
        seq: i.seq, result: i.result, signer: i.signer, time: i.time,
        ...(i.standard === undefined ? {} : { standard: i.standard }),
        ...(i.note === undefined ? {} : { note: i.note }),
      })),
      recalls: n.recalls.map((r) => ({ seq: r.seq, reason: r.reason, time: r.time })),
      handoffs,
    });
  }

  // Every path from the product to a source lot (a lot made from nothing tracked here).
  const inputsOf = new Map(lots.map((l) => [l.code, l.inputs.map((i) => i.code)]));
  const paths: string[][] = [];
  let truncated = false;
  const walk = (path: string[]) => {
    if (paths.length >= MAX_ORIGIN_PATHS) {
      truncated = true;
      return;
    }
    const next = (inputsOf.get(path.at(-1)!) ?? []).filter((c) => !path.includes(c));
    if (next.length === 0) paths.push(path);
    for (const c of next) walk([...path, c]);
  };
  walk([up.code]);

  const ordered = [...statements.values()].sort((a, b) => a.seq - b.seq);
  const evidence = assemble(ledger, ctx, ordered);
  return {
    format: REPORT_FORMAT,
    kind: 'origin',
    title: `Origin report: ${up.object.product.name} (${up.code})`,
    generatedAt: now.toISOString(),
    origin: ledger.origin,
    ledgerKey: ledger.verifierKey,
    code: up.code,
    product: up.object.product.name,
    flags: up.flags,
    paths,
    pathsTruncated: truncated,
    lots,
    ...evidence,
  };
}

// ---------------------------------------------------------------------------------------------
// Verifying (pure: runs offline and in a browser)

export interface ReportCheckFailure {
  readonly check: 'ledger-key' | 'checkpoint' | 'leaf-hash' | 'inclusion' | 'signature' | 'registry' | 'facts' | 'format';
  /** The record check's code (src/verify, docs/audit.md "Record checks"), when a shared record check failed. */
  readonly verifyCode?: VerifyCode;
  readonly seq?: number;
  readonly message: string;
}

export interface ReportVerification {
  readonly ok: boolean;
  readonly keySource: 'pinned' | 'report';
  readonly checkpoint: { readonly origin: string; readonly size: number } | null;
  /** Records checked (statements and registry). */
  readonly records: number;
  readonly failures: ReportCheckFailure[];
  /** Statements signed with a recovery key an operator added, as the replayed registry shows. */
  readonly operatorKeySigned: ReadonlyArray<{ readonly seq: number; readonly signer: string; readonly kid: string; readonly addedBy: string }>;
}

/**
 * Check a report as a court would, trusting only the ledger key: the checkpoint's signature, every
 * record's leaf hash and inclusion proof against it, and every entry's signature with the key the
 * included registry records give its signer at that seq. Without `pinnedKey` the report's own key
 * is used, which proves only that the report is self-consistent.
 */
export function verifyReport(report: Report, pinnedKey?: string, ed: Ed25519 = nobleEd25519): ReportVerification {
  const failures: ReportCheckFailure[] = [];
  const fail = (f: ReportCheckFailure) => void failures.push(f);
  const keySource = pinnedKey === undefined ? 'report' : 'pinned';
  if (report?.format !== REPORT_FORMAT) {
    return { ok: false, keySource, checkpoint: null, records: 0, failures: [{ check: 'format', message: `not a ${REPORT_FORMAT} report` }], operatorKeySigned: [] };
  }
  const key = pinnedKey ?? report.ledgerKey;
  if (pinnedKey !== undefined && pinnedKey !== report.ledgerKey) {
    fail({ check: 'ledger-key', message: `the report names ledger key ${report.ledgerKey}, not the pinned ${pinnedKey}` });
  }
  let trusted: TrustedKey | undefined;
  try {
    trusted = { text: key, key: parseVerifierKey(key) };
  } catch (e) {
    fail({ check: 'checkpoint', verifyCode: 'CHECKPOINT_SIGNATURE', message: `the checkpoint does not verify with ${key}: ${(e as Error).message}` });
  }
  const cp = trusted === undefined ? null : reportCheckpoint(report, trusted, ed, fail);
  const bySeq = new Map<number, EvidenceRecord>();
  for (const e of [...report.registry, ...report.statements]) bySeq.set(e.seq, e);
  const seqs = [...bySeq.keys()].sort((a, b) => a - b);
  if (seqs.length > 0 && seqs[0] !== 0) {
    const f = missingGenesis();
    fail({ check: 'registry', seq: 0, verifyCode: f.code, message: f.message });
  }

  const registry = replayRegistry();
  const statementFlags = new Map(report.statements.map((st) => [st.seq, st.operatorAddedKey === true]));
  const operatorKeySigned: Array<ReportVerification['operatorKeySigned'][number]> = [];
  for (const seq of seqs) {
    const e = bySeq.get(seq)!;
    const leafHash = checkReportLeaf(e, seq, cp, fail);
    if (leafHash === undefined) continue;
    const payload = e.record.entry.payload as unknown as Payload;
    const signature = e.record.entry.signature;
    const publicKey = reportSigningKey(seq, payload, signature.kid, trusted, registry, fail, (signingKey) => {
      const stated = statementFlags.get(seq);
      if (signingKey.operatorAdded) operatorKeySigned.push({ seq, signer: payload.signer, kid: signingKey.kid, addedBy: signingKey.addedBy });
      if (stated !== undefined && stated !== signingKey.operatorAdded) {
        fail({ check: 'registry', seq, message: `the report says this statement was ${stated ? '' : 'not '}signed with an operator-added key; the registry says otherwise` });
      }
    });
    if (publicKey !== undefined) {
      const bad = checkSignature(ed, signingMessageFromCanonical(canonicalize(payload)), signature, publicKey);
      if (bad !== undefined) fail({ check: 'signature', seq, verifyCode: bad.code, message: `${bad.reason}: ${bad.message}` });
    }
    const effects = registry.effectsOf(payload, seq);
    if (effects.ok) registry.apply(effects.value);
    else fail({ check: 'registry', seq, verifyCode: effects.failure.code, message: effects.failure.message });
  }
  checkFacts(report, fail);
  return {
    ok: failures.length === 0,
    keySource,
    checkpoint: cp === null ? null : { origin: cp.origin, size: cp.size },
    records: seqs.length,
    failures,
    operatorKeySigned,
  };
}

/** The report's checkpoint: signed by the trusted key, and the fields shown beside it are the note's. */
function reportCheckpoint(report: Report, trusted: TrustedKey, ed: Ed25519, fail: (f: ReportCheckFailure) => void): Checkpoint | null {
  const checked = checkCheckpoint(report.checkpoint.note, trusted.key, ed);
  if (!checked.ok) {
    fail({ check: 'checkpoint', verifyCode: checked.failure.code, message: `the checkpoint does not verify with ${trusted.text}: ${checked.failure.message}` });
    return null;
  }
  const cp = checked.value;
  if (cp.size !== report.checkpoint.size || toBase64(cp.root) !== report.checkpoint.root) {
    fail({ check: 'checkpoint', message: 'the checkpoint fields differ from the signed note' });
  }
  return cp;
}

/** One record's leaf hash and inclusion proof; undefined when the record cannot be placed at all. */
function checkReportLeaf(e: EvidenceRecord, seq: number, cp: Checkpoint | null, fail: (f: ReportCheckFailure) => void): Uint8Array | undefined {
  let leaf: Uint8Array;
  try {
    leaf = utf8(canonicalize(e.record));
  } catch (err) {
    fail({ check: 'leaf-hash', seq, verifyCode: 'RECORD_LEAF_HASH', message: (err as Error).message });
    return undefined;
  }
  if (e.record.seq !== seq) {
    fail({ check: 'leaf-hash', seq, message: `the record says seq ${e.record.seq}` });
    return undefined;
  }
  const hashed = checkLeafHash(sha256, leaf, e.leafHash);
  if (hashed.failure !== undefined) {
    fail({ check: 'leaf-hash', seq, verifyCode: hashed.failure.code, message: `SHA-256(0x00 ‖ JCS(record)) is ${toHex(hashed.hash)}, the report says ${e.leafHash}` });
    return undefined;
  }
  if (cp !== null) {
    const f = checkInclusion(sha256, hashed.hash, seq, cp, e.inclusion);
    if (f !== undefined) fail({ check: 'inclusion', seq, verifyCode: f.code, message: `not included in the checkpoint of size ${cp.size}: ${f.message}` });
  }
  return hashed.hash;
}

/**
 * The key the entry at `seq` must verify with: the trusted ledger key for the genesis, else the
 * signer's key valid at that seq in the registry replayed so far. A failure is reported under
 * `signature`, as the report has always named it, with the record check's own code.
 */
function reportSigningKey(
  seq: number,
  payload: Payload,
  kid: string,
  trusted: TrustedKey | undefined,
  registry: RegistryReplay,
  fail: (f: ReportCheckFailure) => void,
  onKey: (key: KeyRecord) => void,
): Uint8Array | undefined {
  const bad = (f: CheckFailure): undefined => void fail({ check: 'signature', seq, verifyCode: f.code, message: `${f.reason ?? 'LEDGER_SIGNATURE_INVALID'}: ${f.message}` });
  if (isGenesisPosition(seq, payload)) {
    const position = checkGenesisPosition(seq, payload);
    if (position !== undefined) return bad(position);
    if (trusted === undefined) return bad(failure('REGISTRY_GENESIS', 'no trusted ledger key to check the genesis entry with'));
    const mismatch = checkGenesisKey(payload, kid, trusted)[0];
    if (mismatch !== undefined) return bad({ ...mismatch, message: `the genesis entry is not the ledger key's: ${mismatch.message}` });
    return trusted.key.publicKey;
  }
  const key = registry.keyAt(payload.signer, kid, seq);
  if (!key.ok) return bad(key.failure);
  onKey(key.value);
  return key.value.publicKey;
}

const canonicalOr = (code: string): string => {
  try {
    return parseCode(code).canonical;
  } catch {
    return code;
  }
};

/**
 * The summary a reader sees first (items, parties, inspection results) is derived, not signed:
 * hold it to the signed statements it came from, so a report edited there does not verify either.
 */
function checkFacts(report: Report, fail: (f: ReportCheckFailure) => void): void {
  const bySeq = new Map(report.statements.map((s) => [s.seq, s]));
  const payload = (seq: number | null) => (seq === null ? undefined : (bySeq.get(seq)?.record.entry.payload as unknown as Payload | undefined));
  const bad = (message: string, seq?: number) => fail({ check: 'facts', ...(seq === undefined ? {} : { seq }), message });
  if (report.kind === 'handoff') {
    const sh = report.shipment;
    const ship = payload(sh.seq);
    if (ship?.type !== 'ship') return bad(`the shipment's dispatch statement (seq ${sh.seq}) is missing`, sh.seq);
    if (bySeq.get(sh.seq)!.leafHash !== sh.leafHash) bad('the shipment leaf hash is not the dispatch statement\'s', sh.seq);
    if (ship.signer !== sh.sender.id || ship.to !== sh.receiver.id || (ship.carrier ?? null) !== (sh.carrier?.id ?? null)) bad('sender, receiver or carrier differ from the dispatch statement', sh.seq);
    if (ship.time !== sh.dispatchedAt) bad('the dispatch time differs from the dispatch statement', sh.seq);
    const rec = payload(sh.receivedSeq);
    if (sh.receivedSeq !== null) {
      if (rec?.type !== 'receive') return bad(`the receipt statement (seq ${sh.receivedSeq}) is missing`, sh.receivedSeq);
      if (rec.shipment !== sh.leafHash || rec.signer !== sh.receiver.id) bad('the receipt is not the receiver\'s receipt of this shipment', sh.receivedSeq);
      if (rec.time !== sh.receivedAt || (rec.condition ?? null) !== sh.condition || (rec.note ?? null) !== sh.note) bad('receipt time, condition or note differ from the receipt statement', sh.receivedSeq);
    }
    if (sh.retractedSeq !== null) {
      const ret = payload(sh.retractedSeq);
      if (ret?.type !== 'retract' || ret.target !== sh.leafHash) bad(`the retraction statement (seq ${sh.retractedSeq}) does not retract this shipment`, sh.retractedSeq);
    }
    const shipped = new Map(ship.objects.map((o) => [canonicalOr(o.code), o.quantity]));
    const received = new Map((rec?.type === 'receive' ? rec.objects : []).map((o) => [canonicalOr(o.code), o.quantity]));
    if (report.items.length !== shipped.size) bad(`${report.items.length} items listed, the dispatch statement has ${shipped.size}`, sh.seq);
    for (const item of report.items) {
      const q = shipped.get(item.code);
      if (q === undefined || q.value !== item.shipped.value || q.unit !== item.shipped.unit) bad(`${item.code}: the shipped quantity differs from the dispatch statement`, sh.seq);
      const expected = sh.receivedSeq === null ? null : (received.get(item.code)?.value ?? 0);
      if ((item.received?.value ?? null) !== expected) bad(`${item.code}: the received quantity differs from the receipt statement`, sh.receivedSeq ?? sh.seq);
    }
    return;
  }
  const cited = (seq: number, what: string, types: readonly string[]) => {
    const p = payload(seq);
    if (p === undefined || !types.includes(p.type)) bad(`${what}: no ${types.join('/')} statement at seq ${seq}`, seq);
    return p;
  };
  for (const lot of report.lots) {
    cited(lot.created.seq, `${lot.code} created`, [lot.created.by]);
    lot.inputs.forEach((i) => i.seqs.forEach((s) => cited(s, `${lot.code} input ${i.code}`, i.kind === 'consumed' ? ['transform'] : ['aggregate'])));
    for (const i of lot.inspections) {
      const p = cited(i.seq, `${lot.code} inspection`, ['inspect']);
      if (p?.type === 'inspect' && (p.result !== i.result || !p.objects.some((c) => canonicalOr(c) === lot.code))) bad(`${lot.code}: the inspection result differs from the signed one`, i.seq);
    }
    lot.recalls.forEach((x) => cited(x.seq, `${lot.code} recall`, ['recall']));
    lot.handoffs.forEach((h) => cited(h.seq, `${lot.code} ${h.type}`, [h.type]));
  }
}

// ---------------------------------------------------------------------------------------------
// HTML

/** HTML-escape text for element content and double-quoted attributes. */
export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The JSON report embedded in the page: inert data, with `<` escaped so it cannot end the element. */
export const EMBEDDED_REPORT_ID = 'trace-ledger-report';

/** Read a report back from its JSON or HTML form. @throws LedgerError LEDGER_JSON_INVALID */
export function parseReportFile(text: string): Report {
  let json = text;
  const m = new RegExp(`<script type="application/json" id="${EMBEDDED_REPORT_ID}">([\\s\\S]*?)</script>`).exec(text);
  if (m !== null) json = m[1]!;
  try {
    return JSON.parse(json) as Report;
  } catch (cause) {
    throw new LedgerError('LEDGER_JSON_INVALID', 'not a trace-ledger report (JSON, or HTML with the embedded report)', { cause });
  }
}

const CSS = `
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK SC",sans-serif;color:#1a1a1a;margin:0 auto;max-width:60rem;padding:1.5rem}
h1{font-size:1.5rem;margin:.2rem 0 .4rem}h2{font-size:1.2rem;margin:2rem 0 .6rem;border-bottom:2px solid #1a1a1a;padding-bottom:.2rem}
h3{font-size:1rem;margin:.2rem 0 .4rem}h4{font-size:.85rem;margin:.8rem 0 .2rem;text-transform:uppercase;letter-spacing:.04em;color:#444}
.meta{color:#444;margin:.2rem 0}
nav{background:#f2f2f2;padding:.5rem .8rem;border-radius:4px;margin-bottom:1rem}nav a{margin-right:1rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{border:1px solid #bbb;padding:.3rem .45rem;text-align:left;vertical-align:top}th{background:#f2f2f2}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.bad td,.bad{background:#fde8e8}.fail{color:#a40000;font-weight:600}.pass{color:#0a6b2d;font-weight:600}
.callout{border:2px solid #a40000;background:#fde8e8;padding:.6rem .8rem;border-radius:4px;margin:.8rem 0}
.callout.ok{border-color:#0a6b2d;background:#e8f6ec}
.statement{border:1px solid #bbb;border-radius:4px;padding:.6rem .8rem;margin:.8rem 0}
.says{font-size:1.02rem;margin:.3rem 0 .5rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;margin:.3rem 0}dt{color:#444}dd{margin:0}
pre,code,.hash{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.78rem}
pre{background:#f7f7f7;border:1px solid #ddd;padding:.5rem;white-space:pre-wrap;word-break:break-all;margin:.2rem 0}
.hash{word-break:break-all}
ol.proof{margin:.2rem 0;padding-left:1.6rem}ol.proof li{word-break:break-all;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.75rem}
.path{margin:.2rem 0}.path span+span::before{content:" \\2190  "}
footer{margin-top:2rem;color:#666;font-size:.8rem}
@page{size:A4;margin:16mm 14mm}
@media print{
  body{max-width:none;padding:0;font-size:10pt}
  nav{display:none}
  a{color:inherit;text-decoration:none}
  h2{break-after:avoid}h3,h4{break-after:avoid}
  .statement,.callout,tr,dl{break-inside:avoid}
  #registry,#checkpoint,#verify{break-before:page}
  pre{font-size:7pt}ol.proof li{font-size:7pt}
  .bad td,.bad,.callout,th{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}`;

function dl(rows: ReadonlyArray<[string, string | number | null | undefined]>): string {
  return `<dl>${rows.filter(([, v]) => v !== null && v !== undefined && v !== '').map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;
}

function evidenceHtml(e: EvidenceRecord, checkpointSize: number): string {
  return (
    dl([
      ['Seq (leaf index)', e.seq],
      ['Recorded by the ledger', e.record.recordedAt],
      ['Signer', e.record.entry.payload.signer],
      ['Key id', e.record.entry.signature.kid],
    ]) +
    `<h4>Leaf hash</h4><div class="hash">${escapeHtml(e.leafHash)}</div>` +
    `<h4>Signed entry (the record whose JCS bytes are the leaf)</h4><pre>${escapeHtml(JSON.stringify(e.record, null, 2))}</pre>` +
    `<h4>Inclusion proof in the tree of size ${escapeHtml(checkpointSize)} (${e.inclusion.length} hashes, leaf to root)</h4>` +
    (e.inclusion.length === 0 ? '<p>(none: the tree has this one leaf)</p>' : `<ol class="proof">${e.inclusion.map((h) => `<li>${escapeHtml(h)}</li>`).join('')}</ol>`)
  );
}

function statementHtml(s: Statement, i: number, checkpointSize: number): string {
  const role = s.role.charAt(0).toUpperCase() + s.role.slice(1);
  return (
    `<article class="statement" id="seq-${s.seq}">` +
    `<h3>${i + 1}. ${escapeHtml(role)}: signed by ${escapeHtml(s.signer.name)} (${escapeHtml(s.signer.id)})</h3>` +
    `<p class="says">${escapeHtml(s.says)}</p>` +
    (s.operatorAddedKey
      ? `<p class="operator-key"><strong>Signed with a key the ledger operator added</strong> after every key of ${escapeHtml(s.signer.name)} had been revoked: ${escapeHtml(s.signer.name)} never signed for this key (${escapeHtml(s.record.entry.signature.kid)}).</p>`
      : '') +
    dl([['Time stated by the signer', s.time], ['About', s.about?.join(', ')]]) +
    evidenceHtml(s, checkpointSize) +
    '</article>'
  );
}

function handoffBody(r: HandoffReport): string {
  const s = r.shipment;
  const facts = dl([
    ['Shipment', `seq ${s.seq}, leaf hash ${s.leafHash}`],
    ['Status', s.status.replace(/_/g, ' ')],
    ['Sender', `${s.sender.name} (${s.sender.id})`],
    ['Receiver', `${s.receiver.name} (${s.receiver.id})`],
    ['Carrier', s.carrier === null ? null : `${s.carrier.name} (${s.carrier.id})`],
    ['Sender\'s reference', s.reference],
    ['Dispatched (sender\'s time)', s.dispatchedAt],
    ['Expected delivery', s.expectedDelivery],
    ['Received (receiver\'s time)', s.receivedAt === null ? 'not received' : s.receivedAt],
    ['Receipt', s.receivedSeq === null ? null : `seq ${s.receivedSeq}`],
    ['Condition on receipt', s.condition],
    ['Receiver\'s note', s.note],
    ['Retracted by', s.retractedSeq === null ? null : `seq ${s.retractedSeq}`],
  ]);
  const rows = r.items
    .map((i) => {
      const bad = i.missing !== null && i.missing.value !== 0;
      return `<tr${bad ? ' class="bad"' : ''}><td>${escapeHtml(i.product)}<br><code>${escapeHtml(i.code)}</code></td><td class="num">${escapeHtml(qtyText(i.shipped))}</td><td class="num">${escapeHtml(i.received === null ? 'not received' : qtyText(i.received))}</td><td class="num">${escapeHtml(i.missing === null ? '-' : qtyText(i.missing))}</td></tr>`;
    })
    .join('');
  const callout = r.discrepancy === null
    ? `<div class="callout ok">${s.receivedSeq === null ? 'The receiver has not signed a receipt for this shipment.' : 'No discrepancy: the receiver signed for what the sender signed it shipped.'}</div>`
    : `<div class="callout"><strong>Discrepancy.</strong> ${escapeHtml(r.discrepancy.summary)}</div>`;
  return (
    `<section id="facts"><h2>Key facts</h2>${facts}${callout}` +
    `<table><thead><tr><th>Item</th><th>Shipped (sender signed)</th><th>Received (receiver signed)</th><th>Difference</th></tr></thead><tbody>${rows}</tbody></table></section>`
  );
}

function originBody(r: OriginReport): string {
  const flags = r.flags.length === 0
    ? '<div class="callout ok">No failed inspection and no recall anywhere upstream.</div>'
    : `<div class="callout"><strong>Upstream findings.</strong><ul>${r.flags.map((f) => `<li>${escapeHtml(f['kind'] === 'recall' ? 'Recall' : 'Failed inspection')} of <code>${escapeHtml(f['code'])}</code> (depth ${escapeHtml(f['depth'])}, seq ${escapeHtml(f['seq'])}): ${escapeHtml(f['detail'])}</li>`).join('')}</ul></div>`;
  const names = new Map(r.lots.map((l) => [l.code, l.product]));
  const paths = `<h3>Paths from the product to each source lot</h3>${r.paths.map((p) => `<p class="path">${p.map((c) => `<span>${escapeHtml(names.get(c) ?? c)} <code>${escapeHtml(c)}</code></span>`).join('')}</p>`).join('')}${r.pathsTruncated ? `<p>(only the first ${r.paths.length} paths are listed)</p>` : ''}`;
  const lots = r.lots
    .map((l) => {
      const inspections = l.inspections.length === 0
        ? 'none'
        : l.inspections.map((i) => `<span class="${i.result === 'fail' ? 'fail' : 'pass'}">${escapeHtml(i.result.toUpperCase())}</span> ${escapeHtml([i.standard, i.note].filter(Boolean).join(': '))} <a href="#seq-${i.seq}">seq ${i.seq}</a>`).join('<br>');
      const inputs = l.inputs.length === 0 ? 'source lot' : l.inputs.map((i) => `${escapeHtml(qtyText(i.quantity))} ${escapeHtml(i.kind)} of <code>${escapeHtml(i.code)}</code>${i.seqs.map((s) => ` <a href="#seq-${s}">seq ${s}</a>`).join('')}`).join('<br>');
      const recalls = l.recalls.map((x) => `<br><span class="fail">RECALLED</span> ${escapeHtml(x.reason)} <a href="#seq-${x.seq}">seq ${x.seq}</a>`).join('');
      const handoffs = l.handoffs.map((h) => `${escapeHtml(h.type)} by ${escapeHtml(h.signer)} <a href="#seq-${h.seq}">seq ${h.seq}</a>`).join('<br>');
      const bad = l.inspections.some((i) => i.result === 'fail') || l.recalls.length > 0;
      return `<tr${bad ? ' class="bad"' : ''}><td class="num">${l.depth}</td><td>${escapeHtml(l.product)}<br><code>${escapeHtml(l.code)}</code><br>${escapeHtml(l.level)}, ${escapeHtml(qtyText(l.quantity))}</td><td>${escapeHtml(l.producer.name)} (${escapeHtml(l.producer.id)})<br>${escapeHtml(l.created.by)} <a href="#seq-${l.created.seq}">seq ${l.created.seq}</a>${recalls}</td><td>${inputs}</td><td>${inspections}</td><td>${handoffs || '-'}</td></tr>`;
    })
    .join('');
  return (
    `<section id="facts"><h2>Key facts</h2>${dl([['Product', `${r.product} (${r.code})`], ['Lots upstream', r.lots.length - 1]])}${flags}${paths}` +
    `<h3>Every lot</h3><table><thead><tr><th>Depth</th><th>Lot</th><th>Producer, created by</th><th>Made from</th><th>Inspections</th><th>Handoffs</th></tr></thead><tbody>${lots}</tbody></table></section>`
  );
}

function verifyHtml(r: Report): string {
  // The audit-bundle route: the chain of a code the report is about, exported now, proved to extend this report's checkpoint.
  const [code, direction] = r.kind === 'handoff' ? [r.items[0]?.code ?? '', 'down'] : [r.code, 'up'];
  const leafHash = r.statements[0]?.leafHash ?? '';
  const steps = [
    `Obtain the ledger's verifier key from its operator through a channel you trust (their web site, the contract) and compare it with the key this report names: <code>${escapeHtml(r.ledgerKey)}</code>.`,
    'Check the checkpoint (section "Checkpoint"): a C2SP signed note (tlog-checkpoint) that any C2SP verifier checks against that key; its body states the log size and the Merkle root.',
    'For each signed entry: compute leafBytes = the RFC 8785 canonical JSON (JCS) of the record shown, and SHA-256(0x00 ‖ leafBytes): it is the leaf hash shown. The inclusion proof, applied from leaf index = seq in a tree of the checkpoint\'s size (RFC 9162 §2.1.3.2), must give the checkpoint\'s root.',
    'Check each signature: Ed25519 (RFC 8032) over the UTF-8 bytes "trace-ledger/v1 entry\\n" followed by JCS(payload), with the public key the registry records of this report give the signer\'s key id (kid = first 8 bytes of SHA-256 of the key, hex), added before the entry\'s seq and not revoked before it. The genesis entry (seq 0) is signed by the ledger key itself and names the operator\'s key.',
    `With trace-ledger, from this file alone (the JSON report is embedded in it): <code>trace-ledger report verify this-file.html --key '${escapeHtml(r.ledgerKey)}'</code> checks all of the above, and that the summary agrees with the signed statements.`,
    `Through an audit bundle, and that the log has not been rewritten since this report: save the checkpoint note below, exactly, as <code>report-checkpoint.txt</code>; run <code>trace-ledger export --code '${escapeHtml(code)}' --direction ${direction} --since ${r.checkpoint.size} --out chain.ndjson --url LEDGER_URL</code> and <code>trace-ledger verify chain.ndjson --key '${escapeHtml(r.ledgerKey)}' --checkpoint report-checkpoint.txt</code>. The bundle holds this report's statements under the same leaf hashes (e.g. <code>grep -c ${escapeHtml(leafHash)} chain.ndjson</code>), and the verify proves the log only grew since this report's checkpoint. A monitor's kept checkpoint (trace-ledger monitor) serves the same purpose.`,
  ];
  return `<section id="verify"><h2>How to verify this report</h2><ol>${steps.map((s) => `<li>${s}</li>`).join('')}</ol></section>`;
}

/** The report as one standalone, printable HTML page. */
export function renderReportHtml(r: Report): string {
  const body = r.kind === 'handoff' ? handoffBody(r) : originBody(r);
  const embedded = JSON.stringify(r).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="trace-ledger">
<title>${escapeHtml(r.title)}</title>
<style>${CSS}</style>
</head>
<body>
<nav><a href="#facts">Key facts</a><a href="#statements">Signed statements</a><a href="#registry">Signers' keys</a><a href="#checkpoint">Checkpoint</a><a href="#verify">How to verify</a></nav>
<header>
<h1>${escapeHtml(r.title)}</h1>
<p class="meta">Ledger ${escapeHtml(r.origin)} · checkpoint of ${escapeHtml(r.checkpoint.size)} records · generated ${escapeHtml(r.generatedAt)}</p>
<p class="meta">Every statement below is an entry signed by the party named, included in the ledger's signed checkpoint; the words are a reading aid generated from the signed JSON, which is what counts.</p>
</header>
${body}
<section id="statements"><h2>Signed statements</h2>${r.statements.map((s, i) => statementHtml(s, i, r.checkpoint.size)).join('')}</section>
<section id="registry"><h2>Signers' keys</h2><p>The entries that register the signers and their keys, each signed by an operator (or the participant itself), down to the genesis entry signed by the ledger key.</p>${r.registry
    .map((e) => `<article class="statement" id="seq-${e.seq}"><h3>Seq ${e.seq}: ${escapeHtml(e.record.entry.payload.type)}</h3><p class="says">${escapeHtml(e.says)}</p>${evidenceHtml(e, r.checkpoint.size)}</article>`)
    .join('')}</section>
<section id="checkpoint"><h2>Checkpoint</h2>${dl([['Ledger key', r.ledgerKey], ['Tree size', r.checkpoint.size], ['Root (base64)', r.checkpoint.root]])}<pre>${escapeHtml(r.checkpoint.note)}</pre></section>
${verifyHtml(r)}
<footer>trace-ledger report ${escapeHtml(r.format)}</footer>
<script type="application/json" id="${EMBEDDED_REPORT_ID}">${embedded}</script>
</body>
</html>
`;
}
