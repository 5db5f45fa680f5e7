/** Test fixtures: temporary ledgers with a genesis entry and registered participants. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { toBase64Url } from '../src/core/bytes.js';
import { signEntry, type PayloadBase } from '../src/core/entry.js';
import { nobleEd25519 } from '../src/core/ed25519.js';
import { openLedger, type Ledger, type LedgerOptions } from '../src/ledger.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import type { LedgerStore } from '../src/store/store.js';

export interface Party {
  readonly id: string;
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
}

export function party(id: string, seed: Uint8Array = new Uint8Array(randomBytes(32))): Party {
  return { id, seed, publicKey: nobleEd25519.publicKey(seed) };
}

export const ORIGIN = 'test.trace-ledger.local/log';

export interface TestLedger {
  dir: string;
  dbPath: string;
  ledgerSeed: Uint8Array;
  operator: Party;
  store: LedgerStore;
  ledger: Ledger;
  /** Sign a payload as `who` (type, id, signer, time filled in when missing). */
  sign(who: Party, fields: Record<string, unknown> & { type: string }): ReturnType<typeof signEntry>;
  register(who: Party, roles?: string[]): Promise<void>;
  /** Close and open again, resolving once the start-up verification passed. */
  reopen(extra?: Partial<LedgerOptions>): Promise<void>;
  close(): Promise<void>;
}

export function payloadOf(who: Party, fields: Record<string, unknown> & { type: string }): PayloadBase {
  return { id: randomUUID(), signer: who.id, time: new Date().toISOString(), ...fields } as PayloadBase;
}

export async function makeLedger(extra: Partial<LedgerOptions> = {}): Promise<TestLedger> {
  const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-test-'));
  const dbPath = join(dir, 'ledger.db');
  const ledgerSeed = new Uint8Array(randomBytes(32));
  const operator = party('operator');
  const store = openSqliteStore(dbPath);
  const ledger = openLedger({ store, origin: ORIGIN, ledgerSeed, ...extra });
  await ledger.initGenesis({ operator: { id: operator.id, name: 'Cluster operator', publicKey: operator.publicKey } });
  const t: TestLedger = {
    dir,
    dbPath,
    ledgerSeed,
    operator,
    store,
    ledger,
    sign: (who, fields) => signEntry(payloadOf(who, fields), who.seed),
    async register(who, roles = ['supplier']) {
      await t.ledger.submit([
        t.sign(operator, { type: 'participant.register', participant: who.id, name: `${who.id} Ltd`, roles, publicKey: toBase64Url(who.publicKey) }),
      ]);
    },
    async reopen(more = {}) {
      await t.ledger.close();
      await t.store.close();
      t.store = openSqliteStore(dbPath);
      t.ledger = openLedger({ store: t.store, origin: ORIGIN, ledgerSeed, ...extra, ...more });
      // Writes are taken once the start-up verification of the reopened log is through.
      await t.ledger.verified;
    },
    async close() {
      await t.ledger.close();
      await t.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}
