/**
 * The derived-state verifier (issue 16, "derived tables are trusted"): the registry and the
 * projections the rules read must be provably what the log derives.
 *
 * At start-up it holds the readiness condition 'verifying-state' (writes refused, reads served)
 * while it checks the derived tables: against the seal of the last clean close when its log size
 * is the current one (one scan of the tables), otherwise against a replay of the whole log into a
 * scratch store. Afterwards it keeps re-verifying at a low pace: each pass replays the log into a
 * fresh scratch store, checking every entry's signature with the key the replayed registry holds
 * at its seq, and compares the live tables with the replay page by page (each page at one log
 * size: the replay first catches up with the records appended meanwhile).
 *
 * A mismatch holds 'verification-failed' (writes refused until an operator investigates and runs
 * `trace-ledger rebuild`), naming the table and the row or the record. All work runs on the event
 * loop in slices of `sliceMs`, so reads are answered throughout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ed25519 } from '../core/ed25519.js';
import { compareDerived, createReplica, differingTables, scanDerived, type DerivedMismatch } from './derived-state.js';
import type { DerivedSeal } from './derived-seal.js';
import { nodeEd25519 } from '../platform/node-crypto.js';
import type { Readiness } from './readiness.js';
import { openSqliteStore } from '../store/sqlite.js';
import type { LedgerStore } from '../store/store.js';

export interface DerivedVerifierOptions {
  readonly store: LedgerStore;
  readonly readiness: Readiness;
  /** The authenticated seal of the last clean close, if any (used only when its size is the log's). */
  readonly seal?: DerivedSeal | undefined;
  /** Why there is no usable seal, for the readiness detail ("no seal", "the seal is of size 10"…). */
  readonly noSealReason?: string;
  readonly ed?: Ed25519;
  /** Keep re-verifying after the start-up check. Default true. */
  readonly background?: boolean;
  /** Milliseconds of work per slice before yielding to the event loop. Default 10. */
  readonly sliceMs?: number;
  /**
   * Pause between two background slices: the background pace. Default 40 ms, so at most a fifth
   * of one core goes to re-verification and requests never wait behind more than one slice.
   */
  readonly pauseMs?: number;
  /** Pause between two full background passes. Default 60 s. */
  readonly passIntervalMs?: number;
  /** An empty store to replay into, closed (and removed) after each pass. Default: a temporary SQLite file. */
  readonly scratchStore?: () => LedgerStore;
  /** Told once, on the first mismatch (`serve` prints it). */
  readonly onMismatch?: (mismatch: DerivedMismatch, detail: string) => void;
  /**
   * Start only once this settles (the start-up check of the chain, `ledger.verified`): deriving
   * state from a log that fails its own check would only blame the tables for the log's fault.
   * If it rejects, the derived check does not run ('stopped').
   */
  readonly after?: Promise<unknown>;
  readonly now?: () => number;
}

export type VerifierState = 'verifying-seal' | 'verifying-replay' | 'replaying' | 'comparing' | 'idle' | 'failed' | 'stopped';

/** What the verifier did so far: for `/metrics` and operators. */
export interface VerifierProgress {
  readonly state: VerifierState;
  /** How the start-up check ran, and how long it took, once it ended. */
  readonly startup: { readonly method: 'seal' | 'replay'; readonly ms: number } | null;
  /** Records replayed in the current pass (background passes also check their signatures). */
  readonly recordsVerified: number;
  /** Derived-table rows compared (or hashed, for a seal) in the current pass. */
  readonly rowsCompared: number;
  /** Records whose signatures background passes have checked, in total. */
  readonly totalRecordsVerified: number;
  /** Full background passes completed. */
  readonly passes: number;
  /** When the last full background pass ended (ISO 8601), and how long it took. */
  readonly lastFullPassAt: string | null;
  readonly lastFullPassMs: number | null;
  /** The mismatch found, if any. */
  readonly failure: DerivedMismatch | null;
}

export interface DerivedStateVerifier {
  /** Settles when the start-up check ends: 'ok' once writes may go on, 'failed' on a mismatch. */
  readonly startup: Promise<'ok' | 'failed' | 'stopped'>;
  /** Progress so far (the `/metrics` source of verifier progress). */
  progress(): VerifierProgress;
  /** The start-up check passed and nothing failed since: the live tables may be sealed. */
  clean(): boolean;
  /** Stop (and release the scratch store); pending work is dropped. */
  stop(): Promise<void>;
}

