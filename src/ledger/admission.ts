/**
 * What happens to a submission before it is queued: parse and canonicalise each entry (RFC 8785),
 * refuse a time too far ahead, and check the signature now, outside the commit, when its key is
 * already registered. The verdict still holds at sequencing time, where only the key's validity
 * at that seq remains to be checked (src/ledger/sequence.ts). Entries whose key is not registered
 * yet (added in the same batch) are checked while sequencing.
 */
import { fromBase64Url, utf8 } from '../core/bytes.js';
import type { Ed25519 } from '../core/ed25519.js';
import { signingMessageFromCanonical, verifyEntrySignature } from '../core/entry.js';
import { LedgerError } from '../core/errors.js';
import { sha256 } from '../core/hash.js';
import { canonicalize } from '../core/jcs.js';
import { parseEntry, parseTimestamp, type Entry } from '../domain/schemas.js';
import type { VerifyMany } from '../platform/verify-pool.js';
import type { LedgerStore } from '../store/store.js';

/** An entry ready to be sequenced. */
export interface Prepared {
  readonly entry: Entry;
  readonly payloadJcs: string;
  readonly payloadHash: Uint8Array;
  /** The signing message (domain separator + JCS payload). */
  readonly message: Uint8Array;
  /** Public key the signature was already checked against, if its kid was known on arrival. */
  readonly verifiedWith: Uint8Array | undefined;
}

export interface Admission {
  /**
   * Prepare a submitted batch, synchronously.
   * @throws LedgerError (the first entry refused; in a batch of several, details.index names it)
   */
  prepare(values: readonly unknown[]): Admitted[];
  /**
   * Present with a verification worker: check there the known signatures `prepare` left unchecked.
   * @throws LedgerError LEDGER_SIGNATURE_INVALID (details.index in a batch of several)
   */
  readonly verifyOffThread: ((entries: readonly Admitted[]) => Promise<Prepared[]>) | undefined;
}

export interface AdmissionOptions {
  readonly store: Pick<LedgerStore, 'key'>;
  readonly ed: Ed25519;
  readonly now: () => number;
  /** How far in the future an entry's `time` may be (ms). */
  readonly maxClockSkewMs: number;
  /** Verify signatures on a worker thread instead of inline (src/platform/verify-pool.ts). */
  readonly verifyMany: VerifyMany | undefined;
}

/** Prepared, with the registered key of its kid when there was one on arrival. */
export type Admitted = Prepared & { readonly publicKey: Uint8Array | undefined };

const KNOWN_KEYS_MAX = 100_000;

/** Name the failing entry of a batch (details.index, and the message when it does not say so yet). */
export const withIndex = (e: unknown, i: number, batch: boolean): unknown =>
  e instanceof LedgerError && batch
    ? new LedgerError(e.code, e.message.startsWith(`entries[${i}]`) ? e.message : `entries[${i}]: ${e.message}`, {
        cause: e.cause,
        details: { ...e.details, index: i },
      })
    : e;

function signatureBytes(sig: string): Uint8Array {
  try {
    return fromBase64Url(sig);
  } catch {
    return new Uint8Array(0); // fails verification, and verifyEntrySignature then names why
  }
}

export function createAdmission({ store, ed, now, maxClockSkewMs, verifyMany }: AdmissionOptions): Admission {
  const knownKeys = new Map<string, Uint8Array>();

  /** Public key of a registered kid. kid → key never changes once registered (kids are unique). */
  function knownKey(kid: string): Uint8Array | undefined {
    let key = knownKeys.get(kid);
    if (key === undefined) {
      key = store.key(kid)?.publicKey;
      if (key === undefined) return undefined;
      if (knownKeys.size >= KNOWN_KEYS_MAX) knownKeys.clear();
      knownKeys.set(kid, key);
    }
    return key;
  }

  /** @throws LedgerError LEDGER_ENTRY_INVALID, LEDGER_TIME_IN_FUTURE, LEDGER_SIGNATURE_INVALID */
  function prepare(value: unknown, where: string): Admitted {
    const entry = parseEntry(value, where);
    const payloadJcs = canonicalize(entry.payload);
    const message = signingMessageFromCanonical(payloadJcs);
    const time = parseTimestamp(entry.payload.time)!;
    if (time > now() + maxClockSkewMs) {
      throw new LedgerError('LEDGER_TIME_IN_FUTURE', `${where}.payload.time ${entry.payload.time} is more than ${maxClockSkewMs / 1000} s ahead of the ledger's clock`);
    }
    const publicKey = knownKey(entry.signature.kid);
    if (publicKey !== undefined && verifyMany === undefined) verifyEntrySignature(message, entry.signature, publicKey, ed);
    return { entry, payloadJcs, payloadHash: sha256(utf8(payloadJcs)), message, verifiedWith: verifyMany ? undefined : publicKey, publicKey };
  }

  /** With a verification worker: check the signatures of entries with known keys there. */
  async function verifyOffThread(many: VerifyMany, entries: readonly Admitted[]): Promise<Prepared[]> {
    const batch = entries.length > 1;
    const toCheck = entries.flatMap((p, i) => (p.publicKey === undefined ? [] : [{ i, p, publicKey: p.publicKey }]));
    const ok = await many(toCheck.map(({ p, publicKey }) => ({ signature: signatureBytes(p.entry.signature.sig), message: p.message, publicKey })));
    const out: Array<{ -readonly [K in keyof Prepared]: Prepared[K] }> = entries.map((p) => ({ ...p, verifiedWith: undefined }));
    toCheck.forEach(({ i, p, publicKey }, j) => {
      if (!ok[j]) {
        // Same verdict and error as verifying inline (verifyEntrySignature names the reason).
        try {
          verifyEntrySignature(p.message, p.entry.signature, publicKey, ed);
        } catch (e) {
          throw withIndex(e, i, batch);
        }
      }
      out[i]!.verifiedWith = publicKey;
    });
    return out;
  }

  return {
    prepare(values) {
      const batch = values.length > 1;
      return values.map((v, i) => {
        try {
          return prepare(v, batch ? `entries[${i}]` : 'entry');
        } catch (e) {
          throw withIndex(e, i, batch);
        }
      });
    },
    verifyOffThread: verifyMany === undefined ? undefined : (entries) => verifyOffThread(verifyMany, entries),
  };
}
