// The README promises that a participant can sign with nothing but openssl, curl and coreutils:
// run docs/examples/sign-with-openssl.sh against a live service and check the entry landed, run
// the README's block as written against the demo, and check a refusal fails the script.
import t from 'tap';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toBase64Url } from '../../src/core/bytes.js';
import { canonicalize } from '../../src/core/jcs.js';
import { parsePublicKeyPem } from '../../src/core/keys.js';
import { buildApp } from '../../src/http/app.js';
import { makeLedger, party } from '../helpers.js';
import { seedDemo } from '../../src/cli/demo.js';
import { serve } from '../../src/cli/serve.js';
import { openDataDir } from '../../src/cli/setup.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = join(ROOT, 'docs/examples/sign-with-openssl.sh');
const run = promisify(execFile);

/** The ```sh block of the README's "Signing with only curl and openssl" section, as written. */
function readmeBlock(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Signing with only curl and openssl'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error('README: no sh block in "Signing with only curl and openssl"');
  return block;
}

/** Files git would list as new at the repository root (nothing the block leaves behind). */
const untracked = () => execFileSync('git', ['ls-files', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });

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
  // Asynchronously: the service answering curl lives in this very process.
  const { stdout } = await run('bash', [SCRIPT, key, payload, url], { encoding: 'utf8', timeout: 20_000 });
  const receipt = JSON.parse(stdout) as { seq: number };
  t.equal(receipt.seq, 2);
  t.equal(L.ledger.record(2).record.entry.payload.id, 'openssl-entry-1');
  t.ok(readFileSync(SCRIPT, 'utf8').includes('pkeyutl'), 'the script signs with openssl itself');
});

t.test("the README's block works as written against the demo, and a refusal fails the script", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'openssl-demo-'));
  const db = join(dir, 'data', 'ledger.db');
  const server = await serve({ db, port: 0, host: '127.0.0.1', origin: 'openssl.test.local/log', demo: false, quiet: true, handleSignals: false });
  let open = true;
  t.teardown(async () => {
    if (open) await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await seedDemo(server.url, db, () => {});

  const block = readmeBlock();
  t.ok(block.includes('http://127.0.0.1:8080'), 'the block talks to the demo at its default URL');
  t.notOk(block.includes('…'), 'no placeholder left to fill in');
  const before = untracked();
  // As a person would paste it at the repository root, with the test's port for the demo's.
  const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', block.replaceAll('http://127.0.0.1:8080', server.url)], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
  const receipt = JSON.parse(stdout) as { seq: number };
  t.equal(untracked(), before, 'no new file in the repository');

  // The same block again is a fresh entry (a new id), not a replay of the first.
  const again = JSON.parse((await run('bash', ['-euo', 'pipefail', '-c', block.replaceAll('http://127.0.0.1:8080', server.url)], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 })).stdout) as { seq: number };
  t.equal(again.seq, receipt.seq + 1, 'pasted twice: two entries');

  // Signed with qc-lab's key but claiming another signer: the service refuses it, the script fails.
  const refused = canonicalize({ type: 'inspect', id: 'openssl-refused-1', signer: 'harbour-homes', time: new Date().toISOString(), objects: ['https://id.gs1.org/01/06931000080010/10/CW2611-19'], result: 'pass' });
  const failure = await run('bash', [SCRIPT, join(ROOT, 'keys/qc-lab.key.pem'), refused, server.url], { encoding: 'utf8', timeout: 20_000 }).then(
    () => undefined,
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  t.ok(failure !== undefined, 'the script fails on a refused entry');
  t.equal(failure?.code, 1, 'exit 1');
  t.equal(failure?.stdout, '', 'no receipt on stdout');
  t.match(failure?.stderr, /^sign-with-openssl\.sh: the service refused the entry \(HTTP 400\): .*"code":"LEDGER_KEY_UNKNOWN"/, 'the problem on stderr');

  await server.close();
  open = false;
  const { store, ledger } = openDataDir(db);
  const entry = ledger.record(receipt.seq).record.entry;
  t.match(entry.payload, { type: 'inspect', signer: 'qc-lab', result: 'pass', objects: ['https://id.gs1.org/01/06931000080010/10/CW2611-19'] }, 'the block\'s inspection is in the log');
  t.equal(ledger.size(), again.seq + 1, 'the refused entry was not appended');
  await ledger.close();
  await store.close();
});
