/**
 * Participants and their keys: who may sign what, at which point of the log (docs/format.md "Keys"
 * and the README's "Security model"). Pure rules over a read view; the store applies the effects they return in the same
 * transaction as the record, so the registry tables are a cache of the log.
 */
import { fromBase64Url } from '../core/bytes.js';
import { isStrongPublicKey } from '../core/ed25519.js';
import { LedgerError } from '../core/errors.js';
import { keyIdOf } from '../core/keys.js';
import { keyAddProvenance, keyToRevoke } from './key-rules.js';
import { memoryPrefixes, prefixEffects, registrationPrefixEffects, type PrefixEffect, type PrefixView } from './prefixes.js';
import type { Payload } from './schemas.js';

export interface ParticipantRecord {
  readonly id: string;
  readonly name: string;
  /** Payload roles, plus the internal role `ledger` for the ledger's own genesis signer. */
  readonly roles: readonly string[];
  readonly gln: string | null;
  readonly registeredSeq: number;
}

export interface KeyRecord {
  readonly kid: string;
  readonly participant: string;
  readonly publicKey: Uint8Array;
  readonly addedSeq: number;
  readonly revokedSeq: number | null;
  /** The signer of the entry that added the key (for a first key, the operator that registered it). */
  readonly addedBy: string;
  /**
   * A recovery key: added by an operator to a participant already registered, whose keys were all
   * revoked (key-rules.ts). The participant never signed for it, so it and every entry it signs
   * are flagged wherever provenance is shown.
   */
  readonly operatorAdded: boolean;
}

/** The registry includes each participant's GS1 Company Prefixes (src/domain/prefixes.ts). */
export interface RegistryView extends PrefixView {
  participant(id: string): ParticipantRecord | undefined;
  key(kid: string): KeyRecord | undefined;
  /** Every key of a participant, revoked or not, in the order they were added. */
  keysOf(participant: string): readonly KeyRecord[];
}

export type RegistryEffect =
  | { readonly kind: 'participant.insert'; readonly participant: ParticipantRecord }
  | { readonly kind: 'key.insert'; readonly key: KeyRecord }
  | { readonly kind: 'key.revoke'; readonly kid: string; readonly seq: number }
  | PrefixEffect;

export const LEDGER_SIGNER = 'ledger';

/**
 * The key that must have signed `payload` at `seq`: the signer is registered, the kid is one of its
 * keys, added before this seq and not revoked before it. (A revocation at seq r stops the key
 * signing anything at seq > r; the revoking entry itself may be signed by the key it revokes.)
 * @throws LedgerError LEDGER_SIGNER_UNKNOWN | LEDGER_KEY_UNKNOWN | LEDGER_KEY_REVOKED
 */
export function signingKeyFor(view: RegistryView, signer: string, kid: string, seq: number): KeyRecord {
  if (view.participant(signer) === undefined) {
    throw new LedgerError('LEDGER_SIGNER_UNKNOWN', `signer "${signer}" is not a registered participant`);
  }
  const key = view.key(kid);
  if (key === undefined || key.participant !== signer) {
    throw new LedgerError('LEDGER_KEY_UNKNOWN', `key ${kid} is not registered for "${signer}"`);
  }
  if (key.revokedSeq !== null && key.revokedSeq < seq) {
    throw new LedgerError('LEDGER_KEY_REVOKED', `key ${kid} of "${signer}" was revoked at seq ${key.revokedSeq}`, {
      details: { revokedSeq: key.revokedSeq },
    });
  }
  return key;
}

function decodePublicKey(b64: string): { publicKey: Uint8Array; kid: string } {
  const publicKey = fromBase64Url(b64);
  if (publicKey.length !== 32) throw new LedgerError('LEDGER_KEY_INVALID', 'publicKey must be 32 bytes');
  if (!isStrongPublicKey(publicKey)) {
    throw new LedgerError('LEDGER_KEY_INVALID', 'publicKey is not a canonical Ed25519 point, or is of small order (such a key lets anyone forge signatures)');
  }
  return { publicKey, kid: keyIdOf(publicKey) };
}

function newKey(
  view: RegistryView,
  participant: string,
  b64: string,
  seq: number,
  provenance: { addedBy: string; operatorAdded: boolean },
): KeyRecord {
  const { publicKey, kid } = decodePublicKey(b64);
  const existing = view.key(kid);
  if (existing !== undefined) {
    throw new LedgerError('LEDGER_KEY_EXISTS', `key ${kid} is already registered (to "${existing.participant}")`);
  }
  return { kid, participant, publicKey, addedSeq: seq, revokedSeq: null, ...provenance };
}

