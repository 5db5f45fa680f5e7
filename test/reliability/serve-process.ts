/**
 * The real command in its own process (bin/trace-ledger.js, which runs dist/: `npm run build`
 * first), for what only separate processes show: the data directory's lock, kill -9, permissions.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/trace-ledger.js', import.meta.url));

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const spawnOptions = (as: Pick<SpawnOptions, 'uid' | 'gid'>): SpawnOptions => ({ stdio: ['ignore', 'pipe', 'pipe'], ...as });

/**
 * What the command itself wrote to stderr. Under tap, a child run as another user also gets tap's
 * process-info hook (injected into every spawn), which fails at exit writing under the repository
 * (.tap/, owned by the user running tap) and prints a stack after the command's own output.
 */
export const ownStderr = (r: Finished): string => r.stderr.split(/^node:fs:\d+\n/m)[0]!;

/** Run a command to its end. `as` runs it under another uid/gid (tests that need a non-root user). */
export function runCli(args: readonly string[], as: Pick<SpawnOptions, 'uid' | 'gid'> = {}): Promise<Finished> {
  const child = spawn(process.execPath, [BIN, ...args], spawnOptions(as));
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  // A command that should have refused but serves instead must fail the test, not hang it.
  const limit = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(limit);
      resolve({ code, stdout, stderr });
    }),
  );
}

export interface Service {
  readonly child: ChildProcess;
  readonly url: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
}

/**
 * `serve --db db --port 0`; resolves with its URL once it listens.
 * @throws when it exits first (its stderr is in the message)
 */
export function startServe(db: string, as: Pick<SpawnOptions, 'uid' | 'gid'> = {}): Promise<Service> {
  const child = spawn(process.execPath, [BIN, 'serve', '--db', db, '--port', '0'], spawnOptions(as));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /is listening on (\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]!, exited });
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before listening: ${err.trim()}`)));
  });
}

/** Stop a service (SIGTERM: it closes cleanly) and wait for it. */
export async function stopServe(s: Service, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill(signal);
  await s.exited;
}
