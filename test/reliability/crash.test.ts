// Issue 16: the crash case of the adversarial suite (test/reliability/).
// Durability: kill -9 the service while it takes concurrent submissions; every entry it
// acknowledged must be in the database afterwards, and the log must pass the start-up check.
// (A killed process loses nothing the kernel already holds; that nothing is acknowledged before
// the fdatasync, which a power cut needs, is the ledger test 'nothing is acknowledged ... before
// the store sync that covers it'.)
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { toBase64Url } from '../../src/core/bytes.js';
import { signEntry } from '../../src/core/entry.js';
import { readPrivateKey } from '../../src/cli/keyfiles.js';
import { initDataDir, openDataDir, operatorKeyPath } from '../../src/cli/setup.js';
import { party } from '../helpers.js';

t.test('every acknowledged entry survives kill -9', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'crash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'ledger.db');
  await initDataDir({ db, origin: 'crash.test/log', operatorId: 'operator', operatorName: 'Operator' });
  const supplier = party('crash-supplier');
  {
    const data = openDataDir(db);
    await data.ledger.verified;
    await data.derivedVerifier.startup; // writes wait for the derived tables to be verified
    await data.ledger.submit([
      signEntry(
        { type: 'participant.register', id: 'reg', signer: 'operator', time: new Date().toISOString(), participant: supplier.id, name: 'S', roles: ['supplier'], publicKey: toBase64Url(supplier.publicKey) },
        readPrivateKey(operatorKeyPath(db)),
      ),
    ]);
    await data.close();
  }

  const child = spawn(process.execPath, [...process.execArgv, new URL('../fixtures/serve-child.ts', import.meta.url).pathname, db], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /LISTENING (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`service exited early (${code})`)));
  });

  const acknowledged = new Map<number, string>();
  let stop = false;
  const client = async () => {
    while (!stop) {
      const entry = signEntry(
        { type: 'participant.key.add', id: randomUUID(), signer: supplier.id, time: new Date().toISOString(), participant: supplier.id, publicKey: toBase64Url(party('k').publicKey) },
        supplier.seed,
      );
      try {
        const res = await fetch(`${url}/v1/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(entry) });
        if (res.status === 201) {
          const r = (await res.json()) as { seq: number; leafHash: string };
          acknowledged.set(r.seq, r.leafHash);
        }
      } catch {
        return; // the service is gone
      }
    }
  };
  const clients = Array.from({ length: 8 }, client);
  while (acknowledged.size < 150) await new Promise((r) => setTimeout(r, 5));
  child.kill('SIGKILL');
  stop = true;
  await Promise.all(clients);
  await new Promise((r) => (child.exitCode === null && child.signalCode === null ? child.once('exit', r) : r(undefined)));

  const data = openDataDir(db); // runs the start-up integrity check
  t.teardown(() => data.close());
  await data.ledger.verified; // and the start-up verification of the whole log
  t.ok(acknowledged.size >= 150, `${acknowledged.size} entries acknowledged before the kill`);
  let missing = 0;
  for (const [seq, leafHash] of acknowledged) {
    const stored = data.store.record(seq);
    if (stored === undefined || Buffer.from(stored.leafHash).toString('hex') !== leafHash) missing++;
  }
  t.equal(missing, 0, 'every acknowledged entry is in the database with the acknowledged leaf hash');
  t.ok(data.ledger.size() >= Math.max(...acknowledged.keys()) + 1, 'the reopened log covers them');
});
