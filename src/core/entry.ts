/**
 * Entries: what a participant signs (docs/format.md "Entries").
 *
 * Signed message = UTF-8("trace-ledger/v1 entry\n") ‖ JCS(payload). The prefix is a domain
 * separator: a signature made for an entry is never valid as a signature over any other kind of
 * message a participant's key might sign (a checkpoint, a note, another protocol's payload).
 */
import { concatBytes, fromBase64Url, toBase64Url, utf8 } from './bytes.js';
import { type Ed25519, nobleEd25519 } from './ed25519.js';
import { LedgerError } from './errors.js';
import { canonicalize } from './jcs.js';
import { keyIdOf } from './keys.js';

export const ENTRY_SIGNING_PREFIX = 'trace-ledger/v1 entry\n';
const PREFIX_BYTES = utf8(ENTRY_SIGNING_PREFIX);

/** Common fields of every payload; the type-specific fields are checked in src/domain. */
export interface PayloadBase {
  readonly type: string;
  readonly id: string;
  readonly signer: string;
  readonly time: string;
  readonly [field: string]: unknown;
}

export interface EntrySignature {
  readonly kid: string;
  readonly sig: string;
}

export interface Entry<P extends PayloadBase = PayloadBase> {
  readonly payload: P;
  readonly signature: EntrySignature;
}

/** The exact bytes an entry's signature covers, given the payload's canonical JSON. */
export function signingMessageFromCanonical(payloadJcs: string): Uint8Array {
  return concatBytes(PREFIX_BYTES, utf8(payloadJcs));
}

/** @throws LedgerError LEDGER_CANONICAL_JSON_INVALID when the payload is not canonicalisable */
export const signingMessage = (payload: PayloadBase): Uint8Array => signingMessageFromCanonical(canonicalize(payload));

/** Sign a payload with a 32-byte Ed25519 seed; the kid is derived from the seed's public key. */
export function signEntry<P extends PayloadBase>(payload: P, seed: Uint8Array, ed: Ed25519 = nobleEd25519): Entry<P> {
  const publicKey = ed.publicKey(seed);
  const sig = ed.sign(signingMessage(payload), seed);
  return { payload, signature: { kid: keyIdOf(publicKey), sig: toBase64Url(sig) } };
}

/**
 * Check an entry's signature against a known public key (the caller looks the key up by kid and
 * decides whether it was valid at that point of the log).
 * @throws LedgerError LEDGER_SIGNATURE_INVALID
 */
export function verifyEntrySignature(
  message: Uint8Array,
  signature: EntrySignature,
  publicKey: Uint8Array,
  ed: Ed25519 = nobleEd25519,
): void {
  if (keyIdOf(publicKey) !== signature.kid) {
    throw new LedgerError('LEDGER_SIGNATURE_INVALID', `kid ${signature.kid} does not match the public key`);
  }
  let sig: Uint8Array;
  try {
    sig = fromBase64Url(signature.sig);
  } catch (cause) {
    throw new LedgerError('LEDGER_SIGNATURE_INVALID', 'signature is not base64url', { cause });
  }
  if (sig.length !== 64) throw new LedgerError('LEDGER_SIGNATURE_INVALID', `signature must be 64 bytes, got ${sig.length}`);
  if (!ed.verify(sig, message, publicKey)) {
    throw new LedgerError('LEDGER_SIGNATURE_INVALID', `signature by key ${signature.kid} does not verify`);
  }
}
