/**
 * Which ledger key a verifying command checks against: a pinned --key (a file or the key itself),
 * or, only when asked for explicitly, the key the checked file carries.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseVerifierKey } from '../core/note.js';
import { CliError, UsageError } from './cli-error.js';

/**
 * `--key` or an explicit `--trust-<what>-key`: a file checked against the key it carries itself
 * proves only that it is self-consistent (whoever forged it signed it too), so such a check must
 * not exit 0 unless the user asked for it.
 * @throws UsageError
 */
export function requireKeyChoice(values: Record<string, unknown>, what: 'bundle' | 'db' | 'report'): void {
  const trust = values[`trust-${what}-key`] === true;
  if (values['key'] === undefined && !trust) {
    throw new UsageError(`verify needs the key to check the ${what === 'db' ? 'database' : what} against: pass --key <verifier key> (the ledger's published key, GET /v1/checkpoint/key) or --trust-${what}-key to accept its own key unpinned`);
  }
  if (values['key'] !== undefined && trust) throw new UsageError(`--key and --trust-${what}-key exclude each other`);
}

/**
 * A pinned ledger key option: a file holding the key, or the key itself (origin+keyid+base64,
 * which always has a '+'). A bare name that is no file is taken for a missing key file.
 * @throws CliError CLI_KEY_FILE_NOT_FOUND, UsageError when it is not a verifier key
 */
export function ledgerKeyOption(value: unknown, option = '--key'): string | undefined {
  if (typeof value !== 'string') return undefined;
  let key = value;
  if (existsSync(value)) key = readFileSync(value, 'utf8').trim();
  else if (!value.includes('+')) throw new CliError('CLI_KEY_FILE_NOT_FOUND', `${option} ${value}: no such key file (nor a ledger verifier key origin+keyid+base64)`, { exitCode: 2 });
  try {
    parseVerifierKey(key);
  } catch (e) {
    throw new UsageError(`${option} is not a ledger verifier key (origin+keyid+base64, as GET /v1/checkpoint/key gives it): ${(e as Error).message}`);
  }
  return key;
}
