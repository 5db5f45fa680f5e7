import { cli, type Run } from '../cli-runner.js';
import t, { type Test } from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { toBase64Url } from '../../src/core/bytes.js';
import { nobleEd25519 } from '../../src/core/ed25519.js';
import { signingMessage, verifyEntrySignature, type Entry } from '../../src/core/entry.js';
import { keyIdOf } from '../../src/core/keys.js';
import { formatVerifierKey, parseVerifierKey } from '../../src/core/note.js';
import { serve, type RunningServer } from '../../src/cli/serve.js';
import { openDataDir } from '../../src/cli/setup.js';
import { readPublicKey } from '../../src/cli/keyfiles.js';


function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const mode = (path: string): number => statSync(path).mode & 0o777;

/** A runtime failure: exit 1 and exactly one line on stderr, "trace-ledger: …". */
function failsWith(t: Test, r: Run, pattern: RegExp, what: string): void {
  t.equal(r.code, 1, `${what}: exit 1`);
  t.equal(r.stdout, '', `${what}: nothing on stdout`);
  t.match(r.stderr, /^trace-ledger: [^\n]+\n$/, `${what}: one line on stderr`);
  t.match(r.stderr, pattern, what);
}

/** A usage mistake: exit 2, first line "trace-ledger: …". */
function usageError(t: Test, r: Run, what: string): void {
  t.equal(r.code, 2, `${what}: exit 2`);
  t.match(r.stderr, /^trace-ledger: [^\n]+\n/, `${what}: message on stderr`);
}

function writeJson(path: string, value: unknown): string {
  writeFileSync(path, JSON.stringify(value));
  return path;
}

const newPublicKey = (): string => toBase64Url(nobleEd25519.publicKey(new Uint8Array(randomBytes(32))));

/** `init` in a fresh directory; returns the paths and the published verifier key. */
async function initLedger(t: Test) {
  const dir = tempDir(t);
  const db = join(dir, 'data', 'ledger.db');
  const r = await cli('init', '--db', db, '--origin', 'cli.test.local/log');
  t.equal(r.code, 0, 'init exits 0');
  t.equal(r.stderr, '');
  const verifierKey = /ledger key \(publish this\): (\S+)/.exec(r.stdout)?.[1];
  if (verifierKey === undefined) throw new Error(`init printed no verifier key:\n${r.stdout}`);
  return { dir, db, data: join(dir, 'data'), verifierKey, stdout: r.stdout };
}

t.test('init', async (t) => {
  const { db, data, verifierKey, stdout } = await initLedger(t);
  for (const file of ['ledger.key.pem', 'operator.key.pem']) {
    t.equal(mode(join(data, file)), 0o600, `${file} is 0600`);
  }
  t.ok(existsSync(join(data, 'ledger.pub.pem')) && existsSync(join(data, 'operator.pub.pem')), 'public keys beside them');
  t.match(stdout, `operator key: ${join(data, 'operator.key.pem')}`);
  t.equal(parseVerifierKey(verifierKey).name, 'cli.test.local/log');

  // the printed key is the key of the log that was created
  const { store, ledger } = openDataDir(db);
  t.equal(ledger.verifierKey, verifierKey);
  t.equal(ledger.size(), 1, 'genesis entry');
  t.equal(ledger.record(0).record.entry.payload.type, 'ledger.genesis');
  await ledger.close();
  await store.close();

  const ledgerKeyBefore = readFileSync(join(data, 'ledger.key.pem'));
  failsWith(t, await cli('init', '--db', db), /already exists/, 'second init on the same path');
  t.same(readFileSync(join(data, 'ledger.key.pem')), ledgerKeyBefore, 'ledger key untouched');
});

t.test('keygen', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'keys', 's.key.pem');
  const r = await cli('keygen', '--out', out);
  t.equal(r.code, 0);
  t.equal(mode(out), 0o600, 'private key is 0600');
  const pub = join(dir, 'keys', 's.pub.pem');
  t.match(readFileSync(pub, 'utf8'), /^-----BEGIN PUBLIC KEY-----\n/);
  const publicKey = readPublicKey(pub);
  t.same(readPublicKey(out), publicKey, 'the private key file determines the same public key');
  t.match(r.stdout, new RegExp(`kid:\\s+${keyIdOf(publicKey)}\\n`));
  t.match(r.stdout, `publicKey:   ${toBase64Url(publicKey)}`);

  const before = readFileSync(out);
  failsWith(t, await cli('keygen', '--out', out), /LEDGER_KEY_EXISTS/, 'keygen over an existing key');
  t.same(readFileSync(out), before, 'not overwritten');
  usageError(t, await cli('keygen'), 'keygen without --out');
});

