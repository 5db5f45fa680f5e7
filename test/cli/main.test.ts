// The dispatcher (src/cli/main.ts): every command that has usage is dispatched to its module, and
// a name that is no command is a usage error, however it is spelt.
import t from 'tap';
import { cli } from '../cli-runner.js';
import { COMMAND_NAMES } from '../../src/cli/usage.js';

t.test('every command with usage reaches its own argument parsing', async (t) => {
  for (const command of COMMAND_NAMES) {
    // An option no command has: refused by the command's own parser (or its action check),
    // before it reads a file or a service; an undispatched name would say "unknown command".
    const r = await cli(command, '--no-such-option');
    t.equal(r.code, 2, `${command}: exit 2`);
    t.equal(r.stdout, '', `${command}: nothing on stdout`);
    t.notMatch(r.stderr, /unknown command/, `${command}: dispatched`);
    t.match(r.stderr, new RegExp(`^trace-ledger: [^\\n]+ \\(see "trace-ledger ${command} --help"\\)\\n$`), `${command}: one line pointing at its help`);
  }
});

t.test('names that are no command', async (t) => {
  for (const name of ['frobnicate', 'toString', 'constructor', '__proto__', 'hasOwnProperty']) {
    const r = await cli(name);
    t.equal(r.code, 2, `${name}: exit 2`);
    t.equal(r.stderr, `trace-ledger: unknown command "${name}" (see "trace-ledger --help")\n`, `${name}: one line`);
  }
});
