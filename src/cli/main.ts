/**
 * The `trace-ledger` command: the dispatcher. Each subcommand lives in src/cli/commands/ and
 * returns an exit code; this module picks it, answers --help and --version, and turns every
 * failure into ONE line on stderr (`trace-ledger: …`) and a non-zero exit: 2 for a usage mistake,
 * 1 for anything else (a CliError may say 2; `monitor` exits 3 on an alert).
 */
import { LedgerError } from '../core/errors.js';
import { CliError, UsageError } from './cli-error.js';
import { backupCommand } from './commands/backup.js';
import { demoCommand } from './commands/demo.js';
import { exportCommand } from './commands/export.js';
import { initCommand, serveCommand } from './commands/init-serve.js';
import { labelsCommand, qrCommand } from './commands/labels.js';
import { monitorCommand } from './commands/monitor.js';
import { keygenCommand, participantCommand, signCommand, submitCommand } from './commands/participants.js';
import { rebuildCommand } from './commands/rebuild.js';
import { reportCommand } from './commands/report.js';
import { traceCommand } from './commands/trace.js';
import { verifyCommand } from './commands/verify.js';
import { commandUsage, overviewUsage, packageVersion } from './usage.js';

/** A subcommand: its arguments (after the command's name) in, its exit code out. */
type Command = (args: string[]) => Promise<number>;

/** Every subcommand by name; usage.ts holds their help in the same names. */
const COMMANDS: Readonly<Record<string, Command>> = {
  init: initCommand,
  serve: serveCommand,
  participant: participantCommand,
  backup: backupCommand,
  keygen: keygenCommand,
  sign: signCommand,
  submit: submitCommand,
  trace: traceCommand,
  demo: demoCommand,
  rebuild: rebuildCommand,
  qr: qrCommand,
  labels: labelsCommand,
  export: exportCommand,
  verify: verifyCommand,
  monitor: monitorCommand,
  report: reportCommand,
};

const isHelp = (a: string) => a === '--help' || a === '-h';

async function run(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || isHelp(command) || (command === 'help' && args.length === 0)) {
    console.log(overviewUsage());
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-V' || command === 'version') {
    console.log(packageVersion());
    return 0;
  }
  // `help CMD` and `CMD --help` (anywhere before a `--`) show that command's usage alone.
  const options = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  const helpFor = command === 'help' ? args[0] : options.some(isHelp) ? command : undefined;
  if (helpFor !== undefined) {
    const usage = commandUsage(helpFor);
    if (usage === undefined) throw new UsageError(`unknown command "${helpFor}"`);
    console.log(usage);
    return 0;
  }
  // Own properties only: "toString" is no command.
  if (!Object.hasOwn(COMMANDS, command)) throw new UsageError(`unknown command "${command}"`);
  return COMMANDS[command]!(args);
}

/**
 * Run one command. Every failure is ONE line on stderr starting `trace-ledger:` (with the code of a
 * LedgerError or CliError), exit 2 for a mistake in the command line, 1 otherwise.
 */
export async function main(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (e) {
    const message = e instanceof LedgerError || e instanceof CliError ? `${e.code}: ${e.message}` : (e as Error).message;
    const command = argv[0] !== undefined && commandUsage(argv[0]) !== undefined ? `${argv[0]} ` : '';
    const exitCode = e instanceof UsageError ? 2 : e instanceof CliError ? e.exitCode : 1;
    const pointer = exitCode === 2 ? ` (see "trace-ledger ${command}--help")` : '';
    process.stderr.write(`trace-ledger: ${message.split('\n')[0]}${pointer}\n`);
    return exitCode;
  }
}
