/**
 * Records: one leaf of the log (docs/format.md "Records, leaves and the hash chain").
 *   leafBytes = JCS({seq, recordedAt, entry}); leafHash = SHA-256(0x00 ‖ leafBytes) (RFC 6962 §2.1);
 *   chainHash(seq) = SHA-256(chainHash(seq-1) ‖ leafHash(seq)), chainHash(-1) = 32 zero bytes.
 */
import { concatBytes, utf8 } from './bytes.js';
import type { Entry, EntrySignature } from './entry.js';
import { sha256 } from './hash.js';
import { canonicalize } from './jcs.js';

export interface LedgerRecord {
  readonly seq: number;
  readonly recordedAt: string;
  readonly entry: Entry;
}

export const CHAIN_HASH_START = new Uint8Array(32);

export const recordLeafBytes = (record: LedgerRecord): Uint8Array => utf8(canonicalize(record));

/**
 * JCS(record) assembled from the payload's canonical JSON, which the append path already holds
 * from checking the signature. The key order is fixed by RFC 8785 §3.2.3 (entry < recordedAt < seq;
 * payload < signature; kid < sig), so this is byte-identical to recordLeafBytes; a property test
 * holds the two together.
 */
export function recordLeafBytesFromCanonical(
  seq: number,
  recordedAt: string,
  payloadJcs: string,
  signature: EntrySignature,
): Uint8Array {
  return utf8(
    `{"entry":{"payload":${payloadJcs},"signature":{"kid":${JSON.stringify(signature.kid)},"sig":${JSON.stringify(
      signature.sig,
    )}}},"recordedAt":${JSON.stringify(recordedAt)},"seq":${seq}}`,
  );
}

export function chainHash(previous: Uint8Array, leafHash: Uint8Array): Uint8Array {
  if (previous.length !== 32 || leafHash.length !== 32) throw new RangeError('chain hash inputs must be 32 bytes');
  return sha256(concatBytes(previous, leafHash));
}
