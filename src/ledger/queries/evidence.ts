/**
 * The evidence behind the trace answers for an object: everything a verifier needs to check what
 * the upstream and downstream answers rest on, trusting nothing but the pinned ledger key.
 */
import { toBase64, toHex } from '../../core/bytes.js';
import { LedgerError } from '../../core/errors.js';
import { inclusionProof, type NodeReader } from '../../core/merkle.js';
import type { LedgerRecord } from '../../core/record.js';
import { downstream, upstream, type TraceReader } from '../../domain/trace.js';
import type { LedgerStore, StoredCheckpoint } from '../../store/store.js';

export interface Evidence {
  code: string;
  /** The ledger's verifier key, which signed the checkpoint. */
  ledgerKey: string;
  /** The signed checkpoint note every inclusion proof is against. */
  checkpoint: string;
  treeSize: number;
  records: Array<{ seq: number; record: LedgerRecord; leafHash: string; inclusion: string[] }>;
}

export interface EvidenceOptions {
  readonly store: LedgerStore;
  readonly barrier: () => Promise<void>;
  readonly readNode: NodeReader;
  readonly verifierKey: string;
  /** A checkpoint covering at least `minSize` records (signed now if need be). */
  readonly checkpointAtLeast: (minSize: number) => StoredCheckpoint;
}

/** Records more than this need an audit bundle instead. */
const MAX_RECORDS = 5000;

/** The seqs the trace answers about `code` cite, with genesis. */
function citedSeqs(store: TraceReader, code: string): { code: string; seqs: Set<number> } {
  const up = upstream(store, code);
  const down = downstream(store, code);
  const seqs = new Set<number>([0]);
  const add = (s: number | null | undefined) => {
    if (typeof s === 'number') seqs.add(s);
  };
  for (const n of up.nodes) {
    add(n.createdSeq);
    n.inputs.forEach((i) => ('seq' in i ? add(i.seq) : i.seqs.forEach(add)));
    n.inspections.forEach((i) => add(i.seq));
    n.recalls.forEach((r) => add(r.seq));
  }
  for (const sh of down.shipments) {
    add(sh.seq);
    add(sh.receivedSeq);
    sh.timeline.forEach((t) => add(t.seq));
  }
  down.deliveries.forEach((d) => add(d.seq));
  down.derived.forEach((d) => add(d.createdSeq));
  down.impact.recalls.forEach((r) => add(r.seq));
  return { code: up.code, seqs };
}

/** Add the signers' registrations and keys, so every signature can be checked from the log alone. */
function addSignerRecords(store: LedgerStore, seqs: Set<number>): void {
  const add = (s: number | null) => {
    if (s !== null) seqs.add(s);
  };
  const signers = new Set<string>();
  for (const s of seqs) signers.add(store.payloadAt(s).signer);
  for (const id of signers) {
    const p = store.participant(id);
    if (p === undefined) continue;
    add(p.registeredSeq);
    for (const k of store.keysOf(id)) {
      add(k.addedSeq);
      add(k.revokedSeq);
    }
  }
  for (const s of [...seqs]) if (store.payloadAt(s).type === 'participant.register') seqs.add(0);
}

/**
 * Everything a verifier needs: a checkpoint signed by the ledger key, and every cited record with
 * its inclusion proof in that checkpoint's tree, plus the records that register the signers' keys
 * (down to genesis, which carries the operator's key).
 * @throws LedgerError LEDGER_QUERY_INVALID when more than `maxRecords` records are needed
 */
export function createEvidence(o: EvidenceOptions): (code: string, options?: { maxRecords?: number }) => Promise<Evidence> {
  const { store, readNode } = o;
  return async (code, options = {}) => {
    await o.barrier();
    const cited = citedSeqs(store, code);
    const seqs = cited.seqs;
    addSignerRecords(store, seqs);
    const max = options.maxRecords ?? MAX_RECORDS;
    if (seqs.size > max) throw new LedgerError('LEDGER_QUERY_INVALID', `the evidence for ${cited.code} has ${seqs.size} records, more than ${max}: export a bundle instead`);
    const sorted = [...seqs].sort((a, b) => a - b);
    const cp = o.checkpointAtLeast(sorted.at(-1)! + 1);
    return {
      code: cited.code,
      ledgerKey: o.verifierKey,
      checkpoint: cp.note,
      treeSize: cp.size,
      records: sorted.map((seq) => {
        const r = store.record(seq)!;
        return {
          seq,
          record: JSON.parse(new TextDecoder().decode(r.leaf)) as LedgerRecord,
          leafHash: toHex(r.leafHash),
          inclusion: inclusionProof(readNode, seq, cp.size).map(toBase64),
        };
      }),
    };
  };
}
