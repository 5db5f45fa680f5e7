/**
 * End to end in a real browser: Debian's headless Chromium (/usr/bin/chromium, installed by
 * .ci/run), driven by playwright-core, at a phone viewport. The customer page's badge verifies the
 * evidence with the core running in the page; a test-only hook serves one record altered and the
 * badge must turn red naming it; an aborted evidence request must leave it grey with a retry. No
 * page may violate its Content-Security-Policy. Screenshots go to test-output/customer-page/.
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

  /**
   * Content-Security-Policy violations and console errors of a page, its worker included: the
   * `securitypolicyviolation` event (CSP Level 3 §5.5) is recorded by a script Playwright adds
   * outside the page's CSP; Chromium also logs each violation to the console as an error.
   */
  async function watchPage(page: Page) {
    const violations: string[] = [];
    const consoleErrors: string[] = [];
    await page.exposeFunction('reportCspViolation', (v: string) => violations.push(v));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        void (window as unknown as { reportCspViolation(v: string): Promise<void> }).reportCspViolation(`${e.violatedDirective} ${e.blockedURI}`);
      });
    });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('worker', (w) => w.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`worker: ${m.text()}`);
    }));
    return { violations, consoleErrors };
  }

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
    await waitForVerdict(page, timeout);
    await page.waitForLoadState('networkidle');
    page.off('requestfinished', onFinished);
    return { status: response?.status(), badge: await badgeOf(page), transferred, errors };
  }

  const waitForVerdict = (page: Page, timeout = 30_000) => page.waitForSelector('#badge:is([data-state=ok], [data-state=fail], [data-state=unavailable])', { timeout });

  function badgeOf(page: Page) {
    return page.$eval('#badge', (el) => {
      const d = (el as HTMLElement).dataset;
      const title = el.querySelector('[data-badge-title]')!;
      const style = getComputedStyle(el);
      return {
        state: d['state'],
        product: d['product'],
        verifyMs: Number(d['verifyMs']),
        totalMs: Number(d['totalMs']),
        runner: d['runner'],
        entries: Number(d['entries'] ?? 0),
        failedSeq: d['failedSeq'],
        failedCheck: d['failedCheck'],
        title: title.textContent ?? '',
        detail: el.querySelector('[data-badge-detail]')?.textContent ?? '',
        tech: el.querySelector('[data-badge-tech]')?.textContent ?? '',
        retryVisible: (el.querySelector('button[data-badge-retry]') as HTMLElement | null)?.offsetParent !== null,
        // What the eye sees: the tick or cross drawn before the title, and the colours.
        mark: getComputedStyle(title, '::before').content,
        titleColor: getComputedStyle(title).color,
        border: style.borderLeftColor,
        background: style.backgroundColor,
      };
    });
  }

  const GREEN = 'rgb(26, 127, 55)';
  const RED = 'rgb(179, 38, 30)';

  t.test('demo window frame: genuine records at a phone viewport, red when one served entry is altered, grey when the evidence cannot be fetched', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-browser-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const server = await serve({ db: join(dir, 'data', 'ledger.db'), port: 0, host: '127.0.0.1', origin: 'demo.test.local/log', demo: true, quiet: true, handleSignals: false, testHooks: true });
    t.teardown(() => server.close());
    const h = demoHighlights();
    const context = await browser.newContext(PHONE);
    t.teardown(() => context.close());
    const page = await context.newPage();
    const watched = await watchPage(page);

    // What a phone scanning the frame's QR opens: the resolver's Digital Link URL.
    const resolverUrl = `${server.url}${new URL(h.greenFrameLot).pathname}`;
    const green = await openAndVerify(page, resolverUrl);
    t.equal(green.status, 200);
    t.same(green.errors, [], 'no script errors');
    t.equal(green.badge.runner, 'worker', 'verified in a worker, off the page\'s thread');
    t.equal(green.badge.state, 'ok', `records verified: ${green.badge.title} ${green.badge.detail}`);
    t.equal(green.badge.title, 'The records are genuine');
    t.match(green.badge.detail, /^All \d+ signed records behind this page were checked on your device: none has been altered/);
    t.match(green.badge.tech, /^\d+ entries verified against checkpoint size \d+ signed by demo\.test\.local\/log:/, 'the technical line, behind a tap');
    t.equal(green.badge.mark, '"✓ "', 'a tick for an OK product…');
    t.equal(green.badge.titleColor, GREEN, '…in green');
    t.equal(await page.textContent('[data-product-status]'), '✓ No recall or failed inspection on record');
    t.ok(green.badge.entries >= 30, `${green.badge.entries} entries verified`);
    t.ok((await page.$$('a.seq.v-ok')).length > 10, 'cited facts are marked verified');
    t.ok(green.transferred <= BUDGET_BYTES, `page, script and evidence transferred ${green.transferred} bytes (≤ ${BUDGET_BYTES})`);
    t.comment(`window frame: ${green.badge.entries} entries verified in ${green.badge.verifyMs} ms (${green.badge.totalMs} ms from script start to verdict), ${green.transferred} bytes transferred`);
    // Specifications, with labels and units.
    await page.click('section.product details > summary');
    const spec = await page.$$eval('section.product details dl.kv > *', (els) => els.map((e) => e.textContent));
    t.match(spec.join(' | '), /Thermal transmittance \(Uw\) \| 1\.5\u00a0W\/\(m²·K\)/);
    t.notMatch(spec.join(' | '), /uwValue/);
    const uwLines = await page.$$eval('section.product dl.spec dd', (dds) => {
      const range = document.createRange();
      range.selectNodeContents(dds.find((d) => d.textContent?.includes('W/(m²·K)'))!);
      return new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top))).size;
    });
    t.equal(uwLines, 1, '"1.5 W/(m²·K)" stays on one line on a phone');
    await page.screenshot({ path: join(OUT, 'green-frame-en.png'), fullPage: true });
    await page.locator('section.product').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(OUT, 'green-frame-en-status.png') });

    const zh = await openAndVerify(page, `${resolverUrl}?lang=zh`);
    t.equal(zh.badge.state, 'ok');
    t.equal(zh.badge.title, '记录真实，未被篡改');
    t.equal(await page.getAttribute('html', 'lang'), 'zh-Hans');
    await page.click('section.product details > summary');
    t.match(await page.textContent('section.product details'), /整窗传热系数 \(Uw\)\s*1\.5\u00a0W\/\(m²·K\)/);
    await page.screenshot({ path: join(OUT, 'green-frame-zh.png'), fullPage: true });

    // The frame made from the recalled billet: the warning comes before everything else, the
    // status says recalled, and its records verify without looking like "this product is fine".
    const recalled = await openAndVerify(page, `${server.url}${new URL(h.recalledFrameLot).pathname}`);
    t.equal(recalled.badge.state, 'ok', 'the records are genuine');
    t.equal(recalled.badge.product, 'flagged');
    t.ok(await page.$eval('main > :first-child', (el) => el.classList.contains('warn')), 'warning first');
    t.equal(await page.textContent('section.warn h2'), 'Recall: this product is affected');
    t.equal(await page.textContent('[data-product-status]'), '✗ Recalled');
    t.equal(recalled.badge.mark, 'none', 'no tick next to the warning');
    t.not(recalled.badge.titleColor, GREEN, 'and nothing green');
    t.not(recalled.badge.border, GREEN);
    t.notMatch(recalled.badge.title, /verified/i);
    t.match(recalled.badge.detail, /the warning above is genuine too\. Genuine records do not make this product OK\./);
    const greenTicks = await page.$$eval('main *', (els) =>
      els.filter((e) => (e.textContent ?? '').trim().startsWith('✓') && e.children.length === 0 && !e.closest('.facts, a.seq')).map((e) => e.textContent),
    );
    t.same(greenTicks, [], 'no ✓ headline anywhere on a recalled product (inspection results in the tree aside)');
    await page.screenshot({ path: join(OUT, 'recalled-frame-en.png'), fullPage: true });
    await page.screenshot({ path: join(OUT, 'recalled-frame-en-top.png') });
    await page.evaluate(() => document.querySelector('h1')?.scrollIntoView());
    await page.screenshot({ path: join(OUT, 'recalled-frame-en-status.png') });
    await openAndVerify(page, `${server.url}${new URL(h.recalledFrameLot).pathname}?lang=zh`);
    await page.evaluate(() => document.querySelector('h1')?.scrollIntoView());
    await page.screenshot({ path: join(OUT, 'recalled-frame-zh-status.png') });

    // The network fails while the evidence is fetched: nothing was checked, which is no tampering.
    await page.route('**/evidence', (route) => route.abort('internetdisconnected'));
    const offline = await openAndVerify(page, resolverUrl);
    t.equal(offline.badge.state, 'unavailable', `could not check: ${offline.badge.title}`);
    t.equal(offline.badge.title, 'Could not check the records right now');
    t.match(offline.badge.detail, /This is not a sign of tampering/);
    t.match(offline.badge.tech, /^cannot fetch the evidence/);
    t.ok(offline.badge.retryVisible, 'a retry button');
    t.not(offline.badge.border, RED, 'not red…');
    t.not(offline.badge.titleColor, RED);
    t.equal(offline.badge.mark, 'none', '…and no cross');
    t.equal((await page.$$('a.seq.v-ok, a.seq.v-bad')).length, 0, 'no fact is marked either way');
    await page.locator('#badge').screenshot({ path: join(OUT, 'offline-badge-en.png') });
    await page.unroute('**/evidence');
    await page.click('button[data-badge-retry]');
    await waitForVerdict(page);
    const retried = await badgeOf(page);
    t.equal(retried.state, 'ok', 'the retry succeeds once the network is back');
    t.equal(retried.title, 'The records are genuine');
    t.notOk(retried.retryVisible, 'the retry button is gone');
    t.ok((await page.$$('a.seq.v-ok')).length > 10);

    // Tamper with the frame's own transform entry (the fact "made from these inputs").
    const up = (await (await fetch(`${server.url}/v1/objects/${encodeURIComponent(h.greenFrameLot)}/upstream`)).json()) as { object: { createdSeq: number } };
    const seq = up.object.createdSeq;
    const red = await openAndVerify(page, `${resolverUrl}?tamper=${seq}`);
    t.equal(red.badge.state, 'fail', 'badge is red');
    t.equal(red.badge.titleColor, RED);
    t.equal(red.badge.mark, '"✗ "');
    t.equal(red.badge.failedSeq, String(seq), 'names the altered entry');
    t.equal(red.badge.failedCheck, 'leafHash', 'the altered record no longer hashes to its leaf');
    t.equal(red.badge.title, 'The records failed the check');
    t.equal(red.badge.detail, `Record #${seq} has been altered or cannot be proven (check: leaf hash). Do not rely on this page.`);
    t.notOk(red.badge.retryVisible, 'no retry: the evidence arrived and is wrong');
    t.equal((await page.$$(`a.seq.v-bad[data-seq="${seq}"]`)).length > 0, true, 'the failed fact is marked');
    await page.screenshot({ path: join(OUT, 'tampered-frame-en.png'), fullPage: true });
    await page.locator('#badge').screenshot({ path: join(OUT, 'tampered-badge-en.png') });

    t.same(watched.violations, [], 'no Content-Security-Policy violation on any of these pages');
    const unexpected = watched.consoleErrors.filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to load resource|Failed to fetch/.test(e));
    t.same(unexpected, [], 'no console error but the aborted evidence request');
    t.notOk(watched.consoleErrors.some((e) => /Content Security Policy/i.test(e)), 'no CSP message in the console');

    // Swagger UI renders under its own policy.
    const docs = await context.newPage();
    const docsWatch = await watchPage(docs);
    await docs.goto(`${server.url}/docs/`);
    await docs.waitForSelector('.swagger-ui .opblock', { timeout: 30_000 });
    t.ok((await docs.$$('.swagger-ui .opblock')).length > 10, 'the operations are listed');
    t.same(docsWatch.violations, [], 'no CSP violation in Swagger UI');
    t.same(docsWatch.consoleErrors.filter((e) => /Content Security Policy/i.test(e)), []);
    await docs.screenshot({ path: join(OUT, 'docs.png') });
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
