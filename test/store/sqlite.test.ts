import t, { type Test } from 'tap';
import fc from 'fast-check';
import Database from 'better-sqlite3';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBase64, fromHex, toBase64, toBase64Url } from '../../src/core/bytes.js';
import { verifyCheckpoint } from '../../src/core/checkpoint.js';
import { rootFromLeafHashes, verifyConsistency, verifyInclusion } from '../../src/core/merkle.js';
import { openLedger } from '../../src/ledger.js';
import { entryKeyOf, leafKeyOf, merkleNodeAt, merkleNodesIn, merklePos, openSqliteStore, walPendingBytes } from '../../src/store/sqlite.js';
import type { LedgerStore } from '../../src/store/store.js';
import { makeLedger, ORIGIN, party, type Party, type TestLedger } from '../helpers.js';

const LOG_TABLES = ['records', 'merkle_nodes', 'checkpoints'] as const;

/**
 * A ledger with genesis, one registered supplier and `keyAdds` participant.key.add entries, a
 * checkpoint covering the whole log, then closed: its database file is ours to poke at.
 */
async function closedLedger(t: Test, keyAdds = 4): Promise<{ L: TestLedger; size: number }> {
  const L = await makeLedger();
  t.teardown(() => L.close()); // ledger and store are already closed by then: this removes the directory
  const supplier = party('supplier-s');
  await L.register(supplier);
  for (let i = 0; i < keyAdds; i++) await L.ledger.submit([keyAdd(L, supplier)]);
  const size = L.ledger.size();
  t.equal(L.ledger.checkpoint(size).size, size, 'a checkpoint covers the whole log');
  await L.ledger.close();
  await L.store.close();
  return { L, size };
}

const keyAdd = (L: TestLedger, who: Party) =>
  L.sign(who, { type: 'participant.key.add', participant: who.id, publicKey: toBase64Url(party('k').publicKey) });

/** Open the ledger the way the service does; returns the store so the caller can close it. */
function reopen(L: TestLedger, origin = ORIGIN, ledgerSeed = L.ledgerSeed): LedgerStore {
  const store = openSqliteStore(L.dbPath);
  try {
    openLedger({ store, origin, ledgerSeed });
  } catch (e) {
    void store.close();
    throw e;
  }
  return store;
}

function snapshot(db: Database.Database): Record<string, unknown[]> {
  return Object.fromEntries(LOG_TABLES.map((table) => [table, db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all()]));
}

/**
 * Run `fn` while recording every better-sqlite3 connection that runs a pragma: the store does not
 * expose its connection, and this reads its settings back without widening the store's interface.
 */
function withConnectionSpy<T>(fn: () => T): { value: T | undefined; error: unknown; connections: Database.Database[] } {
  const proto = Database.prototype as unknown as { pragma: (...args: unknown[]) => unknown };
  const original = proto.pragma;
  const connections = new Set<Database.Database>();
  proto.pragma = function (this: Database.Database, ...args: unknown[]) {
    connections.add(this);
    return original.apply(this, args);
  };
  try {
    return { value: fn(), error: undefined, connections: [...connections] };
  } catch (error) {
    return { value: undefined, error, connections: [...connections] };
  } finally {
    proto.pragma = original;
  }
}

t.test('triggers reject UPDATE and DELETE on the log tables', async (t) => {
  const { L, size } = await closedLedger(t);
  const db = new Database(L.dbPath);
  t.teardown(() => db.close());
  const before = snapshot(db);
  t.equal(before['records']!.length, size);
  t.ok(before['merkle_nodes']!.length > 0);
  t.ok(before['checkpoints']!.length > 0);

  const statements = [
    "UPDATE records SET signer = 'mallory' WHERE seq = 1",
    'UPDATE records SET leaf = X\'00\', leaf_hash = zeroblob(32)',
    'DELETE FROM records WHERE seq = (SELECT MAX(seq) FROM records)',
    'DELETE FROM records',
    'UPDATE merkle_nodes SET hash = zeroblob(32) WHERE pos = 0',
    'DELETE FROM merkle_nodes',
    "UPDATE checkpoints SET note = 'forged'",
    'UPDATE checkpoints SET size = size + 1',
    'DELETE FROM checkpoints WHERE id = (SELECT MAX(id) FROM checkpoints)',
  ];
  for (const sql of statements) {
    t.throws(() => db.prepare(sql).run(), { code: 'SQLITE_CONSTRAINT_TRIGGER' }, sql);
  }
  // An upsert is an UPDATE too.
  t.throws(
    () => db.prepare('INSERT INTO merkle_nodes (pos, hash) VALUES (0, zeroblob(32)) ON CONFLICT DO UPDATE SET hash = excluded.hash').run(),
    { code: 'SQLITE_CONSTRAINT_TRIGGER' },
  );
  t.same(snapshot(db), before, 'rows unchanged');
});

