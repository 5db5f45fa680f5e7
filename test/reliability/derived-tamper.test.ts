/**
 * Issue 16, "derived tables are trusted": the rules judged new entries by the registry and the
 * projections as stored, so an edit of `holdings` on a stopped database let a retailer ship 900
 * windows it never had, and a row inserted into `participant_keys` let an entry signed with that
 * key in. Now the derived tables are checked at open (against the seal of the last clean close, or
 * a replay of the log) before any write is taken, and re-checked in the background while the
 * service runs.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import { toBase64Url } from '../../src/core/bytes.js';
import { signEntry } from '../../src/core/entry.js';
import { formatPrivateKeyPem, keyIdOf } from '../../src/core/keys.js';
import { main } from '../../src/cli/main.js';
import { ledgerKeyPath, openDataDir, type DataDirVerifierOptions, type OpenDataDir } from '../../src/cli/setup.js';
import { sealPath, writeDerivedSeal } from '../../src/ledger/derived-seal.js';
import { buildApp } from '../../src/http/app.js';
import { nodeEd25519 } from '../../src/platform/node-crypto.js';
import { ORIGIN, party, payloadOf } from '../helpers.js';
import { commission, item, makeWorld, pcs, receive, ship, spec, type World } from '../trace-world.js';

const WINDOW = 'urn:trace:sup:window-lot-1';

/** A retailer holding 100 of 1,000 windows, stopped cleanly through the service's own path (sealed). */
async function stoppedWorld(t: Test): Promise<World> {
  const w = await makeWorld();
  t.teardown(() => rmSync(w.L.dir, { recursive: true, force: true }));
  await w.submit(w.sup, commission(spec(WINDOW, pcs(1000))));
  const s = await w.submit(w.sup, ship('ret', [item(WINDOW, pcs(100))]));
  await w.submit(w.ret, receive(s.leafHash, [item(WINDOW, pcs(100))]));
  await w.L.ledger.close();
  await w.L.store.close();
  writeFileSync(ledgerKeyPath(w.L.dbPath), formatPrivateKeyPem(w.L.ledgerSeed), { mode: 0o600 });
  const d = await open(t, w);
  t.equal(await d.derivedVerifier.startup, 'ok', 'the untouched state verifies (by replay: no seal yet)');
  t.equal(d.derivedVerifier.progress().startup?.method, 'replay');
  await d.close();
  return w;
}

async function open(t: Test, w: World, extra: DataDirVerifierOptions = {}): Promise<OpenDataDir> {
  const d = openDataDir(w.L.dbPath, ORIGIN, { derivedVerifier: { background: false, ...extra } });
  t.teardown(() => d.close());
  await d.ledger.verified; // the chain check (untouched here) holds writes back too: wait for it
  return d;
}

function tamper(w: World, sql: string, ...params: unknown[]): void {
  const db = new Database(w.L.dbPath);
  try {
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

const shipAsRetailer = (w: World, quantity: number) => w.L.sign(w.ret, ship('car', [item(WINDOW, pcs(quantity))]));

/** The open refuses every write with LEDGER_NOT_READY, naming the tampered table, and writes nothing. */
async function refusesWrites(t: Test, d: OpenDataDir, table: string, entry: unknown): Promise<void> {
  t.equal(await d.derivedVerifier.startup, 'failed');
  t.equal(d.derivedVerifier.progress().failure?.table, table, `the failure names ${table}`);
  const size = d.ledger.size();
  await t.rejects(d.ledger.submit([entry]), { code: 'LEDGER_NOT_READY' });
  t.equal(d.ledger.size(), size, 'nothing was written');
  const held = d.ledger.readiness.conditions().map((c) => c.reason);
  t.ok(held.includes('verification-failed'), 'verification-failed is held');
  const app = await buildApp({ ledger: d.ledger });
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'POST', url: '/v1/entries', payload: entry as Record<string, unknown> });
  t.equal(res.statusCode, 503);
  t.equal(res.json().code, 'LEDGER_NOT_READY');
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 503);
  t.equal((await app.inject({ method: 'GET', url: `/v1/objects/${encodeURIComponent(WINDOW)}` })).statusCode, 200, 'reads are still served');
}

t.test('a clean restart verifies against the seal and accepts writes', async (t) => {
  const w = await stoppedWorld(t);
  const sealed = JSON.parse(readFileSync(sealPath(w.L.dbPath), 'utf8')) as { size: number };
  const d = await open(t, w);
  t.equal(sealed.size, d.ledger.size(), 'the seal is of the log as it was closed');
  t.equal(await d.derivedVerifier.startup, 'ok');
  t.equal(d.derivedVerifier.progress().startup?.method, 'seal');
  t.ok(d.ledger.readiness.ready());
  const [receipt] = await d.ledger.submit([shipAsRetailer(w, 50)]);
  t.equal(receipt?.seq, sealed.size, 'the retailer ships what it holds');
});

t.test('a seal that differs from untouched tables (e.g. after a migration) only sends the open to the replay', async (t) => {
  const w = await stoppedWorld(t);
  const seal = JSON.parse(readFileSync(sealPath(w.L.dbPath), 'utf8')) as { size: number; tables: Record<string, string> };
  writeDerivedSeal(w.L.dbPath, w.L.ledgerSeed, { size: seal.size, tables: { ...seal.tables, objects: '00'.repeat(32) } });
  const d = await open(t, w);
  t.equal(await d.derivedVerifier.startup, 'ok');
  t.equal(d.derivedVerifier.progress().startup?.method, 'replay');
  await d.ledger.submit([shipAsRetailer(w, 10)]);
});

