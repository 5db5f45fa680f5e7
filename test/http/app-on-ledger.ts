/** A fresh ledger (test/helpers.ts) with the HTTP app on it, both closed when the test ends. */
import type { Test } from 'tap';
import { buildApp, type AppOptions } from '../../src/http/app.js';
import { makeLedger } from '../helpers.js';

export async function appOnLedger(t: Test, options: Partial<Omit<AppOptions, 'ledger'>> = {}) {
  const L = await makeLedger();
  const app = await buildApp({ ledger: L.ledger, ...options });
  t.teardown(async () => {
    await app.close();
    await L.close();
  });
  return { L, app };
}
