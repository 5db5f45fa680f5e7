/**
 * End to end in a real browser: Debian's headless Chromium (/usr/bin/chromium, installed by
 * .ci/run), driven by playwright-core, at a phone viewport. The customer page's badge verifies the
 * evidence with the core running in the page; a test-only hook serves one record altered and the
 * badge must turn red naming it. Screenshots go to test-output/customer-page/.
 */
import t, { type Test } from 'tap';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { serve } from '../../src/cli/serve.js';
import { demoHighlights } from '../../src/cli/demo.js';
import { buildApp } from '../../src/http/app.js';
import { makeLedger, party, type Party, type TestLedger } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
// The flags this machine needs (see the machine notes): no sandbox as root, and no background
// connections, which the closed network refuses. Playwright adds --headless and a fresh
// --user-data-dir (a temporary profile) itself.
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const OUT = fileURLToPath(new URL('../../test-output/customer-page/', import.meta.url));
const BUDGET_BYTES = 150 * 1024;

if (!existsSync(CHROMIUM)) {
  t.plan(0, `${CHROMIUM} is missing (apt-get install chromium; .ci/run does)`);
} else {
  mkdirSync(OUT, { recursive: true });
  let browser: Browser;
  t.before(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  });
  t.teardown(() => browser?.close());

  /** Open a page and wait for the badge's verdict; returns it with the bytes the load transferred. */
  async function openAndVerify(page: Page, url: string, timeout = 30_000) {
    let transferred = 0;
    const onFinished = async (request: import('playwright-core').Request) => {
      const sizes = await request.sizes().catch(() => undefined);
      if (sizes !== undefined) transferred += sizes.responseBodySize + sizes.responseHeadersSize;
    };
    page.on('requestfinished', onFinished);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const response = await page.goto(url);
    await page.waitForSelector('#badge[data-state=ok], #badge[data-state=fail]', { timeout });
    await page.waitForLoadState('networkidle');
    page.off('requestfinished', onFinished);
    const badge = await page.$eval('#badge', (el) => {
      const d = (el as HTMLElement).dataset;
      return {
        state: d['state'],
        verifyMs: Number(d['verifyMs']),
        totalMs: Number(d['totalMs']),
        runner: d['runner'],
        entries: Number(d['entries'] ?? 0),
        failedSeq: d['failedSeq'],
        failedCheck: d['failedCheck'],
        title: el.querySelector('[data-badge-title]')?.textContent ?? '',
        detail: el.querySelector('[data-badge-detail]')?.textContent ?? '',
      };
    });
    return { status: response?.status(), badge, transferred, errors };
  }

  t.test('demo window frame: green at a phone viewport, red when one served entry is altered', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-browser-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const server = await serve({ db: join(dir, 'data', 'ledger.db'), port: 0, host: '127.0.0.1', origin: 'demo.test.local/log', demo: true, quiet: true, handleSignals: false, testHooks: true });
    t.teardown(() => server.close());
    const h = demoHighlights();
    const context = await browser.newContext(PHONE);
    t.teardown(() => context.close());
    const page = await context.newPage();

    // What a phone scanning the frame's QR opens: the resolver's Digital Link URL.
    const resolverUrl = `${server.url}${new URL(h.greenFrameLot).pathname}`;
    const green = await openAndVerify(page, resolverUrl);
    t.equal(green.status, 200);
    t.same(green.errors, [], 'no script errors');
    t.equal(green.badge.runner, 'worker', 'verified in a worker, off the page\'s thread');
    t.equal(green.badge.state, 'ok', `badge is green: ${green.badge.title} ${green.badge.detail}`);
    t.match(green.badge.title, /^Verified: \d+ entries, checkpoint size \d+ signed by demo\.test\.local\/log$/);
    t.ok(green.badge.entries >= 30, `${green.badge.entries} entries verified`);
    t.ok((await page.$$('a.seq.v-ok')).length > 10, 'cited facts are marked verified');
    t.ok(green.transferred <= BUDGET_BYTES, `page, script and evidence transferred ${green.transferred} bytes (≤ ${BUDGET_BYTES})`);
    t.comment(`window frame: ${green.badge.entries} entries verified in ${green.badge.verifyMs} ms (${green.badge.totalMs} ms from script start to verdict), ${green.transferred} bytes transferred`);
    await page.screenshot({ path: join(OUT, 'green-frame-en.png'), fullPage: true });

    const zh = await openAndVerify(page, `${resolverUrl}?lang=zh`);
    t.equal(zh.badge.state, 'ok');
    t.match(zh.badge.title, /^已验证：\d+ 条记录/);
    t.equal(await page.getAttribute('html', 'lang'), 'zh-Hans');
    await page.screenshot({ path: join(OUT, 'green-frame-zh.png'), fullPage: true });

    // The recalled frame: the warning comes before everything else, and it still verifies.
    const recalled = await openAndVerify(page, `${server.url}${new URL(h.recalledFrameLot).pathname}`);
    t.equal(recalled.badge.state, 'ok');
    t.ok(await page.$eval('main > :first-child', (el) => el.classList.contains('warn')), 'warning first');
    await page.screenshot({ path: join(OUT, 'recalled-frame-en.png'), fullPage: true });

    // Tamper with the frame's own transform entry (the fact "made from these inputs").
    const up = (await (await fetch(`${server.url}/v1/objects/${encodeURIComponent(h.greenFrameLot)}/upstream`)).json()) as { object: { createdSeq: number } };
    const seq = up.object.createdSeq;
    const red = await openAndVerify(page, `${resolverUrl}?tamper=${seq}`);
    t.equal(red.badge.state, 'fail', 'badge is red');
    t.equal(red.badge.failedSeq, String(seq), 'names the altered entry');
    t.equal(red.badge.failedCheck, 'leafHash', 'the altered record no longer hashes to its leaf');
    t.match(red.badge.title, new RegExp(`^Verification failed: entry seq ${seq} \\(check: leaf hash\\)$`));
    t.equal((await page.$$(`a.seq.v-bad[data-seq="${seq}"]`)).length > 0, true, 'the failed fact is marked');
    await page.screenshot({ path: join(OUT, 'tampered-frame-en.png'), fullPage: true });
  });

  t.test('in-browser verification of a provenance with more than 200 cited entries', async (t) => {
    const L = await bigProvenance(t);
    const app = await buildApp({ ledger: L.ledger });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    t.teardown(() => app.close());
    const context = await browser.newContext(PHONE);
    t.teardown(() => context.close());
    const page = await context.newPage();
    const url = `${base}/v1/objects/${encodeURIComponent(BIG_PRODUCT)}/page`;
    const first = await openAndVerify(page, url, 60_000);
    t.equal(first.badge.state, 'ok', `${first.badge.title} ${first.badge.detail}`);
    t.ok(first.badge.entries >= 200, `${first.badge.entries} entries`);
    const again = await openAndVerify(page, url, 60_000);
    t.equal(again.badge.state, 'ok');
    t.comment(
      `in-browser verification of ${first.badge.entries} entries: ${first.badge.verifyMs} ms on first load (${first.badge.totalMs} ms to the verdict with fetch and worker start), ${again.badge.verifyMs} ms on reload (Chromium ${browser.version()})`,
    );
    // The ≤ 1 s target is the benchmark's (it reads data-verify-ms); here only a loose guard
    // against a regression by an order of magnitude, which a loaded CI machine cannot trip.
    t.ok(first.badge.verifyMs < 5_000, `verification took ${first.badge.verifyMs} ms`);
    await page.screenshot({ path: join(OUT, 'big-provenance-en.png') });
  });
}

