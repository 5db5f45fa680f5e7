/**
 * The operator's data directory: the database and, beside it, the ledger key (signs genesis and
 * checkpoints) and the operator key (registers participants). Both keys are created at init with
 * mode 0600 and never leave the machine.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startDerivedStateVerifier, type DerivedStateVerifier, type DerivedVerifierOptions } from '../ledger/background-verifier.js';
import { LedgerError } from '../core/errors.js';
import { readDerivedSeal, removeDerivedSeal, sealPath, writeDerivedSeal, type SealReading } from '../ledger/derived-seal.js';
import { digestDerived } from '../ledger/derived-state.js';
import { openLedger, type Ledger } from '../ledger.js';
import { nodeEd25519 } from '../platform/node-crypto.js';
import { startVerifyPool } from '../platform/verify-pool.js';
import { servedCheckpointPath } from '../store/served-checkpoint.js';
import { openSqliteStore } from '../store/sqlite.js';
import type { LedgerStore } from '../store/store.js';
import { markDemoLedger } from './demo-ledger.js';
import { readPrivateKey, writeNewKeyPair } from './keyfiles.js';

export const DEFAULT_DB = 'data/ledger.db';
export const DEFAULT_ORIGIN = 'localhost/trace-ledger';

export const ledgerKeyPath = (db: string): string => join(dirname(db), 'ledger.key.pem');
export const operatorKeyPath = (db: string): string => join(dirname(db), 'operator.key.pem');

export interface InitOptions {
  readonly db: string;
  readonly origin: string;
  readonly operatorId: string;
  readonly operatorName: string;
  /** Created by `serve --demo`: marked as a demo ledger (see demo-ledger.ts), the only kind that takes the demo. */
  readonly demo?: boolean;
}

/** Create keys and the genesis entry. @throws when a ledger key exists without its database */
export async function initDataDir(o: InitOptions): Promise<{ verifierKey: string; operatorKeyPath: string }> {
  const ledgerPath = ledgerKeyPath(o.db);
  if (existsSync(ledgerPath)) {
    // A second log under the same key would sign checkpoints inconsistent with the first one's.
    throw new LedgerError(
      'LEDGER_PERMISSION_DENIED',
      `${ledgerPath} exists but ${o.db} does not: refusing to start a second log under the same ledger key (restore the database, or move the key away)`,
    );
  }
  const servedPath = servedCheckpointPath(o.db);
  if (existsSync(servedPath)) {
    // The checkpoint an earlier ledger served (src/store/served-checkpoint.ts): a new log beside it
    // would be refused at open, after its key and an empty database were made.
    throw new LedgerError(
      'LEDGER_PERMISSION_DENIED',
      `${servedPath} exists but ${o.db} does not: it is the latest checkpoint an earlier ledger served (restore that database, or move the file away to start a new ledger)`,
    );
  }
  const ledgerKey = writeNewKeyPair(ledgerPath);
  const opPath = operatorKeyPath(o.db);
  const operator = existsSync(opPath) ? { seed: readPrivateKey(opPath) } : writeNewKeyPair(opPath);
  const store = openSqliteStore(o.db);
  try {
    // Before genesis: a database that has a log but not the mark was not created for the demo.
    if (o.demo) markDemoLedger(store);
    const ledger = openLedger({ store, origin: o.origin, ledgerSeed: ledgerKey.seed });
    await ledger.initGenesis({ operator: { id: o.operatorId, name: o.operatorName, publicKey: nodeEd25519.publicKey(operator.seed) } });
    await ledger.close();
    return { verifierKey: ledger.verifierKey, operatorKeyPath: opPath };
  } finally {
    await store.close();
  }
}

export interface OpenDataDir {
  readonly store: LedgerStore;
  readonly ledger: Ledger;
  /** Checks the derived tables at open (writes wait for it) and keeps re-checking them. */
  readonly derivedVerifier: DerivedStateVerifier;
  /**
   * Close the ledger (final checkpoint), seal the derived state when it was verified, close the
   * store and the verification worker.
   */
  close(): Promise<void>;
}

