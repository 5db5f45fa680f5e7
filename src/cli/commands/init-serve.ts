/**
 * `init` (create the ledger key, the operator key and the genesis entry) and `serve` (run the
 * HTTP service, src/cli/serve.ts): the commands that bring a data directory to life.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from '../args.js';
import { UsageError } from '../cli-error.js';
import { lockDataDir } from '../data-dir-lock.js';
import { DEMO_DB } from '../demo-ledger.js';
import { serve } from '../serve.js';
import { DEFAULT_DB, DEFAULT_ORIGIN, initDataDir } from '../setup.js';

export async function initCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { db: { type: 'string', default: DEFAULT_DB }, origin: { type: 'string', default: DEFAULT_ORIGIN }, 'operator-id': { type: 'string', default: 'operator' }, 'operator-name': { type: 'string', default: 'Cluster operator' } });
  const db = resolve(values['db'] as string);
  if (existsSync(db)) throw new Error(`${db} already exists; a ledger is initialised once`);
  mkdirSync(dirname(db), { recursive: true });
  const lock = lockDataDir(db, 'init');
  let info;
  try {
    info = await initDataDir({ db, origin: values['origin'] as string, operatorId: values['operator-id'] as string, operatorName: values['operator-name'] as string });
  } finally {
    lock.release();
  }
  console.log(`initialised ${db}\nledger key (publish this): ${info.verifierKey}\noperator key: ${info.operatorKeyPath}`);
  return 0;
}

/** Resolves once the service is listening; SIGINT/SIGTERM then stop it and exit the process. */
export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parse(args, {
    db: { type: 'string' },
    port: { type: 'string', default: process.env['PORT'] ?? '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    origin: { type: 'string' },
    demo: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    'public-url': { type: 'string', default: process.env['PUBLIC_URL'] },
  });
  const publicUrl = values['public-url'] as string | undefined;
  if (publicUrl !== undefined && !/^https?:\/\/[^/\s]+(\/[^\s]*)?$/.test(publicUrl)) throw new UsageError(`--public-url must be an http(s) URL, got ${publicUrl}`);
  const port = Number(values['port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0-65535, got ${values['port']}`);
  await serve({
    // The demo keeps its own database, so that it never touches data/ledger.db.
    db: resolve((values['db'] as string | undefined) ?? (values['demo'] ? DEMO_DB : DEFAULT_DB)),
    port,
    host: values['host'] as string,
    origin: values['origin'] as string | undefined,
    demo: values['demo'] as boolean,
    quiet: values['quiet'] as boolean,
    publicUrl,
  });
  return 0;
}
