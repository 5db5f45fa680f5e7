/** The demo, seeded through the HTTP API of a listening app; tests then use inject. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { seedDemo } from '../../src/cli/demo.js';
import { initDataDir, openDataDir } from '../../src/cli/setup.js';
import { buildApp } from '../../src/http/app.js';

export const DEMO_PUBLIC_URL = 'https://trace.example.com';

/** `testHooks`: the app's test-only routes (tampered evidence for browser tests). */
export async function seededDemo(name: string, options: { testHooks?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), `trace-ledger-${name}-`));
  const db = join(dir, 'data', 'ledger.db');
  mkdirSync(dirname(db));
  await initDataDir({ db, origin: 'demo.test.local/log', operatorId: 'operator', operatorName: 'Cluster operator' });
  const data = openDataDir(db);
  await data.ledger.verified; // the demo is seeded with writes
  const app = await buildApp({ ledger: data.ledger, publicUrl: () => DEMO_PUBLIC_URL, testHooks: options.testHooks ?? false });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const seed = await seedDemo(base, db, () => {});
  // Checkpoints are signed at most once a second: make the latest one cover the whole demo, so that
  // proofs of its last entries do not depend on how fast the machine seeded it.
  data.ledger.checkpoint(data.ledger.size());
  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });
  return {
    app,
    ledger: data.ledger,
    seed,
    get,
    async close() {
      await app.close();
      await data.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
