/**
 * The one schema and its migration path (src/store/sqlite/schema.ts), against a database made by
 * the code before the squash (test/store/fixtures/legacy-0.x-demo.db, user_version 10).
 */
import t, { type Test } from 'tap';
import Database from 'better-sqlite3';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { APPLICATION_ID, LEGACY_USER_VERSION, MIGRATIONS, SCHEMA_VERSION, migrate, schemaVersionOf } from '../../../src/store/sqlite/schema.js';
import { openSqliteStore } from '../../../src/store/sqlite.js';
import { verifyDatabase } from '../../../src/audit/db-verify.js';

const LEGACY = fileURLToPath(new URL('../fixtures/legacy-0.x-demo.db', import.meta.url));
const LEGACY_RECORDS = 67;

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'tl-schema-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A copy of the legacy fixture: the tests open it writable, and the fixture must stay as it is. */
function legacyCopy(t: Test): string {
  const path = join(tempDir(t), 'ledger.db');
  copyFileSync(LEGACY, path);
  return path;
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Every schema object, as `type name on table: sql`. */
function schemaObjects(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all() as Array<{ type: string; name: string; tbl_name: string; sql: string }>)
      .map((o) => `${o.type} ${o.name} on ${o.tbl_name}: ${o.sql}`);
  } finally {
    db.close();
  }
}

function pragmas(path: string): { appId: number; userVersion: number } {
  const db = new Database(path, { readonly: true });
  try {
    return { appId: db.pragma('application_id', { simple: true }) as number, userVersion: db.pragma('user_version', { simple: true }) as number };
  } finally {
    db.close();
  }
}

t.test('the fixture is what the code before the squash made', async (t) => {
  t.same(pragmas(LEGACY), { appId: 0, userVersion: LEGACY_USER_VERSION });
});

t.test('a new database has the schema of the legacy files, object for object and text for text', async (t) => {
  const path = join(tempDir(t), 'new.db');
  await openSqliteStore(path).close();
  t.same(schemaObjects(path), schemaObjects(LEGACY), 'verify --db compares the text of each object: a legacy file must match the squashed schema');
  t.same(pragmas(path), { appId: APPLICATION_ID, userVersion: SCHEMA_VERSION }, 'stamped, so that user_version counts the new migrations');
  t.equal(SCHEMA_VERSION, 1);
});

t.test('a legacy database opens as version 1 without a byte of it rewritten', async (t) => {
  const path = legacyCopy(t);
  const before = sha256(path);
  const store = openSqliteStore(path);
  t.equal(store.size(), LEGACY_RECORDS);
  t.equal(store.recordCount(), LEGACY_RECORDS);
  const genesis = store.record(0)!;
  t.equal(store.seqOfLeafHash(genesis.leafHash), 0, 'found through the key tables the old code filled');
  t.ok(store.participants().length > 0, 'the registry is there');
  t.ok(store.latestCheckpoint(), 'and the checkpoints');
  await store.close();
  t.equal(sha256(path), before, 'the file is unchanged after a writable open and a close');
  t.same(pragmas(path), { appId: 0, userVersion: LEGACY_USER_VERSION }, 'not even restamped');

  const raw = new Database(path, { readonly: true });
  t.teardown(() => raw.close());
  t.equal(schemaVersionOf(raw), 1);

  const readonly = openSqliteStore(path, { readonly: true });
  t.equal(readonly.size(), LEGACY_RECORDS, 'read-only opens too');
  await readonly.close();
});

t.test('verify --db passes on a legacy database (its schema is the one schema)', async (t) => {
  const path = legacyCopy(t);
  const report = await verifyDatabase(path, { tmpDir: tempDir(t) });
  t.same(report.failures, []);
  t.equal(report.ok, true);
  t.equal(report.records, LEGACY_RECORDS);
});

t.test('the migration path: a later step runs once, on new and legacy files alike', async (t) => {
  const step2 = "CREATE TABLE later (x INTEGER PRIMARY KEY); INSERT INTO later (x) VALUES (42);";
  const steps = [...MIGRATIONS, step2];
  const dir = tempDir(t);
  const fresh = new Database(join(dir, 'fresh.db'));
  const legacy = new Database(legacyCopy(t));
  t.teardown(() => {
    fresh.close();
    legacy.close();
  });
  for (const [name, db] of [['new', fresh], ['legacy', legacy]] as const) {
    if (name === 'new') migrate(db, false);
    t.equal(schemaVersionOf(db), 1, `${name}: version 1`);
    migrate(db, false, steps);
    t.equal(db.pragma('user_version', { simple: true }), 2, `${name}: at version 2`);
    t.equal(db.pragma('application_id', { simple: true }), APPLICATION_ID, `${name}: stamped`);
    migrate(db, false, steps);
    t.same(db.prepare('SELECT x FROM later').pluck().all(), [42], `${name}: the step ran once`);
    t.throws(() => schemaVersionOf(db), { code: 'LEDGER_STORE_CORRUPT' }, `${name}: this program (version 1) refuses it`);
  }
  t.equal(legacy.prepare('SELECT COUNT(*) FROM records').pluck().get(), LEGACY_RECORDS, 'the legacy records untouched');
});

t.test('a failing step leaves the database at the version before it', async (t) => {
  const db = new Database(join(tempDir(t), 'x.db'));
  t.teardown(() => db.close());
  migrate(db, false);
  t.throws(() => migrate(db, false, [...MIGRATIONS, 'CREATE TABLE ok (x); CREATE TABLE records (y)']), { code: 'SQLITE_ERROR' });
  t.equal(schemaVersionOf(db), 1);
  t.equal(db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'ok'").pluck().get(), 0, 'rolled back as a whole');
});

t.test('files this program cannot read as a ledger are refused', async (t) => {
  const dir = tempDir(t);
  const cases: Array<[string, (db: Database.Database) => void]> = [
    ['another program (application_id)', (db) => db.pragma('application_id = 1234')],
    ['an early 0.x file, before its last migration', (db) => db.pragma('user_version = 5')],
    ['a newer trace-ledger', (db) => {
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    }],
  ];
  for (const [what, make] of cases) {
    const path = join(dir, `${what.replaceAll(/\W+/g, '-')}.db`);
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    make(db);
    db.close();
    t.throws(() => openSqliteStore(path), { code: 'LEDGER_STORE_CORRUPT' }, what);
    t.throws(() => openSqliteStore(path, { readonly: true }), { code: 'LEDGER_STORE_CORRUPT' }, `${what}, read-only`);
  }
});