/**
 * Rules and effects of the registry payload types; returns [] for other types.
 * @throws LedgerError with the violated rule's code
 */
export function registryEffects(view: RegistryView, payload: Payload, seq: number): RegistryEffect[] {
  switch (payload.type) {
    case 'ledger.genesis': {
      if (seq !== 0) throw new LedgerError('LEDGER_PERMISSION_DENIED', 'ledger.genesis is only valid at seq 0');
      if (payload.signer !== LEDGER_SIGNER) {
        throw new LedgerError('LEDGER_PERMISSION_DENIED', `ledger.genesis must be signed by "${LEDGER_SIGNER}"`);
      }
      const ledger = decodePublicKey(payload.ledgerPublicKey);
      const operator = decodePublicKey(payload.operator.publicKey);
      if (payload.operator.id === LEDGER_SIGNER) throw new LedgerError('LEDGER_ENTRY_INVALID', 'operator id "ledger" is reserved');
      return [
        { kind: 'participant.insert', participant: { id: LEDGER_SIGNER, name: payload.origin, roles: ['ledger'], gln: null, registeredSeq: 0 } },
        { kind: 'key.insert', key: { ...ledger, participant: LEDGER_SIGNER, addedSeq: 0, revokedSeq: null, addedBy: LEDGER_SIGNER, operatorAdded: false } },
        { kind: 'participant.insert', participant: { id: payload.operator.id, name: payload.operator.name, roles: ['operator'], gln: null, registeredSeq: 0 } },
        { kind: 'key.insert', key: { ...operator, participant: payload.operator.id, addedSeq: 0, revokedSeq: null, addedBy: LEDGER_SIGNER, operatorAdded: false } },
      ];
    }
    case 'participant.register': {
      if (!view.participant(payload.signer)?.roles.includes('operator')) {
        throw new LedgerError('LEDGER_PERMISSION_DENIED', 'participant.register must be signed by an operator');
      }
      if (view.participant(payload.participant) !== undefined || payload.participant === LEDGER_SIGNER) {
        throw new LedgerError('LEDGER_PARTICIPANT_EXISTS', `participant "${payload.participant}" is already registered`);
      }
      const key = newKey(view, payload.participant, payload.publicKey, seq, { addedBy: payload.signer, operatorAdded: false });
      return [
        {
          kind: 'participant.insert',
          participant: { id: payload.participant, name: payload.name, roles: payload.roles, gln: payload.gln ?? null, registeredSeq: seq },
        },
        { kind: 'key.insert', key },
        ...registrationPrefixEffects(view, payload, seq),
      ];
    }
    case 'participant.key.add':
      return [{ kind: 'key.insert', key: newKey(view, payload.participant, payload.publicKey, seq, keyAddProvenance(view, payload)) }];
    case 'participant.key.revoke':
      return [{ kind: 'key.revoke', kid: keyToRevoke(view, payload).kid, seq }];
    default:
      return prefixEffects(view, payload, seq);
  }
}

/**
 * The registry held in memory, for verifiers that replay records without a database (bundles,
 * reports, the browser): `view` answers the rules' reads, `apply` takes their effects.
 */
export function memoryRegistry(): { view: RegistryView; apply(effects: readonly RegistryEffect[]): void } {
  const participants = new Map<string, ParticipantRecord>();
  const keys = new Map<string, KeyRecord>();
  const kidsOf = new Map<string, string[]>();
  const prefixes = memoryPrefixes();
  return {
    view: {
      ...prefixes.view,
      participant: (id) => participants.get(id),
      key: (kid) => keys.get(kid),
      keysOf: (id) => (kidsOf.get(id) ?? []).map((kid) => keys.get(kid)!),
    },
    apply(effects) {
      for (const effect of effects) {
        if (effect.kind === 'participant.insert') participants.set(effect.participant.id, effect.participant);
        else if (effect.kind === 'key.insert') {
          keys.set(effect.key.kid, effect.key);
          const kids = kidsOf.get(effect.key.participant);
          if (kids === undefined) kidsOf.set(effect.key.participant, [effect.key.kid]);
          else kids.push(effect.key.kid);
        } else if (effect.kind !== 'key.revoke') prefixes.apply(effect);
        else {
          const k = keys.get(effect.kid);
          if (k !== undefined) keys.set(effect.kid, { ...k, revokedSeq: effect.seq });
        }
      }
    },
  };
}
