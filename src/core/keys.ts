/**
 * Ed25519 key files and key ids.
 *
 * Key files are PKCS#8 PEM (private, RFC 8410 §7) and SPKI PEM (public, RFC 8410 §4), the formats
 * `openssl genpkey -algorithm ed25519` and every crypto library read and write. For Ed25519 both are
 * one fixed DER prefix followed by the 32 raw key bytes, so we parse them by that exact prefix
 * rather than with a general ASN.1 parser: anything else is rejected, which is what a strict reader
 * of attacker-supplied key files should do.
 */
import { concatBytes, equalBytes, fromBase64, toBase64, toHex } from './bytes.js';
import { LedgerError } from './errors.js';
import { sha256 } from './hash.js';

// RFC 8410 §7: SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING (32) } }
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
// RFC 8410 §4: SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (0 unused bits, 32 bytes) }
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

function pemBody(pem: string, label: string): Uint8Array {
  if (typeof pem !== 'string') throw new TypeError('pem must be a string');
  const re = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]*)-----END ${label}-----`);
  const m = re.exec(pem);
  if (!m) throw new LedgerError('LEDGER_KEY_INVALID', `not a ${label} PEM block`);
  try {
    return fromBase64(m[1]!.replace(/\s+/g, ''));
  } catch (cause) {
    throw new LedgerError('LEDGER_KEY_INVALID', `${label} PEM has invalid base64`, { cause });
  }
}

function wrapPem(der: Uint8Array, label: string): string {
  const b64 = toBase64(der);
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function stripPrefix(der: Uint8Array, prefix: Uint8Array, what: string): Uint8Array {
  if (der.length !== prefix.length + 32 || !equalBytes(der.subarray(0, prefix.length), prefix)) {
    throw new LedgerError('LEDGER_KEY_INVALID', `${what} is not an Ed25519 key`);
  }
  return der.slice(prefix.length);
}

/** 32-byte Ed25519 seed from a PKCS#8 PEM. @throws LedgerError LEDGER_KEY_INVALID */
export const parsePrivateKeyPem = (pem: string): Uint8Array =>
  stripPrefix(pemBody(pem, 'PRIVATE KEY'), PKCS8_PREFIX, 'PKCS#8 private key');

/** 32-byte Ed25519 public key from an SPKI PEM. @throws LedgerError LEDGER_KEY_INVALID */
export const parsePublicKeyPem = (pem: string): Uint8Array =>
  stripPrefix(pemBody(pem, 'PUBLIC KEY'), SPKI_PREFIX, 'SPKI public key');

export function formatPrivateKeyPem(seed: Uint8Array): string {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new TypeError('seed must be 32 bytes');
  return wrapPem(concatBytes(PKCS8_PREFIX, seed), 'PRIVATE KEY');
}

export function formatPublicKeyPem(publicKey: Uint8Array): string {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) throw new TypeError('publicKey must be 32 bytes');
  return wrapPem(concatBytes(SPKI_PREFIX, publicKey), 'PUBLIC KEY');
}

/** docs/format.md "Keys": kid = hex of the first 8 bytes of SHA-256(raw 32-byte public key). */
export function keyIdOf(publicKey: Uint8Array): string {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) throw new TypeError('publicKey must be 32 bytes');
  return toHex(sha256(publicKey).subarray(0, 8));
}
