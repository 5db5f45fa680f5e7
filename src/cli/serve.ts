/**
 * `trace-ledger serve`: open (or on first run create) the ledger, listen, optionally load the demo,
 * print where to go, and shut down cleanly on SIGINT/SIGTERM: stop taking requests, let queued
 * submissions commit, sign a final checkpoint, close the database.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { buildApp } from '../http/app.js';
import { seedDemo } from './demo.js';
import { DEFAULT_ORIGIN, initDataDir, openDataDir } from './setup.js';

export interface ServeOptions {
  readonly db: string;
  readonly port: number;
  readonly host: string;
  readonly origin: string | undefined;
  readonly demo: boolean;
  readonly quiet: boolean;
}

export async function serve(o: ServeOptions): Promise<void> {
  const log = (s: string) => {
    if (!o.quiet) console.log(s);
  };
  if (!existsSync(o.db)) {
    mkdirSync(dirname(o.db), { recursive: true });
    const info = await initDataDir({ db: o.db, origin: o.origin ?? DEFAULT_ORIGIN, operatorId: 'operator', operatorName: 'Cluster operator' });
    log(`initialised a new ledger in ${o.db}\n  ledger key: ${info.verifierKey}\n  operator key: ${info.operatorKeyPath}`);
  }
  const { store, ledger } = openDataDir(o.db, o.origin);
  const app = await buildApp({ ledger, logger: { level: process.env['LOG_LEVEL'] ?? 'warn' } });
  let address: string;
  try {
    address = await app.listen({ port: o.port, host: o.host });
  } catch (e) {
    await ledger.close();
    store.close();
    throw new Error(`cannot listen on ${o.host}:${o.port}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const base = address.replace('0.0.0.0', '127.0.0.1').replace('[::]', '[::1]');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`\n${signal}: stopping`);
    await app.close();
    await ledger.close();
    store.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  if (o.demo) await seedDemo(base, o.db, log);
  log(
    [
      `trace-ledger ${ledger.origin} is listening on ${base}  (log size ${ledger.size()})`,
      `  API docs (OpenAPI):   ${base}/docs`,
      `  latest checkpoint:    ${base}/v1/checkpoint`,
      `  ledger verifier key:  ${base}/v1/checkpoint/key`,
      `  participants:         ${base}/v1/participants`,
      `  entries:              ${base}/v1/entries?limit=20`,
      `Press Ctrl+C to stop.`,
    ].join('\n'),
  );
}
