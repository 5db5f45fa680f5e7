/**
 * The genesis entry (record 0): the only entry the ledger key signs. It names the log's origin,
 * its checkpoint key and the operator's first key (docs/format.md, "Entries").
 */
import { equalBytes, fromBase64Url } from '../core/bytes.js';
import type { Ed25519 } from '../core/ed25519.js';
import { signEntry, type Entry } from '../core/entry.js';
import { LedgerError } from '../core/errors.js';
import { keyIdOf } from '../core/keys.js';
import { parseVerifierKey } from '../core/note.js';
import { LEDGER_SIGNER, type KeyRecord } from '../domain/registry.js';
import type { Payload } from '../domain/schemas.js';

export interface GenesisOptions {
  readonly operator: { readonly id: string; readonly name: string; readonly publicKey: Uint8Array };
}

export interface LedgerIdentity {
  readonly origin: string;
  readonly verifierKey: string;
  readonly ledgerPublicKey: Uint8Array;
  readonly ledgerSeed: Uint8Array;
  readonly ed: Ed25519;
}

export const toBase64UrlKey = (k: Uint8Array): string => Buffer.from(k).toString('base64url');

/** The genesis entry of a new log, signed with the ledger key, dated `timeMs`. */
export function genesisEntry(ledger: LedgerIdentity, opts: GenesisOptions, timeMs: number): Entry {
  const payload = {
    type: 'ledger.genesis',
    id: 'genesis',
    signer: LEDGER_SIGNER,
    time: new Date(timeMs).toISOString(),
    origin: ledger.origin,
    ledgerKey: ledger.verifierKey,
    ledgerPublicKey: toBase64UrlKey(ledger.ledgerPublicKey),
    operator: { id: opts.operator.id, name: opts.operator.name, publicKey: toBase64UrlKey(opts.operator.publicKey) },
  } as const;
  return signEntry(payload, ledger.ledgerSeed, ledger.ed);
}

/**
 * The key a genesis entry is signed with: the one it carries, once its verifier key is shown to
 * name the same origin and public key.
 * @throws LedgerError LEDGER_ENTRY_INVALID
 */
export function keyForGenesis(payload: Extract<Payload, { type: 'ledger.genesis' }>): KeyRecord {
  const publicKey = fromBase64Url(payload.ledgerPublicKey);
  let parsed;
  try {
    parsed = parseVerifierKey(payload.ledgerKey);
  } catch (cause) {
    throw new LedgerError('LEDGER_ENTRY_INVALID', 'ledger.genesis: ledgerKey is not a verifier key', { cause });
  }
  if (parsed.name !== payload.origin || !equalBytes(parsed.publicKey, publicKey)) {
    throw new LedgerError('LEDGER_ENTRY_INVALID', 'ledger.genesis: ledgerKey does not match origin and ledgerPublicKey');
  }
  return { kid: keyIdOf(publicKey), participant: LEDGER_SIGNER, publicKey, addedSeq: 0, revokedSeq: null, addedBy: LEDGER_SIGNER, operatorAdded: false };
}
