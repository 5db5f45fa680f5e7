// In-browser verification time (issue 4): a product whose page cites more than 200 entries (100
// material lots of four suppliers, each inspected, their shipments and receipts, the transform,
// genesis and the registrations), opened in Debian's headless Chromium at a phone viewport; the
// page's badge reports how long its verification took (data-verify-ms: every signature, leaf
// hash, inclusion proof and the checkpoint signature, after the evidence arrived).
//   npm run build && node bench/browser.js [loads=5]
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { toBase64Url } from '../dist/core/bytes.js';
import { signEntry } from '../dist/core/entry.js';
import { buildApp } from '../dist/http/app.js';
import { openLedger } from '../dist/ledger.js';
import { nodeEd25519 } from '../dist/platform/node-crypto.js';
import { openSqliteStore } from '../dist/store/sqlite.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PRODUCT = 'https://id.gs1.org/01/09506000134352/10/BIG-1';

function party(id) {
  const seed = new Uint8Array(randomBytes(32));
  return { id, seed, publicKey: nodeEd25519.publicKey(seed) };
}

async function bigProvenance(ledger, operator) {
  let n = 0;
  const sign = (who, fields) => signEntry({ id: `e-${n++}`, signer: who.id, time: new Date().toISOString(), ...fields }, who.seed, nodeEd25519);
  const suppliers = [0, 1, 2, 3].map((i) => party(`supplier-${i}`));
  const maker = party('maker');
  const lab = party('lab');
  const register = (p, roles) => sign(operator, { type: 'participant.register', participant: p.id, name: `${p.id} Ltd`, roles, publicKey: toBase64Url(p.publicKey) });
  await ledger.submit([...suppliers.map((s) => register(s, ['supplier'])), register(maker, ['manufacturer']), register(lab, ['inspector'])]);
  const lots = Array.from({ length: 100 }, (_, i) => ({ code: `urn:trace:supplier-${i % 4}:lot-${i}`, supplier: suppliers[i % 4] }));
  const q = { value: 10, unit: 'KGM' };
  await ledger.submit(lots.map((l, i) => sign(l.supplier, { type: 'commission', objects: [{ code: l.code, level: 'material', product: { name: `Material ${i}` }, quantity: q, footprint: { kgCO2ePerUnit: 1 + (i % 7) } }] })));
  await ledger.submit(lots.map((l) => sign(lab, { type: 'inspect', objects: [l.code], result: 'pass', standard: 'EN 573-3', measurements: [{ type: 'Si', value: 0.4, unit: '%', max: 0.6 }] })));
  for (const s of suppliers) {
    const mine = lots.filter((l) => l.supplier === s).map((l) => ({ code: l.code, quantity: q }));
    const [ship] = await ledger.submit([sign(s, { type: 'ship', to: maker.id, objects: mine })]);
    await ledger.submit([sign(maker, { type: 'receive', shipment: ship.leafHash, objects: mine })]);
  }
  await ledger.submit([sign(maker, {
    type: 'transform',
    inputs: lots.map((l) => ({ code: l.code, quantity: q })),
    outputs: [{ code: PRODUCT, level: 'finished', product: { name: 'Assembly of 100 lots' }, quantity: { value: 50, unit: 'H87' } }],
    process: { electricityKWh: 100, gridKgCO2ePerKWh: 0.5, waterM3: 1 },
  })]);
}

export async function browserBench({ loads = 5 } = {}) {
  if (!existsSync(CHROMIUM)) return { skipped: `${CHROMIUM} is missing (apt-get install chromium)` };
  const dir = mkdtempSync(path.join(tmpdir(), 'trace-ledger-bench-browser-'));
  const store = openSqliteStore(path.join(dir, 'ledger.db'));
  const ledger = openLedger({ store, origin: 'bench.local/log', ledgerSeed: new Uint8Array(randomBytes(32)) });
  const operator = party('operator');
  await ledger.initGenesis({ operator: { id: operator.id, name: 'Operator', publicKey: operator.publicKey } });
  await bigProvenance(ledger, operator);
  const app = await buildApp({ ledger });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  try {
    const runs = [];
    for (let i = 0; i < loads; i++) {
      // A fresh context each time: a first visit, nothing cached.
      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
      const page = await context.newPage();
      await page.goto(`${base}/v1/objects/${encodeURIComponent(PRODUCT)}/page`);
      // 'unavailable' (the evidence never arrived) ends the check too, and counts as not ok below.
      await page.waitForSelector('#badge[data-state=ok], #badge[data-state=fail], #badge[data-state=unavailable]', { timeout: 60_000 });
      runs.push(await page.$eval('#badge', (el) => ({ state: el.dataset.state, verifyMs: Number(el.dataset.verifyMs), totalMs: Number(el.dataset.totalMs), entries: Number(el.dataset.entries) })));
      await context.close();
    }
    const sorted = runs.map((r) => r.verifyMs).sort((a, b) => a - b);
    return { runs, medianMs: sorted[Math.floor(sorted.length / 2)], maxMs: sorted.at(-1), entries: runs[0].entries, allOk: runs.every((r) => r.state === 'ok'), chromium: browser.version() };
  } finally {
    await browser.close();
    await app.close();
    await ledger.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await browserBench({ loads: Number(process.argv[2] ?? 5) });
  console.log(JSON.stringify(r, null, 2));
}
