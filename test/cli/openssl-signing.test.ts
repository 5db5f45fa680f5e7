// The README promises that a participant can sign with nothing but openssl, curl and coreutils:
// run docs/examples/sign-with-openssl.sh against a live service and check the entry landed.
import t from 'tap';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toBase64Url } from '../../src/core/bytes.js';
import { canonicalize } from '../../src/core/jcs.js';
import { parsePublicKeyPem } from '../../src/core/keys.js';
import { buildApp } from '../../src/http/app.js';
import { makeLedger, party } from '../helpers.js';

t.test('sign-with-openssl.sh submits an entry the ledger accepts', async (t) => {
  // .ci/run installs openssl and curl; without them this promise of the README is not kept.
  for (const tool of ['openssl', 'curl']) t.equal(spawnSync(tool, ['--version']).error, undefined, `${tool} is installed`);
  const L = await makeLedger();
  const app = await buildApp({ ledger: L.ledger });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const dir = mkdtempSync(join(tmpdir(), 'openssl-'));
  t.teardown(async () => {
    await app.close();
    await L.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const key = join(dir, 'acme.key.pem');
  execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', key]);
  const pub = execFileSync('openssl', ['pkey', '-in', key, '-pubout'], { encoding: 'utf8' });
  await L.ledger.submit([
    L.sign(L.operator, { type: 'participant.register', participant: 'acme', name: 'ACME', roles: ['supplier'], publicKey: toBase64Url(parsePublicKeyPem(pub)) }),
  ]);
  const payload = canonicalize({
    type: 'participant.key.add',
    id: 'openssl-entry-1',
    signer: 'acme',
    time: new Date().toISOString(),
    participant: 'acme',
    publicKey: toBase64Url(party('warehouse').publicKey),
  });
  const script = new URL('../../docs/examples/sign-with-openssl.sh', import.meta.url).pathname;
  // Asynchronously: the service answering curl lives in this very process.
  const { stdout } = await promisify(execFile)('bash', [script, key, payload, url], { encoding: 'utf8', timeout: 20_000 });
  const receipt = JSON.parse(stdout) as { seq: number };
  t.equal(receipt.seq, 2);
  t.equal(L.ledger.record(2).record.entry.payload.id, 'openssl-entry-1');
  t.ok(readFileSync(script, 'utf8').includes('pkeyutl'), 'the script signs with openssl itself');
});