t.test('sign', async (t) => {
  const dir = tempDir(t);
  const key = join(dir, 'supplier.key.pem');
  t.equal((await cli('keygen', '--out', key)).code, 0);
  const publicKey = readPublicKey(join(dir, 'supplier.pub.pem'));
  const addKey = { type: 'participant.key.add', participant: 'supplier-c', publicKey: newPublicKey() };
  const payload = writeJson(join(dir, 'payload.json'), addKey);

  const r = await cli('sign', '--key', key, '--signer', 'supplier-c', payload);
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
  const entry = JSON.parse(r.stdout) as Entry;
  t.match(entry.payload, { ...addKey, signer: 'supplier-c' });
  t.match(entry.payload.id, /^[0-9a-f-]{36}$/, 'a fresh id');
  t.ok(Math.abs(Date.parse(entry.payload.time) - Date.now()) < 60_000, 'the time is now');
  t.equal(entry.signature.kid, keyIdOf(publicKey));
  t.doesNotThrow(() => verifyEntrySignature(signingMessage(entry.payload), entry.signature, publicKey), 'signature verifies');

  // id and time given in the file are kept; the signer may come from the file alone
  const fixed = writeJson(join(dir, 'fixed.json'), { ...addKey, signer: 'supplier-c', id: 'lot-7', time: '2026-11-28T09:30:00.000+08:00' });
  const r2 = await cli('sign', '--key', key, fixed);
  t.equal(r2.code, 0);
  const e2 = JSON.parse(r2.stdout) as Entry;
  t.equal(e2.payload.id, 'lot-7');
  t.equal(e2.payload.time, '2026-11-28T09:30:00.000+08:00');
  t.doesNotThrow(() => verifyEntrySignature(signingMessage(e2.payload), e2.signature, publicKey));

  failsWith(t, await cli('sign', '--key', key, '--signer', 'someone-else', fixed), /differs from --signer/, 'signer mismatch');
  failsWith(t, await cli('sign', '--key', key, '--signer', 's', join(dir, 'missing.json')), /^trace-ledger: CLI_FILE_NOT_FOUND: .*missing\.json/, 'missing payload file');
  failsWith(t, await cli('sign', '--key', join(dir, 'missing.key.pem'), '--signer', 's', payload), /^trace-ledger: CLI_KEY_FILE_NOT_FOUND: .*missing\.key\.pem/, 'missing key file');
  writeFileSync(join(dir, 'bad.json'), '{"type": ');
  failsWith(t, await cli('sign', '--key', key, '--signer', 's', join(dir, 'bad.json')), /bad\.json/, 'malformed payload file');
  usageError(t, await cli('sign', '--signer', 's', payload), 'sign without --key');
  usageError(t, await cli('sign', '--key', key, '--signer', 's'), 'sign without a payload file');
  usageError(t, await cli('sign', '--key', key, payload), 'sign without --signer when the payload has none');
});

t.test('usage errors exit 2', async (t) => {
  usageError(t, await cli('frobnicate'), 'unknown command');
  const none = await cli();
  t.equal(none.code, 2, 'no command: exit 2');
  t.match(none.stdout, /^Usage: trace-ledger/, 'no command: usage');
  usageError(t, await cli('keygen', '--out', 'x.pem', '--colour'), 'unknown option');
  usageError(t, await cli('serve', '--port', 'eighty'), 'bad --port');
  usageError(t, await cli('serve', '--port', '70000'), 'port out of range');
  usageError(t, await cli('participant', 'promote'), 'unknown participant action');
  usageError(t, await cli('participant', 'add', '--name', 'X', '--roles', 'supplier', '--public-key', 'k.pem'), 'participant add without --id');
  const help = await cli('--help');
  t.equal(help.code, 0);
  t.match(help.stdout, /^Usage: trace-ledger/);
});

