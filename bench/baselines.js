// Baselines that the ledger's performance targets are measured against (issue 2), all measured
// in the same run on the same machine. Each function is bounded in time (a few seconds), cleans up
// after itself and resolves to
//   { id, name, opsPerSec, unit, ...details }             when it ran, or
//   { id, name, blocked: '<exact reason>' }               when it could not run here.
//
//   verifyBaseline()              Ed25519 verify, node:crypto, cached KeyObject, one core
//   sqliteInsertBaseline()        better-sqlite3, WAL, synchronous=FULL, 400-byte rows, 1,000 rows/txn
//   naiveServerBaseline()         bench/naive-server.js (verify + one durable txn per request), 32 conns
//   sqliteSingleCommitBaseline()  one 400-byte row per transaction, WAL, synchronous=FULL, in-process:
//                                 the baseline of the in-process durable-append target
// Informational (no target refers to them; they explain the others):
//   hypercoreBaseline()           hypercore, awaited one-at-a-time append of 400-byte blocks (no fsync)
//   fdatasyncBaseline()           write(400 B) + fdatasync per append to a plain file: the disk's floor
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { gc, ingestLoad, measure, packageVersion, spawnServer, tempDir } from './lib.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ENTRY_PREFIX = Buffer.from('trace-ledger/v1 entry\n', 'utf8');

// ---------------------------------------------------------------- test data

/** A new Ed25519 signer: { privateKey, publicKey (KeyObjects), kid, spkiPem }. kid as in docs/format.md. */
export function makeSigner() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url');
  const kid = crypto.createHash('sha256').update(raw).digest().subarray(0, 8).toString('hex');
  return { privateKey, publicKey, kid, spkiPem: publicKey.export({ type: 'spki', format: 'pem' }) };
}

/**
 * A realistic `ship` payload whose JSON is `targetBytes` long (padded with a `note`), so that
 * prefix + JSON(payload) is about 500 bytes. Keys are in sorted order, so JSON.stringify gives
 * the same bytes as JCS for it (ASCII strings, integer and short decimal numbers).
 */
export function makePayload(i, signer = 'p-0001', targetBytes = 478) {
  const p = {
    carrier: 'p-carrier-01',
    expectedDelivery: '2026-11-30T12:00:00.000Z',
    id: crypto.randomUUID(),
    note: '',
    objects: [{ code: `https://id.gs1.org/01/09506000134352/10/LOT${String(i).padStart(8, '0')}`, quantity: 500, unit: 'kg' }],
    signer,
    time: '2026-11-28T09:30:00.000+08:00',
    to: 'p-0002',
    transportEmissions: { unit: 'kgCO2e', value: 12.5 },
    type: 'ship',
  };
  const base = JSON.stringify(p).length;
  p.note = 'x'.repeat(Math.max(0, targetBytes - base));
  return p;
}

/** Signs `payload` as docs/format.md says (prefix + canonical JSON; here JSON.stringify of a sorted-key payload). */
export function signPayload(payload, signer) {
  const msg = Buffer.concat([ENTRY_PREFIX, Buffer.from(JSON.stringify(payload), 'utf8')]);
  return { msg, sig: crypto.sign(null, msg, signer.privateKey) };
}

/**
 * `count` distinct pre-signed entries as JSON request bodies, from `signers` signers.
 * Returns { bodies: string[], keys: { kid: spkiPem } }.
 */
export function makeSignedEntries(count, { signers = 4 } = {}) {
  const ss = Array.from({ length: signers }, makeSigner);
  const bodies = new Array(count);
  for (let i = 0; i < count; i++) {
    const s = ss[i % ss.length];
    const payload = makePayload(i, `p-${String(i % ss.length).padStart(4, '0')}`);
    const { sig } = signPayload(payload, s);
    bodies[i] = JSON.stringify({ payload, signature: { kid: s.kid, sig: sig.toString('base64url') } });
  }
  return { bodies, keys: Object.fromEntries(ss.map((s) => [s.kid, s.spkiPem])) };
}

function randomBlocks(n, size) {
  return Array.from({ length: n }, () => crypto.randomBytes(size));
}

// ---------------------------------------------------------------- a. verify

/** Ed25519 verify of ~500-byte messages, node:crypto, cached public KeyObject, one core (this thread). */
export async function verifyBaseline({ seconds = 3, messages = 256 } = {}) {
  const signer = makeSigner();
  const pairs = Array.from({ length: messages }, (_, i) => signPayload(makePayload(i), signer));
  const msgBytes = pairs[0].msg.length;
  const pub = signer.publicKey;
  const mask = messages - 1; // messages is a power of two
  const r = await measure(
    'verify',
    (i) => {
      const { msg, sig } = pairs[i & mask];
      if (!crypto.verify(null, msg, pub, sig)) throw new Error('verify failed');
    },
    { seconds },
  );
  return {
    id: 'verify',
    name: 'Ed25519 verify (node:crypto, cached KeyObject, 1 core)',
    opsPerSec: r.opsPerSec,
    unit: 'verifies/s',
    ops: r.ops,
    seconds: r.seconds,
    messageBytes: msgBytes,
  };
}

