/**
 * Issue 16, "Tampering and rollback": the stopped database is edited behind the service's back
 * (triggers dropped, as the README's walkthrough does), and the service must refuse it before it
 * takes a single write, naming the record. Start-up used to sample the log, and served all of
 * these but the rollbacks, which it could not see at all.
 */
import t, { type Test } from 'tap';
import Database from 'better-sqlite3';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { toBase64Url } from '../../src/core/bytes.js';
import { signEntry } from '../../src/core/entry.js';
import { hashLeaf } from '../../src/core/merkle.js';
import { verifyDatabase } from '../../src/audit/db-verify.js';
import { readPrivateKey } from '../../src/cli/keyfiles.js';
import { seedDemo } from '../../src/cli/demo.js';
import { initDataDir, ledgerKeyPath, openDataDir, operatorKeyPath } from '../../src/cli/setup.js';
import { buildApp } from '../../src/http/app.js';
import { openLedger, type Ledger, type LedgerOptions } from '../../src/ledger.js';
import { createReadiness } from '../../src/ledger/readiness.js';
import { servedCheckpointPath } from '../../src/store/served-checkpoint.js';
import { merkleNodesIn, openSqliteStore } from '../../src/store/sqlite.js';
import type { LedgerStore } from '../../src/store/store.js';
import { party } from '../helpers.js';

const ORIGIN = 'tamper.test.local/log';

/** The demo supply chain, seeded once and closed; each case works on a copy of its data directory. */
async function seededDataDir(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-tamper-seed-'));
  const db = join(dir, 'ledger.db');
  await initDataDir({ db, origin: ORIGIN, operatorId: 'operator', operatorName: 'Cluster operator' });
  const data = openDataDir(db);
  await data.ledger.verified;
  const app = await buildApp({ ledger: data.ledger });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  await seedDemo(base, db, () => {});
  data.ledger.checkpoint(data.ledger.size());
  await app.close();
  await data.close();
  return dir;
}

const seedDir = await seededDataDir();
t.teardown(() => rmSync(seedDir, { recursive: true, force: true }));

function copyOfSeed(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-tamper-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(seedDir, dir, { recursive: true });
  return join(dir, 'ledger.db');
}

/** Edit the stopped database with its append-only triggers dropped; `recreate` puts them back after. */
function tamper(db: string, edit: (raw: Database.Database) => void, recreate = false): void {
  const raw = new Database(db);
  try {
    const triggers = raw.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all() as Array<{ name: string; sql: string }>;
    for (const { name } of triggers) raw.exec(`DROP TRIGGER ${name}`);
    edit(raw);
    if (recreate) for (const { sql } of triggers) raw.exec(sql);
  } finally {
    raw.close();
  }
}

/** Open the ledger as the service does. */
function open(db: string, options: Partial<LedgerOptions> = {}): { ledger: Ledger; store: LedgerStore; close(): Promise<void> } {
  const store = openSqliteStore(db);
  try {
    const ledger = openLedger({ store, origin: ORIGIN, ledgerSeed: readPrivateKey(ledgerKeyPath(db)), ...options });
    let closing: Promise<void> | undefined;
    return {
      ledger,
      store,
      close: () =>
        (closing ??= (async () => {
          await ledger.close();
          await store.close();
        })()),
    };
  } catch (e) {
    void store.close();
    throw e;
  }
}

const registration = (db: string) => {
  const who = party(`late-${randomUUID().slice(0, 8)}`);
  return signEntry(
    { type: 'participant.register', id: randomUUID(), signer: 'operator', time: new Date().toISOString(), participant: who.id, name: 'Late Ltd', roles: ['supplier'], publicKey: toBase64Url(who.publicKey) },
    readPrivateKey(operatorKeyPath(db)),
  );
};

/** The start-up verification refuses the log, naming `seq`, and no write was taken meanwhile. */
async function refusedAt(t: Test, db: string, seq: number, options: Partial<LedgerOptions> = {}): Promise<void> {
  const counts = () => {
    const raw = new Database(db, { readonly: true });
    try {
      return raw.prepare('SELECT (SELECT COUNT(*) FROM records) AS records, (SELECT COUNT(*) FROM checkpoints) AS checkpoints').get();
    } finally {
      raw.close();
    }
  };
  const before = counts();
  const opened = open(db, options);
  t.teardown(() => opened.close());
  await t.rejects(opened.ledger.submit([registration(db)]), { code: 'LEDGER_NOT_READY' }, 'no write while it verifies');
  await t.rejects(opened.ledger.verified, { code: 'LEDGER_STORE_CORRUPT', details: { seq } }, `refused, naming seq ${seq}`);
  t.same(opened.ledger.readiness.conditions().map((c) => [c.reason, c.transient]), [['verification-failed', false]], 'writes stay refused: an operator must act');
  await t.rejects(opened.ledger.submit([registration(db)]), { code: 'LEDGER_NOT_READY' });
  await opened.close();
  t.same(counts(), before, 'nothing was written, not even a checkpoint');
}