const BIG_PRODUCT = 'https://id.gs1.org/01/09506000134352/10/BIG-1';

/**
 * A product made from 100 material lots of four suppliers, each lot inspected by a lab: 100
 * commissions, 100 inspections and the transform are cited, plus genesis and six registrations.
 */
async function bigProvenance(t: Test): Promise<TestLedger> {
  const L = await makeLedger();
  t.teardown(() => L.close());
  const suppliers: Party[] = [0, 1, 2, 3].map((i) => party(`supplier-${i}`));
  const maker = party('maker');
  const lab = party('lab');
  for (const s of suppliers) await L.register(s, ['supplier']);
  await L.register(maker, ['manufacturer']);
  await L.register(lab, ['inspector']);
  const lots = Array.from({ length: 100 }, (_, i) => ({ code: `urn:trace:supplier-${i % 4}:lot-${i}`, supplier: suppliers[i % 4]! }));
  await L.ledger.submit(
    lots.map((l, i) =>
      L.sign(l.supplier, {
        type: 'commission',
        objects: [{ code: l.code, level: 'material', product: { name: `Material ${i}` }, quantity: { value: 10, unit: 'KGM' }, footprint: { kgCO2ePerUnit: 1 + (i % 7), waterM3PerUnit: 0.01 } }],
      }),
    ),
  );
  await L.ledger.submit(
    lots.map((l) => L.sign(lab, { type: 'inspect', objects: [l.code], result: 'pass', standard: 'EN 573-3', measurements: [{ type: 'Si', value: 0.4, unit: '%', max: 0.6 }] })),
  );
  for (const s of suppliers) {
    const mine = lots.filter((l) => l.supplier === s);
    const [ship] = await L.ledger.submit([L.sign(s, { type: 'ship', to: maker.id, objects: mine.map((l) => ({ code: l.code, quantity: { value: 10, unit: 'KGM' } })) })]);
    await L.ledger.submit([L.sign(maker, { type: 'receive', shipment: ship!.leafHash, objects: mine.map((l) => ({ code: l.code, quantity: { value: 10, unit: 'KGM' } })) })]);
  }
  await L.ledger.submit([
    L.sign(maker, {
      type: 'transform',
      inputs: lots.map((l) => ({ code: l.code, quantity: { value: 10, unit: 'KGM' } })),
      outputs: [{ code: BIG_PRODUCT, level: 'finished', product: { name: 'Assembly of 100 lots' }, quantity: { value: 50, unit: 'H87' } }],
      process: { electricityKWh: 100, gridKgCO2ePerKWh: 0.5, waterM3: 1 },
    }),
  ]);
  return L;
}
