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
import { createSlicer, Stopped, type Slicer } from './slices.js';

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

/** What one verifier's checks share: the live store, the pace of the work, the progress it reports. */
interface VerifierRun {
  readonly store: LedgerStore;
  readonly readiness: Readiness;
  readonly ed: Ed25519;
  readonly now: () => number;
  readonly slicer: Slicer;
  readonly makeScratch: () => LedgerStore;
  readonly onMismatch: DerivedVerifierOptions['onMismatch'];
  /** Owned by the run: each check updates its counters and state. */
  readonly progress: { -readonly [K in keyof VerifierProgress]: VerifierProgress[K] };
}

function fail(run: VerifierRun, mismatch: DerivedMismatch): void {
  run.progress.failure = mismatch;
  run.progress.state = 'failed';
  const detail = `derived state does not match the log: ${mismatch.message}`;
  run.readiness.hold('verification-failed', detail);
  run.onMismatch?.(mismatch, detail);
}

/** How a check that threw ended: a mismatch, a stop, or a check that could not run. */
function handle(run: VerifierRun, e: unknown): 'failed' | 'stopped' {
  if (e instanceof Mismatch) {
    fail(run, e.mismatch);
    return 'failed';
  }
  if (e instanceof Stopped) return 'stopped';
  // A failure of the check itself (an I/O error reading the store) is not evidence of a
  // mismatch, but the state was not verified either: writes stay refused, saying why.
  fail(run, { message: `the check could not run: ${(e as Error).message}` });
  return 'failed';
}

const check = <T>(r: T | DerivedMismatch): T => {
  if (typeof r === 'object' && r !== null) throw new Mismatch(r as DerivedMismatch);
  return r as T;
};

async function withScratch<T>(run: VerifierRun, use: (scratch: LedgerStore) => Promise<T>): Promise<T> {
  const scratch = run.makeScratch();
  try {
    return await use(scratch);
  } finally {
    await scratch.close();
  }
}

/**
 * Against the seal: the digests of the live tables, hashed while writes are held. Returns the
 * tables that differ: a digest says that a table changed, not which row, nor whether the change
 * is wrong (a migration that reshapes a table changes its digest too), so the replay decides.
 */
async function checkSeal(run: VerifierRun, seal: DerivedSeal): Promise<string[]> {
  const scan = scanDerived(run.store);
  await run.slicer.inSlices(() => {
    const done = scan.step(ROWS_PER_UNIT);
    run.progress.rowsCompared = scan.rows;
    return done;
  }, 0);
  return differingTables(seal.tables, scan.digests);
}

/**
 * Replay the log into a scratch store and compare the live tables with it. At start-up the log
 * does not grow; in the background the replay catches up before every compared page.
 */
async function checkReplay(run: VerifierRun, verifySignatures: boolean, pause: number): Promise<void> {
  const { store, progress } = run;
  await withScratch(run, async (scratch) => {
    const replica = createReplica(store, scratch, { verifySignatures, ed: run.ed });
    const catchUp = (): boolean => {
      const target = store.size();
      if (replica.size >= target) return true;
      const n = check(replica.step(RECORDS_PER_UNIT, target));
      progress.recordsVerified += n;
      if (verifySignatures) progress.totalRecordsVerified += n;
      if (progress.state === 'verifying-replay' && progress.recordsVerified % 10_000 < n) {
        run.readiness.hold('verifying-state', `verifying the derived tables: replayed ${progress.recordsVerified.toLocaleString('en')} of ${target.toLocaleString('en')} records`, { transient: true });
      }
      return replica.size >= target;
    };
    if (progress.state !== 'verifying-replay') progress.state = 'replaying';
    await run.slicer.inSlices(catchUp, pause);
    if (progress.state !== 'verifying-replay') progress.state = 'comparing';
    const comparison = compareDerived(store, scratch);
    await run.slicer.inSlices(() => {
      if (!catchUp()) return false;
      const done = check(comparison.step(ROWS_PER_UNIT));
      progress.rowsCompared = comparison.rows;
      return done;
    }, pause);
  });
}

/** Full passes, with signatures checked, until stopped or a mismatch. */
async function backgroundPasses(run: VerifierRun, pauseMs: number, passIntervalMs: number): Promise<void> {
  const { progress, now } = run;
  for (;;) {
    const started = now();
    progress.recordsVerified = 0;
    progress.rowsCompared = 0;
    await checkReplay(run, true, pauseMs);
    progress.passes++;
    progress.lastFullPassMs = now() - started;
    progress.lastFullPassAt = new Date(now()).toISOString();
    progress.state = 'idle';
    await run.slicer.sleep(passIntervalMs);
  }
}

/** The start-up check: against the seal when it is of the log's size, else (or if a table differs) a replay. */
async function startupCheck(run: VerifierRun, options: DerivedVerifierOptions): Promise<'ok' | 'failed' | 'stopped'> {
  const { progress } = run;
  const startedAt = run.now();
  try {
    if (options.after !== undefined) {
      try {
        await options.after;
      } catch {
        progress.state = 'stopped';
        return 'stopped';
      }
    }
    let method: 'seal' | 'replay' = progress.state === 'verifying-seal' ? 'seal' : 'replay';
    const differ = method === 'seal' ? await checkSeal(run, options.seal!) : [];
    if (differ.length > 0) {
      method = 'replay';
      progress.state = 'verifying-replay';
      progress.rowsCompared = 0;
      run.readiness.hold('verifying-state', `${differ.join(', ')} ${differ.length === 1 ? 'differs' : 'differ'} from the seal of the last clean close: replaying the log to find the rows`, { transient: true });
    }
    if (method === 'replay') await checkReplay(run, false, 0);
    progress.startup = { method, ms: run.now() - startedAt };
    progress.state = 'idle';
    return 'ok';
  } catch (e) {
    return handle(run, e);
  } finally {
    run.readiness.release('verifying-state');
  }
}

/** Start the start-up check now, and the background passes after it. */
export function startDerivedStateVerifier(options: DerivedVerifierOptions): DerivedStateVerifier {
  const { store, readiness } = options;
  const now = options.now ?? Date.now;
  const run: VerifierRun = {
    store,
    readiness,
    ed: options.ed ?? nodeEd25519,
    now,
    slicer: createSlicer(options.sliceMs ?? 10, now),
    makeScratch: options.scratchStore ?? fileScratch,
    onMismatch: options.onMismatch,
    progress: {
      state: options.seal !== undefined && options.seal.size === store.size() ? 'verifying-seal' : 'verifying-replay',
      startup: null, recordsVerified: 0, rowsCompared: 0, totalRecordsVerified: 0, passes: 0,
      lastFullPassAt: null, lastFullPassMs: null, failure: null,
    },
  };
  const { progress } = run;
  readiness.hold('verifying-state', options.seal !== undefined && progress.state === 'verifying-seal'
    ? `verifying the derived tables against the seal of the last clean close (log size ${options.seal.size})`
    : `verifying the derived tables against a replay of the log (${options.noSealReason ?? 'no usable seal'})`, { transient: true });
  const startup = startupCheck(run, options);
  const running = startup.then(async (outcome) => {
    if (outcome !== 'ok' || options.background === false) return;
    try {
      await backgroundPasses(run, options.pauseMs ?? 40, options.passIntervalMs ?? 60_000);
    } catch (e) {
      handle(run, e);
    }
  });
  let stopped = false;
  return {
    startup,
    progress: () => ({ ...progress }),
    clean: () => progress.startup !== null && progress.failure === null,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (progress.state !== 'failed') progress.state = 'stopped';
      run.slicer.stop();
      await running;
    },
  };
}
