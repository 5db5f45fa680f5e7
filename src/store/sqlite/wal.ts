/**
 * Durability and WAL checkpoints without blocking the event loop.
 *
 * With synchronous=FULL, SQLite fsyncs the WAL inside every commit, and better-sqlite3 runs on the
 * event loop, so every fsync (0.3-1 ms here) would stall all request handling. Instead the store
 * runs synchronous=NORMAL (SQLite syncs only around checkpoints: the WAL before copying it into
 * the database, the database before the WAL is reused) and `sync()` fdatasyncs the WAL file on
 * libuv's thread pool. A commit followed by a completed `sync()` is exactly as durable as a
 * synchronous=FULL commit; the ledger acknowledges nothing before that. fdatasync on our own
 * descriptor covers what SQLite wrote through its own: Linux syncs the file, not the descriptor.
 *
 * Checkpoints (copying the WAL back into the database file) are off the event loop too: SQLite's
 * automatic checkpoint would run inside a commit, write megabytes and fsync twice. A worker thread
 * with its own connection runs PASSIVE checkpoints (which never block the writer) once the WAL
 * holds CHECKPOINT_BYTES of frames not yet checkpointed; should it fall behind, the writer
 * checkpoints itself at WAL_MAX_BYTES so the WAL cannot grow without bound. Those frames are
 * counted from the wal-index header (walPendingBytes), not from the WAL file's size: SQLite
 * rewrites a checkpointed WAL from its start without shrinking the file, so the size only says
 * how large the WAL once was, and a trigger on it checkpointed after every sync forever after.
 */
import { closeSync, fdatasync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

const CHECKPOINT_BYTES = 16 * 1024 * 1024;
const WAL_MAX_BYTES = 256 * 1024 * 1024;

// Plain CommonJS evaluated in the worker, so it runs the same from dist/ and under the test loader.
const CHECKPOINTER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 10000');
parentPort.on('message', (m) => {
  if (m === 'close') { db.close(); parentPort.close(); return; }
  try { parentPort.postMessage({ ok: true, result: db.pragma('wal_checkpoint(PASSIVE)')[0] }); }
  catch (e) { parentPort.postMessage({ ok: false, error: String(e && e.message || e) }); }
});
`;

/** A worker thread that checkpoints the WAL on request; one request at a time. */
function startCheckpointer(path: string): { request(): void; close(): Promise<void> } {
  const worker = new Worker(CHECKPOINTER, {
    eval: true,
    workerData: { path, driver: createRequire(import.meta.url).resolve('better-sqlite3') },
  });
  worker.unref();
  let busy = false;
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  let closing: Promise<unknown> | undefined;
  worker.on('message', () => {
    busy = false;
  });
  worker.on('error', () => {
    busy = true; // never ask a broken worker again; the writer's fallback checkpoint takes over
  });
  return {
    request(): void {
      if (busy) return;
      busy = true;
      worker.postMessage('checkpoint');
    },
    async close(): Promise<void> {
      if (closing === undefined) {
        worker.ref(); // keep the process alive until the worker's connection is closed
        worker.postMessage('close');
        closing = exited;
      }
      await closing;
    },
  };
}

const WAL_FRAME_HEADER_BYTES = 24;

/**
 * Bytes of WAL frames not yet copied into the database, from the wal-index header in the -shm file
 * (https://www.sqlite.org/walformat.html): two copies of a 48-byte WalIndexHdr (mxFrame, the last
 * valid frame, at byte 16; szPage at byte 14), then WalCkptInfo (nBackfill, the frames already
 * checkpointed, at byte 96), in native byte order. Undefined when it cannot be read consistently
 * (no -shm file, or a writer between the two copies); the caller then uses the WAL file's size.
 */
export function walPendingBytes(shmFd: number, buf: Buffer = Buffer.alloc(100)): number | undefined {
  if (readSync(shmFd, buf, 0, 100, 0) < 100 || !buf.subarray(0, 48).equals(buf.subarray(48, 96))) return undefined;
  const le = endianness() === 'LE';
  const u32 = (at: number) => (le ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  const szPage = le ? buf.readUInt16LE(14) : buf.readUInt16BE(14);
  const pageBytes = szPage === 1 ? 65_536 : szPage;
  const frames = u32(16) - u32(96);
  return frames >= 0 && pageBytes >= 512 ? frames * (pageBytes + WAL_FRAME_HEADER_BYTES) : undefined;
}

/** `sync()` and the checkpoints of one connection's WAL. */
export interface WalSyncer {
  /** Resolves once every transaction committed before the call is on disk. */
  sync(): Promise<void>;
  /** Wait for the syncs in flight, stop the checkpointer, close the descriptors. */
  close(): Promise<void>;
}

/**
 * The WAL of the database at `path`, opened through `db`. A read-only or scratch database (the
 * replay of src/ledger/derived-state.ts, no WAL) gets no checkpointer.
 */
export function walSyncer(db: Database.Database, path: string, scratch: boolean): WalSyncer {
  let walFd: number | undefined;
  let shmFd: number | undefined;
  const shmBuf = Buffer.alloc(100);
  const checkpointer = db.readonly || scratch ? undefined : startCheckpointer(path);
  const syncsInFlight = new Set<Promise<void>>();

  /**
   * After a sync: hand the WAL to the checkpointer, or checkpoint here if it fell far behind. A
   * checkpoint is housekeeping: if it cannot run now (busy, closing), the next sync tries again.
   */
  function maybeCheckpoint(fd: number): void {
    if (fd !== walFd || !db.open) return;
    try {
      if (shmFd === undefined) shmFd = openSync(`${path}-shm`, 'r');
      const walBytes = walPendingBytes(shmFd, shmBuf) ?? fstatSync(fd).size;
      if (walBytes >= WAL_MAX_BYTES) db.pragma('wal_checkpoint(RESTART)');
      else if (walBytes >= CHECKPOINT_BYTES) checkpointer?.request();
    } catch {
      // retried after the next sync
    }
  }

  return {
    sync() {
      if (walFd === undefined) {
        try {
          walFd = openSync(`${path}-wal`, 'r');
        } catch (e) {
          // No WAL file: nothing was ever written through this connection.
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') return Promise.resolve();
          return Promise.reject(e);
        }
      }
      const fd = walFd;
      const done = new Promise<void>((resolve, reject) =>
        fdatasync(fd, (err) => {
          if (err) return reject(err);
          maybeCheckpoint(fd);
          resolve();
        }),
      );
      syncsInFlight.add(done);
      const forget = () => void syncsInFlight.delete(done);
      done.then(forget, forget);
      return done;
    },
    async close() {
      // A sync still running holds the WAL descriptor: let it finish before closing it.
      await Promise.allSettled([...syncsInFlight]);
      await checkpointer?.close();
      if (walFd !== undefined) closeSync(walFd);
      if (shmFd !== undefined) closeSync(shmFd);
      walFd = undefined;
      shmFd = undefined;
    },
  };
}