/** What the derived-state verifier may be told by the caller (the rest comes from the data directory). */
export type DataDirVerifierOptions = Omit<DerivedVerifierOptions, 'store' | 'readiness' | 'seal' | 'noSealReason'>;

/** The seal to check against, when it is of this log's size; otherwise why not. */
function usableSeal(reading: SealReading, size: number) {
  if (reading.kind === 'missing') return { noSealReason: 'no seal: the last close was not clean, or this data directory predates seals' };
  if (reading.kind === 'invalid') return { noSealReason: reading.why };
  if (reading.seal.size !== size) return { noSealReason: `the seal is of log size ${reading.seal.size}, the log has ${size} records (the last close was not clean)` };
  return { seal: reading.seal };
}

/**
 * Open an initialised data directory; the origin comes from the database unless given. The
 * service verifies signatures on a worker thread (`verifyInWorker`), one-shot tools inline.
 */
export function openDataDir(db: string, origin?: string, options: { verifyInWorker?: boolean; derivedVerifier?: DataDirVerifierOptions } = {}): OpenDataDir {
  if (!existsSync(db)) throw new LedgerError('LEDGER_NOT_FOUND', `${db} does not exist; run "trace-ledger init" first`);
  const ledgerSeed = readPrivateKey(ledgerKeyPath(db));
  const store = openSqliteStore(db);
  const pool = options.verifyInWorker ? startVerifyPool() : undefined;
  try {
    const storedOrigin = store.meta('origin');
    const ledger = openLedger({
      store,
      origin: origin ?? storedOrigin ?? DEFAULT_ORIGIN,
      ledgerSeed,
      ...(pool ? { verifyMany: pool.verifyMany } : {}),
    });
    const sealedAtOpen = usableSeal(readDerivedSeal(db, ledgerSeed), store.size());
    const derivedVerifier = startDerivedStateVerifier({ ...options.derivedVerifier, store, readiness: ledger.readiness, after: ledger.verified, ...sealedAtOpen });
    let closing: Promise<void> | undefined;
    const close = async (): Promise<void> => {
      await derivedVerifier.stop();
      await ledger.close();
      // Only a state verified at open (and by every pass since) is sealed; an unchanged log
      // keeps the seal it was verified against, unless the replay found that seal stale (its
      // size but other tables, e.g. from before a migration): kept, every start would replay.
      const size = store.size();
      const unsafe = ledger.readiness.conditions().some((c) => c.reason === 'verification-failed' || c.reason === 'sync-failed');
      const sealStillGood = sealedAtOpen.seal?.size === size && derivedVerifier.progress().startup?.method === 'seal';
      try {
        if (derivedVerifier.clean() && !unsafe && !sealStillGood) {
          writeDerivedSeal(db, ledgerSeed, { size, tables: digestDerived(store) });
        }
      } catch (e) {
        // A seal only spares the next start a replay; failing to write one (a full disk) must not
        // leave the store and the verification worker open.
        removeDerivedSeal(db);
        process.emitWarning(`cannot write the derived-state seal ${sealPath(db)} (${(e as Error).message}): the next start checks the derived tables by a replay`);
      } finally {
        await store.close();
        await pool?.close();
      }
    };
    return { store, ledger, derivedVerifier, close: () => (closing ??= close()) };
  } catch (e) {
    void store.close();
    void pool?.close();
    throw e;
  }
}

/**
 * After `trace-ledger rebuild`: the derived tables are what the log derives by construction, so
 * they are sealed (the next open checks the seal instead of replaying the log again). Without the
 * ledger key beside the database no seal can be made, and an old one is removed.
 */
export function sealRebuiltState(db: string, store: LedgerStore): void {
  const keyPath = ledgerKeyPath(db);
  if (!existsSync(keyPath)) {
    removeDerivedSeal(db);
    return;
  }
  writeDerivedSeal(db, readPrivateKey(keyPath), { size: store.size(), tables: digestDerived(store) });
}

/**
 * The store of the database `db`, for a command that works on it without a ledger (`rebuild`);
 * the caller holds the data-directory lock and closes the store.
 */
export function openStore(db: string): LedgerStore {
  return openSqliteStore(db);
}
