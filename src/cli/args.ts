/**
 * Reading a command's own arguments: options through node:util `parseArgs` (strict, so a
 * misspelt option is refused rather than ignored), and the checks every command repeats. Each
 * mistake is a UsageError: exit 2 with a pointer to the command's --help (main.ts).
 */
import { existsSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError, UsageError } from './cli-error.js';

export interface ParsedArgs {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
}

/**
 * `args` against `options` (plus --help, which main.ts has already handled), with at most
 * `positionals` positional arguments. @throws UsageError
 */
export function parse(args: string[], options: ParseArgsConfig['options'], positionals = 0): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean' } }, allowPositionals: positionals > 0, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument ${parsed.positionals[positionals]}`);
  return parsed as ParsedArgs;
}

/** The value of a required string option. @throws UsageError */
export function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

/** A non-negative integer option, or undefined. @throws UsageError */
export function intOption(values: Record<string, unknown>, name: string): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new UsageError(`--${name} must be a non-negative integer, got ${String(v)}`);
  return n;
}

/** A file the command reads must exist; `what` names it for the message ("database file"). @throws CliError */
export function requireFile(path: string, what: string): string {
  if (!existsSync(path)) throw new CliError('CLI_FILE_NOT_FOUND', `${what} ${path} does not exist`);
  return path;
}