/** Records replayed, rows compared per unit of work (each unit is well under a millisecond to a few ms). */
const RECORDS_PER_UNIT = 20;
const ROWS_PER_UNIT = 1000;

class Stopped extends Error {}
class Mismatch extends Error {
  constructor(readonly mismatch: DerivedMismatch) {
    super(mismatch.message);
  }
}

/**
 * A scratch store in a temporary directory, removed when the store closes. On disk rather than in
 * memory: the replay of the 1M-record benchmark log grew the process by ~1.4 MB per 1,000 records
 * in memory (1.5 GB for the whole log), and the page cache holds a file as well without it.
 */
function fileScratch(): LedgerStore {
  const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-replay-'));
  let store: LedgerStore;
  try {
    store = openSqliteStore(join(dir, 'replay.db'), { scratch: true });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    ...store,
    async close() {
      try {
        await store.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Start the start-up check now, and the background passes after it. */
export function startDerivedStateVerifier(options: DerivedVerifierOptions): DerivedStateVerifier {
  const { store, readiness } = options;
  const ed = options.ed ?? nodeEd25519;
  const now = options.now ?? Date.now;
  const sliceMs = options.sliceMs ?? 10;
  const pauseMs = options.pauseMs ?? 40;
  const passIntervalMs = options.passIntervalMs ?? 60_000;
  const makeScratch = options.scratchStore ?? fileScratch;

  let state: VerifierState = options.seal !== undefined && options.seal.size === store.size() ? 'verifying-seal' : 'verifying-replay';
  let startup: VerifierProgress['startup'] = null;
  let recordsVerified = 0;
  let rowsCompared = 0;
  let totalRecordsVerified = 0;
  let passes = 0;
  let lastFullPassAt: string | null = null;
  let lastFullPassMs: number | null = null;
  let failure: DerivedMismatch | null = null;
  let stopped = false;
  /** Cancels what is scheduled next (a slice or the pause between passes), rejecting it with Stopped. */
  let cancelPending: (() => void) | undefined;

  /** Run `unit` (true when done) in slices of sliceMs, yielding `pause` ms (0: setImmediate) between them. */
  function inSlices(unit: () => boolean, pause: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const slice = () => {
        cancelPending = undefined;
        if (stopped) return reject(new Stopped());
        try {
          const until = now() + sliceMs;
          let done = false;
          do done = unit();
          while (!done && now() < until);
          if (done) return resolve();
        } catch (e) {
          return reject(e);
        }
        if (pause === 0) {
          const immediate = setImmediate(slice);
          cancelPending = () => {
            clearImmediate(immediate);
            reject(new Stopped());
          };
        } else {
          const timeout = setTimeout(slice, pause);
          timeout.unref(); // the verifier never keeps the process alive
          cancelPending = () => {
            clearTimeout(timeout);
            reject(new Stopped());
          };
        }
      };
      slice();
    });
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timeout = setTimeout(() => {
        cancelPending = undefined;
        resolve();
      }, ms);
      timeout.unref();
      cancelPending = () => {
        clearTimeout(timeout);
        reject(new Stopped());
      };
    });
  }

  function fail(mismatch: DerivedMismatch): void {
    failure = mismatch;
    state = 'failed';
    const detail = `derived state does not match the log: ${mismatch.message}`;
    readiness.hold('verification-failed', detail);
    options.onMismatch?.(mismatch, detail);
  }

  const check = <T>(r: T | DerivedMismatch): T => {
    if (typeof r === 'object' && r !== null) throw new Mismatch(r as DerivedMismatch);
    return r as T;
  };

  async function withScratch<T>(run: (scratch: LedgerStore) => Promise<T>): Promise<T> {
    const scratch = makeScratch();
    try {
      return await run(scratch);
    } finally {
      await scratch.close();
    }
  }

  /**
   * Against the seal: the digests of the live tables, hashed while writes are held. Returns the
   * tables that differ: a digest says that a table changed, not which row, nor whether the change
   * is wrong (a migration that reshapes a table changes its digest too), so the replay decides.
   */
  async function checkSeal(seal: DerivedSeal): Promise<string[]> {
    const scan = scanDerived(store);
    await inSlices(() => {
      const done = scan.step(ROWS_PER_UNIT);
      rowsCompared = scan.rows;
      return done;
    }, 0);
    return differingTables(seal.tables, scan.digests);
  }

  /**
   * Replay the log into a scratch store and compare the live tables with it. At start-up the log
   * does not grow; in the background the replay catches up before every compared page.
   */
  async function checkReplay(verifySignatures: boolean, pause: number): Promise<void> {
    await withScratch(async (scratch) => {
      const replica = createReplica(store, scratch, { verifySignatures, ed });
      const catchUp = (): boolean => {
        const target = store.size();
        if (replica.size >= target) return true;
        const n = check(replica.step(RECORDS_PER_UNIT, target));
        recordsVerified += n;
        if (verifySignatures) totalRecordsVerified += n;
        if (state === 'verifying-replay' && recordsVerified % 10_000 < n) {
          readiness.hold('verifying-state', `verifying the derived tables: replayed ${recordsVerified.toLocaleString('en')} of ${target.toLocaleString('en')} records`, { transient: true });
        }
        return replica.size >= target;
      };
      if (state !== 'verifying-replay') state = 'replaying';
      await inSlices(catchUp, pause);
      if (state !== 'verifying-replay') state = 'comparing';
      const comparison = compareDerived(store, scratch);
      await inSlices(() => {
        if (!catchUp()) return false;
        const done = check(comparison.step(ROWS_PER_UNIT));
        rowsCompared = comparison.rows;
        return done;
      }, pause);
    });
  }

  async function backgroundPasses(): Promise<void> {
    for (;;) {
      const started = now();
      recordsVerified = 0;
      rowsCompared = 0;
      await checkReplay(true, pauseMs);
      passes++;
      lastFullPassMs = now() - started;
      lastFullPassAt = new Date(now()).toISOString();
      state = 'idle';
      await sleep(passIntervalMs);
    }
  }

  const handle = (e: unknown): 'failed' | 'stopped' => {
    if (e instanceof Mismatch) {
      fail(e.mismatch);
      return 'failed';
    }
    if (e instanceof Stopped) return 'stopped';
    // A failure of the check itself (an I/O error reading the store) is not evidence of a
    // mismatch, but the state was not verified either: writes stay refused, saying why.
    fail({ message: `the check could not run: ${(e as Error).message}` });
    return 'failed';
  };

  readiness.hold('verifying-state', options.seal !== undefined && state === 'verifying-seal'
    ? `verifying the derived tables against the seal of the last clean close (log size ${options.seal.size})`
    : `verifying the derived tables against a replay of the log (${options.noSealReason ?? 'no usable seal'})`, { transient: true });
  const startedAt = now();
  const startupPromise: Promise<'ok' | 'failed' | 'stopped'> = (async () => {
    try {
      if (options.after !== undefined) {
        try {
          await options.after;
        } catch {
          state = 'stopped';
          return 'stopped' as const;
        }
      }
      let method: 'seal' | 'replay' = state === 'verifying-seal' ? 'seal' : 'replay';
      const differ = method === 'seal' ? await checkSeal(options.seal!) : [];
      if (differ.length > 0) {
        method = 'replay';
        state = 'verifying-replay';
        rowsCompared = 0;
        readiness.hold('verifying-state', `${differ.join(', ')} ${differ.length === 1 ? 'differs' : 'differ'} from the seal of the last clean close: replaying the log to find the rows`, { transient: true });
      }
      if (method === 'replay') await checkReplay(false, 0);
      startup = { method, ms: now() - startedAt };
      state = 'idle';
      return 'ok' as const;
    } catch (e) {
      return handle(e);
    } finally {
      readiness.release('verifying-state');
    }
  })();

  const running = startupPromise.then(async (outcome) => {
    if (outcome !== 'ok' || options.background === false) return;
    try {
      await backgroundPasses();
    } catch (e) {
      handle(e);
    }
  });

  return {
    startup: startupPromise,
    progress: () => ({ state, startup, recordsVerified, rowsCompared, totalRecordsVerified, passes, lastFullPassAt, lastFullPassMs, failure }),
    clean: () => startup !== null && failure === null,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (state !== 'failed') state = 'stopped';
      cancelPending?.();
      await running;
    },
  };
}
