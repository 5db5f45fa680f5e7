/**
 * Registry closure: every signing key is traced back, through the registry entries of the log, to
 * the genesis entry, and the genesis to the trusted ledger key (docs/format.md "Keys", the README's
 * "Security model"). The records are replayed in seq order with the ledger's own rules
 * (src/domain/registry.ts), so a key added at seq a and revoked at seq r signs exactly the entries
 * with a < seq ≤ r.
 */
import { equalBytes, fromBase64Url, toBase64 } from '../core/bytes.js';
import { keyIdOf } from '../core/keys.js';
import type { VerifierKey } from '../core/note.js';
import { LEDGER_SIGNER, memoryRegistry, registryEffects, signingKeyFor, type KeyRecord, type RegistryEffect, type RegistryView } from '../domain/registry.js';
import type { Payload } from '../domain/schemas.js';
import { failure, type CheckFailure, type Checked } from './failure.js';

/** The ledger key everything is checked against, as the caller trusts it: its text and its parsed form. */
export interface TrustedKey {
  readonly text: string;
  readonly key: VerifierKey;
}

/** The genesis field a REGISTRY_GENESIS failure is about (reports that name fields map from it). */
export type GenesisField = 'type' | 'origin' | 'ledgerKey' | 'ledgerPublicKey' | 'kid';

export interface GenesisFailure extends CheckFailure {
  readonly field: GenesisField;
}

/** Whether a record must pass {@link checkGenesisPosition}: record 0, and any record that claims to be a genesis. */
export const isGenesisPosition = (seq: number, payload: { readonly type?: unknown }): boolean => seq === 0 || payload.type === 'ledger.genesis';

const genesisFailure = (field: GenesisField, message: string, expected?: string, found?: string): GenesisFailure => ({
  // Only an entry that is no genesis at all is refused as a permission; the rest are mismatches.
  ...failure('REGISTRY_GENESIS', message, { ...(field === 'type' ? { reason: 'LEDGER_PERMISSION_DENIED' as const } : {}), ...(expected === undefined ? {} : { expected }), ...(found === undefined ? {} : { found }) }),
  field,
});

/** Record 0 is the genesis entry, signed by the ledger, and no later record is one: REGISTRY_GENESIS otherwise. */
export function checkGenesisPosition(seq: number, payload: Readonly<Record<string, unknown>>): GenesisFailure | undefined {
  if (seq !== 0) return payload['type'] === 'ledger.genesis' ? genesisFailure('type', 'a ledger.genesis entry after seq 0') : undefined;
  if (payload['type'] !== 'ledger.genesis' || payload['signer'] !== LEDGER_SIGNER) return genesisFailure('type', 'seq 0 is not the ledger genesis');
  return undefined;
}

/**
 * The genesis entry names the trusted key and its origin, and its signature's kid is that key's.
 * Every difference is its own REGISTRY_GENESIS failure; with none, the genesis signature is
 * checked with the trusted key's public key.
 */
export function checkGenesisKey(payload: Readonly<Record<string, unknown>>, kid: string, trusted: TrustedKey): GenesisFailure[] {
  const out: GenesisFailure[] = [];
  if (payload['origin'] !== trusted.key.name) out.push(genesisFailure('origin', 'the genesis is of another log', trusted.key.name, String(payload['origin'])));
  if (payload['ledgerKey'] !== trusted.text) out.push(genesisFailure('ledgerKey', 'the genesis names another ledger key than the trusted one', trusted.text, String(payload['ledgerKey'])));
  let named: Uint8Array | undefined;
  try {
    named = fromBase64Url(String(payload['ledgerPublicKey']));
  } catch {
    named = undefined;
  }
  if (named === undefined || !equalBytes(named, trusted.key.publicKey)) {
    out.push(genesisFailure('ledgerPublicKey', 'the genesis ledgerPublicKey is not the trusted key', toBase64(trusted.key.publicKey), String(payload['ledgerPublicKey'])));
  }
  const ledgerKid = keyIdOf(trusted.key.publicKey);
  if (kid !== ledgerKid) out.push(genesisFailure('kid', 'the genesis is not signed under the ledger key\'s kid', ledgerKid, kid));
  return out;
}

/**
 * The key `signer` had under `kid` at `seq`, or RECORD_KEY_UNKNOWN: unregistered signer, a kid
 * not (yet) theirs, a key revoked before this seq, or the ledger's own key, which signs only the
 * genesis entry and checkpoints.
 */
export function checkSigningKey(view: RegistryView, signer: string, kid: string, seq: number): Checked<KeyRecord> {
  if (signer === LEDGER_SIGNER) {
    return { ok: false, failure: failure('RECORD_KEY_UNKNOWN', 'the ledger key signs only the genesis entry and checkpoints', { reason: 'LEDGER_PERMISSION_DENIED' }) };
  }
  try {
    return { ok: true, value: signingKeyFor(view, signer, kid, seq) };
  } catch (e) {
    return { ok: false, failure: failure('RECORD_KEY_UNKNOWN', e instanceof Error ? e.message : String(e), { cause: e }) };
  }
}

/** What a registry entry changes (none for other entries), or REGISTRY_ENTRY when it breaks the rules. */
export function checkRegistryEntry(view: RegistryView, payload: Payload, seq: number): Checked<readonly RegistryEffect[]> {
  try {
    return { ok: true, value: registryEffects(view, payload, seq) };
  } catch (e) {
    return { ok: false, failure: failure('REGISTRY_ENTRY', e instanceof Error ? e.message : String(e), { cause: e }) };
  }
}

/** REGISTRY_CLOSURE: the evidence starts after seq 0, so no key in it can be traced to the ledger key. */
export function missingGenesis(): CheckFailure {
  return failure('REGISTRY_CLOSURE', 'the genesis record (seq 0), the root of the key registry, is missing: signatures cannot be checked', { reason: 'LEDGER_SIGNER_UNKNOWN' });
}

/** The registry replayed in memory: the checks above over one view, and `apply` for the effects a caller accepts. */
export interface RegistryReplay {
  readonly view: RegistryView;
  keyAt(signer: string, kid: string, seq: number): Checked<KeyRecord>;
  effectsOf(payload: Payload, seq: number): Checked<readonly RegistryEffect[]>;
  apply(effects: readonly RegistryEffect[]): void;
}

export function replayRegistry(): RegistryReplay {
  const { view, apply } = memoryRegistry();
  return {
    view,
    keyAt: (signer, kid, seq) => checkSigningKey(view, signer, kid, seq),
    effectsOf: (payload, seq) => checkRegistryEntry(view, payload, seq),
    apply,
  };
}
