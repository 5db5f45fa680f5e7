/**
 * The derived-state seal: a file beside the database (`<db>.seal`) that records, at a clean close,
 * the log size and the digest of every derived table (src/ledger/derived-state.ts), authenticated with
 * HMAC-SHA256 (RFC 2104) under a key derived from the ledger key's seed by HKDF-SHA256 (RFC 5869)
 * with its own label, so the seal key signs nothing else. The next open recomputes the digests
 * and compares: someone who edits the database (and the seal) without the ledger key is detected
 * without replaying the whole log. A seal that is missing, of another size (a crash, writes since)
 * or that does not authenticate is no evidence either way: the open then replays the log.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../platform/atomic-file.js';
import { z } from 'zod';
import { canonicalize } from '../core/jcs.js';
import type { TableDigests } from './derived-state.js';

export interface DerivedSeal {
  /** Log size the digests are of. */
  readonly size: number;
  readonly tables: TableDigests;
}

const SEAL_VERSION = 1;
/** HKDF info: domain separation from every other use of the ledger seed. */
const SEAL_KEY_LABEL = 'trace-ledger/v1 derived-state seal key';

const sealFile = z
  .object({
    version: z.literal(SEAL_VERSION),
    size: z.number().int().nonnegative(),
    tables: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
    mac: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();

export const sealPath = (db: string): string => `${db}.seal`;

function sealKey(ledgerSeed: Uint8Array): Buffer {
  if (ledgerSeed.length !== 32) throw new RangeError('ledgerSeed must be 32 bytes');
  return Buffer.from(hkdfSync('sha256', ledgerSeed, new Uint8Array(0), SEAL_KEY_LABEL, 32));
}

/** HMAC over the JCS (RFC 8785) of what the seal says, so the bytes signed do not depend on formatting. */
function macOf(key: Buffer, seal: DerivedSeal): Buffer {
  return createHmac('sha256', key).update(canonicalize({ version: SEAL_VERSION, size: seal.size, tables: seal.tables })).digest();
}

/** Write the seal atomically and durably (src/platform/atomic-file.ts). */
export function writeDerivedSeal(db: string, ledgerSeed: Uint8Array, seal: DerivedSeal): void {
  const mac = macOf(sealKey(ledgerSeed), seal).toString('hex');
  writeFileAtomic(sealPath(db), `${JSON.stringify({ version: SEAL_VERSION, size: seal.size, tables: seal.tables, mac })}\n`, 0o600);
}

export function removeDerivedSeal(db: string): void {
  rmSync(sealPath(db), { force: true });
}

export type SealReading =
  | { readonly kind: 'valid'; readonly seal: DerivedSeal }
  | { readonly kind: 'missing' }
  /** Unreadable, malformed, or its MAC does not verify under this ledger key. */
  | { readonly kind: 'invalid'; readonly why: string };

/** Read and authenticate the seal beside `db`. Never throws: a bad seal only means "replay". */
export function readDerivedSeal(db: string, ledgerSeed: Uint8Array): SealReading {
  let text: string;
  try {
    text = readFileSync(sealPath(db), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'invalid', why: `cannot read ${sealPath(db)}: ${(e as Error).message}` };
  }
  let parsed: z.infer<typeof sealFile>;
  try {
    parsed = sealFile.parse(JSON.parse(text));
  } catch {
    return { kind: 'invalid', why: `${sealPath(db)} is not a derived-state seal` };
  }
  const seal: DerivedSeal = { size: parsed.size, tables: parsed.tables };
  const expected = macOf(sealKey(ledgerSeed), seal);
  if (!timingSafeEqual(expected, Buffer.from(parsed.mac, 'hex'))) {
    return { kind: 'invalid', why: `${sealPath(db)} does not authenticate under this ledger key` };
  }
  return { kind: 'valid', seal };
}