/** The README's own tamper (walkthrough step 3): record 46's quantity 40 → 400. */
function readmeTamper(t: Test, db: string, recomputeLeafHash: boolean): void {
  tamper(db, (raw) => {
    const before = raw.prepare('SELECT leaf FROM records WHERE seq = 46').pluck().get() as Buffer;
    t.match(before.toString(), /"value":40[,}]/, 'record 46 carries the quantity the README changes');
    raw.prepare(`UPDATE records SET leaf = CAST(replace(CAST(leaf AS TEXT), '"value":40', '"value":400') AS BLOB) WHERE seq = 46`).run();
    if (recomputeLeafHash) {
      const leaf = raw.prepare('SELECT leaf FROM records WHERE seq = 46').pluck().get() as Buffer;
      raw.prepare('UPDATE records SET leaf_hash = ? WHERE seq = 46').run(Buffer.from(hashLeaf(leaf)));
    }
  });
}

t.test('the README tamper (record 46, 40 → 400) is refused before any write', async (t) => {
  const db = copyOfSeed(t);
  readmeTamper(t, db, false);
  await refusedAt(t, db, 46);
});

t.test('the README tamper with the leaf hash recomputed is refused, naming seq 46', async (t) => {
  const db = copyOfSeed(t);
  readmeTamper(t, db, true);
  await refusedAt(t, db, 46);
});

t.test('the same, scanned on the worker thread (its own read-only connection)', async (t) => {
  const db = copyOfSeed(t);
  readmeTamper(t, db, true);
  await refusedAt(t, db, 46, { startupScan: 'worker' });
});

t.test('`serve` on the tampered log exits with the one-line CLI error (runs dist/: npm run build)', async (t) => {
  const db = copyOfSeed(t);
  readmeTamper(t, db, false);
  const bin = new URL('../../bin/trace-ledger.js', import.meta.url).pathname;
  const run = spawnSync(process.execPath, [bin, 'serve', '--db', db, '--port', '0', '--quiet'], { encoding: 'utf8', timeout: 60_000 });
  t.equal(run.status, 1);
  const lines = run.stderr.trim().split('\n');
  t.equal(lines.length, 1, 'one line');
  t.match(lines[0], /^trace-ledger: LEDGER_STORE_CORRUPT: .*record 46/);
});

t.test('a flipped byte in a record is refused, naming it', async (t) => {
  const db = copyOfSeed(t);
  tamper(db, (raw) => {
    const leaf = raw.prepare('SELECT leaf FROM records WHERE seq = 30').pluck().get() as Buffer;
    leaf[Math.floor(leaf.length / 3)]! ^= 0x04;
    raw.prepare('UPDATE records SET leaf = ? WHERE seq = 30').run(leaf);
  });
  await refusedAt(t, db, 30);
});

t.test('two swapped records (with their hashes) are refused, naming the first', async (t) => {
  const db = copyOfSeed(t);
  tamper(db, (raw) => {
    const row = raw.prepare('SELECT leaf, leaf_hash, chain_hash FROM records WHERE seq = ?');
    const a = row.get(20) as { leaf: Buffer; leaf_hash: Buffer; chain_hash: Buffer };
    const b = row.get(21) as { leaf: Buffer; leaf_hash: Buffer; chain_hash: Buffer };
    const set = raw.prepare('UPDATE records SET leaf = ?, leaf_hash = ?, chain_hash = ? WHERE seq = ?');
    set.run(Buffer.alloc(1), Buffer.alloc(32), Buffer.alloc(32), 20); // out of the way of any unique index
    set.run(a.leaf, a.leaf_hash, a.chain_hash, 21);
    set.run(b.leaf, b.leaf_hash, b.chain_hash, 20);
  });
  await refusedAt(t, db, 20);
});

/** Delete the last `n` records with their Merkle nodes and checkpoints: a log consistent in itself. */
function deleteLast(raw: Database.Database, n: number): number {
  const size = (raw.prepare('SELECT MAX(seq) + 1 FROM records').pluck().get() as number) - n;
  raw.prepare('DELETE FROM records WHERE seq >= ?').run(size);
  raw.prepare('DELETE FROM merkle_nodes WHERE pos >= ?').run(merkleNodesIn(size));
  raw.prepare('DELETE FROM checkpoints WHERE size > ?').run(size);
  return size;
}

