// Each failure says what is wrong in one `trace-ledger:` line with its code: a missing file, a
// missing key file (named), a service that is not running (its URL, and how to start it).
import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, type Run } from '../cli-runner.js';
import { CLI_ERROR_CODES, type CliErrorCode } from '../../src/cli/cli-error.js';

const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-messages-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** Exit `exit`, nothing on stdout, ONE stderr line `trace-ledger: CODE: …` that names `names`. */
function failsWith(t: Test, r: Run, code: CliErrorCode, names: string, what: string, exit = 1): void {
  t.equal(r.code, exit, `${what}: exit ${exit}`);
  t.equal(r.stdout, '', `${what}: nothing on stdout`);
  t.match(r.stderr, new RegExp(`^trace-ledger: ${code}: [^\\n]*\\n$`), `${what}: one line with ${code}`);
  t.ok(r.stderr.includes(names), `${what}: names ${names}`);
}

/** A port nothing listens on: one the OS just handed out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  await new Promise((ok) => server.close(ok));
  return port;
}

const initialised = (async () => {
  const db = join(dir, 'data', 'ledger.db');
  const r = await cli('init', '--db', db, '--origin', 'messages.test.local/log');
  if (r.code !== 0) throw new Error(r.stderr);
  return { db, operatorKey: join(dir, 'data', 'operator.key.pem') };
})();

t.test('a database file that does not exist', async (t) => {
  const missing = join(dir, 'missing.db');
  failsWith(t, await cli('verify', '--db', missing), 'CLI_FILE_NOT_FOUND', missing, 'verify --db');
  failsWith(t, await cli('rebuild', '--db', missing), 'CLI_FILE_NOT_FOUND', missing, 'rebuild --db');
});

t.test('other files that do not exist', async (t) => {
  const { operatorKey } = await initialised;
  const payload = join(dir, 'no-payload.json');
  failsWith(t, await cli('sign', '--key', operatorKey, '--signer', 'operator', payload), 'CLI_FILE_NOT_FOUND', payload, 'sign PAYLOAD');
  failsWith(t, await cli('submit', '--key', operatorKey, '--signer', 'operator', payload), 'CLI_FILE_NOT_FOUND', payload, 'submit PAYLOAD');
  const bundle = join(dir, 'no-bundle.ndjson');
  failsWith(t, await cli('verify', bundle), 'CLI_FILE_NOT_FOUND', bundle, 'verify BUNDLE');
  const report = join(dir, 'no-report.html');
  failsWith(t, await cli('report', 'verify', report), 'CLI_FILE_NOT_FOUND', report, 'report verify FILE');
});

t.test('a key file that does not exist is named, whatever the command', async (t) => {
  const { db } = await initialised;
  const key = join(dir, 'nobody.key.pem');
  const payload = join(dir, 'payload.json');
  writeFileSync(payload, JSON.stringify({ type: 'participant.key.revoke', participant: 'operator', kid: '0000000000000000' }));
  failsWith(t, await cli('sign', '--key', key, '--signer', 'operator', payload), 'CLI_KEY_FILE_NOT_FOUND', key, 'sign --key');
  failsWith(t, await cli('submit', '--key', key, '--signer', 'operator', payload), 'CLI_KEY_FILE_NOT_FOUND', key, 'submit --key');
  failsWith(t, await cli('participant', 'revoke', '--key', key, '--id', 'x', '--kid', 'y'), 'CLI_KEY_FILE_NOT_FOUND', key, 'participant revoke --key');
  const pub = join(dir, 'nobody.pub.pem');
  failsWith(t, await cli('participant', 'add', '--id', 'x', '--name', 'X', '--roles', 'supplier', '--public-key', pub), 'CLI_KEY_FILE_NOT_FOUND', pub, 'participant add --public-key');
  // The demo signs registrations with the operator key beside --db.
  const elsewhere = join(dir, 'elsewhere', 'ledger.db');
  failsWith(t, await cli('demo', '--db', elsewhere, '--url', `http://127.0.0.1:${await closedPort()}`), 'CLI_KEY_FILE_NOT_FOUND', join(dir, 'elsewhere', 'operator.key.pem'), 'demo --db');

  // A ledger --key may be the key itself or a file: a bare name that is no file is a missing file,
  // and a mistake in the command line (exit 2).
  const ledgerKey = join(dir, 'ledger-key.txt');
  writeFileSync(join(dir, 'bundle.ndjson'), '{}\n');
  failsWith(t, await cli('verify', '--db', db, '--key', ledgerKey), 'CLI_KEY_FILE_NOT_FOUND', ledgerKey, 'verify --db --key', 2);
  failsWith(t, await cli('verify', join(dir, 'bundle.ndjson'), '--key', ledgerKey), 'CLI_KEY_FILE_NOT_FOUND', ledgerKey, 'verify BUNDLE --key', 2);
  failsWith(t, await cli('monitor', '--state', join(dir, 'm.json'), '--key', ledgerKey), 'CLI_KEY_FILE_NOT_FOUND', ledgerKey, 'monitor --key', 2);
  failsWith(t, await cli('report', 'origin', 'urn:trace:x:y', '--key', ledgerKey), 'CLI_KEY_FILE_NOT_FOUND', ledgerKey, 'report --key', 2);
  failsWith(t, await cli('submit', '--key', join(dir, 'data', 'operator.key.pem'), '--signer', 'operator', payload, '--prove', '--ledger-key', ledgerKey), 'CLI_KEY_FILE_NOT_FOUND', ledgerKey, 'submit --ledger-key', 2);
});

t.test('a service that is not running: its URL and how to start it', async (t) => {
  const { db, operatorKey } = await initialised;
  const url = `http://127.0.0.1:${await closedPort()}`;
  const payload = join(dir, 'inspect.json');
  writeFileSync(payload, JSON.stringify({ type: 'participant.key.revoke', participant: 'operator', kid: '0000000000000000' }));
  const runs: Array<[string, Run]> = [
    ['trace', await cli('trace', 'urn:trace:x:y', '--url', url)],
    ['submit', await cli('submit', '--key', operatorKey, '--signer', 'operator', payload, '--url', url)],
    ['labels', await cli('labels', 'urn:trace:x:y', '--out', join(dir, 'l.svg'), '--url', url)],
    ['export', await cli('export', '--out', join(dir, 'b.ndjson'), '--url', url)],
    ['demo', await cli('demo', '--db', db, '--url', url)],
  ];
  for (const [what, r] of runs) {
    failsWith(t, r, 'CLI_SERVICE_UNREACHABLE', url, what);
    t.match(r.stderr, /ECONNREFUSED[^\n]*`npm start`[^\n]*`trace-ledger serve`/, `${what}: says why and how to start the service`);
  }
  // $TRACE_LEDGER_URL names the service when --url does not.
  const before = process.env['TRACE_LEDGER_URL'];
  process.env['TRACE_LEDGER_URL'] = url;
  t.teardown(() => (before === undefined ? delete process.env['TRACE_LEDGER_URL'] : (process.env['TRACE_LEDGER_URL'] = before)));
  failsWith(t, await cli('trace', 'urn:trace:x:y'), 'CLI_SERVICE_UNREACHABLE', url, 'trace via $TRACE_LEDGER_URL');
});

t.test('a monitor that cannot check prints one trace-ledger: line (an alert keeps ALERT:)', async (t) => {
  const state = join(dir, 'damaged-state.json');
  writeFileSync(state, '{"format":"trace-ledger-monitor/1","size":"ten"}');
  const r = await cli('monitor', '--state', state, '--url', `http://127.0.0.1:${await closedPort()}`);
  t.equal(r.code, 1);
  t.equal(r.stdout, '');
  t.match(r.stderr, /^trace-ledger: [^\n]*damaged-state\.json[^\n]*\n$/);
});

t.test('a --url that is no http(s) URL is a usage error', async (t) => {
  for (const url of ['localhost:8080', 'ftp://127.0.0.1', 'http//x']) {
    const r = await cli('trace', 'urn:trace:x:y', '--url', url);
    t.equal(r.code, 2, `${url}: exit 2`);
    t.match(r.stderr, /^trace-ledger: --url [^\n]*\n$/, `${url}: one line about --url`);
  }
});

t.test('docs/errors.md lists exactly the CLI codes', async (t) => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| (CLI_[A-Z_]+) \| \d \| (.+) \|$/gm)].map((m) => [m[1], m[2]]);
  t.same(rows, Object.entries(CLI_ERROR_CODES), 'same codes, same meanings, same order');
});
