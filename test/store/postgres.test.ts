/**
 * The PostgreSQL store: the interface's cases (store-cases.ts), then what is PostgreSQL's own: the
 * database refuses changes to the log whoever asks, errors come back with the store's codes, and
 * the derived rows are the very texts the SQLite store gives (the background check compares a
 * PostgreSQL ledger with a replay into SQLite). Skipped, with the reason, without PostgreSQL.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nobleEd25519 } from '../../src/core/ed25519.js';
import { compareDerived, createReplica } from '../../src/ledger/derived-state.js';
import { openLedger } from '../../src/ledger.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { LedgerStore } from '../../src/store/store.js';
import { party } from '../helpers.js';
import { submitDemo } from '../helpers/demo-mix.js';
import { postgresFor } from '../helpers/postgres.js';
import { fakeRecord, ORIGIN, storeCases } from './store-cases.js';

// Every store starts a worker thread, which under the test loader compiles its modules again (seconds each).
t.setTimeout(600_000);
const pg = postgresFor(t);
if (pg.skip !== false) {
  t.comment(`the PostgreSQL store tests were skipped: ${pg.skip}`);
  t.pass(`skipped: ${pg.skip}`, { skip: pg.skip });
} else {
  await run();
}

function codeOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return (e as { code?: unknown }).code ?? (e as Error).name;
  }
  return undefined;
}

async function fresh(t: Test): Promise<{ url: string; store: LedgerStore }> {
  const url = await (await pg.cluster()).createDatabase();
  const store = openPostgresStore(url);
  t.teardown(() => store.close());
  return { url, store };
}

async function run(): Promise<void> {
  storeCases(t, {
    name: 'PostgreSQL',
    async create(t) {
      const { url, store } = await fresh(t);
      return { store, reopen: () => openPostgresStore(url) };
    },
  });

  t.test('the database itself refuses UPDATE, DELETE and TRUNCATE of the log tables, from any client', async (t) => {
    const { url, store } = await fresh(t);
    store.transaction(() => {
      store.insertRecord(fakeRecord(0));
      store.insertNodes([{ level: 1, index: 0, hash: new Uint8Array(32) }]);
      store.insertCheckpoint({ size: 1, root: new Uint8Array(32), note: 'note', signedAt: '2026-01-01T00:00:00Z' });
    });
    const other = await (await pg.cluster()).connect(url);
    t.teardown(() => other.end());
    const attempts = [
      'UPDATE records SET signer = $$mallory$$', 'DELETE FROM records', 'TRUNCATE records',
      'UPDATE merkle_nodes SET hash = $$\\x00$$', 'DELETE FROM merkle_nodes', 'TRUNCATE merkle_nodes',
      'UPDATE checkpoints SET note = $$forged$$', 'DELETE FROM checkpoints', 'TRUNCATE checkpoints',
      'INSERT INTO records (seq, signer, entry_id, type, payload_hash, leaf, leaf_hash, chain_hash) VALUES (5, $$a$$, $$b$$, $$c$$, $$\\x00$$, $$\\x00$$, $$\\x01$$, $$\\x00$$)',
    ];
    for (const sql of attempts) {
      const code = await other.query(sql).then(() => 'accepted', (e: { code?: string }) => e.code);
      t.equal(code, 'P0001', `refused by a trigger: ${sql.slice(0, 40)}`);
    }
    t.equal(store.size(), 1);
    t.equal(store.record(0)!.seq, 0);
    t.equal(store.latestCheckpoint()?.note, 'note');
  });

  t.test('a write the database refuses is LEDGER_STORE_CORRUPT, and the transaction is rolled back', async (t) => {
    const { store } = await fresh(t);
    const first = fakeRecord(0);
    store.transaction(() => store.insertRecord(first));
    t.equal(codeOf(() => store.transaction(() => store.insertRecord(fakeRecord(3)))), 'LEDGER_STORE_CORRUPT', 'a gap in the log');
    t.equal(codeOf(() => store.transaction(() => store.insertRecord(fakeRecord(1, { signer: first.signer, entryId: first.entryId })))), 'LEDGER_STORE_CORRUPT', 'a repeated (signer, id)');
    t.equal(codeOf(() => store.transaction(() => store.insertRecord(fakeRecord(1, { leafHash: first.leafHash })))), 'LEDGER_STORE_CORRUPT', 'a repeated leaf hash');
    t.equal(codeOf(() => store.transaction(() => {
      store.setMeta('kept', 'no');
      store.savepoint(() => store.insertRecord(fakeRecord(1, { leafHash: first.leafHash })));
    })), 'LEDGER_STORE_CORRUPT', 'inside a savepoint too');
    t.equal(store.meta('kept'), undefined);
    store.transaction(() => store.insertRecord(fakeRecord(1)));
    t.equal(store.size(), 2, 'the connection goes on after refused writes');
  });

  t.test('text and bytes written in a transaction (sent as literals) read back unchanged', async (t) => {
    const { store } = await fresh(t);
    const texts = ["o'hara", 'back\\slash \\x00', "both \\' and '", 'π ✓ 😀', '$1 $$ $2', ''];
    store.transaction(() => texts.forEach((v, i) => store.setMeta(`k${i}`, v)));
    t.same(texts.map((_, i) => store.meta(`k${i}`)), texts);
    const r = fakeRecord(0, { signer: "sig'ner\\", leaf: new Uint8Array([0, 39, 92, 255]) });
    store.transaction(() => store.insertRecord(r));
    t.same(store.record(0)!.leaf, r.leaf);
    t.same(store.entryBySignerId(r.signer, r.entryId)?.seq, 0);
  });

  t.test('opening: what the database holds, and whether it can be reached', async (t) => {
    const cluster = await pg.cluster();
    const url = await cluster.createDatabase();
    t.equal(codeOf(() => openPostgresStore(url, { readonly: true })), 'LEDGER_STORE_CORRUPT', 'read-only open of an empty database: not a ledger');
    const admin = await cluster.connect(url);
    t.teardown(() => admin.end());
    await admin.query('CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    t.equal(codeOf(() => openPostgresStore(url)), 'LEDGER_STORE_CORRUPT', 'a meta table without a schema version is not ours');
    await admin.query(`INSERT INTO meta VALUES ('schema_version', '99')`);
    t.equal(codeOf(() => openPostgresStore(url)), 'LEDGER_STORE_CORRUPT', 'a schema newer than this program');

    const closedPort = url.replace(/:\d+\//, ':1/');
    t.equal(codeOf(() => openPostgresStore(closedPort)), 'LEDGER_STORE_UNWRITABLE', 'no server there');
    t.equal(codeOf(() => openPostgresStore(url.replace(/\/t_\d+$/, '/no_such_db'))), 'LEDGER_STORE_UNWRITABLE', 'no such database');
    t.equal(codeOf(() => openPostgresStore('/var/lib/ledger.db')), 'TypeError', 'not a postgres:// URL');
    t.notMatch(String((() => {
      try {
        openPostgresStore('postgres://u:s3cret@127.0.0.1:1/db');
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })()), /s3cret/, 'the password is not in the message');

    const ok = await cluster.createDatabase();
    await openPostgresStore(ok).close();
    const ro = openPostgresStore(ok, { readonly: true });
    t.teardown(() => ro.close());
    t.equal(ro.size(), 0, 'a created schema opens read-only');
    t.equal(codeOf(() => ro.transaction(() => ro.setMeta('a', 'b'))), 'LEDGER_STORE_UNWRITABLE', 'and refuses writes');
  });

  t.test('the start-up check finds a log changed by someone who could switch the triggers off', async (t) => {
    const cluster = await pg.cluster();
    const url = await cluster.createDatabase();
    const ledgerSeed = new Uint8Array(32).fill(3);
    const operator = party('operator');
    {
      const store = openPostgresStore(url);
      const ledger = openLedger({ store, origin: ORIGIN, ledgerSeed });
      await ledger.initGenesis({ operator: { id: operator.id, name: 'Operator', publicKey: operator.publicKey } });
      await submitDemo(ledger, operator.seed);
      ledger.checkpoint(ledger.size());
      await ledger.close();
      await store.close();
    }
    /** Open as the service does; the close is ours. The start-up check of a small log runs in the open. */
    const reopen = async (): Promise<unknown> => {
      const store = openPostgresStore(url);
      try {
        const ledger = openLedger({ store, origin: ORIGIN, ledgerSeed });
        await ledger.verified;
        await ledger.close();
        return 'opened';
      } catch (e) {
        return (e as { code?: unknown }).code;
      } finally {
        await store.close();
      }
    };
    t.equal(await reopen(), 'opened', 'control: the untouched log opens');
    // A superuser's session in replica mode fires no ordinary triggers: what an operator with
    // full rights could do. Each change is undone after its check, for the next one.
    const admin = await cluster.connect(url);
    t.teardown(() => admin.end());
    await admin.query('SET session_replication_role = replica');
    const size = Number((await admin.query('SELECT MAX(seq) + 1 AS n FROM records')).rows[0].n);
    const level = Math.floor(Math.log2(size)); // the largest perfect subtree is on the frontier
    const cases: Array<[string, string, string]> = [
      ["a byte of the last record's leaf", `UPDATE records SET leaf = set_byte(leaf, 10, get_byte(leaf, 10) # 1) WHERE seq = ${size - 1}`,
        `UPDATE records SET leaf = set_byte(leaf, 10, get_byte(leaf, 10) # 1) WHERE seq = ${size - 1}`],
      ["the last record's chain hash", `UPDATE records SET chain_hash = set_byte(chain_hash, 0, get_byte(chain_hash, 0) # 128) WHERE seq = ${size - 1}`,
        `UPDATE records SET chain_hash = set_byte(chain_hash, 0, get_byte(chain_hash, 0) # 128) WHERE seq = ${size - 1}`],
      ['a Merkle node on the frontier', `UPDATE merkle_nodes SET hash = set_byte(hash, 0, get_byte(hash, 0) # 1) WHERE level = ${level} AND idx = 0`,
        `UPDATE merkle_nodes SET hash = set_byte(hash, 0, get_byte(hash, 0) # 1) WHERE level = ${level} AND idx = 0`],
      ["the latest checkpoint's root", 'UPDATE checkpoints SET root = set_byte(root, 0, get_byte(root, 0) # 1) WHERE id = (SELECT MAX(id) FROM checkpoints)',
        'UPDATE checkpoints SET root = set_byte(root, 0, get_byte(root, 0) # 1) WHERE id = (SELECT MAX(id) FROM checkpoints)'],
      ['the last record deleted', `CREATE TEMP TABLE kept AS SELECT * FROM records WHERE seq = ${size - 1}; DELETE FROM records WHERE seq = ${size - 1}`,
        'INSERT INTO records SELECT * FROM kept; DROP TABLE kept'],
    ];
    for (const [what, tamper, undo] of cases) {
      await admin.query(tamper);
      t.equal(await reopen(), 'LEDGER_STORE_CORRUPT', what);
      await admin.query(undo);
    }
    t.equal(await reopen(), 'opened', 'with every change undone the log opens again');
  });

  t.test('derived rows: the same texts as SQLite, so a replay into SQLite matches a PostgreSQL ledger row for row', async (t) => {
    const { store } = await fresh(t);
    const ledger = openLedger({ store, origin: ORIGIN, ledgerSeed: new Uint8Array(32).fill(7) });
    const operator = party('operator');
    await ledger.initGenesis({ operator: { id: operator.id, name: 'Operator', publicKey: operator.publicKey } });
    await submitDemo(ledger, operator.seed);
    t.teardown(() => ledger.close());

    const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-replay-'));
    const scratch = openSqliteStore(join(dir, 'replay.db'), { scratch: true });
    t.teardown(async () => {
      await scratch.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const replica = createReplica(store, scratch, { verifySignatures: true, ed: nobleEd25519 });
    t.equal(replica.step(10_000, store.size()), store.size(), 'the PostgreSQL log replays into SQLite');
    const comparison = compareDerived(store, scratch);
    t.equal(comparison.step(1_000_000), true, 'no row differs');
    t.ok(comparison.rows > 100, `${comparison.rows} rows compared`);

    // And a difference is found: a holding edited behind the ledger's back (issue 16).
    const row = store.derivedPage('holdings', undefined, 1)[0]!;
    store.transaction(() => store.applyDomainEffects([{ kind: 'holding.add', code: row.key[0] as string, holder: row.key[1] as string, delta: 1 }]));
    const again = compareDerived(store, scratch).step(1_000_000);
    t.match(again, { table: 'holdings' }, 'an edited holding is named');
  });
}
