/**
 * Sequencing one submitted batch inside the open transaction: recognise an identical
 * resubmission, check the signature with the key valid at the seq, apply the registry and state
 * rules, append the record, its Merkle nodes and its effects, and move the committed head. A
 * refused entry throws, and the caller rolls its batch back (src/ledger/group-commit.ts).
 */
import { equalBytes, toHex } from '../core/bytes.js';
import type { Ed25519 } from '../core/ed25519.js';
import { verifyEntrySignature } from '../core/entry.js';
import { LedgerError } from '../core/errors.js';
import { appendLeaf, hashLeaf } from '../core/merkle.js';
import { chainHash, recordLeafBytesFromCanonical, type LedgerRecord } from '../core/record.js';
import { LEDGER_SIGNER, registryEffects, signingKeyFor } from '../domain/registry.js';
import { domainEffects } from '../domain/rules.js';
import type { LedgerStore, StoredRecord } from '../store/store.js';
import { withIndex, type Prepared } from './admission.js';
import { keyForGenesis } from './genesis.js';
import type { Heads } from './heads.js';

/** What a submitter gets for each entry: where it is in the log. */
export interface Receipt {
  readonly seq: number;
  /** Hex. */
  readonly leafHash: string;
  /** Hex. */
  readonly chainHash: string;
  readonly recordedAt: string;
}

export interface SequenceContext {
  readonly store: LedgerStore;
  /** The committed head moves with every record appended. */
  readonly heads: Heads;
  readonly ed: Ed25519;
  readonly now: () => number;
}

export function receiptOf(r: StoredRecord): Receipt {
  const rec = JSON.parse(new TextDecoder().decode(r.leaf)) as LedgerRecord;
  return { seq: r.seq, leafHash: toHex(r.leafHash), chainHash: toHex(r.chainHash), recordedAt: rec.recordedAt };
}

/**
 * Check an entry's signature with the signer's key valid at `seq` (skipped when admission already
 * verified it with that very key).
 * @throws LedgerError LEDGER_SIGNER_UNKNOWN, LEDGER_KEY_UNKNOWN, LEDGER_KEY_REVOKED, LEDGER_SIGNATURE_INVALID
 */
function verifySignatureAt({ store, ed }: SequenceContext, p: Prepared, seq: number): void {
  const { payload, signature } = p.entry;
  const key = payload.type === 'ledger.genesis' ? keyForGenesis(payload) : signingKeyFor(store, payload.signer, signature.kid, seq);
  if (p.verifiedWith === undefined || !equalBytes(p.verifiedWith, key.publicKey)) {
    verifyEntrySignature(p.message, signature, key.publicKey, ed);
  }
}

/**
 * Sequence one submitted batch inside the open transaction; throws to roll the batch back.
 * @throws LedgerError the first violated rule (in a batch of several, details.index names the entry)
 */
export function sequenceBatch(ctx: SequenceContext, entries: readonly Prepared[]): Receipt[] {
  const receipts: Receipt[] = [];
  const inBatch = new Map<string, { hash: Uint8Array; receipt: Receipt }>();
  const batch = entries.length > 1;
  entries.forEach((p, i) => {
    try {
      const { payload } = p.entry;
      const dupKey = `${payload.signer}\u0000${payload.id}`;
      const earlier = inBatch.get(dupKey) ?? loggedEntry(ctx.store, payload.signer, payload.id);
      if (earlier !== undefined) {
        if (!equalBytes(earlier.hash, p.payloadHash)) {
          throw new LedgerError('LEDGER_ENTRY_CONFLICT', `"${payload.signer}" already used id "${payload.id}" for a different payload (seq ${earlier.receipt.seq})`, {
            details: { seq: earlier.receipt.seq },
          });
        }
        // Identical resubmission: the original receipt, but only for an entry whose own signature
        // verifies with a key valid for the original; an equal payload alone proves nothing.
        verifySignatureAt(ctx, p, earlier.receipt.seq);
        receipts.push(earlier.receipt);
        return;
      }
      const receipt = append(ctx, p);
      inBatch.set(dupKey, { hash: p.payloadHash, receipt });
      receipts.push(receipt);
    } catch (e) {
      throw withIndex(e, i, batch);
    }
  });
  return receipts;
}

/** The entry a signer already logged under `id`, if any: its payload hash and receipt. */
function loggedEntry(store: LedgerStore, signer: string, id: string): { hash: Uint8Array; receipt: Receipt } | undefined {
  const ref = store.entryBySignerId(signer, id);
  return ref && { hash: ref.payloadHash, receipt: receiptOf(store.record(ref.seq)!) };
}

/** Append a new entry at the committed head: signature, rules, record, nodes, effects. */
function append(ctx: SequenceContext, p: Prepared): Receipt {
  const { store, heads } = ctx;
  const { payload, signature } = p.entry;
  const head = heads.committed;
  const seq = head.size;
  if (payload.signer === LEDGER_SIGNER && payload.type !== 'ledger.genesis') {
    throw new LedgerError('LEDGER_PERMISSION_DENIED', 'the ledger key signs only the genesis entry and checkpoints');
  }
  verifySignatureAt(ctx, p, seq);
  const effects = registryEffects(store, payload, seq);
  const domain = domainEffects(store, payload, seq);
  // recordedAt never goes backwards, even if the server clock is stepped back.
  const recordedAtMs = Math.max(ctx.now(), head.lastRecordedAtMs);
  const recordedAt = new Date(recordedAtMs).toISOString();
  const leaf = recordLeafBytesFromCanonical(seq, recordedAt, p.payloadJcs, signature);
  const leafHash = hashLeaf(leaf);
  const chain = chainHash(head.chainHash, leafHash);
  const { frontier, newNodes } = appendLeaf(head.frontier, seq, leafHash);
  store.insertRecord({ seq, signer: payload.signer, entryId: payload.id, type: payload.type, payloadHash: p.payloadHash, leaf, leafHash, chainHash: chain });
  store.insertNodes(newNodes);
  store.applyEffects(effects);
  store.applyDomainEffects(domain);
  heads.committed = { size: seq + 1, chainHash: chain, frontier, lastRecordedAtMs: recordedAtMs };
  return { seq, leafHash: toHex(leafHash), chainHash: toHex(chain), recordedAt };
}
