// The "naive server" baseline: the simplest thing that verifies and durably commits an entry.
//
//   node bench/naive-server.js --db <file.sqlite> --keys <keys.json> [--port 0]
//
// keys.json: { "<kid>": "<SPKI PEM of an Ed25519 public key>", ... }
//
// A plain node:http server on 127.0.0.1. For each POST /v1/entries with a JSON body
// { payload, signature: { kid, sig } } it
//   1. parses the body,
//   2. verifies the Ed25519 signature (node:crypto, cached KeyObject per kid) over
//      "trace-ledger/v1 entry\n" + JSON.stringify(payload)
//      (plain JSON.stringify of the parsed payload, not JCS: the bench client signs the same
//      bytes, and this server is a floor for cost, not a conforming ledger),
//   3. INSERTs it in its own transaction (better-sqlite3, WAL, synchronous=FULL: the WAL is
//      fsynced at every commit, so a 201 means the entry is on disk),
//   4. replies 201 { seq } (0-based).
// Errors: 400 bad JSON/shape, 401 unknown kid or bad signature, 409 duplicate payload.id.
//
// Prints `LISTENING <port>` once bound. Exits on SIGTERM/SIGINT or when stdin closes (so it
// never outlives the benchmark runner that spawned it).
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string' },
    keys: { type: 'string' },
    port: { type: 'string', default: '0' },
  },
});
if (!args.db || !args.keys) {
  console.error('usage: node bench/naive-server.js --db <file> --keys <keys.json> [--port 0]');
  process.exit(2);
}

const PREFIX = Buffer.from('trace-ledger/v1 entry\n', 'utf8');
const keys = new Map(
  Object.entries(JSON.parse(fs.readFileSync(args.keys, 'utf8'))).map(([kid, pem]) => [kid, crypto.createPublicKey(pem)]),
);

const db = new Database(args.db);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`CREATE TABLE IF NOT EXISTS entries (
  seq   INTEGER PRIMARY KEY,
  id    TEXT NOT NULL UNIQUE,
  kid   TEXT NOT NULL,
  body  TEXT NOT NULL
)`);
const insert = db.prepare('INSERT INTO entries (id, kid, body) VALUES (?, ?, ?)');

function reply(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/v1/entries') return reply(res, 404, { error: 'not found' });
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size > 1 << 20) {
      reply(res, 413, { error: 'too large' });
      req.destroy();
      return;
    }
    chunks.push(c);
  });
  req.on('end', () => {
    if (res.writableEnded) return;
    let text, entry;
    try {
      text = Buffer.concat(chunks).toString('utf8');
      entry = JSON.parse(text);
    } catch {
      return reply(res, 400, { error: 'invalid JSON' });
    }
    const payload = entry?.payload;
    const signature = entry?.signature;
    if (!payload || typeof payload !== 'object' || typeof payload.id !== 'string' || typeof signature?.kid !== 'string' || typeof signature?.sig !== 'string') {
      return reply(res, 400, { error: 'invalid entry' });
    }
    const key = keys.get(signature.kid);
    if (!key) return reply(res, 401, { error: 'unknown kid' });
    const msg = Buffer.concat([PREFIX, Buffer.from(JSON.stringify(payload), 'utf8')]);
    let ok = false;
    try {
      ok = crypto.verify(null, msg, key, Buffer.from(signature.sig, 'base64url'));
    } catch {
      ok = false;
    }
    if (!ok) return reply(res, 401, { error: 'bad signature' });
    try {
      const info = insert.run(payload.id, signature.kid, text); // autocommit: one transaction
      return reply(res, 201, { seq: Number(info.lastInsertRowid) - 1 });
    } catch (e) {
      if (e?.code === 'SQLITE_CONSTRAINT_UNIQUE') return reply(res, 409, { error: 'duplicate id' });
      return reply(res, 500, { error: String(e?.message ?? e) });
    }
  });
});
server.keepAliveTimeout = 30_000;

let closing = false;
function shutdown() {
  if (closing) return;
  closing = true;
  server.close();
  server.closeAllConnections?.();
  try {
    db.close();
  } catch {
    /* already closed */
  }
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.stdin.on('end', shutdown);
process.stdin.on('error', shutdown);
process.stdin.resume();

server.listen(Number(args.port), '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});