t.test('INSERT OR REPLACE cannot overwrite or delete log rows', async (t) => {
  // REPLACE deletes the conflicting row without firing DELETE triggers (recursive_triggers is
  // off by default), so each log table also needs a guard on INSERT.
  const { L, size } = await closedLedger(t);
  const db = new Database(L.dbPath);
  t.teardown(() => db.close());
  const before = snapshot(db);
  const r3 = db.prepare('SELECT * FROM records WHERE seq = 3').get() as { signer: string; entry_id: string; leaf_hash: Buffer };
  const cp = db.prepare('SELECT id FROM checkpoints ORDER BY id LIMIT 1').get() as { id: number };
  const insertRecord = `INSERT OR REPLACE INTO records (seq, signer, entry_id, type, payload_hash, leaf, leaf_hash, chain_hash, leaf_key, entry_key)
    VALUES (?, ?, ?, 'x', zeroblob(32), X'00', ?, zeroblob(32), ?, ?)`;
  const replace = (seq: number, signer: string, entryId: string, leafHash: Buffer) =>
    db.prepare(insertRecord).run(seq, signer, entryId, leafHash, leafKeyOf(leafHash), entryKeyOf(signer, entryId));
  const cases: Array<[string, () => unknown]> = [
    ['record at the next seq reusing (signer, entry_id) of seq 3', () => replace(size, r3.signer, r3.entry_id, Buffer.alloc(32, 7))],
    ['record at the next seq reusing the leaf hash of seq 3', () => replace(size, 'x', 'y', r3.leaf_hash)],
    ['record over an existing seq', () => replace(3, 'x', 'y', Buffer.alloc(32, 8))],
    ['record without index keys', () => db.prepare(`INSERT INTO records (seq, signer, entry_id, type, payload_hash, leaf, leaf_hash, chain_hash) VALUES (?, 'x', 'z', 'x', zeroblob(32), X'00', zeroblob(32), zeroblob(32))`).run(size)],
    ['merkle node over an existing one', () => db.prepare('INSERT OR REPLACE INTO merkle_nodes (pos, hash) VALUES (0, zeroblob(32))').run()],
    ['checkpoint over an existing id', () => db.prepare("REPLACE INTO checkpoints (id, size, root, note, signed_at) VALUES (?, 0, zeroblob(32), 'x', 'y')").run(cp.id)],
  ];
  for (const [name, fn] of cases) t.throws(fn, { code: 'SQLITE_CONSTRAINT_TRIGGER' }, name);
  t.same(snapshot(db), before, 'rows unchanged');
});

t.test('a record whose seq is not the next one is rejected', async (t) => {
  const { L, size } = await closedLedger(t);
  const db = new Database(L.dbPath);
  t.teardown(() => db.close());
  const before = snapshot(db);
  const stmt = db.prepare(
    'INSERT INTO records (seq, signer, entry_id, type, payload_hash, leaf, leaf_hash, chain_hash, leaf_key, entry_key) VALUES (?, ?, ?, ?, zeroblob(32), X\'00\', ?, zeroblob(32), ?, ?)',
  );
  const insert = { run: (seq: number, signer: string, entryId: string, type: string, leafHash: Buffer) => stmt.run(seq, signer, entryId, type, leafHash, leafKeyOf(leafHash), entryKeyOf(signer, entryId)) };
  for (const seq of [size + 1, size + 100, size - 1, 0, -1]) {
    t.throws(() => insert.run(seq, 's', `e${seq}`, 'x', Buffer.alloc(32, seq & 0xff)), { code: 'SQLITE_CONSTRAINT_TRIGGER' }, `seq ${seq}`);
  }
  t.same(snapshot(db), before, 'rows unchanged');
  // Control: the next seq is accepted (rolled back, the file stays valid).
  db.exec('BEGIN');
  t.doesNotThrow(() => insert.run(size, 's', 'next', 'x', Buffer.alloc(32, 0xee)), 'the next seq is accepted');
  db.exec('ROLLBACK');
  t.same(snapshot(db), before);
});

t.test('WAL mode with synchronous=NORMAL (durability comes from store.sync())', async (t) => {
  const { L } = await closedLedger(t, 0);
  const { value: store, error, connections } = withConnectionSpy(() => openSqliteStore(L.dbPath));
  t.error(error);
  t.teardown(() => store?.close());
  t.equal(connections.length, 1, 'the store opened one connection');
  const own = connections[0]!;
  t.equal(own.pragma('journal_mode', { simple: true }), 'wal');
  t.equal(own.pragma('synchronous', { simple: true }), 1, 'synchronous = NORMAL (1): SQLite syncs around checkpoints, store.sync() after commits');
  t.equal(own.pragma('foreign_keys', { simple: true }), 1);

  // journal_mode=WAL is persistent: any other connection sees it, and the file header says so.
  const other = new Database(L.dbPath, { readonly: true });
  t.equal(other.pragma('journal_mode', { simple: true }), 'wal');
  other.close();
  const header = readFileSync(L.dbPath).subarray(0, 20);
  t.equal(header.subarray(0, 16).toString('latin1'), 'SQLite format 3\u0000');
  t.same([header[18], header[19]], [2, 2], 'file format read/write versions 2 = WAL');
});

