/** The registry as readers see it: participants, their keys, prefixes and delegations. */
import { LedgerError } from '../../core/errors.js';
import type { ParticipantRecord } from '../../domain/registry.js';
import type { LedgerStore } from '../../store/store.js';
import { toBase64UrlKey } from '../genesis.js';

export interface ParticipantView {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly string[];
  readonly gln: string | null;
  readonly registeredSeq: number;
  readonly keys: Array<{
    kid: string; publicKey: string; addedSeq: number; revokedSeq: number | null; valid: boolean;
    /** Signer of the entry that added the key; operatorAdded: a recovery key (domain/key-rules.ts). */
    addedBy: string; operatorAdded: boolean;
  }>;
  /** GS1 Company Prefixes; null for a participant registered before prefixes existed. */
  readonly prefixes: readonly string[] | null;
  /** Prefixes other participants let it commission under (standing delegations). */
  readonly delegatedPrefixes: Array<{ prefix: string; from: string; seq: number; until: string | null }>;
}

export interface ParticipantQueries {
  participants(): ParticipantView[];
  /** @throws LedgerError LEDGER_PARTICIPANT_NOT_FOUND */
  participant(id: string): ParticipantView;
}

export function createParticipantQueries(store: LedgerStore): ParticipantQueries {
  function participantView(p: ParticipantRecord): ParticipantView {
    return {
      ...p,
      keys: store.keysOf(p.id).map((k) => ({
        kid: k.kid,
        publicKey: toBase64UrlKey(k.publicKey),
        addedSeq: k.addedSeq,
        revokedSeq: k.revokedSeq,
        valid: k.revokedSeq === null,
        addedBy: k.addedBy,
        operatorAdded: k.operatorAdded,
      })),
      prefixes: store.prefixesOf(p.id) ?? null,
      delegatedPrefixes: store.delegationsTo(p.id).map((d) => ({ prefix: d.prefix, from: d.grantor, seq: d.seq, until: d.until })),
    };
  }
  return {
    participants: () => store.participants().map(participantView),
    participant(id) {
      const p = store.participant(id);
      if (p === undefined) throw new LedgerError('LEDGER_PARTICIPANT_NOT_FOUND', `no participant "${id}"`);
      return participantView(p);
    },
  };
}