t.test('holdings edited on a stopped database: writes refused before any is taken', async (t) => {
  for (const [name, prepare] of [
    ['with the seal of the last clean close', () => undefined],
    ['without a seal (replayed from the log)', (w: World) => rmSync(sealPath(w.L.dbPath))],
    [
      'with the seal rewritten to the edited digests but not re-authenticated',
      (w: World) => {
        const seal = JSON.parse(readFileSync(sealPath(w.L.dbPath), 'utf8')) as { tables: Record<string, string> };
        seal.tables['holdings'] = 'ab'.repeat(32);
        writeFileSync(sealPath(w.L.dbPath), JSON.stringify(seal));
      },
    ],
  ] as const) {
    await t.test(name, async (t) => {
      const w = await stoppedWorld(t);
      tamper(w, "UPDATE holdings SET quantity = 1000000000 WHERE code = ? AND holder = 'ret'", WINDOW);
      prepare(w);
      const d = await open(t, w);
      await refusesWrites(t, d, 'holdings', shipAsRetailer(w, 900));
      t.equal(d.derivedVerifier.progress().failure?.key, `${WINDOW}, ret`, 'the replay names the row');
    });
  }
});

t.test('after "trace-ledger rebuild" the state is what the log derives again, sealed, and the rules hold', async (t) => {
  const w = await stoppedWorld(t);
  tamper(w, "UPDATE holdings SET quantity = 1000000000 WHERE code = ? AND holder = 'ret'", WINDOW);
  const refused = await open(t, w);
  t.equal(await refused.derivedVerifier.startup, 'failed');
  await refused.close();
  t.equal(await main(['rebuild', '--db', w.L.dbPath]), 0);
  const d = await open(t, w);
  t.equal(await d.derivedVerifier.startup, 'ok');
  t.equal(d.derivedVerifier.progress().startup?.method, 'seal', 'rebuild sealed what it rebuilt');
  await t.rejects(d.ledger.submit([shipAsRetailer(w, 900)]), { code: 'TRACE_QUANTITY_EXCEEDED' }, 'the retailer holds 100 again');
  await d.ledger.submit([shipAsRetailer(w, 100)]);
});

t.test('a key inserted into participant_keys on a stopped database: its entry is refused', async (t) => {
  const w = await stoppedWorld(t);
  const intruder = party('ret', new Uint8Array(32).fill(7));
  const kid = keyIdOf(intruder.publicKey);
  const size = JSON.parse(readFileSync(sealPath(w.L.dbPath), 'utf8')).size as number;
  // In the newest keys (added_seq at or after kids_indexed_upto), where a lookup finds it.
  tamper(w, 'INSERT INTO participant_keys (kid, participant, public_key, added_seq, revoked_seq) VALUES (?, ?, ?, ?, NULL)', kid, 'ret', Buffer.from(intruder.publicKey), size - 1);
  const forged = signEntry(payloadOf(intruder, ship('car', [item(WINDOW, pcs(10))])), intruder.seed, nodeEd25519);
  t.equal(forged.signature.kid, kid);
  const d = await open(t, w);
  await refusesWrites(t, d, 'participant_keys', forged);
});

t.test('the same attacks without a seal and with the key inserted among the indexed keys', async (t) => {
  const w = await stoppedWorld(t);
  rmSync(sealPath(w.L.dbPath));
  const intruder = party('ret', new Uint8Array(32).fill(9));
  const kid = keyIdOf(intruder.publicKey);
  tamper(w, 'INSERT INTO participant_keys (kid, participant, public_key, added_seq, revoked_seq) VALUES (?, ?, ?, 1, NULL)', kid, 'ret', Buffer.from(intruder.publicKey));
  tamper(w, 'INSERT INTO kid_keys (kid, seq) VALUES (unhex(?), 1)', kid);
  const d = await open(t, w);
  await refusesWrites(t, d, 'participant_keys', signEntry(payloadOf(intruder, ship('car', [item(WINDOW, pcs(10))])), intruder.seed, nodeEd25519));
  t.equal(d.derivedVerifier.progress().failure?.key, `1, ${kid}`, 'the replay names the row (added_seq, kid)');
});

t.test('a live tamper is found by the background verifier: /readyz not ready, writes refused', async (t) => {
  const w = await stoppedWorld(t);
  const d = await open(t, w, { background: true, sliceMs: 5, pauseMs: 1, passIntervalMs: 1 });
  t.equal(await d.derivedVerifier.startup, 'ok');
  const app = await buildApp({ ledger: d.ledger });
  t.teardown(() => app.close());
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
  // Entries go on while it verifies; a full pass checks every signature and every row.
  const other = party('sup3');
  await d.ledger.submit([signEntry(payloadOf(w.L.operator, { type: 'participant.register', participant: other.id, name: 'S3', roles: ['supplier'], publicKey: toBase64Url(other.publicKey) }), w.L.operator.seed, nodeEd25519)]);
  await until(() => d.derivedVerifier.progress().passes >= 1);
  t.ok(d.derivedVerifier.progress().totalRecordsVerified >= d.ledger.size(), 'every record was signature-checked');
  t.ok(d.derivedVerifier.progress().lastFullPassAt !== null);

  tamper(w, "UPDATE holdings SET quantity = 1000000000 WHERE code = ? AND holder = 'ret'", WINDOW);
  await until(() => d.derivedVerifier.progress().failure !== null);
  t.equal(d.derivedVerifier.progress().failure?.table, 'holdings');
  const ready = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 503);
  t.ok((ready.json().conditions as Array<{ reason: string }>).some((c) => c.reason === 'verification-failed'));
  const res = await app.inject({ method: 'POST', url: '/v1/entries', payload: shipAsRetailer(w, 900) as unknown as Record<string, unknown> });
  t.equal(res.statusCode, 503);
  t.equal(res.json().code, 'LEDGER_NOT_READY');
});

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
