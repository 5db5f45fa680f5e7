import { cli } from '../cli-runner.js';
/**
 * `verify --db` (src/audit/db-verify.ts) finds every change made to the SQLite file behind the
 * ledger's back, with plain SQL after dropping the append-only triggers, and names it; the
 * start-up check catches the cheap subset.
 */
import t, { type Test } from 'tap';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { utf8 } from '../../src/core/bytes.js';
import { canonicalize } from '../../src/core/jcs.js';
import { hashLeaf } from '../../src/core/merkle.js';
import { chainHash } from '../../src/core/record.js';
import { formatDbFailure, verifyDatabase, type DbCheck, type DbFailure, type DbVerifyReport } from '../../src/audit/db-verify.js';
import { openLedger } from '../../src/ledger.js';
import { openSqliteStore, merklePos } from '../../src/store/sqlite.js';
import { makeLedger, ORIGIN } from '../helpers.js';
import { A1, buildChain } from '../trace-chain.js';
import { makeWorld } from '../trace-world.js';

const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-dbverify-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** The trace chain, checked while the service has it open, then closed: the pristine file. */
const w = await makeWorld();
// A checkpoint after several steps, so that there are roots to check all along the log.
const checkpointNow = async () => void w.L.ledger.checkpoint(w.L.ledger.size());
const receipts = await buildChain(w, { cB1: checkpointNow, s1: checkpointNow, r2: checkpointNow, t2: checkpointNow, s4: checkpointNow });
const live = await verifyDatabase(w.L.dbPath);
const ledgerKey = w.L.ledger.verifierKey;
const ledgerSeed = w.L.ledgerSeed;
await w.L.ledger.close();
await w.L.store.close();
const pristine = join(dir, 'pristine.db');
copyFileSync(w.L.dbPath, pristine);
t.notOk(existsSync(`${w.L.dbPath}-wal`), 'closing left no WAL behind: the file is the whole database');
rmSync(w.L.dir, { recursive: true, force: true });
const size = receipts['dl']!.seq + 1;

let n = 0;
function copyOf(): string {
  const path = join(dir, `case-${n++}.db`);
  copyFileSync(pristine, path);
  return path;
}

