/**
 * Worker thread of the start-up log scan (src/platform/log-scan.ts): its own read-only
 * better-sqlite3 connection, one read transaction (a consistent snapshot), records and Merkle nodes
 * read in storage order side by side, so the event loop of the service stays free while a million
 * records are hashed. Posts { progress } now and then, then { ok: true } or { ok: false, seq, message }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import '../platform/node-crypto.js'; // OpenSSL's SHA-256 for the core, as on the main thread
import { createLogScanner, type CheckpointRoot } from '../audit/log-scan.js';
import { isLedgerError } from '../core/errors.js';

interface Job {
  readonly file: string;
  readonly size: number;
  readonly progressEvery: number;
}

const { file, size, progressEvery } = workerData as Job;
const port = parentPort!;
const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

function scan(db: Database.Database): void {
  const checkpoints = (db.prepare('SELECT size, root FROM checkpoints').all() as Array<{ size: number; root: Buffer }>).map(
    (c): CheckpointRoot => ({ size: c.size, root: u8(c.root) }),
  );
  const scanner = createLogScanner(size, checkpoints);
  const nodes = db.prepare('SELECT pos, hash FROM merkle_nodes ORDER BY pos').iterate() as IterableIterator<{ pos: number; hash: Buffer }>;
  const nextNode = (pos: number): Uint8Array | undefined => {
    const n = nodes.next();
    // Nodes are stored in the order they are made, so the next row is the one wanted, unless rows were removed.
    return n.done === true || n.value.pos !== pos ? undefined : u8(n.value.hash);
  };
  const records = db.prepare('SELECT seq, leaf, leaf_hash, chain_hash FROM records WHERE seq < ? ORDER BY seq').iterate(size) as IterableIterator<{
    seq: number;
    leaf: Buffer;
    leaf_hash: Buffer;
    chain_hash: Buffer;
  }>;
  for (const r of records) {
    scanner.add({ seq: r.seq, leaf: u8(r.leaf), leafHash: u8(r.leaf_hash), chainHash: u8(r.chain_hash) }, nextNode);
    if (scanner.done() % progressEvery === 0) port.postMessage({ progress: scanner.done() });
  }
  const beyond = db.prepare('SELECT 1 FROM merkle_nodes WHERE pos >= ? LIMIT 1').get(scanner.nodesMade()) !== undefined;
  nodes.return?.();
  scanner.finish(beyond);
}

let db: Database.Database | undefined;
try {
  db = new Database(file, { readonly: true, fileMustExist: true });
  db.exec('BEGIN');
  scan(db);
  port.postMessage({ ok: true });
} catch (e) {
  const seq = isLedgerError(e) ? e.details?.['seq'] : undefined;
  port.postMessage({
    ok: false,
    corrupt: isLedgerError(e),
    seq: typeof seq === 'number' ? seq : undefined,
    message: (e as Error).message,
  });
} finally {
  if (db?.open) {
    if (db.inTransaction) db.exec('COMMIT');
    db.close();
  }
}