t.test('walPendingBytes reads the frames not yet checkpointed from the wal-index header', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tl-walidx-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'w.db');
  const db = new Database(path);
  t.teardown(() => db.close());
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE t (x BLOB)');
  const insert = db.prepare('INSERT INTO t VALUES (?)');
  for (let i = 0; i < 50; i++) insert.run(Buffer.alloc(3000, i));
  const shm = openSync(`${path}-shm`, 'r');
  t.teardown(() => closeSync(shm));
  const walFile = () => statSync(`${path}-wal`).size;
  // Nothing checkpointed yet: every frame is pending, i.e. the whole WAL but its 32-byte header.
  t.equal(walPendingBytes(shm), walFile() - 32, 'all frames pending before the first checkpoint');
  const [ck] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number; checkpointed: number }>;
  t.equal(ck!.checkpointed, ck!.log, 'the checkpoint copied every frame');
  t.equal(walPendingBytes(shm), 0, 'none pending after it');
  const size = walFile();
  insert.run(Buffer.alloc(3000, 1));
  // SQLite starts the WAL over from its beginning: the file keeps its size, the pending count is
  // the new transaction's frames only (a trigger on the file size would fire forever after).
  t.equal(walFile(), size, 'the WAL file did not shrink or grow');
  const pending = walPendingBytes(shm)!;
  t.ok(pending > 0 && pending < size / 10, `one small transaction pending (${pending} of ${size} bytes)`);
  t.equal(pending % (4096 + 24), 0, 'whole frames of page size + 24-byte frame header');

  // A header whose two copies disagree (a writer between them, or not a wal-index): no answer.
  const bogus = join(dir, 'bogus-shm');
  writeFileSync(bogus, Buffer.concat([Buffer.alloc(48, 1), Buffer.alloc(88, 2)]));
  const fd = openSync(bogus, 'r');
  t.equal(walPendingBytes(fd), undefined, 'inconsistent header copies give undefined');
  closeSync(fd);
  const short = join(dir, 'short-shm');
  writeFileSync(short, Buffer.alloc(20));
  const fd2 = openSync(short, 'r');
  t.equal(walPendingBytes(fd2), undefined, 'a short file gives undefined');
  closeSync(fd2);
});

t.test('start-up detects tampering', async (t) => {
  const dropTriggers = (db: Database.Database) => {
    const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").pluck().all() as string[];
    for (const name of names) db.exec(`DROP TRIGGER ${name}`);
  };
  const cases: Array<[string, (db: Database.Database, size: number, t: Test) => void]> = [
    ['a byte of the last record\'s leaf changed', (db, size, t) => {
      const leaf = db.prepare('SELECT leaf FROM records WHERE seq = ?').pluck().get(size - 1) as Buffer;
      leaf[Math.floor(leaf.length / 2)]! ^= 0x01;
      t.equal(db.prepare('UPDATE records SET leaf = ? WHERE seq = ?').run(leaf, size - 1).changes, 1);
    }],
    ['the last record\'s chain_hash changed', (db, size, t) => {
      const chain = db.prepare('SELECT chain_hash FROM records WHERE seq = ?').pluck().get(size - 1) as Buffer;
      chain[0]! ^= 0x80;
      t.equal(db.prepare('UPDATE records SET chain_hash = ? WHERE seq = ?').run(chain, size - 1).changes, 1);
    }],
    ['the last record deleted', (db, size, t) => {
      t.equal(db.prepare('DELETE FROM records WHERE seq = ?').run(size - 1).changes, 1);
    }],
    ['a Merkle node on the frontier changed', (db, size, t) => {
      // The largest perfect subtree (level ⌊log2 size⌋, index 0) is always part of the frontier
      // the start-up check recomputes the root from.
      const level = Math.floor(Math.log2(size));
      t.ok(level >= 1, 'the node is stored in merkle_nodes, not as a leaf hash');
      t.equal(db.prepare('UPDATE merkle_nodes SET hash = zeroblob(32) WHERE pos = ?').run(merklePos(level, 0)).changes, 1);
    }],
    ['the latest checkpoint\'s note altered', (db, _size, t) => {
      const cp = db.prepare('SELECT id, note FROM checkpoints ORDER BY id DESC LIMIT 1').get() as { id: number; note: string };
      const lines = cp.note.split('\n');
      lines[2] = toBase64(new Uint8Array(32)); // the root line of the checkpoint body
      t.equal(db.prepare('UPDATE checkpoints SET note = ? WHERE id = ?').run(lines.join('\n'), cp.id).changes, 1);
    }],
    ['the latest checkpoint\'s signature altered', (db, _size, t) => {
      const cp = db.prepare('SELECT id, note FROM checkpoints ORDER BY id DESC LIMIT 1').get() as { id: number; note: string };
      const sigLine = cp.note.trimEnd().split('\n').at(-1)!;
      const [dash, name, sig] = sigLine.split(' ');
      const raw = fromBase64(sig!);
      raw[raw.length - 1]! ^= 0x01;
      const forged = cp.note.replace(sigLine, `${dash} ${name} ${toBase64(raw)}`);
      t.not(forged, cp.note);
      t.equal(db.prepare('UPDATE checkpoints SET note = ? WHERE id = ?').run(forged, cp.id).changes, 1);
    }],
    ['the latest checkpoint row\'s root differs from its note', (db, _size, t) => {
      t.equal(db.prepare('UPDATE checkpoints SET root = zeroblob(32) WHERE id = (SELECT MAX(id) FROM checkpoints)').run().changes, 1);
    }],
    ['a Merkle node truncated', (db, size, t) => {
      const level = Math.floor(Math.log2(size));
      t.equal(db.prepare('UPDATE merkle_nodes SET hash = zeroblob(31) WHERE pos = ?').run(merklePos(level, 0)).changes, 1);
    }],
  ];
  for (const [name, tamper] of cases) {
    await t.test(name, async (t) => {
      const { L, size } = await closedLedger(t);
      reopen(L).close(); // control: the untouched file opens
      const db = new Database(L.dbPath);
      dropTriggers(db);
      tamper(db, size, t);
      db.close();
      t.throws(() => reopen(L), { code: 'LEDGER_STORE_CORRUPT' });
    });
  }

  await t.test('another origin or another ledger key', async (t) => {
    const { L } = await closedLedger(t, 1);
    t.throws(() => reopen(L, 'elsewhere.example/log'), { code: 'LEDGER_ORIGIN_MISMATCH' });
    t.throws(() => reopen(L, ORIGIN, new Uint8Array(32).fill(9)), { code: 'LEDGER_STORE_CORRUPT' });
    reopen(L).close();
  });
});

