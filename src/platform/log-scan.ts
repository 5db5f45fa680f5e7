/**
 * Runs the start-up log scan (src/audit/log-scan.ts) without holding the event loop: on a worker
 * thread with its own read-only connection when the store is a file, else in chunks that yield
 * between them. Either way reads are served meanwhile.
 */
import { Worker } from 'node:worker_threads';
import { createLogScanner, corruptAt } from '../audit/log-scan.js';
import { LedgerError, isLedgerError } from '../core/errors.js';
import type { LedgerStore } from '../store/store.js';

export interface LogScan {
  /** Resolves when every record checked out. @throws LedgerError LEDGER_STORE_CORRUPT naming the seq */
  readonly result: Promise<void>;
  /** Stop early (the ledger is closing); `result` then rejects with LEDGER_UNAVAILABLE. */
  cancel(): Promise<void>;
}

/** Records between two progress reports. */
const PROGRESS_EVERY = 50_000;
/** Records per turn of the event loop when scanning in-process. */
const CHUNK = 2_000;

const cancelled = (): LedgerError => new LedgerError('LEDGER_UNAVAILABLE', 'the ledger closed before its start-up verification finished');

/**
 * Under the test loader the sources are TypeScript, after `npm run build` JavaScript: the worker
 * module has this module's extension (as src/http/routes/asset-routes.ts finds the page script).
 */
function workerUrl(): URL {
  const ext = new URL(import.meta.url).pathname.endsWith('.ts') ? 'ts' : 'js';
  return new URL(`./log-scan-worker.${ext}`, import.meta.url);
}

/** Scan the first `size` records of the database `file` on a worker thread. */
export function scanLogInWorker(file: string, size: number, onProgress: (done: number) => void): LogScan {
  const worker = new Worker(workerUrl(), { workerData: { file, size, progressEvery: PROGRESS_EVERY } });
  let stopped = false;
  const result = new Promise<void>((resolve, reject) => {
    worker.on('message', (m: { progress?: number; ok?: boolean; corrupt?: boolean; seq?: number; message?: string }) => {
      if (m.progress !== undefined) onProgress(m.progress);
      else if (m.ok === true) resolve();
      else if (m.corrupt === true) reject(new LedgerError('LEDGER_STORE_CORRUPT', m.message ?? 'corrupted log', m.seq === undefined ? {} : { details: { seq: m.seq } }));
      else reject(new LedgerError('LEDGER_UNAVAILABLE', `the start-up verification of the log could not run: ${m.message ?? 'unknown error'}`));
    });
    worker.on('error', (e) => reject(new LedgerError('LEDGER_UNAVAILABLE', `the start-up verification of the log could not run: ${e.message}`, { cause: e })));
    worker.on('exit', () => reject(stopped ? cancelled() : new LedgerError('LEDGER_UNAVAILABLE', 'the start-up verification stopped without a verdict')));
  });
  return {
    result,
    async cancel() {
      stopped = true;
      await worker.terminate();
    },
  };
}

/** Scan the first `size` records through the store interface, CHUNK records per turn. */
export function scanLogInProcess(store: LedgerStore, size: number, onProgress: (done: number) => void): LogScan {
  let stopped = false;
  const nextTurn = () => new Promise((r) => setImmediate(r));
  const run = async (): Promise<void> => {
    const checkpoints = store.checkpoints(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER).map((c) => ({ size: c.size, root: c.root }));
    const scanner = createLogScanner(size, checkpoints);
    const storedNode = (_pos: number, level: number, index: number): Uint8Array | undefined => {
      try {
        return store.node(level, index);
      } catch (e) {
        if (isLedgerError(e)) return undefined; // a missing node
        throw e;
      }
    };
    let lastReport = 0;
    for (let after = -1; scanner.done() < size; ) {
      await nextTurn();
      if (stopped) throw cancelled();
      const page = store.records(after, Math.min(CHUNK, size - 1 - after));
      if (page.length === 0) break;
      for (const r of page) scanner.add(r, storedNode);
      after = page.at(-1)!.seq;
      if (scanner.done() - lastReport >= PROGRESS_EVERY) onProgress((lastReport = scanner.done()));
    }
    // The next node an append would store is made by the first odd seq ≥ size, at level 1; if it
    // is there, nodes of removed records were left behind.
    const maker = size % 2 === 1 ? size : size + 1;
    scanner.finish(storedNode(scanner.nodesMade(), 1, (maker - 1) / 2) !== undefined);
  };
  return {
    result: run().catch((e: unknown) => {
      throw isLedgerError(e) ? e : corruptAt(undefined, (e as Error).message);
    }),
    async cancel() {
      stopped = true;
    },
  };
}
