/**
 * The entry signature check (docs/format.md "Entries"): Ed25519 (RFC 8032 §5.1.7, cofactorless as
 * core/ed25519.ts explains) over "trace-ledger/v1 entry\n" ‖ JCS(payload), with the key the
 * registry says was valid at the record's seq (src/verify/registry.ts finds it). The Ed25519 is
 * the caller's. Split in two halves so a verifier can check signatures in batches elsewhere (the
 * bundle's worker pool) and still speak this vocabulary.
 */
import { fromBase64Url } from '../core/bytes.js';
import type { Ed25519 } from '../core/ed25519.js';
import { failure, messageOf, type CheckFailure, type Checked } from './failure.js';

const invalid = (message: string): CheckFailure => failure('RECORD_SIGNATURE', message, { reason: 'LEDGER_SIGNATURE_INVALID' });

/** The signature's bytes: base64url of exactly 64 bytes, or RECORD_SIGNATURE. */
export function decodeSignature(sig: string): Checked<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64Url(sig);
  } catch (e) {
    return { ok: false, failure: invalid(`signature is not base64url: ${messageOf(e)}`) };
  }
  if (bytes.length !== 64) return { ok: false, failure: invalid(`signature must be 64 bytes, got ${bytes.length}`) };
  return { ok: true, value: bytes };
}

/** The verdict of an Ed25519 verification of key `kid`'s signature, in this vocabulary. */
export function signatureVerdict(valid: boolean, kid: string): CheckFailure | undefined {
  return valid ? undefined : invalid(`signature by key ${kid} does not verify`);
}

/**
 * The entry's signature verifies with `publicKey`.
 * @param message the signed bytes: core/entry.ts signingMessageFromCanonical(JCS(payload))
 */
export function checkSignature(ed: Ed25519, message: Uint8Array, signature: { readonly kid: string; readonly sig: string }, publicKey: Uint8Array): CheckFailure | undefined {
  const decoded = decodeSignature(signature.sig);
  if (!decoded.ok) return decoded.failure;
  return signatureVerdict(ed.verify(decoded.value, message, publicKey), signature.kid);
}