t.test('schema version and file checks', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-sqlite-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));

  await t.test('a database from a newer program is refused', async (t) => {
    const { L } = await closedLedger(t, 0);
    const db = new Database(L.dbPath);
    const current = db.pragma('user_version', { simple: true }) as number;
    t.ok(current >= 1, 'migrations set user_version');
    db.pragma(`user_version = ${current + 1}`);
    db.close();
    const { error, connections } = withConnectionSpy(() => openSqliteStore(L.dbPath));
    t.match(error, { code: 'LEDGER_STORE_CORRUPT' });
    t.same(connections.map((c) => c.open), [false], 'the refused connection is closed');
    t.match(withConnectionSpy(() => openSqliteStore(L.dbPath, { readonly: true })).error, { code: 'LEDGER_STORE_CORRUPT' }, 'read-only too');
  });

  await t.test('a file that is not SQLite is refused', async (t) => {
    for (const [name, content] of [
      ['text.db', 'this is not a database, just some text that is long enough to look like a page header\n'.repeat(20)],
      ['random.db', Buffer.alloc(4096, 0x5a)],
    ] as const) {
      const path = join(dir, name);
      writeFileSync(path, content);
      const { error, connections } = withConnectionSpy(() => openSqliteStore(path));
      t.match(error, { code: 'LEDGER_STORE_CORRUPT' }, name);
      t.same(connections.map((c) => c.open), [false], `${name}: the refused connection is closed`);
      t.equal(readFileSync(path).equals(Buffer.from(content)), true, `${name}: file left alone`);
    }
  });

  await t.test('a SQLite database that is not a ledger, opened read-only, is refused', async (t) => {
    const path = join(dir, 'other.db');
    const db = new Database(path);
    db.pragma('journal_mode = WAL'); // so that the read-only open gets as far as the schema
    db.exec('CREATE TABLE something (x)');
    db.pragma('user_version = 1');
    db.close();
    t.throws(() => openSqliteStore(path, { readonly: true }), { code: 'LEDGER_STORE_CORRUPT' });
    t.throws(() => openSqliteStore(join(dir, 'missing.db'), { readonly: true }), { code: 'LEDGER_STORE_CORRUPT' });
  });
});

t.test('property: any sequence of appends proves every inclusion and consistency', async (t) => {
  // Batches of 1-3 entries; each group of 1-3 batches is submitted concurrently, groups in turn.
  const groups = fc.array(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 });
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(groups, async (plan) => {
      runs++;
      const L = await makeLedger();
      try {
        const supplier = party('supplier-p');
        await L.register(supplier);
        const start = L.ledger.size();
        for (const group of plan) {
          const results = await Promise.all(group.map((n) => L.ledger.submit(Array.from({ length: n }, () => keyAdd(L, supplier)))));
          // every batch is sequenced contiguously
          results.forEach((receipts, i) => {
            if (receipts.length !== group[i]) throw new Error('one receipt per entry');
            receipts.forEach((r, j) => {
              if (r.seq !== receipts[0]!.seq + j) throw new Error(`batch not contiguous: ${receipts.map((x) => x.seq).join(',')}`);
              if (L.ledger.record(r.seq).leafHash !== r.leafHash) throw new Error(`receipt ${r.seq} does not match the stored record`);
            });
          });
        }
        const n = L.ledger.size();
        const total = plan.flat().reduce((a, b) => a + b, 0);
        if (n !== start + total) throw new Error(`size ${n}, expected ${start + total}`);

        // Independent reference: roots recomputed from the leaf hashes alone.
        const leaves = L.ledger.records(-1, n).map((r) => fromHex(r.leafHash));
        const roots = Array.from({ length: n + 1 }, (_, s) => rootFromLeafHashes(leaves.slice(0, s)));

        const cp = verifyCheckpoint(L.ledger.checkpoint(n).note, L.ledger.verifierKey);
        if (cp.size !== n || toBase64(cp.root) !== toBase64(roots[n]!)) throw new Error('checkpoint root differs from the recomputed root');

        for (let size = 1; size <= n; size++) {
          for (let seq = 0; seq < size; seq++) {
            const p = L.ledger.inclusionProof(seq, size);
            if (p.rootHash !== toBase64(roots[size]!)) throw new Error(`rootHash of (${seq}, ${size})`);
            verifyInclusion(leaves[seq]!, seq, size, p.hashes.map(fromBase64), roots[size]!);
          }
        }
        for (let from = 1; from <= n; from++) {
          for (let to = from; to <= n; to++) {
            const c = L.ledger.consistencyProof(from, to);
            if (c.fromRoot !== toBase64(roots[from]!) || c.toRoot !== toBase64(roots[to]!)) throw new Error(`roots of (${from}, ${to})`);
            verifyConsistency(from, to, c.hashes.map(fromBase64), roots[from]!, roots[to]!);
          }
        }
      } finally {
        await L.close();
      }
    }),
    { numRuns: 15 },
  );
  t.equal(runs >= 15, true, 'ran the property');
});

/**
 * A new store in a temporary directory merging its key tails every `keysMergeAt`, with its own
 * connection (for temporary triggers) and a read-only connection to look at the tables.
 */
