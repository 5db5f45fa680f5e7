/** The read-only look into a ledger file that `verify --db` uses (src/store/sqlite-inspect.ts). */
import t, { type Test } from 'tap';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { toBase64Url } from '../../src/core/bytes.js';
import { expectedSchemaObjects, inspectSqlite } from '../../src/store/sqlite-inspect.js';
import { entryKeyOf, leafKeyOf, merkleNodesIn, merklePos } from '../../src/store/sqlite.js';
import { makeLedger, ORIGIN, party, type TestLedger } from '../helpers.js';

/** A closed ledger: genesis, a supplier, three key adds (both key tails merged at close), a checkpoint. */
async function closedLedger(t: Test): Promise<{ L: TestLedger; size: number }> {
  const L = await makeLedger();
  t.teardown(() => L.close());
  const supplier = party('supplier-i');
  await L.register(supplier);
  for (let i = 0; i < 3; i++) {
    await L.ledger.submit([L.sign(supplier, { type: 'participant.key.add', participant: supplier.id, publicKey: toBase64Url(party('k').publicKey) })]);
  }
  const size = L.ledger.size();
  L.ledger.checkpoint(size);
  await L.ledger.close();
  await L.store.close();
  return { L, size };
}

function open(t: Test, path: string, readonly: boolean): Database.Database {
  const db = new Database(path, { readonly, fileMustExist: true });
  t.teardown(() => db.close());
  return db;
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

t.test('a healthy ledger, read through a read-only connection: everything there, nothing written', async (t) => {
  const { L, size } = await closedLedger(t);
  const before = sha256(L.dbPath);
  const raw = open(t, L.dbPath, true);
  const inspect = inspectSqlite(raw);

  t.equal(inspect.schemaVersion(), 1);
  t.same(inspect.schemaObjects(), expectedSchemaObjects(), 'the schema the migrations make');
  t.equal(inspect.meta('origin'), ORIGIN);
  t.equal(inspect.meta('no such key'), undefined);
  t.equal(inspect.keysIndexedUpto(), size, 'every record indexed at close');
  t.ok(inspect.kidsIndexedUpto() > 0);

  t.equal(inspect.recordCount(), size);
  const rows = inspect.recordsAfter(-1, 2);
  t.same(rows.map((r) => r.seq), [0, 1], 'in seq order, from the start');
  t.same(Object.keys(rows[0]!).sort(), ['chain_hash', 'entry_id', 'entry_key', 'leaf', 'leaf_hash', 'leaf_key', 'payload_hash', 'seq', 'signer', 'type'], 'every column');
  const last = inspect.record(size - 1)!;
  t.equal(last.leaf_key, leafKeyOf(last.leaf_hash as Uint8Array), 'the key columns as stored');
  t.equal(last.entry_key, entryKeyOf(last.signer as string, last.entry_id as string));
  t.same(inspect.recordsAfter(size - 1, 10), [], 'nothing after the last');
  t.equal(inspect.record(size), undefined);

  const node = inspect.node(1, 0) as Uint8Array;
  t.equal(node.length, 32, 'a stored node by (level, index)');
  t.equal(inspect.node(1, size), undefined, 'no row beyond the tree');
  t.same(inspect.nodesOutside(merkleNodesIn(size), 10), [], 'no stray nodes');

  const count = inspect.checkpointCount();
  t.ok(count >= 1);
  const byId = inspect.checkpointsById(0, 100);
  t.equal(byId.length, count);
  t.same(byId.map((c) => c.id), byId.map((_, i) => i + 1), 'by id');
  t.match(byId[0], { size: Number, root: Uint8Array, note: String });
  const bySize = inspect.checkpointsBySize(-1, 0, 100);
  t.same(bySize.map((c) => c.size), byId.map((c) => c.size).sort((a, b) => a - b), 'by size');

  t.same(inspect.duplicateEntries(10), []);
  t.same(inspect.duplicateLeaves(10), []);
  for (const table of ['entry_keys', 'leaf_keys'] as const) {
    t.same(inspect.recordsMissingFrom(table, size, 10), [], `${table}: no record missing`);
    t.same(inspect.strayRecordKeys(table, size, 10), [], `${table}: no stray row`);
  }
  for (const table of ['kid_keys', 'participant_kids'] as const) t.same(inspect.keysMissingFrom(table, inspect.kidsIndexedUpto(), 10), [], `${table}: no key missing`);
  t.same(inspect.strayKidKeys(inspect.kidsIndexedUpto(), 10), []);
  t.same(inspect.strayParticipantKids(inspect.kidsIndexedUpto(), 10), []);
  t.same(inspect.kidsTwice(10), []);

  t.same(inspect.columns('participants').filter((c) => c.pk > 0).map((c) => c.name), ['id']);
  inspect.setAsideDerived(['participants']);
  t.same(inspect.derivedDifferences('participants', 10), { live: [], rebuilt: [] }, 'the set-aside copy equals the table');

  raw.close();
  t.equal(sha256(L.dbPath), before, 'the file is unchanged (the set-aside rows live in TEMP)');
});

t.test('what an edited file holds, the inspection shows', async (t) => {
  const { L, size } = await closedLedger(t);
  const db = open(t, L.dbPath, false);
  const inspect = inspectSqlite(db);
  // The edits the append-only triggers would refuse: someone with the file took them away.
  db.exec('DROP TRIGGER entry_keys_no_delete; DROP TRIGGER records_no_update; DROP TRIGGER records_unique');
  db.prepare('DELETE FROM entry_keys WHERE seq = ?').run(1);
  db.prepare('INSERT INTO merkle_nodes (pos, hash) VALUES (?, zeroblob(32))').run(merklePos(1, size));
  const copy = db.prepare('SELECT * FROM records WHERE seq = 2').get() as Record<string, unknown>;
  // A replay of record 2 at seq 3, key column included: the entry_keys row of seq 3 no longer matches it.
  db.prepare('UPDATE records SET entry_id = ?, signer = ?, entry_key = ? WHERE seq = 3').run(copy['entry_id'], copy['signer'], copy['entry_key']);
  db.exec("CREATE TABLE intruder (x)");

  t.same(inspect.recordsMissingFrom('entry_keys', size, 10), [1, 3], 'the deleted key row, and the edited record whose new key has none');
  t.same(inspect.strayRecordKeys('entry_keys', size, 10).map((k) => k.seq), [3], 'the key row of the edited record no longer matches it');
  t.same(inspect.nodesOutside(merkleNodesIn(size), 10), [merklePos(1, size)], 'the node beyond the tree');
  t.match(inspect.duplicateEntries(10), [{ signer: copy['signer'], entry_id: copy['entry_id'], seqs: /^(2,3|3,2)$/ }], 'the replayed entry');
  t.equal(inspect.schemaObjects().get('table intruder'), 'CREATE TABLE intruder (x)', 'objects not in the schema show');
  t.notOk(inspect.schemaObjects().has('trigger records_unique'), 'and removed ones are missing');

  inspect.setAsideDerived(['participants']);
  db.prepare("UPDATE participants SET name = 'Renamed' WHERE id = ?").run('supplier-i');
  const diff = inspect.derivedDifferences('participants', 10);
  t.match(diff, { live: [{ id: 'supplier-i', name: 'supplier-i Ltd' }], rebuilt: [{ id: 'supplier-i', name: 'Renamed' }] }, 'both sides of a changed row');
});

t.test('a file of another program: schemaVersion refuses it', async (t) => {
  const { L } = await closedLedger(t);
  const db = open(t, L.dbPath, false);
  db.pragma('application_id = 7');
  t.throws(() => inspectSqlite(db).schemaVersion(), { code: 'LEDGER_STORE_CORRUPT' });
});
