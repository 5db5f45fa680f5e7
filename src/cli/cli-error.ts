/**
 * Failures only the command line has: a file named on the command line is missing, or the service
 * cannot be reached. They never cross HTTP, so they are not LedgerError codes (src/core/errors.ts);
 * docs/errors.md lists them in their own table. The CLI prints `trace-ledger: <code>: <message>` and exits 1
 * (2 when the option itself is malformed).
 */

export const CLI_ERROR_CODES = {
  CLI_FILE_NOT_FOUND: 'A file named on the command line (database, payload, bundle, report) does not exist.',
  CLI_KEY_FILE_NOT_FOUND: 'A key file named by --key, --public-key or --ledger-key (or the operator key beside --db) does not exist.',
  CLI_SERVICE_UNREACHABLE: 'No service answers at the URL (--url, $TRACE_LEDGER_URL, default http://127.0.0.1:8080): start it (`npm start`, `trace-ledger serve`) or give the right URL.',
  CLI_DATA_DIR_LOCKED: 'Another process (named with its pid) holds the data directory: `serve`, `init` and `rebuild` write the ledger one at a time; `verify --db` and `backup` may run beside them.',
  CLI_DATA_DIR_READ_ONLY: 'The data directory cannot be written (read-only mount or permissions): the ledger keeps its lock, database and write-ahead log there.',
} as const;

export type CliErrorCode = keyof typeof CLI_ERROR_CODES;

export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: CliErrorCode;
  /** 2 when the command line itself is at fault (a --key that names neither a file nor a key). */
  readonly exitCode: 1 | 2;

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown; exitCode?: 1 | 2 }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.exitCode = options?.exitCode ?? 1;
  }
}

/** A mistake in the command line itself: exit 2, with a pointer to the command's --help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
