// `trace-ledger --help`, `trace-ledger <command> --help` / `-h` / `help <command>`, `--version`.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cli } from '../cli-runner.js';
import { COMMAND_NAMES, commandUsage, overviewUsage } from '../../src/cli/usage.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
/** The lines that start a command's block in the overview: "  verify      BUNDLE …". */
const synopsisOf = (usage: string) => [...usage.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]);

t.test('the overview lists every command once per synopsis', async (t) => {
  const help = await cli('--help');
  t.equal(help.code, 0);
  t.equal(help.stderr, '');
  t.equal(help.stdout, `${overviewUsage()}\n`);
  t.same([...new Set(synopsisOf(help.stdout))], COMMAND_NAMES, 'every command, in order');
  for (const alias of [['-h'], ['help']]) t.equal((await cli(...alias)).stdout, help.stdout, `${alias.join(' ')} prints the overview`);
});

t.test('<command> --help prints that command alone and exits 0', async (t) => {
  t.ok(COMMAND_NAMES.length >= 15, 'all commands have usage');
  for (const command of COMMAND_NAMES) {
    const usage = commandUsage(command)!;
    t.match(usage, new RegExp(`^Usage: trace-ledger ${command} `), `${command}: its own usage line`);
    t.same([...new Set(synopsisOf(usage))], [command], `${command}: no other command in it`);
    for (const flag of ['--help', '-h']) {
      const r = await cli(command, flag);
      t.equal(r.code, 0, `${command} ${flag}: exit 0`);
      t.equal(r.stdout, `${usage}\n`, `${command} ${flag}: its usage`);
      t.equal(r.stderr, '');
    }
    t.equal((await cli('help', command)).stdout, `${usage}\n`, `help ${command}`);
  }
  // The flag wins over whatever else is on the line (even options that would be refused).
  const serve = await cli('serve', '-h');
  t.equal(serve.code, 0, 'serve -h is not refused');
  t.equal(serve.stdout, `${commandUsage('serve')}\n`);
  t.equal((await cli('participant', 'add', '--help')).stdout, `${commandUsage('participant')}\n`, 'participant add --help');
  t.equal((await cli('report', 'verify', 'x.json', '-h')).stdout, `${commandUsage('report')}\n`, 'report verify -h');
  t.equal((await cli('verify', '--db', 'x.db', '--help')).stdout, `${commandUsage('verify')}\n`, 'verify --db --help');
});

t.test('help for an unknown command is a usage error', async (t) => {
  for (const args of [['frobnicate', '--help'], ['help', 'frobnicate'], ['toString', '-h']]) {
    const r = await cli(...args);
    t.equal(r.code, 2, `${args.join(' ')}: exit 2`);
    t.equal(r.stdout, '');
    t.match(r.stderr, /^trace-ledger: unknown command "[a-zA-Z]+"[^\n]*\n$/, `${args.join(' ')}: one line`);
  }
  t.equal(commandUsage('constructor'), undefined, 'no usage from Object.prototype');
});

t.test('a usage mistake is one line pointing at the command\'s --help', async (t) => {
  const r = await cli('keygen');
  t.equal(r.code, 2);
  t.match(r.stderr, /^trace-ledger: [^\n]+ \(see "trace-ledger keygen --help"\)\n$/);
});

t.test('--version, -V and version print the package version', async (t) => {
  t.match(VERSION, /^\d+\.\d+\.\d+/);
  for (const flag of ['--version', '-V', 'version']) {
    const r = await cli(flag);
    t.equal(r.code, 0, `${flag}: exit 0`);
    t.equal(r.stdout, `${VERSION}\n`, `${flag}: the version`);
    t.equal(r.stderr, '');
  }
});

t.test('the installed command finds package.json from dist/', { skip: existsSync(new URL('../../dist/cli/usage.js', import.meta.url)) ? false : 'run npm run build first' }, async (t) => {
  const bin = new URL('../../bin/trace-ledger.js', import.meta.url).pathname;
  t.equal(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }), `${VERSION}\n`);
});