// ---------------------------------------------------------------- b. SQLite batched inserts

/** A `rows` table in a fresh database, WAL mode, synchronous=FULL: what both SQLite baselines write to. */
function openRowsDb(dir) {
  const db = new Database(path.join(dir, 'bench.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE rows (seq INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  return { db, insert: db.prepare('INSERT INTO rows (body) VALUES (?)') };
}

/** better-sqlite3 in a temp dir, WAL, synchronous=FULL, 400-byte rows in transactions of 1,000 rows. */
export async function sqliteInsertBaseline({ seconds = 3, rowBytes = 400, rowsPerTxn = 1000 } = {}) {
  const td = tempDir('bench-sqlite-');
  try {
    const { db, insert } = openRowsDb(td.dir);
    const pool = randomBlocks(1024, rowBytes);
    let k = 0;
    const txn = db.transaction(() => {
      for (let j = 0; j < rowsPerTxn; j++) insert.run(pool[k++ & 1023]);
    });
    const r = await measure('sqliteInsert', () => txn(), { seconds, warmupSeconds: 0.2, opsPerCall: rowsPerTxn, latencies: true });
    const rows = db.prepare('SELECT count(*) AS n FROM rows').get().n;
    db.close();
    const size = fs.statSync(path.join(td.dir, 'bench.db')).size;
    return {
      id: 'sqliteInsert',
      name: `SQLite batched insert (WAL, synchronous=FULL, ${rowBytes}-byte rows, ${rowsPerTxn.toLocaleString('en-US')} rows/txn)`,
      opsPerSec: r.opsPerSec,
      unit: 'rows/s',
      ops: r.ops,
      seconds: r.seconds,
      txnPerSec: r.calls / r.seconds,
      txnLatencyMs: r.latencyMs,
      rowsInDb: rows,
      dbBytes: size,
    };
  } finally {
    td.remove();
  }
}

// ---------------------------------------------------------------- c. naive server

/**
 * Spawns bench/naive-server.js and drives it with autocannon on 127.0.0.1 (32 connections, ~5 s)
 * with distinct pre-signed entries, one per request (never resent: requests are capped at the pool).
 */
export async function naiveServerBaseline({ seconds = 5, connections = 32, warmupSeconds = 1, pool = 60_000 } = {}) {
  const td = tempDir('bench-naive-');
  let server;
  try {
    const { bodies, keys } = makeSignedEntries(pool);
    const keysFile = path.join(td.dir, 'keys.json');
    fs.writeFileSync(keysFile, JSON.stringify(keys));
    const dbFile = path.join(td.dir, 'naive.db');
    server = await spawnServer(path.join(HERE, 'naive-server.js'), ['--db', dbFile, '--keys', keysFile]);
    gc();

    const r = await ingestLoad({ url: server.url, connections, bodies, dir: td.dir, warmupSeconds, seconds });
    await server.stop();
    server = null;

    const db = new Database(dbFile, { readonly: true });
    const rowsInDb = db.prepare('SELECT count(*) AS n FROM entries').get().n;
    db.close();
    return {
      id: 'naiveServer',
      name: `Naive server: node:http + verify + 1 durable SQLite txn per request (${connections} connections)`,
      opsPerSec: r.okPerSec,
      unit: 'req/s',
      p99Ms: r.latencyMs.p99,
      latencyMs: r.latencyMs,
      ok: r.ok,
      non2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      seconds: r.seconds,
      connections,
      bodyBytes: Buffer.byteLength(bodies[0]),
      rowsInDb,
      poolExhausted: r.exhausted > 0,
    };
  } finally {
    if (server) await server.stop();
    td.remove();
  }
}

// ---------------------------------------------------------------- d. hypercore

/**
 * The `hypercore` package: one-at-a-time `await core.append(block)` of 400-byte blocks.
 *
 * Durability (hypercore 11.x, storage = hypercore-storage on RocksDB via rocksdb-native): an
 * append resolves once its RocksDB write batch is applied, and rocksdb-native writes with the
 * default WriteOptions (sync = false). So each append is write()n to the RocksDB WAL (page cache)
 * but NOT fsynced: it survives a crash of the process, not a power loss or kernel crash.
 * Checked with `strace -f -e trace=fsync,fdatasync,write` on hypercore 11.39.5: 1,000 appends
 * made 2,000 write() calls to the WAL file and 0 fsync/fdatasync calls (the only fsyncs are at
 * open and close). It is therefore informational: the ledger's in-process target ("each durable")
 * is judged against sqliteSingleCommitBaseline(), which fsyncs every append as the ledger does;
 * fdatasyncBaseline() shows the disk's floor for a durable append.
 */
export async function hypercoreBaseline({ seconds = 3, blockBytes = 400 } = {}) {
  const version = packageVersion('hypercore');
  let Hypercore;
  try {
    ({ default: Hypercore } = await import('hypercore'));
  } catch (e) {
    return { id: 'hypercore', name: 'hypercore append', blocked: `import('hypercore') failed on Node ${process.version}: ${e?.message ?? e}` };
  }
  const td = tempDir('bench-hypercore-');
  let core;
  try {
    core = new Hypercore(path.join(td.dir, 'core'));
    await core.ready();
    const blocks = randomBlocks(1024, blockBytes);
    const r = await measure('hypercore', (i) => core.append(blocks[i & 1023]), { seconds, warmupSeconds: 0.3, latencies: true });
    const length = core.length;
    await core.close();
    core = null;
    return {
      id: 'hypercore',
      name: `hypercore ${version ?? ''} awaited one-at-a-time append (${blockBytes}-byte blocks)`.replace('  ', ' '),
      opsPerSec: r.opsPerSec,
      unit: 'appends/s',
      ops: r.ops,
      seconds: r.seconds,
      latencyMs: r.latencyMs,
      p99Ms: r.latencyMs.p99,
      length,
      version,
      durability: 'no fsync per append (RocksDB WAL write with sync=false): survives a process crash, not a power loss',
    };
  } catch (e) {
    return { id: 'hypercore', name: 'hypercore append', blocked: `hypercore ${version} failed at run time on Node ${process.version}: ${e?.stack ?? e}` };
  } finally {
    if (core) await core.close().catch(() => {});
    td.remove();
  }
}

// ---------------------------------------------------------------- informational

/** write(400 bytes) + fdatasync() per append to a plain file in the bench temp dir. */
export async function fdatasyncBaseline({ seconds = 2, blockBytes = 400 } = {}) {
  const td = tempDir('bench-fsync-');
  const fd = fs.openSync(path.join(td.dir, 'log'), 'a');
  try {
    const blocks = randomBlocks(256, blockBytes);
    const r = await measure(
      'fdatasync',
      (i) => {
        fs.writeSync(fd, blocks[i & 255]);
        fs.fdatasyncSync(fd);
      },
      { seconds, warmupSeconds: 0.2, latencies: true },
    );
    return {
      id: 'fdatasync',
      name: `write(${blockBytes} B) + fdatasync per append, plain file (disk floor for a durable append)`,
      opsPerSec: r.opsPerSec,
      unit: 'appends/s',
      ops: r.ops,
      seconds: r.seconds,
      latencyMs: r.latencyMs,
      p99Ms: r.latencyMs.p99,
    };
  } finally {
    fs.closeSync(fd);
    td.remove();
  }
}

/** One 400-byte row per transaction (autocommit), WAL, synchronous=FULL, in-process. */
export async function sqliteSingleCommitBaseline({ seconds = 2, rowBytes = 400 } = {}) {
  const td = tempDir('bench-sqlite1-');
  try {
    const { db, insert } = openRowsDb(td.dir);
    const pool = randomBlocks(1024, rowBytes);
    const r = await measure('sqliteSingleCommit', (i) => insert.run(pool[i & 1023]), { seconds, warmupSeconds: 0.2, latencies: true });
    db.close();
    return {
      id: 'sqliteSingleCommit',
      name: `SQLite 1 row per transaction (WAL, synchronous=FULL, ${rowBytes}-byte rows), in-process`,
      opsPerSec: r.opsPerSec,
      unit: 'commits/s',
      ops: r.ops,
      seconds: r.seconds,
      latencyMs: r.latencyMs,
      p99Ms: r.latencyMs.p99,
    };
  } finally {
    td.remove();
  }
}

/** All baselines in the order the runner executes them. */
export const BASELINES = [
  { id: 'verify', run: verifyBaseline },
  { id: 'sqliteInsert', run: sqliteInsertBaseline },
  { id: 'naiveServer', run: naiveServerBaseline },
  { id: 'sqliteSingleCommit', run: sqliteSingleCommitBaseline },
  { id: 'hypercore', run: hypercoreBaseline, informational: true },
  { id: 'fdatasync', run: fdatasyncBaseline, informational: true },
];