function storeWithSmallTail(t: Test, keysMergeAt: number) {
  const dir = mkdtempSync(join(tmpdir(), 'tl-keys-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'k.db');
  const spied = withConnectionSpy(() => openSqliteStore(path, { keysMergeAt }));
  const store = spied.value!;
  t.teardown(() => store.close());
  const raw = new Database(path, { readonly: true });
  t.teardown(() => raw.close());
  return { path, store, conn: spied.connections[0]!, raw };
}

t.test('deferred key tables: the newest records are found through the tail, the rest through the key tables', async (t) => {
  const { path, store, conn, raw } = storeWithSmallTail(t, 8);
  const leafHashOf = (seq: number, salt = '') => new Uint8Array(createHash('sha256').update(`leaf ${seq}${salt}`).digest());
  const rec = (seq: number, id = `e${seq}`, salt = '') => {
    const leafHash = leafHashOf(seq, salt);
    return { seq, signer: 'acme', entryId: id, type: 't', payloadHash: new Uint8Array(32).fill(seq & 0xff), leaf: new Uint8Array([seq & 0xff]), leafHash, chainHash: leafHash };
  };
  const keyRows = () => [raw.prepare('SELECT COUNT(*) FROM entry_keys').pluck().get(), raw.prepare('SELECT COUNT(*) FROM leaf_keys').pluck().get()];
  const upto = () => Number(raw.prepare("SELECT value FROM meta WHERE key = 'keys_indexed_upto'").pluck().get());
  const found = (seq: number, id = `e${seq}`, salt = '') => [store.entryBySignerId('acme', id)?.seq, store.seqOfLeafHash(leafHashOf(seq, salt))];
  const append = (from: number, to: number) => store.transaction(() => { for (let s = from; s < to; s++) store.insertRecord(rec(s)); });

  append(0, 5);
  t.same(keyRows(), [0, 0], 'five records: their keys are not in the key tables yet');
  t.equal(upto(), 0);
  for (let s = 0; s < 5; s++) t.same(found(s), [s, s], `record ${s} found through the tail`);
  t.same(store.entryBySignerId('acme', 'e3')?.payloadHash, new Uint8Array(32).fill(3), 'with its payload hash');
  t.same(found(5), [undefined, undefined], 'an absent record is not found');

  append(5, 9);
  t.same(keyRows(), [9, 9], 'the commit that reached 8 moved every key, sorted, to the key tables');
  t.equal(upto(), 9);
  for (let s = 0; s < 9; s++) t.same(found(s), [s, s], `record ${s} found through the key tables`);

  await t.test('a rolled-back transaction or savepoint takes its keys back', async (t) => {
    t.throws(() => store.transaction(() => { store.insertRecord(rec(9)); store.insertRecord(rec(10)); throw new Error('rejected'); }), /rejected/);
    t.same(found(9), [undefined, undefined], 'a rolled-back record is not found');
    store.transaction(() => {
      store.insertRecord(rec(9, 'a'));
      t.throws(() => store.savepoint(() => { store.insertRecord(rec(10, 'b')); throw new Error('one batch rejected'); }));
      store.insertRecord(rec(10, 'c', 'c'));
    });
    t.same(found(9, 'a'), [9, 9]);
    t.equal(store.entryBySignerId('acme', 'b'), undefined, 'the rolled-back savepoint\'s entry is gone');
    t.same(found(10, 'c', 'c'), [10, 10], 'the seq it had went to the next record');
    t.equal(store.seqOfLeafHash(leafHashOf(10)), undefined, 'and so did the leaf');
  });

  await t.test('a failed merge is rolled back with its transaction; the keys stay findable', async (t) => {
    conn.exec("CREATE TEMP TRIGGER merge_fails BEFORE INSERT ON main.entry_keys BEGIN SELECT RAISE(ABORT, 'merge failed'); END");
    const size = store.size();
    t.throws(() => append(size, size + 8), /merge failed/, 'the transaction that reached 8 fails in its merge');
    t.equal(store.size(), size, 'its records are gone');
    t.same(found(size), [undefined, undefined]);
    t.same(found(9, 'a'), [9, 9], 'the records before it are still found');
    conn.exec('DROP TRIGGER temp.merge_fails');
    append(size, size + 8);
    t.same(keyRows(), [size + 8, size + 8], 'the next merge takes them all');
    t.equal(upto(), size + 8);
    for (let s = size; s < size + 8; s++) t.same(found(s), [s, s]);
  });

  await t.test('a reader finds what another connection appended after it opened', async (t) => {
    const reader = openSqliteStore(path, { readonly: true });
    t.teardown(() => reader.close());
    const size = store.size();
    append(size, size + 3);
    t.equal(reader.entryBySignerId('acme', `e${size + 2}`)?.seq, size + 2);
    t.equal(reader.seqOfLeafHash(leafHashOf(size + 1)), size + 1);
    append(size + 3, size + 12); // a merge by the writer
    t.equal(reader.entryBySignerId('acme', `e${size + 11}`)?.seq, size + 11, 'and after the writer merged');
    t.equal(reader.entryBySignerId('acme', `e${size}`)?.seq, size);
  });

  await t.test('the database refuses a record repeating an indexed one; the key tables are append-only', async (t) => {
    const size = store.size();
    t.equal(upto(), size, 'everything is in the key tables here');
    t.throws(() => store.transaction(() => store.insertRecord({ ...rec(size), entryId: 'e0' })), { code: 'SQLITE_CONSTRAINT_TRIGGER' }, '(signer, entry_id) of seq 0');
    t.throws(() => store.transaction(() => store.insertRecord({ ...rec(size), leafHash: leafHashOf(0) })), { code: 'SQLITE_CONSTRAINT_TRIGGER' }, 'the leaf hash of seq 0');
    t.same(found(size), [undefined, undefined]);
    for (const sql of ['UPDATE entry_keys SET seq = seq + 1', 'DELETE FROM entry_keys', 'UPDATE leaf_keys SET key = 0', 'DELETE FROM leaf_keys WHERE seq = 0']) {
      t.throws(() => conn.exec(sql), { code: 'SQLITE_CONSTRAINT_TRIGGER' }, sql);
    }
  });

  await t.test('closing merges the tail; reopening reads an unmerged tail from the records', async (t) => {
    const size = store.size();
    append(size, size + 3);
    t.equal(upto(), size, 'three records in the tail');
    const again = openSqliteStore(path, { readonly: true });
    t.equal(again.entryBySignerId('acme', `e${size + 2}`)?.seq, size + 2, 'a new connection reads the tail at open');
    await again.close();
    await store.close();
    t.equal(upto(), size + 3, 'closed: every key is in the key tables');
    t.same(keyRows(), [size + 3, size + 3]);
    const reopened = openSqliteStore(path);
    t.same([reopened.entryBySignerId('acme', `e${size + 2}`)?.seq, reopened.seqOfLeafHash(leafHashOf(size + 2))], [size + 2, size + 2]);
    await reopened.close();
  });
});

t.test('keys by kid: the newest through the in-memory tail, the rest through kid_keys', async (t) => {
  const { path, store, conn, raw } = storeWithSmallTail(t, 4);
  // These kids are not hex: kid_keys holds their text's bytes (the ledger's kids are 16 hex digits).
  const kidRows = () => raw.prepare("SELECT CAST(kid AS TEXT) AS kid, seq FROM kid_keys ORDER BY seq, kid").all() as Array<{ kid: string; seq: number }>;
  const upto = () => Number(raw.prepare("SELECT value FROM meta WHERE key = 'kids_indexed_upto'").pluck().get());
  const kid = (seq: number, n = 0) => `k${String(seq).padStart(4, '0')}-${n}`;
  const key = (seq: number, n = 0) => ({ kid: kid(seq, n), participant: 'acme', publicKey: new Uint8Array(32).fill(seq & 0xff), addedSeq: seq, revokedSeq: null, addedBy: 'operator', operatorAdded: false });
  const addKeys = (...seqs: number[]) => store.transaction(() => store.applyEffects(seqs.map((s) => ({ kind: 'key.insert' as const, key: key(s) }))));
  // A fresh handle per lookup: the store caches what it found (misses too), which would hide the tables.
  const fresh = () => openSqliteStore(path, { readonly: true });
  const lookUp = async (k: string) => {
    const s = fresh();
    try {
      return s.key(k);
    } finally {
      await s.close();
    }
  };

  store.transaction(() => store.applyEffects([{ kind: 'participant.insert', participant: { id: 'acme', name: 'Acme', roles: ['supplier'], gln: null, registeredSeq: 0 } }]));
  addKeys(1, 2);
  t.same(kidRows(), [], 'two keys: not in kid_keys yet');
  t.equal(upto(), 0);
  t.match(store.key(kid(1)), { kid: kid(1), addedSeq: 1, revokedSeq: null }, 'found through the tail');
  t.match(await lookUp(kid(2)), { kid: kid(2), addedSeq: 2 }, 'a new connection reads the tail from participant_keys at open');
  t.equal(store.key('nope'), undefined, 'an absent kid is not found');

  addKeys(3, 4);
  t.same(kidRows(), [1, 2, 3, 4].map((s) => ({ kid: kid(s), seq: s })), 'the commit that reached 4 keys moved them all to kid_keys');
  t.same(raw.prepare('SELECT participant, seq FROM participant_kids').all(), [1, 2, 3, 4].map((seq) => ({ participant: 'acme', seq })), 'and to participant_kids');
  t.equal(upto(), 5);
  t.match(await lookUp(kid(3)), { kid: kid(3), addedSeq: 3, publicKey: new Uint8Array(32).fill(3) }, 'found through kid_keys');

  await t.test("a participant's keys, in the order they were added, from kid_keys and the tail", async (t) => {
    store.transaction(() =>
      store.applyEffects([
        { kind: 'participant.insert', participant: { id: 'beta', name: 'Beta', roles: ['carrier'], gln: null, registeredSeq: 5 } },
        { kind: 'key.insert', key: { ...key(5, 1), participant: 'beta' } },
        { kind: 'key.insert', key: { ...key(5, 0), participant: 'beta' } },
      ]),
    );
    t.same(store.keysOf('acme').map((k) => k.kid), [1, 2, 3, 4].map((s) => kid(s)), 'indexed');
    t.same(store.keysOf('beta').map((k) => k.kid), [kid(5, 0), kid(5, 1)], 'in the tail, by (seq, kid)');
    const s = fresh();
    t.same(s.keysOf('beta').map((k) => k.kid), [kid(5, 0), kid(5, 1)], 'read back at open');
    await s.close();
    t.same(store.keysOf('nobody'), []);
  });

  await t.test('a revocation finds its row in either place', async (t) => {
    store.transaction(() => store.applyEffects([{ kind: 'key.revoke', kid: kid(2), seq: 6 }, { kind: 'key.revoke', kid: kid(5), seq: 6 }]));
    t.match(store.key(kid(2)), { revokedSeq: 6 }, 'an indexed key');
    t.match(store.key(kid(5)), { revokedSeq: 6, participant: 'beta' }, 'a key in the tail');
    t.match(store.keysOf('beta'), [{ kid: kid(5), revokedSeq: 6 }, { kid: kid(5, 1), revokedSeq: null }]);
    t.match(await lookUp(kid(2)), { revokedSeq: 6 }, 'on disk');
    t.match(await lookUp(kid(1)), { revokedSeq: null }, 'the others are untouched');
  });

  await t.test('a rolled-back transaction or savepoint takes its keys back', async (t) => {
    t.throws(() => store.transaction(() => { store.applyEffects([{ kind: 'key.insert', key: key(7) }]); throw new Error('rejected'); }), /rejected/);
    t.equal(store.key(kid(7)), undefined, 'a rolled-back key is not found');
    store.transaction(() => {
      t.throws(() => store.savepoint(() => { store.applyEffects([{ kind: 'key.insert', key: key(7) }]); throw new Error('one batch rejected'); }));
      store.applyEffects([{ kind: 'key.insert', key: key(7, 1) }]);
    });
    t.equal(store.key(kid(7)), undefined, 'the rolled-back savepoint\'s key is gone');
    t.match(store.key(kid(7, 1)), { addedSeq: 7 });
  });

  await t.test('a failed merge is rolled back with its transaction; the keys stay findable', async (t) => {
    conn.exec("CREATE TEMP TRIGGER kid_merge_fails BEFORE INSERT ON main.kid_keys BEGIN SELECT RAISE(ABORT, 'merge failed'); END");
    t.throws(() => addKeys(8, 9), /merge failed/, 'the transaction that reached 4 fails in its merge');
    t.equal(store.key(kid(8)), undefined, 'its keys are gone');
    t.match(store.key(kid(5)), { addedSeq: 5 }, 'the keys before it are still found');
    conn.exec('DROP TRIGGER temp.kid_merge_fails');
    addKeys(8, 9);
    t.same(kidRows().map((r) => r.seq), [1, 2, 3, 4, 5, 5, 7, 8, 9], 'the next merge takes them all');
    t.same(store.keysOf('beta').map((k) => k.kid), [kid(5, 0), kid(5, 1)], "and the participant's keys are found through its index");
    t.equal(upto(), 10);
  });

  await t.test('a reader finds keys another connection added after it opened', async (t) => {
    const reader = openSqliteStore(path, { readonly: true });
    t.teardown(() => reader.close());
    // The reader notices new keys when records were appended, as the ledger always does with them.
    store.transaction(() => {
      store.insertRecord({ seq: 0, signer: 'acme', entryId: 'r0', type: 't', payloadHash: new Uint8Array(32), leaf: new Uint8Array([0]), leafHash: new Uint8Array(32).fill(9), chainHash: new Uint8Array(32) });
      store.applyEffects([{ kind: 'key.insert', key: key(10) }]);
    });
    t.match(reader.key(kid(10)), { addedSeq: 10 });
  });

  await t.test('clearing the derived tables clears kid_keys; the keys added again are found', async (t) => {
    store.transaction(() => {
      store.clearDerived();
      t.equal(store.key(kid(3)), undefined, 'cleared');
      store.applyEffects([{ kind: 'participant.insert', participant: { id: 'acme', name: 'Acme', roles: ['supplier'], gln: null, registeredSeq: 0 } }]);
      store.applyEffects([1, 3, 11].map((s) => ({ kind: 'key.insert' as const, key: key(s) })));
    });
    t.same(kidRows(), [], 'three keys: kid_keys stays empty until the next merge');
    t.equal(upto(), 0);
    t.match(store.key(kid(3)), { addedSeq: 3 });
    t.match(await lookUp(kid(11)), { addedSeq: 11 });
    t.throws(() => store.transaction(() => { store.clearDerived(); throw new Error('rebuild failed'); }), /rebuild failed/);
    t.match(store.key(kid(1)), { addedSeq: 1 }, 'a rolled-back clear leaves the keys findable');
  });

  await t.test('closing merges the tail', async (t) => {
    await store.close();
    t.same(kidRows().map((r) => r.seq), [1, 3, 11]);
    t.equal(upto(), 12);
    t.match(await lookUp(kid(11)), { addedSeq: 11 });
  });
});

t.test('a commit that fills both tails merges one of them; the next commit merges the other', async (t) => {
  const { store, raw } = storeWithSmallTail(t, 4);
  const meta = (key: string) => Number(raw.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(key) ?? 0);
  const count = (table: string) => raw.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get();
  const leafHash = (seq: number) => new Uint8Array(createHash('sha256').update(`leaf ${seq}`).digest());
  const rec = (seq: number) => ({ seq, signer: 'acme', entryId: `e${seq}`, type: 't', payloadHash: new Uint8Array(32).fill(seq), leaf: new Uint8Array([seq]), leafHash: leafHash(seq), chainHash: leafHash(seq) });
  const kid = (seq: number) => `k${String(seq).padStart(4, '0')}`;
  const keyAdd = (seq: number) => ({ kind: 'key.insert' as const, key: { kid: kid(seq), participant: 'acme', publicKey: new Uint8Array(32).fill(seq), addedSeq: seq, revokedSeq: null, addedBy: 'operator', operatorAdded: false } });
  // Like key.add entries: each record adds a key, so both tails reach 4 in the same commit.
  const append = (from: number, to: number) =>
    store.transaction(() => {
      for (let s = from; s < to; s++) {
        store.insertRecord(rec(s));
        store.applyEffects([keyAdd(s)]);
      }
    });
  store.transaction(() => store.applyEffects([{ kind: 'participant.insert', participant: { id: 'acme', name: 'Acme', roles: ['supplier'], gln: null, registeredSeq: 0 } }]));

  append(0, 4);
  t.same([count('entry_keys'), count('leaf_keys'), meta('keys_indexed_upto')], [4, 4, 4], 'the record keys went to their tables');
  t.same([count('kid_keys'), count('participant_kids'), meta('kids_indexed_upto')], [0, 0, 0], 'the participant keys stayed in their tail');
  for (let s = 0; s < 4; s++) {
    t.equal(store.entryBySignerId('acme', `e${s}`)?.seq, s, `record ${s} found through entry_keys`);
    t.match(store.key(kid(s)), { kid: kid(s), addedSeq: s }, `key ${s} found through the tail`);
  }
  t.same(store.keysOf('acme').map((k) => k.kid), [0, 1, 2, 3].map(kid), 'the participant lists all four keys');

  append(4, 5);
  t.same([count('kid_keys'), count('participant_kids'), meta('kids_indexed_upto')], [5, 5, 5], 'the next commit moved the five keys, its own too');
  t.same([count('entry_keys'), meta('keys_indexed_upto')], [4, 4], 'and left the one new record in its tail');
  for (let s = 0; s < 5; s++) {
    t.equal(store.entryBySignerId('acme', `e${s}`)?.seq, s, `record ${s} found`);
    t.match(store.key(kid(s)), { kid: kid(s), addedSeq: s }, `key ${s} found`);
  }
  t.same(store.keysOf('acme').map((k) => k.kid), [0, 1, 2, 3, 4].map(kid), 'from kid tables and tail together');
});

t.test('small commits merge their tails at a quarter of keysMergeAt, large ones at keysMergeAt', async (t) => {
  // keysMergeAt 256: commits of 1-2 records are small and merge at 64.
  const { store, raw } = storeWithSmallTail(t, 256);
  const meta = (key: string) => Number(raw.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(key) ?? 0);
  const leafHash = (seq: number) => new Uint8Array(createHash('sha256').update(`leaf ${seq}`).digest());
  const rec = (seq: number) => ({ seq, signer: 'acme', entryId: `e${seq}`, type: 't', payloadHash: new Uint8Array(32).fill(seq & 0xff), leaf: new Uint8Array([seq & 0xff]), leafHash: leafHash(seq), chainHash: leafHash(seq) });
  const keyAdd = (seq: number) => ({ kind: 'key.insert' as const, key: { kid: `k${seq}`, participant: 'acme', publicKey: new Uint8Array(32).fill(seq & 0xff), addedSeq: seq, revokedSeq: null, addedBy: 'operator', operatorAdded: false } });
  const upto = () => [meta('keys_indexed_upto'), meta('kids_indexed_upto')];
  let next = 0;
  const commit = (records: number) =>
    store.transaction(() => {
      for (let k = 0; k < records; k++, next++) {
        store.insertRecord(rec(next));
        store.applyEffects([keyAdd(next)]);
      }
    });
  store.transaction(() => store.applyEffects([{ kind: 'participant.insert', participant: { id: 'acme', name: 'Acme', roles: ['supplier'], gln: null, registeredSeq: 0 } }]));

  for (let k = 0; k < 63; k++) commit(1);
  t.same(upto(), [0, 0], '63 single-record commits: both tails wait');
  commit(1);
  t.same(upto(), [64, 0], 'the 64th merged the record keys');
  commit(1);
  t.same(upto(), [64, 65], 'the 65th the participant keys');

  for (let k = 0; k < 7; k++) commit(10);
  t.same(upto(), [64, 65], 'commits of 10 records leave 71 and 70 keys in the tails: they merge at 256');
  for (let k = 0; k < 18; k++) commit(10);
  t.same(upto(), [64, 65], 'still below 256 (251 record keys)');
  commit(10);
  t.same(upto(), [325, 65], 'the commit that reached 256 merged the record keys');
  commit(10);
  t.same(upto(), [325, 335], 'and the next the participant keys');
  for (let s = 0; s < next; s += 17) {
    t.equal(store.entryBySignerId('acme', `e${s}`)?.seq, s, `record ${s} found`);
    t.match(store.key(`k${s}`), { addedSeq: s }, `key ${s} found`);
  }
});

t.test('Merkle nodes are stored in the order appending leaves makes them', async (t) => {
  // Replay appends leaf by leaf and number the nodes as they are completed, bottom up.
  const wrong: string[] = [];
  let made = 0;
  for (let leaves = 1; leaves <= 4096; leaves++) {
    for (let level = 1; leaves % 2 ** level === 0; level++) {
      const index = leaves / 2 ** level - 1;
      const back = merkleNodeAt(made);
      if (merklePos(level, index) !== made || back.level !== level || back.index !== index) wrong.push(`(${level}, ${index}) made ${made}th`);
      made++;
    }
    if (merkleNodesIn(leaves) !== made) wrong.push(`${leaves} leaves: ${merkleNodesIn(leaves)} nodes, made ${made}`);
  }
  t.same(wrong, [], 'every node of the first 4,096 leaves at its place, and back');
  t.equal(made, 4095, 'a tree of 4,096 leaves has 4,095 nodes above them');
  t.equal(merklePos(52, 0), merkleNodesIn(2 ** 52) - 1, 'the root of 2^52 leaves is the last node of its tree');
  t.same(merkleNodeAt(merkleNodesIn(2 ** 52 - 1) - 1), { level: 1, index: 2 ** 51 - 2 }, 'beyond 32 bits');
});

