/**
 * Issue 16 merge seam: the derived-state seal is written at close, between the final checkpoint
 * and closing the store. When it could not be written (a full disk, the case the read-only-store
 * work handles while running), close() threw there: the store and the verification worker were
 * never closed and `serve` died on an unhandled rejection instead of stopping. A seal is only a
 * shortcut for the next start (without one, the derived tables are checked by a replay), so its
 * failure is a warning, and the close goes on.
 */
import { mkdirSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { formatPrivateKeyPem } from '../../src/core/keys.js';
import { ledgerKeyPath, openDataDir } from '../../src/cli/setup.js';
import { readDerivedSeal, sealPath, writeDerivedSeal } from '../../src/ledger/derived-seal.js';
import { ORIGIN } from '../helpers.js';
import { makeWorld } from '../trace-world.js';

t.test('a seal that cannot be written does not stop the close', async (t) => {
  const w = await makeWorld();
  t.teardown(() => rmSync(w.L.dir, { recursive: true, force: true }));
  await w.L.ledger.close();
  await w.L.store.close();
  writeFileSync(ledgerKeyPath(w.L.dbPath), formatPrivateKeyPem(w.L.ledgerSeed), { mode: 0o600 });

  const d = openDataDir(w.L.dbPath, ORIGIN, { verifyInWorker: true, derivedVerifier: { background: false } });
  t.equal(await d.derivedVerifier.startup, 'ok');
  // The seal's temporary file cannot be created: a directory stands in its place.
  mkdirSync(`${sealPath(w.L.dbPath)}.tmp`);
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));

  await t.resolves(d.close(), 'close completes');
  t.throws(() => d.store.size(), 'the store is closed');
  t.notOk(existsSync(sealPath(w.L.dbPath)), 'no seal was written');
  await new Promise((r) => setImmediate(r));
  t.ok(warnings.some((m) => m.includes(sealPath(w.L.dbPath))), 'a warning names the seal file');

  // The next open checks the derived tables by a replay instead.
  const again = openDataDir(w.L.dbPath, ORIGIN, { derivedVerifier: { background: false } });
  t.equal(await again.derivedVerifier.startup, 'ok');
  t.equal(again.derivedVerifier.progress().startup?.method, 'replay');
  rmSync(`${sealPath(w.L.dbPath)}.tmp`, { recursive: true });
  await again.close();
});

t.test('a seal of the right size that the replay proved stale is replaced at close', async (t) => {
  // E.g. a seal made before an upgrade whose migration changed a derived table's rows: the tables
  // differ from it but equal a replay. Kept as it was, every start replays again until the log grows.
  const w = await makeWorld();
  t.teardown(() => rmSync(w.L.dir, { recursive: true, force: true }));
  await w.L.ledger.close();
  await w.L.store.close();
  writeFileSync(ledgerKeyPath(w.L.dbPath), formatPrivateKeyPem(w.L.ledgerSeed), { mode: 0o600 });
  const first = openDataDir(w.L.dbPath, ORIGIN, { derivedVerifier: { background: false } });
  t.equal(await first.derivedVerifier.startup, 'ok');
  await first.close();
  const reading = readDerivedSeal(w.L.dbPath, w.L.ledgerSeed);
  if (reading.kind !== 'valid') throw new Error('no seal after a clean close');
  writeDerivedSeal(w.L.dbPath, w.L.ledgerSeed, { size: reading.seal.size, tables: { ...reading.seal.tables, participants: '00'.repeat(32) } });

  const second = openDataDir(w.L.dbPath, ORIGIN, { derivedVerifier: { background: false } });
  t.equal(await second.derivedVerifier.startup, 'ok', 'the replay finds the tables right');
  t.equal(second.derivedVerifier.progress().startup?.method, 'replay');
  await second.close();

  const third = openDataDir(w.L.dbPath, ORIGIN, { derivedVerifier: { background: false } });
  t.equal(await third.derivedVerifier.startup, 'ok');
  t.equal(third.derivedVerifier.progress().startup?.method, 'seal', 'the next start checks the new seal');
  await third.close();
});
