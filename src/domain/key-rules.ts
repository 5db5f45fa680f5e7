/**
 * Who may add or revoke a participant's key (docs/format.md "Which key is valid where", README
 * "Security model"). The promise is that nobody, not even the operator, can sign as a participant
 * that still holds a key: so a key is added by the participant itself, with a valid key of its own;
 * the operator may revoke any key (a participant's key leaked, a participant left), and may add a
 * *recovery* key only to a participant with no valid key left. Such a key is marked
 * `operatorAdded`, and so is every entry it signs, wherever provenance is shown.
 */
import { LedgerError } from '../core/errors.js';
import type { KeyRecord, RegistryView } from './registry.js';
import type { Payload } from './schemas.js';

type P<T extends Payload['type']> = Extract<Payload, { type: T }>;

/** The participant id of the ledger's own genesis signer (registry.ts LEDGER_SIGNER). */
const LEDGER = 'ledger';

const isOperator = (view: RegistryView, id: string) => view.participant(id)?.roles.includes('operator') === true;

/** The participant's keys that may still sign: every key with no revocation yet. */
export function validKeysOf(view: RegistryView, participant: string): KeyRecord[] {
  return view.keysOf(participant).filter((k) => k.revokedSeq === null);
}

/**
 * Who added the key of a participant.key.add, and whether it is an operator's recovery key. The
 * entry's own signature was already checked with a key of `payload.signer` valid at its seq.
 * @throws LedgerError LEDGER_PARTICIPANT_NOT_FOUND | LEDGER_PERMISSION_DENIED
 */
export function keyAddProvenance(view: RegistryView, payload: P<'participant.key.add'>): { addedBy: string; operatorAdded: boolean } {
  const { signer, participant } = payload;
  if (participant === LEDGER) {
    // The ledger key is pinned by genesis and signs nothing but genesis and checkpoints.
    throw new LedgerError('LEDGER_PERMISSION_DENIED', 'the ledger\'s own key is fixed by its genesis entry: no key is added to "ledger"');
  }
  if (view.participant(participant) === undefined) {
    throw new LedgerError('LEDGER_PARTICIPANT_NOT_FOUND', `participant "${participant}" is not registered`);
  }
  if (signer === participant) return { addedBy: signer, operatorAdded: false };
  if (!isOperator(view, signer)) {
    throw new LedgerError('LEDGER_PERMISSION_DENIED', `a key for "${participant}" is added by "${participant}" itself (or, to recover, by an operator)`);
  }
  const valid = validKeysOf(view, participant);
  if (valid.length > 0) {
    throw new LedgerError(
      'LEDGER_PERMISSION_DENIED',
      `"${participant}" still holds ${valid.length} valid key(s) (${valid.map((k) => k.kid).join(', ')}): it adds its keys itself; an operator adds a recovery key only once every key is revoked`,
    );
  }
  return { addedBy: signer, operatorAdded: true };
}

/**
 * The key a participant.key.revoke withdraws. The participant revokes its own keys; an operator
 * may revoke anyone's (revoking only takes power away, and the revocation is in the log).
 * @throws LedgerError LEDGER_PERMISSION_DENIED | LEDGER_KEY_UNKNOWN | LEDGER_KEY_REVOKED
 */
export function keyToRevoke(view: RegistryView, payload: P<'participant.key.revoke'>): KeyRecord {
  const { signer, participant, kid } = payload;
  if (participant === LEDGER) {
    throw new LedgerError('LEDGER_PERMISSION_DENIED', 'the ledger\'s own key is fixed by its genesis entry: it is not revoked in the log');
  }
  if (signer !== participant && !isOperator(view, signer)) {
    throw new LedgerError('LEDGER_PERMISSION_DENIED', `participant.key.revoke for "${participant}" must be signed by an operator or by "${participant}" itself`);
  }
  const key = view.key(kid);
  if (key === undefined || key.participant !== participant) {
    throw new LedgerError('LEDGER_KEY_UNKNOWN', `key ${kid} is not registered for "${participant}"`);
  }
  if (key.revokedSeq !== null) {
    throw new LedgerError('LEDGER_KEY_REVOKED', `key ${kid} was already revoked at seq ${key.revokedSeq}`);
  }
  return key;
}