t.test('a deleted last record, triggers re-created, is refused at open: the served checkpoint is ahead', async (t) => {
  const db = copyOfSeed(t);
  let size = 0;
  tamper(db, (raw) => (size = deleteLast(raw, 1)), true);
  t.throws(() => open(db), { code: 'LEDGER_STORE_CORRUPT', details: { seq: size } });
  // `verify --db` sees it too (this edit also left the deleted record's key and projection rows behind).
  const report = await verifyDatabase(db);
  t.notOk(report.ok);
  t.ok(report.failures.some((f) => f.check === 'served-checkpoint' && f.seq === size), 'the served checkpoint names the first missing record');
});

t.test('a truncated WAL (the database put back as it was mid-way) is refused at open, naming the first lost record', async (t) => {
  const db = copyOfSeed(t);
  const midway = join(mkdtempSync(join(tmpdir(), 'trace-ledger-midway-')), 'ledger.db');
  t.teardown(() => rmSync(join(midway, '..'), { recursive: true, force: true }));
  const data = open(db);
  await data.ledger.verified;
  const lostFrom = data.ledger.size();
  // The files as a crash would have left them had the last commits' WAL frames never reached the disk.
  for (const suffix of ['', '-wal']) if (existsSync(db + suffix)) cpSync(db + suffix, midway + suffix);
  for (let i = 0; i < 3; i++) await data.ledger.submit([registration(db)]);
  const served = data.ledger.checkpoint(data.ledger.size());
  t.equal(served.size, lostFrom + 3);
  await data.close();
  t.equal(readFileSync(servedCheckpointPath(db), 'utf8'), served.note, 'the served checkpoint was kept beside the database');
  for (const suffix of ['-wal', '-shm']) if (existsSync(db + suffix)) unlinkSync(db + suffix);
  for (const suffix of ['', '-wal']) if (existsSync(midway + suffix)) cpSync(midway + suffix, db + suffix);
  t.throws(() => open(db), { code: 'LEDGER_STORE_CORRUPT', details: { seq: lostFrom } });
});

t.test('reads are served while it verifies; writes are accepted once it passed', async (t) => {
  const db = copyOfSeed(t);
  const readiness = createReadiness();
  const opened = open(db, { readiness, startupScan: 'worker' });
  t.teardown(() => opened.close());
  const app = await buildApp({ ledger: opened.ledger });
  t.teardown(() => app.close());
  t.same(readiness.conditions().map((c) => [c.reason, c.transient]), [['verifying', true]]);
  t.match(readiness.conditions()[0]!.detail, /^verifying the log: 0 of [\d,]+ records$/);
  const readyz = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(readyz.statusCode, 503);
  t.equal(readyz.json().readiness, 'verifying');
  t.equal((await app.inject({ method: 'GET', url: '/v1/entries/46' })).statusCode, 200, 'a read is served');
  const refused = await app.inject({ method: 'POST', url: '/v1/entries', payload: registration(db) });
  t.equal(refused.statusCode, 503);
  t.equal(refused.headers['retry-after'], '1');
  await opened.ledger.verified;
  t.ok(readiness.ready(), 'the condition is released');
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
  const accepted = await app.inject({ method: 'POST', url: '/v1/entries', payload: registration(db) });
  t.equal(accepted.statusCode, 201);
});

t.test('a data directory without the served-checkpoint file: one warning, and the file is created', async (t) => {
  const db = copyOfSeed(t);
  unlinkSync(servedCheckpointPath(db));
  const warnings: string[] = [];
  const opened = open(db, { onWarning: (m) => warnings.push(m) });
  t.teardown(() => opened.close());
  await opened.ledger.verified;
  t.equal(warnings.length, 1);
  t.equal(readFileSync(servedCheckpointPath(db), 'utf8'), opened.ledger.checkpoint().note);
  await opened.close();
  // A rollback below it is now refused.
  tamper(db, (raw) => deleteLast(raw, 2), true);
  t.throws(() => open(db), { code: 'LEDGER_STORE_CORRUPT' });
});

t.test('a served-checkpoint file whose signature does not verify is refused, not trusted', async (t) => {
  const db = copyOfSeed(t);
  const note = readFileSync(servedCheckpointPath(db), 'utf8');
  const forged = note.replace(/ (\S+)\n$/, (_, sig: string) => {
    const raw = Buffer.from(sig, 'base64');
    raw[raw.length - 1]! ^= 0x01;
    return ` ${raw.toString('base64')}\n`;
  });
  t.not(forged, note);
  writeFileSync(servedCheckpointPath(db), forged);
  t.throws(() => open(db), { code: 'LEDGER_STORE_CORRUPT' });
});