t.test('participants and submissions against a running server', async (t) => {
  const { dir, db, data, verifierKey } = await initLedger(t);
  const server: RunningServer = await serve({ db, port: 0, host: '127.0.0.1', origin: undefined, demo: false, quiet: true, handleSignals: false });
  t.teardown(() => server.close());
  t.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.not(server.url, 'http://127.0.0.1:0');
  const url = server.url;
  const operatorKey = join(data, 'operator.key.pem');

  const supplierKey = join(dir, 'supplier.key.pem');
  const keygen = await cli('keygen', '--out', supplierKey);
  const kid = /kid:\s+([0-9a-f]{16})/.exec(keygen.stdout)?.[1];
  t.ok(kid, 'keygen printed the kid');

  const add = await cli('participant', 'add', '--key', operatorKey, '--url', url, '--id', 'supplier-c', '--name', 'Supplier C', '--roles', 'supplier, manufacturer', '--public-key', join(dir, 'supplier.pub.pem'));
  t.equal(add.code, 0, add.stderr);
  t.match(JSON.parse(add.stdout), { seq: 1, leafHash: /^[0-9a-f]{64}$/ });
  const registered = (await (await fetch(`${url}/v1/participants/supplier-c`)).json()) as { roles: string[]; keys: Array<{ kid: string; valid: boolean }> };
  t.same(registered.roles, ['supplier', 'manufacturer']);
  t.same(registered.keys.map((k) => [k.kid, k.valid]), [[kid, true]]);

  // a new key to add each time: adding the same key twice is LEDGER_KEY_EXISTS
  let n = 0;
  const payloadFile = () => writeJson(join(dir, `add-key-${++n}.json`), { type: 'participant.key.add', participant: 'supplier-c', publicKey: newPublicKey() });
  const submit = await cli('submit', '--key', supplierKey, '--signer', 'supplier-c', '--url', url, payloadFile(), '--prove', '--ledger-key', verifierKey);
  t.equal(submit.code, 0, submit.stderr);
  const [receiptLine, verifiedLine, ...rest] = submit.stdout.trimEnd().split('\n');
  t.same(rest, []);
  const receipt = JSON.parse(receiptLine!) as { seq: number; leafHash: string };
  t.match(receipt, { seq: 2, leafHash: /^[0-9a-f]{64}$/, chainHash: /^[0-9a-f]{64}$/, recordedAt: String });
  t.match(verifiedLine, /^verified: seq 2 is included in checkpoint cli\.test\.local\/log size \d+, signed by cli\.test\.local\/log \(pinned key\)$/);
  const stored = (await (await fetch(`${url}/v1/entries/2`)).json()) as { leafHash: string; record: { entry: Entry } };
  t.equal(stored.leafHash, receipt.leafHash);
  t.equal(stored.record.entry.payload.signer, 'supplier-c');

  // without --ledger-key the key is fetched from the service, and the output says so
  const unpinned = await cli('submit', '--key', supplierKey, '--signer', 'supplier-c', '--url', url, payloadFile(), '--prove');
  t.equal(unpinned.code, 0, unpinned.stderr);
  t.match(unpinned.stdout, /^verified: .*not independently pinned/m);

  // a checkpoint signed by another key than the pinned one is refused (after the receipt: the
  // entry was accepted, only its proof failed)
  const otherKey = formatVerifierKey('cli.test.local/log', nobleEd25519.publicKey(new Uint8Array(32).fill(3)));
  const wrongKey = await cli('submit', '--key', supplierKey, '--signer', 'supplier-c', '--url', url, payloadFile(), '--prove', '--ledger-key', otherKey);
  t.equal(wrongKey.code, 1);
  t.match(JSON.parse(wrongKey.stdout), { seq: Number }, 'the receipt is printed');
  t.match(wrongKey.stderr, /^trace-ledger: LEDGER_CHECKPOINT_SIGNATURE_INVALID[^\n]*\n$/);

  // the service's URL may come from the environment
  const previousUrl = process.env['TRACE_LEDGER_URL'];
  process.env['TRACE_LEDGER_URL'] = `${url}/`;
  let revoke: Run;
  try {
    revoke = await cli('participant', 'revoke', '--key', operatorKey, '--id', 'supplier-c', '--kid', kid!, '--reason', 'laptop stolen');
  } finally {
    if (previousUrl === undefined) delete process.env['TRACE_LEDGER_URL'];
    else process.env['TRACE_LEDGER_URL'] = previousUrl;
  }
  t.equal(revoke.code, 0, revoke.stderr);
  const revoked = (await (await fetch(`${url}/v1/participants/supplier-c`)).json()) as { keys: Array<{ kid: string; valid: boolean; revokedSeq: number }> };
  t.match(revoked.keys, [{ kid, valid: false, revokedSeq: JSON.parse(revoke.stdout).seq }]);

  const size = ((await (await fetch(`${url}/v1/entries?after=-1&limit=100`)).json()) as { records: unknown[] }).records.length;
  failsWith(t, await cli('submit', '--key', supplierKey, '--signer', 'supplier-c', '--url', url, payloadFile()), /^trace-ledger: LEDGER_KEY_REVOKED/, 'submit with a revoked key');
  t.equal(((await (await fetch(`${url}/v1/entries?after=-1&limit=100`)).json()) as { records: unknown[] }).records.length, size, 'nothing appended');
  failsWith(t, await cli('participant', 'revoke', '--key', operatorKey, '--url', url, '--id', 'supplier-c', '--kid', kid!), /LEDGER_KEY_REVOKED/, 'revoking twice');
  failsWith(t, await cli('participant', 'add', '--key', supplierKey, '--signer', 'supplier-c', '--url', url, '--id', 'x', '--name', 'X', '--roles', 'supplier', '--public-key', join(dir, 'supplier.pub.pem')), /^trace-ledger: LEDGER_/, 'registration signed by a non-operator');

  await server.close();
  failsWith(t, await cli('submit', '--key', supplierKey, '--signer', 'supplier-c', '--url', url, payloadFile()), /^trace-ledger: CLI_SERVICE_UNREACHABLE: /, 'service down');

  // the log survived the shutdown, with a final checkpoint covering it
  const { store, ledger } = openDataDir(db);
  t.equal(ledger.size(), size);
  t.equal(ledger.checkpoint().size, size);
  await ledger.close();
  await store.close();
});