function tamper(path: string, sql: (db: Database.Database) => void, dropTriggers = true): void {
  const db = new Database(path);
  if (dropTriggers) {
    for (const name of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").pluck().all() as string[]) db.exec(`DROP TRIGGER ${name}`);
  }
  sql(db);
  db.close();
}

const checksOf = (r: DbVerifyReport) => [...new Set(r.failures.map((f) => f.check))].sort();
const find = (r: DbVerifyReport, check: DbCheck, pred: (f: DbFailure) => boolean = () => true) => r.failures.find((f) => f.check === check && pred(f));
/** Every failure but the dropped triggers. */
const dataFailures = (r: DbVerifyReport) => r.failures.filter((f) => f.check !== 'schema');

t.test('a clean database passes, also while the service has it open', async (t) => {
  t.equal(live.ok, true, 'checked while open');
  t.same(live.failures, []);
  const r = await verifyDatabase(pristine, { ledgerKey });
  t.equal(r.ok, true);
  t.same(r.failures, []);
  t.equal(r.records, size);
  t.ok(r.checkpoints >= 6, 'several checkpoints checked');
  t.equal(r.keySource, 'pinned');
  t.equal(r.ledgerKey, ledgerKey);
  t.equal(r.origin, ORIGIN);
  const fromGenesis = await verifyDatabase(pristine);
  t.equal(fromGenesis.keySource, 'genesis');
  t.equal(fromGenesis.ok, true);
});

t.test('progress is reported for every phase', async (t) => {
  const phases = new Set<string>();
  let lastRecords = 0;
  await verifyDatabase(pristine, {
    onProgress: (phase, done, total) => {
      phases.add(phase);
      if (phase === 'records') {
        t.ok(done <= total);
        lastRecords = done;
      }
    },
  });
  t.same([...phases].sort(), ['checkpoints', 'copy', 'projections', 'rebuild', 'records']);
  t.equal(lastRecords, size);
});

t.test('dropped triggers alone are reported as a schema change', async (t) => {
  const path = copyOf();
  tamper(path, () => undefined);
  const r = await verifyDatabase(path);
  t.equal(r.ok, false);
  t.same(checksOf(r), ['schema']);
  t.ok(find(r, 'schema', (f) => f.key === 'trigger records_no_delete' && /missing/.test(f.message)), 'names the trigger');
  t.same(dataFailures(r), [], 'no data was changed');
});

t.test('a byte changed in an entry', async (t) => {
  const path = copyOf();
  const seq = receipts['r2']!.seq;
  tamper(path, (db) => {
    const leaf = db.prepare('SELECT leaf FROM records WHERE seq = ?').pluck().get(seq) as Buffer;
    const text = leaf.toString('utf8').replace('"value":290', '"value":299');
    t.not(text, leaf.toString('utf8'), 'the received quantity was changed');
    db.prepare('UPDATE records SET leaf = ? WHERE seq = ?').run(Buffer.from(text), seq);
  });
  const r = await verifyDatabase(path);
  t.equal(r.ok, false);
  const f = find(r, 'leaf-hash', (x) => x.seq === seq);
  t.ok(f, 'the leaf hash check names the record');
  t.match(f?.expected, /^[0-9a-f]{64}$/);
  t.match(f?.found, /^[0-9a-f]{64}$/);
  t.equal(f?.verifyCode, 'RECORD_LEAF_HASH', 'with the record check\'s code');
  t.match(formatDbFailure(f!), new RegExp(`^leaf-hash \\[seq ${seq}\\]: .* \\[RECORD_LEAF_HASH\\]$`), 'which the line for people ends with');
  t.equal(find(r, 'signature', (x) => x.seq === seq)?.verifyCode, 'RECORD_SIGNATURE', 'and its signature no longer verifies');
  t.notOk(find(r, 'chain'), 'the stored hashes still chain: only the leaf changed');
  t.ok(find(r, 'projection'), 'the projections no longer match the log either');
});

t.test('a record deleted', async (t) => {
  const path = copyOf();
  const seq = receipts['tr1']!.seq;
  tamper(path, (db) => db.prepare('DELETE FROM records WHERE seq = ?').run(seq));
  const r = await verifyDatabase(path);
  const f = find(r, 'seq');
  t.equal(f?.seq, seq);
  t.match(f?.message, new RegExp(`record ${seq} is missing`));
  t.ok(find(r, 'merkle', (x) => /not checked/.test(x.message)), 'says the tree beyond the gap was not checked');
  t.equal(r.records, size - 1);
});

t.test('two records swapped', async (t) => {
  const path = copyOf();
  const a = receipts['iA1']!.seq;
  const b = receipts['iB1']!.seq;
  tamper(path, (db) => {
    db.prepare('UPDATE records SET seq = -1 WHERE seq = ?').run(a);
    db.prepare('UPDATE records SET seq = ? WHERE seq = ?').run(a, b);
    db.prepare('UPDATE records SET seq = ? WHERE seq = -1').run(b);
  });
  const r = await verifyDatabase(path);
  const fa = find(r, 'leaf-seq', (x) => x.seq === a);
  const fb = find(r, 'leaf-seq', (x) => x.seq === b);
  t.ok(fa && fb, 'both positions named');
  t.equal(fa?.found, `seq ${b}`);
  t.equal(fb?.found, `seq ${a}`);
  t.equal(find(r, 'chain')?.verifyCode, 'RECORD_CHAIN', 'the chain breaks');
  t.ok(find(r, 'merkle'), 'the stored tree disagrees');
  t.ok(find(r, 'checkpoint', (x) => /root/.test(x.message)), 'and so do the signed roots');
});

t.test('a holding edited', async (t) => {
  const path = copyOf();
  tamper(path, (db) => t.equal(db.prepare("UPDATE holdings SET quantity = 1 WHERE code = ? AND holder = 'man'").run(A1).changes, 1), false);
  const r = await verifyDatabase(path);
  t.same(checksOf(r), ['projection'], 'no trigger guards projections, and nothing else changed');
  const f = find(r, 'projection');
  t.equal(f?.table, 'holdings');
  t.equal(f?.key, `code=${A1}, holder=man`);
  t.equal(f?.expected, 'quantity=100000000');
  t.equal(f?.found, 'quantity=1');
  t.match(formatDbFailure(f!), /projection \[holdings code=urn:trace:sup:ingot-1, holder=man\]/);
});

t.test("an object's producer edited", async (t) => {
  const path = copyOf();
  tamper(path, (db) => db.prepare("UPDATE objects SET producer = 'man2' WHERE code = ?").run(A1), false);
  const r = await verifyDatabase(path);
  const f = find(r, 'projection');
  t.equal(f?.table, 'objects');
  t.equal(f?.key, `code=${A1}`);
  t.equal(f?.expected, 'producer="sup"');
  t.equal(f?.found, 'producer="man2"');
});

t.test('a registry row edited or removed', async (t) => {
  const path = copyOf();
  tamper(path, (db) => {
    db.pragma('foreign_keys = OFF');
    db.prepare("UPDATE participant_keys SET revoked_seq = 5 WHERE participant = 'lab'").run();
    db.prepare("DELETE FROM participants WHERE id = 'ret'").run();
  }, false);
  const r = await verifyDatabase(path);
  t.ok(find(r, 'projection', (f) => f.table === 'participant_keys' && /revoked_seq/.test(f.message)));
  t.ok(find(r, 'projection', (f) => f.table === 'participants' && f.key === 'id=ret' && f.found === 'no row'));
});

t.test('a Merkle node edited', async (t) => {
  const path = copyOf();
  tamper(path, (db) => t.equal(db.prepare('UPDATE merkle_nodes SET hash = zeroblob(32) WHERE pos = ?').run(merklePos(1, 2)).changes, 1));
  const r = await verifyDatabase(path);
  t.same(dataFailures(r).map((f) => [f.check, f.key]), [['merkle', 'level=1, idx=2']], 'exactly that node');
  t.equal(find(r, 'merkle')?.found, '00'.repeat(32));
});

t.test('a Merkle node added or deleted', async (t) => {
  const path = copyOf();
  tamper(path, (db) => {
    db.prepare('DELETE FROM merkle_nodes WHERE pos = ?').run(merklePos(2, 1));
    db.prepare('INSERT INTO merkle_nodes (pos, hash) VALUES (?, zeroblob(32))').run(merklePos(1, 1000));
    db.prepare('INSERT INTO merkle_nodes (pos, hash) VALUES (-5, zeroblob(32))').run();
  });
  const r = await verifyDatabase(path);
  t.ok(find(r, 'merkle', (f) => f.key === 'level=2, idx=1' && f.found === 'no row'));
  t.ok(find(r, 'merkle', (f) => f.key === 'level=1, idx=1000' && /beyond/.test(f.message)));
  t.ok(find(r, 'merkle', (f) => f.key === 'pos=-5' && /not a place/.test(f.message)));
});

t.test('a checkpoint row deleted or altered', async (t) => {
  const path = copyOf();
  tamper(path, (db) => {
    t.equal(db.prepare('DELETE FROM checkpoints WHERE id = 2').run().changes, 1);
    db.prepare('UPDATE checkpoints SET root = zeroblob(32) WHERE id = 3').run();
  });
  const r = await verifyDatabase(path);
  t.ok(find(r, 'checkpoint', (f) => /rows 2\.\.2 were deleted/.test(f.message)), 'the deleted row');
  t.ok(find(r, 'checkpoint', (f) => (f.key ?? '').startsWith('id=3') && /signed note/.test(f.message)), 'the row that no longer matches its note');
});

t.test('an entry rewritten with every later hash recomputed', async (t) => {
  const path = copyOf();
  const seq = receipts['r2']!.seq;
  tamper(path, (db) => {
    const rows = db.prepare('SELECT seq, leaf, chain_hash FROM records WHERE seq >= ? ORDER BY seq').all(seq - 1) as Array<{ seq: number; leaf: Buffer; chain_hash: Buffer }>;
    let previous: Uint8Array = new Uint8Array(rows[0]!.chain_hash);
    for (const row of rows.slice(1)) {
      let leaf: Uint8Array = new Uint8Array(row.leaf);
      if (row.seq === seq) {
        const record = JSON.parse(row.leaf.toString('utf8'));
        record.entry.payload.objects[0].quantity.value = 300; // "we received everything"
        leaf = utf8(canonicalize(record));
      }
      const leafHash = hashLeaf(leaf);
      previous = chainHash(previous, leafHash);
      db.prepare('UPDATE records SET leaf = ?, leaf_hash = ?, chain_hash = ? WHERE seq = ?').run(leaf, leafHash, previous, row.seq);
    }
  });
  const r = await verifyDatabase(path);
  t.notOk(find(r, 'leaf-hash'), 'the hashes are consistent with the bytes');
  t.notOk(find(r, 'chain'), 'and chain');
  t.ok(find(r, 'signature', (f) => f.seq === seq), 'but the receiver never signed that');
  t.ok(find(r, 'columns', (f) => f.seq === seq && f.key === 'payload_hash'));
  t.ok(find(r, 'merkle'), 'the stored tree commits to the old leaf');
  t.ok(find(r, 'checkpoint', (f) => /root/.test(f.message)), 'and so do the signed checkpoints');
});

t.test('a key table row removed or pointed elsewhere', async (t) => {
  const path = copyOf();
  const seq = receipts['s2']!.seq;
  tamper(path, (db) => {
    t.equal(Number(db.prepare("SELECT value FROM meta WHERE key = 'keys_indexed_upto'").pluck().get()), size, 'the closed ledger has every key in the key tables');
    db.prepare('DELETE FROM entry_keys WHERE seq = ?').run(seq);
    db.prepare('INSERT INTO leaf_keys (key, seq) VALUES (?, ?)').run(12345, seq);
  });
  const r = await verifyDatabase(path);
  t.ok(find(r, 'keys', (f) => f.seq === seq && f.table === 'entry_keys' && /no row/.test(f.message)), 'the missing entry key is named');
  t.ok(find(r, 'keys', (f) => f.seq === seq && f.table === 'leaf_keys' && f.key === '12345'), 'and the stray leaf key');
  t.same(checksOf(r).filter((c) => c !== 'schema'), ['keys'], 'nothing else is wrong');
});

t.test('a kid_keys row removed or stray, and a key registered twice', async (t) => {
  const path = copyOf();
  let removed: { kid: string; seq: number } | undefined;
  let moved: string | undefined;
  let copied: { kid: string; added_seq: number } | undefined;
  tamper(path, (db) => {
    t.equal(Number(db.prepare("SELECT value FROM meta WHERE key = 'kids_indexed_upto'").pluck().get()), Number(db.prepare('SELECT MAX(added_seq) + 1 FROM participant_keys').pluck().get()), 'the closed ledger has every kid in kid_keys');
    removed = db.prepare('SELECT lower(hex(kid)) AS kid, seq FROM kid_keys ORDER BY seq DESC LIMIT 1').get() as { kid: string; seq: number };
    db.prepare('DELETE FROM kid_keys WHERE kid = unhex(?)').run(removed.kid);
    db.prepare('INSERT INTO kid_keys (kid, seq) VALUES (unhex(?), ?)').run('00000000deadbeef', 1);
    moved = db.prepare('SELECT kid FROM participant_kids WHERE seq = (SELECT MIN(seq) FROM participant_kids WHERE seq > 0)').pluck().get() as string;
    db.prepare("UPDATE participant_kids SET participant = 'someone-else' WHERE kid = ?").run(moved);
    copied = db.prepare('SELECT kid, added_seq FROM participant_keys ORDER BY added_seq LIMIT 1 OFFSET 1').get() as { kid: string; added_seq: number };
    db.prepare('INSERT INTO participant_keys (added_seq, kid, participant, public_key, revoked_seq) SELECT ?, kid, participant, public_key, revoked_seq FROM participant_keys WHERE kid = ?').run(size - 1, copied.kid);
  });
  const r = await verifyDatabase(path);
  t.ok(find(r, 'keys', (f) => f.seq === removed!.seq && f.table === 'kid_keys' && f.key === removed!.kid && /no row in kid_keys/.test(f.message)), 'the missing kid row is named');
  t.ok(find(r, 'keys', (f) => f.table === 'kid_keys' && f.key === '00000000deadbeef'), 'and the stray one');
  t.ok(find(r, 'keys', (f) => f.table === 'participant_kids' && f.key === moved && /someone-else.*not an indexed key/.test(f.message)), 'and the key filed under another participant');
  t.ok(find(r, 'keys', (f) => f.table === 'participant_kids' && f.key === moved && /no row in participant_kids/.test(f.message)), 'which its participant lacks');
  t.ok(find(r, 'keys', (f) => f.table === 'participant_keys' && f.key === copied!.kid && new RegExp(`seqs ${copied!.added_seq},${size - 1}`).test(f.message)), 'and the key registered twice');
  t.ok(find(r, 'projection', (f) => f.table === 'participant_keys'), 'which the rebuild from the log does not produce');
});

t.test('an entry replayed at the end of the log', async (t) => {
  const path = copyOf();
  const seq = receipts['s2']!.seq;
  tamper(path, (db) => {
    const src = db.prepare('SELECT * FROM records WHERE seq = ?').get(seq) as Record<string, unknown>;
    const last = db.prepare('SELECT chain_hash FROM records WHERE seq = ?').pluck().get(size - 1) as Buffer;
    const record = JSON.parse((src['leaf'] as Buffer).toString('utf8'));
    record.seq = size;
    const leaf = utf8(canonicalize(record));
    const leafHash = hashLeaf(leaf);
    db.prepare('INSERT INTO records (seq, signer, entry_id, type, payload_hash, leaf, leaf_hash, chain_hash, leaf_key, entry_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(size, src['signer'], src['entry_id'], src['type'], src['payload_hash'], leaf, leafHash, chainHash(new Uint8Array(last), leafHash), Buffer.from(leafHash).readUIntBE(0, 6), src['entry_key']);
  });
  const r = await verifyDatabase(path);
  t.ok(find(r, 'duplicate', (f) => f.seq === size && new RegExp(`seqs ${seq},${size}`).test(f.message)), 'the replay is named');
  t.ok(find(r, 'merkle', (f) => f.seq === size), 'no stored node covers it');
});

t.test('a pinned key of another ledger: nothing verifies', async (t) => {
  const other = await makeLedger();
  const otherKey = other.ledger.verifierKey;
  await other.close();
  const r = await verifyDatabase(pristine, { ledgerKey: otherKey });
  t.equal(r.ok, false);
  t.ok(find(r, 'genesis', (f) => f.expected === otherKey && f.found === ledgerKey));
  t.ok(find(r, 'checkpoint', (f) => /does not verify/.test(f.message)));
});

t.test('files that are not a ledger database', async (t) => {
  const text = join(dir, 'text.db');
  writeFileSync(text, 'not a database\n'.repeat(400));
  await t.rejects(verifyDatabase(text), { code: 'LEDGER_STORE_CORRUPT' });
  await t.rejects(verifyDatabase(join(dir, 'missing.db')), { code: 'LEDGER_STORE_CORRUPT' });
  const empty = join(dir, 'empty.db');
  new Database(empty).close();
  await t.rejects(verifyDatabase(empty), { code: 'LEDGER_STORE_CORRUPT' });
});

t.test('start-up refuses a log with a record deleted from the middle', async (t) => {
  const path = copyOf();
  tamper(path, (db) => db.prepare('DELETE FROM records WHERE seq = ?').run(receipts['tr1']!.seq));
  const store = openSqliteStore(path);
  t.teardown(() => store.close());
  t.throws(() => openLedger({ store, origin: ORIGIN, ledgerSeed }), { code: 'LEDGER_STORE_CORRUPT', message: /records were deleted/ });
});

t.test('start-up still opens the pristine file', async (t) => {
  const path = copyOf();
  const store = openSqliteStore(path);
  t.teardown(() => store.close());
  const ledger = openLedger({ store, origin: ORIGIN, ledgerSeed });
  t.equal(ledger.size(), size);
  await ledger.close();
});


t.test('trace-ledger verify --db', async (t: Test) => {
  const clean = await cli('verify', '--db', pristine, '--key', ledgerKey);
  t.equal(clean.code, 0, clean.stderr);
  t.match(clean.stdout, /^OK: .*pristine\.db: \d+ records, \d+ checkpoints/m);
  t.match(clean.stdout, /pinned key/);

  // The file's own genesis names the key it is checked with: only when asked for, and said so.
  const unpinned = await cli('verify', '--db', pristine);
  t.equal(unpinned.code, 2, 'no --key and no --trust-db-key: exit 2');
  t.equal(unpinned.stdout, '');
  t.match(unpinned.stderr, /^trace-ledger: .*--key <verifier key>.*--trust-db-key/);
  t.equal((await cli('verify', '--db', pristine, '--key', ledgerKey, '--trust-db-key')).code, 2, 'both: exit 2');
  const tofu = await cli('verify', '--db', pristine, '--trust-db-key');
  t.equal(tofu.code, 0);
  t.match(tofu.stdout, /key from the genesis entry, NOT pinned/);
  t.match(JSON.parse((await cli('verify', '--db', pristine, '--trust-db-key', '--json')).stdout), { ok: true, keySource: 'genesis' });

  const path = copyOf();
  tamper(path, (db) => db.prepare("UPDATE objects SET producer = 'man2' WHERE code = ?").run(A1), false);
  const bad = await cli('verify', '--db', path, '--key', ledgerKey);
  t.equal(bad.code, 1, 'exit 1: the file was changed');
  t.match(bad.stdout, /projection \[objects code=urn:trace:sup:ingot-1\]/);
  t.match(bad.stdout, /^FAILED: 1 problem/m);

  const json = await cli('verify', '--db', path, '--trust-db-key', '--json');
  t.equal(json.code, 1);
  const report = JSON.parse(json.stdout) as DbVerifyReport;
  t.equal(report.ok, false);
  t.equal(report.failures[0]?.table, 'objects');

  const missing = await cli('verify', '--db', join(dir, 'nope.db'), '--key', ledgerKey);
  t.equal(missing.code, 1);
  t.equal(missing.stdout, '');
  t.match(missing.stderr, /^trace-ledger: CLI_FILE_NOT_FOUND: [^\n]*nope\.db[^\n]*\n$/);

  const usage = await cli('verify', '--db', pristine, '--key', 'not-a-key');
  t.equal(usage.code, 2, 'a malformed --key is a usage error');
});
