/**
 * `trace-ledger serve`: open (or on first run create) the ledger, listen, optionally load the demo,
 * print where to go, and shut down cleanly on SIGINT/SIGTERM: stop taking requests, let queued
 * submissions commit, sign a final checkpoint, close the database.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { dirname } from 'node:path';
import { buildApp } from '../http/app.js';
import { seedDemo, type DemoHighlights } from './demo.js';
import { assertDemoLedger } from './demo-ledger.js';
import { digitalLinkPath, parseCode } from '../core/codes.js';
import { choosePublicUrl, type PublicUrlChoice } from './public-url.js';
import { DEFAULT_ORIGIN, initDataDir, openDataDir, type OpenDataDir } from './setup.js';
import { lockDataDir } from './data-dir-lock.js';

export interface ServeOptions {
  readonly db: string;
  readonly port: number;
  readonly host: string;
  readonly origin: string | undefined;
  readonly demo: boolean;
  readonly quiet: boolean;
  /**
   * Base URL that QR codes and resolver links use (e.g. https://trace.example.com); default: the
   * listening URL, or for --host 0.0.0.0 the machine's LAN address (see public-url.ts).
   */
  readonly publicUrl?: string | undefined;
  /** Stop on SIGINT/SIGTERM and exit the process (the CLI). Default true; tests pass false and call close(). */
  readonly handleSignals?: boolean;
  /** Test-only hooks of the app (e.g. the customer page's tamper hook for browser tests); never set by the CLI. */
  readonly testHooks?: boolean;
}

export interface RunningServer {
  /** Base URL the service listens on, e.g. http://127.0.0.1:8080 (the real port when port 0 was asked for). */
  readonly url: string;
  /** Base URL that QR codes and resolver links name. */
  readonly publicUrl: string;
  /** Stop taking requests, let queued submissions commit, sign a final checkpoint, close the database. */
  close(): Promise<void>;
  /**
   * The start-up verification of the whole log (reads are served meanwhile, writes once it passed);
   * rejects with LEDGER_STORE_CORRUPT naming the seq. With handleSignals, a failure exits the process.
   */
  readonly verified: Promise<void>;
}