t.test('serve', async (t) => {
  await t.test('first run initialises the data directory', async (t) => {
    const dir = tempDir(t);
    const db = join(dir, 'fresh', 'ledger.db');
    const server = await serve({ db, port: 0, host: '127.0.0.1', origin: 'fresh.test.local/log', demo: false, quiet: true, handleSignals: false });
    t.teardown(() => server.close());
    t.equal(mode(join(dir, 'fresh', 'ledger.key.pem')), 0o600);
    t.equal(mode(join(dir, 'fresh', 'operator.key.pem')), 0o600);
    const key = (await (await fetch(`${server.url}/v1/checkpoint/key`)).text()).trim();
    t.equal(parseVerifierKey(key).name, 'fresh.test.local/log');
    await server.close();
    await server.close(); // idempotent
  });

  await t.test('refuses a second log under an existing ledger key', async (t) => {
    const { db, data } = await initLedger(t);
    for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });
    failsWith(t, await cli('serve', '--db', db, '--port', '0', '--quiet'), /LEDGER_PERMISSION_DENIED/, 'db missing, ledger key present');
    t.notOk(existsSync(db), 'no new database');
    t.ok(existsSync(join(data, 'ledger.key.pem')), 'the ledger key is left in place');
  });

  await t.test('a port in use is a runtime error', async (t) => {
    const { db } = await initLedger(t);
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as { port: number }).port;
    failsWith(t, await cli('serve', '--db', db, '--port', String(port), '--quiet'), /cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/, 'port in use');
  });
});

