/**
 * Flags for entries signed with an operator-added key (a recovery key, key-rules.ts). The
 * participant never signed for such a key, so an answer that cites an entry signed with it says
 * so: README "Security model" promises that nobody, not even the operator, signs as a participant
 * unseen. Recovery keys are rare, so the common answer costs one indexed read of an empty list.
 */
import type { KeyRecord } from './registry.js';
import type { Payload } from './schemas.js';

export interface KeyProvenanceReader {
  /** Every key an operator added to an already registered participant, in the order added. */
  operatorAddedKeys(): readonly KeyRecord[];
  /** The kid that signed the entry at seq. */
  signingKidAt(seq: number): string;
  payloadAt(seq: number): Payload;
}

/** One entry signed with an operator-added key. */
export interface OperatorKeyFlag {
  readonly kind: 'operator_added_key';
  readonly seq: number;
  readonly signer: string;
  readonly kid: string;
  /** The operator whose entry added the key, and where. */
  readonly keyAddedBy: string;
  readonly keyAddedSeq: number;
  readonly detail: string;
}

/** The flag for the entry at seq, or undefined when its key is the participant's own. */
export function operatorKeyFlagAt(
  reader: KeyProvenanceReader,
  seq: number,
  keys: readonly KeyRecord[] = reader.operatorAddedKeys(),
): OperatorKeyFlag | undefined {
  if (keys.length === 0) return undefined;
  const signer = reader.payloadAt(seq).signer;
  // A key signs only within its validity (docs/format.md), so the kid alone identifies it.
  const candidates = keys.filter((k) => k.participant === signer && k.addedSeq < seq);
  if (candidates.length === 0) return undefined;
  const kid = reader.signingKidAt(seq);
  const key = candidates.find((k) => k.kid === kid);
  if (key === undefined) return undefined;
  return {
    kind: 'operator_added_key',
    seq,
    signer,
    kid,
    keyAddedBy: key.addedBy,
    keyAddedSeq: key.addedSeq,
    detail: `signed with key ${kid}, which operator "${key.addedBy}" added to "${signer}" at seq ${key.addedSeq} after its keys were revoked; "${signer}" never signed for it`,
  };
}

/**
 * Flags for every entry a trace answer cites that was signed with an operator-added key, in seq
 * order. The answer is walked only when such keys exist (a 1,000-ancestor answer is ~25,000 objects).
 */
export function answerKeyFlags(reader: KeyProvenanceReader, answer: unknown): OperatorKeyFlag[] {
  const keys = reader.operatorAddedKeys();
  if (keys.length === 0) return [];
  const flags: OperatorKeyFlag[] = [];
  for (const seq of [...citedSeqs(answer)].sort((a, b) => a - b)) {
    const flag = operatorKeyFlagAt(reader, seq, keys);
    if (flag !== undefined) flags.push(flag);
  }
  return flags;
}

/** Fields of a trace answer that hold the seq of a cited entry (trace.ts: every fact names one). */
const SEQ_FIELD = /^(seq|seqs|[a-z]+Seq|retractedBy)$/;

/**
 * Every seq a trace answer cites: the values of its seq fields at any depth. Walking the answer
 * rather than listing fields per query keeps a fact added later from escaping the flags.
 */
export function citedSeqs(answer: unknown): Set<number> {
  const found = new Set<number>();
  const walk = (v: unknown, field: string | undefined): void => {
    if (typeof v === 'number') {
      if (field !== undefined && SEQ_FIELD.test(field) && Number.isSafeInteger(v) && v >= 0) found.add(v);
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x, field);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) walk(x, k);
    }
  };
  walk(answer, undefined);
  return found;
}