export async function serve(o: ServeOptions): Promise<RunningServer> {
  const log = (s: string) => {
    if (!o.quiet) console.log(s);
  };
  const interfaces = networkInterfaces();
  // Refuse before creating or binding anything when labels could name no reachable address; the
  // real choice follows the listen (with --port 0 only then is the port known).
  choosePublicUrl({ publicUrl: o.publicUrl, host: o.host, port: o.port, listening: `http://${o.host}:${o.port}`, interfaces });
  mkdirSync(dirname(o.db), { recursive: true });
  // Before anything reads or creates the database: a second process on it would serve stale data
  // and fail its writes (issue 16). Held until close(); the OS drops it if the process dies.
  const lock = lockDataDir(o.db, 'serve');
  let data: OpenDataDir;
  try {
    if (!existsSync(o.db)) {
      const info = await initDataDir({ db: o.db, origin: o.origin ?? DEFAULT_ORIGIN, operatorId: 'operator', operatorName: 'Cluster operator', demo: o.demo });
      log(`initialised a new ${o.demo ? 'demo ' : ''}ledger in ${o.db}\n  ledger key: ${info.verifierKey}\n  operator key: ${info.operatorKeyPath}`);
    } else if (o.demo) {
      await assertDemoLedger(o.db);
    }
    data = openDataDir(o.db, o.origin, {
      verifyInWorker: true,
      derivedVerifier: {
        // One line for the operator; the service goes on serving reads, refusing writes (/readyz).
        onMismatch: (_m, detail) =>
          process.stderr.write(`trace-ledger: writes refused: ${detail} (investigate with "trace-ledger verify --db ${o.db}", then run "trace-ledger rebuild")\n`),
      },
    });
  } catch (e) {
    lock.release();
    throw e;
  }
  const { ledger } = data;
  const closeData = async () => {
    try {
      await data.close();
    } finally {
      lock.release();
    }
  };
  let chosen: PublicUrlChoice | undefined;
  const publicUrl = () => chosen?.url ?? '';
  const app = await buildApp({
    ledger,
    logger: { level: process.env['LOG_LEVEL'] ?? 'warn' },
    publicUrl,
    testHooks: o.testHooks ?? false,
    verifierProgress: () => data.derivedVerifier.progress().recordsVerified,
  });
  let address: string;
  try {
    address = await app.listen({ port: o.port, host: o.host });
  } catch (e) {
    await closeData();
    throw new Error(`cannot listen on ${o.host}:${o.port}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const base = address.replace('0.0.0.0', '127.0.0.1').replace('[::]', '[::1]');
  chosen = choosePublicUrl({ publicUrl: o.publicUrl, host: o.host, port: Number(new URL(base).port || 80), listening: base, interfaces });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await app.close();
      await closeData();
    })());
  if (o.handleSignals ?? true) exitOnFailureOrSignal(ledger.verified, () => closing !== undefined, close, log);

  let demoLines: string[] = [];
  if (o.demo) {
    try {
      demoLines = await seedDemoWhenReady(data, base, o.db, log);
    } catch (e) {
      // Otherwise the CLI would report the failure and keep listening.
      await close();
      throw e;
    }
  }
  log(serveBanner({ origin: ledger.origin, base, publicUrl: chosen, size: ledger.size(), db: o.db, demo: o.demo, demoLines }).join('\n'));
  return { url: base, publicUrl: chosen.url, close, verified: ledger.verified };
}

/**
 * For the CLI: a log that fails its start-up verification is not served (exit 1), and SIGINT or
 * SIGTERM stop the service once (exit 0).
 */
function exitOnFailureOrSignal(verified: Promise<void>, isClosing: () => boolean, close: () => Promise<void>, log: (s: string) => void): void {
  // Listening does not wait for the verification; a log that fails it is not served at all.
  verified.catch((e: unknown) => {
    const code = (e as { code?: unknown }).code;
    process.stderr.write(`trace-ledger: ${typeof code === 'string' ? `${code}: ` : ''}${(e as Error).message.split('\n')[0]}\n`);
    void close().finally(() => process.exit(1));
  });
  const stop = (signal: string) => {
    if (isClosing()) return;
    log(`\n${signal}: stopping`);
    void close().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** `serve --demo`: seed the demo through the listening service once it takes writes; the banner's demo lines. */
async function seedDemoWhenReady(data: OpenDataDir, base: string, db: string, log: (s: string) => void): Promise<string[]> {
  await data.ledger.verified; // the demo is seeded with writes
  // The demo's entries would be refused while the derived tables are still being verified.
  if ((await data.derivedVerifier.startup) !== 'ok') throw new Error('the derived tables failed verification: not seeding the demo');
  const { highlights: h } = await seedDemo(base, db, log);
  return demoUrls(base, h);
}

export interface BannerFacts {
  readonly origin: string;
  /** The listening URL, reachable from this machine. */
  readonly base: string;
  readonly publicUrl: PublicUrlChoice;
  readonly size: number;
  readonly db: string;
  readonly demo: boolean;
  readonly demoLines: readonly string[];
}

const PUBLIC_URL_SOURCE: Record<PublicUrlChoice['source'], string> = {
  'public-url': '--public-url',
  'lan-address': "this machine's LAN address; set --public-url if phones cannot reach it",
  'listening-address': 'the listening address',
};

/** What `serve` prints once it listens: where the data is, where to look, what labels point to. */
export function serveBanner(f: BannerFacts): string[] {
  const { base } = f;
  return [
    `trace-ledger ${f.origin} is listening on ${base}  (log size ${f.size})`,
    `  ${`${f.demo ? 'demo ledger' : 'ledger'}:`.padEnd(22)}${f.db}${f.demo ? '  (delete its directory to start over)' : ''}`,
    `  QR codes and links:   ${f.publicUrl.url}  (${PUBLIC_URL_SOURCE[f.publicUrl.source]})`,
    `  API docs (OpenAPI):   ${base}/docs`,
    `  latest checkpoint:    ${base}/v1/checkpoint`,
    `  ledger verifier key:  ${base}/v1/checkpoint/key`,
    `  participants:         ${base}/v1/participants`,
    `  entries:              ${base}/v1/entries?limit=20`,
    ...f.demoLines,
    `Press Ctrl+C to stop.`,
  ];
}

/** Where a new user should look after `npm start`: the demo's most telling objects. */
export function demoUrls(base: string, h: DemoHighlights): string[] {
  const obj = (code: string, view = '') => `${base}/v1/objects/${encodeURIComponent(code)}${view}`;
  return [
    'Demo supply chain (aluminium windows; try these):',
    `  a window as a customer sees it (open on a phone-sized window): ${base}${digitalLinkPath(parseCode(h.greenFrameLot))}`,
    `    its QR label:                 ${obj(h.greenFrameLot, '/qr.svg')}`,
    `    made from a recalled billet:  ${base}${digitalLinkPath(parseCode(h.recalledFrameLot))}`,
    `  a window, its provenance:       ${obj(h.greenFrameLot, '/upstream')}`,
    `    its carbon footprint (PACT):  ${obj(h.greenFrameLot, '/footprint')}`,
    `  a window made from a recalled billet: ${obj(h.recalledFrameLot, '/upstream')}`,
    `  the recalled billet's impact:   ${obj(h.recalledBilletLot, '/downstream')}`,
    `  a shipment with damaged goods:  ${obj(h.discrepancy.lot, '/downstream')}`,
    `  every entry about a pallet:     ${obj(h.pallet, '/history')}`,
  ];
}