t.test('trace and rebuild', async (t) => {
  const { dir, db, data } = await initLedger(t);
  const server: RunningServer = await serve({ db, port: 0, host: '127.0.0.1', origin: undefined, demo: false, quiet: true, handleSignals: false });
  let open = true;
  t.teardown(() => (open ? server.close() : undefined));
  const url = server.url;
  const operatorKey = join(data, 'operator.key.pem');
  for (const [id, roles] of [['smelter', 'supplier'], ['caster', 'manufacturer']] as const) {
    t.equal((await cli('keygen', '--out', join(dir, `${id}.key.pem`))).code, 0);
    const add = await cli('participant', 'add', '--key', operatorKey, '--url', url, '--id', id, '--name', `${id} Ltd`, '--roles', roles, '--public-key', join(dir, `${id}.pub.pem`));
    t.equal(add.code, 0, add.stderr);
  }
  const submit = async (who: string, payload: Record<string, unknown>) => {
    const file = join(dir, `payload-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(payload));
    const r = await cli('submit', '--key', join(dir, `${who}.key.pem`), '--signer', who, '--url', url, file);
    t.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { seq: number; leafHash: string };
  };
  await submit('smelter', { type: 'commission', objects: [{ code: 'urn:trace:smelter:ingot-7', level: 'material', product: { name: 'Aluminium ingot' }, quantity: { value: 500, unit: 'KGM' }, footprint: { kgCO2ePerUnit: 8.6 } }] });
  const ship = await submit('smelter', { type: 'ship', to: 'caster', objects: [{ code: 'urn:trace:smelter:ingot-7', quantity: { value: 500, unit: 'KGM' } }] });
  await submit('caster', { type: 'receive', shipment: ship.leafHash, objects: [{ code: 'urn:trace:smelter:ingot-7', quantity: { value: 480, unit: 'KGM' } }], condition: 'damaged' });
  await submit('caster', {
    type: 'transform',
    inputs: [{ code: 'urn:trace:smelter:ingot-7', quantity: { value: 480, unit: 'KGM' } }],
    outputs: [{ code: 'urn:trace:caster:billet-7', level: 'semi', product: { name: 'Billet 6063' }, quantity: { value: 470, unit: 'KGM' } }],
    process: { electricityKWh: 300, gridKgCO2ePerKWh: 0.58, waterM3: 2 },
  });

  const up = await cli('trace', 'urn:trace:caster:billet-7', '--url', url);
  t.equal(up.code, 0, up.stderr);
  t.match(up.stdout, /Billet 6063 urn:trace:caster:billet-7/);
  t.match(up.stdout, /no failed inspection or recall upstream/);
  t.match(up.stdout, /└─ Aluminium ingot urn:trace:smelter:ingot-7 \[material\] by smelter Ltd \(smelter\) \(seq \d+\)/);
  const down = await cli('trace', 'urn:trace:smelter:ingot-7', '--down', '--url', url);
  t.equal(down.code, 0, down.stderr);
  t.match(down.stdout, /DISCREPANCY shipment seq \d+: urn:trace:smelter:ingot-7 shipped 500 KGM, received 480 KGM, missing 20 KGM \(damaged\)/);
  const hist = await cli('trace', 'urn:trace:smelter:ingot-7', '--history', '--url', url);
  t.match(hist.stdout, /commission by smelter[\s\S]*ship by smelter[\s\S]*receive by caster[\s\S]*transform by caster/);
  const json = await cli('trace', 'urn:trace:caster:billet-7', '--json', '--url', url);
  t.equal(JSON.parse(json.stdout).ancestors, 1);

  failsWith(t, await cli('trace', 'urn:trace:smelter:none', '--url', url), /TRACE_OBJECT_NOT_FOUND/, 'unknown code');
  failsWith(t, await cli('trace', 'https://id.gs1.org/01/12345678901234', '--url', url), /TRACE_CODE_INVALID: .*check digit/, 'malformed code');
  usageError(t, await cli('trace', 'urn:trace:smelter:ingot-7', '--up', '--down', '--url', url), 'two views');
  usageError(t, await cli('trace', '--url', url), 'no code');

  await server.close();
  open = false;
  const before = openDataDir(db);
  const dump = before.store.dumpProjections();
  await before.close();
  const rebuilt = await cli('rebuild', '--db', db);
  t.equal(rebuilt.code, 0, rebuilt.stderr);
  t.match(rebuilt.stdout, /^rebuilt the derived tables from 7 records in [\d.]+ s\n$/);
  const after = openDataDir(db);
  t.same(after.store.dumpProjections(), dump, 'the rebuilt tables equal the live ones');
  await after.close();
  failsWith(t, await cli('rebuild', '--db', join(dir, 'none.db')), /^trace-ledger: CLI_FILE_NOT_FOUND: .*none\.db/, 'rebuild of a missing db');
});
