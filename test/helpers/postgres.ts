/**
 * A throwaway PostgreSQL cluster for one test file: initdb into a temporary directory, pg_ctl
 * start on a free loopback port (and a unix socket in that directory), fsync and
 * synchronous_commit on as in production; stopped and removed when the file's tests end. Each test
 * gets a fresh database (`CREATE DATABASE t_<n>`).
 *
 * When the server binaries are not found (PATH, then /usr/lib/postgresql/<version>/bin), the
 * tests skip with the reason. initdb refuses to run as root: as root, the cluster runs as the
 * `postgres` user (or `nobody`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';

export interface PgCluster {
  /** A new, empty database; its URL. */
  createDatabase(): Promise<string>;
  /** A connection of our own (for what the store must not do, e.g. tamper with the log). */
  connect(url: string): Promise<pg.Client>;
  stop(): Promise<void>;
}

const SUPERUSER = 'tl';

/** The directory holding initdb and pg_ctl, or why there is none. */
export function findPostgresBin(): { dir: string } | { missing: string } {
  const has = (dir: string) => ['initdb', 'pg_ctl', 'postgres'].every((b) => executable(join(dir, b)));
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) if (dir !== '' && has(dir)) return { dir };
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (has(join(root, v, 'bin'))) return { dir: join(root, v, 'bin') };
  return { missing: `PostgreSQL not found: no initdb/pg_ctl/postgres in PATH or ${root}/*/bin (install Debian's postgresql to run these tests)` };
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** uid/gid to run the server as: ourselves, or as root an unprivileged user that exists. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    const r = spawnSync('id', ['-u', user], { encoding: 'utf8' });
    if (r.status === 0) {
      const uid = Number(r.stdout.trim());
      const gid = Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
      return { uid, gid };
    }
  }
  throw new Error('running as root, and neither a postgres nor a nobody user exists to run the PostgreSQL server');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Start a cluster. @throws Error with initdb's or the server's log when it does not start */
export async function startCluster(bin: string): Promise<PgCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-pg-'));
  const data = join(dir, 'data');
  const user = runAs();
  if (user !== undefined) {
    chownSync(dir, user.uid, user.gid);
    // The temporary directory's parents must let the server's user through (mkdtemp makes it 0700).
    chmodSync(dir, 0o700);
  }
  const run = (cmd: string, args: string[]) =>
    execFileSync(join(bin, cmd), args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], ...(user ?? {}), env: { ...process.env, LC_ALL: 'C' } });
  const port = await freePort();
  try {
    run('initdb', ['-D', data, '-U', SUPERUSER, '--auth=trust', '--no-sync', '--locale=C', '-E', 'UTF8']);
    const settings = [
      `-c port=${port}`, '-c listen_addresses=127.0.0.1', `-c unix_socket_directories=${dir}`,
      '-c fsync=on', '-c synchronous_commit=on', '-c max_connections=30', '-c shared_buffers=32MB',
    ].join(' ');
    run('pg_ctl', ['-D', data, '-o', settings, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  } catch (e) {
    const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8') : '';
    rmSync(dir, { recursive: true, force: true });
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`the test PostgreSQL cluster did not start: ${err.stderr?.toString() ?? err.message}\n${log}`);
  }
  let n = 0;
  const url = (db: string) => `postgres://${SUPERUSER}@127.0.0.1:${port}/${db}`;
  const connect = async (u: string) => {
    const c = new pg.Client({ connectionString: u });
    await c.connect();
    return c;
  };
  return {
    async createDatabase() {
      const name = `t_${++n}`;
      const admin = await connect(url('postgres'));
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return url(name);
    },
    connect,
    async stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

let shared: Promise<PgCluster> | undefined;

/**
 * The test file's cluster, started at the first call and stopped when `root` (the file's top-level
 * tap object) ends; `{ skip }` with the reason when PostgreSQL is not installed.
 */
export function postgresFor(root: { teardown(fn: () => unknown): void }): { cluster: () => Promise<PgCluster>; skip: string | false } {
  const found = findPostgresBin();
  if ('missing' in found) return { cluster: () => Promise.reject(new Error(found.missing)), skip: found.missing };
  return {
    skip: false,
    cluster() {
      if (shared === undefined) {
        shared = startCluster(found.dir);
        const started = shared;
        root.teardown(async () => (await started).stop());
      }
      return shared;
    },
  };
}
