import t, { type Test } from 'tap';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { buildApp } from '../../src/http/app.js';
import { formatNumber, pickLanguage } from '../../src/http/page.js';
import { verifyEvidence, type PageConfig } from '../../src/web/verify.js';
import { makeLedger, party } from '../helpers.js';
import { DEMO_PUBLIC_URL as PUB, seededDemo } from './demo-app.js';

const GREEN = 'https://id.gs1.org/01/06931000080010/10/CW2611-19';
const RECALLED = 'https://id.gs1.org/01/06931000080010/10/CW2611-20';
const enc = encodeURIComponent;
const BUDGET = 150 * 1024;

type Demo = Awaited<ReturnType<typeof seededDemo>>;

let shared: Demo | undefined;
t.teardown(() => shared?.close());
/** One seeded demo for the whole file (seeding takes a second or two). */
const demo = async (_t: Test): Promise<Demo> => (shared ??= await seededDemo('page', { testHooks: true }));

/** The badge's config embedded in a page. */
function configOf(html: string): PageConfig {
  const m = /<script type="application\/json" id="verify-config">([^<]*)<\/script>/.exec(html);
  if (m === null) throw new Error('no verify-config in the page');
  return JSON.parse(m[1]!) as PageConfig;
}

const text = (html: string) => html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ');

t.test('pickLanguage: ?lang first, then Accept-Language by q-value, else English', async (t) => {
  const cases: Array<[string | undefined, string | undefined, string]> = [
    [undefined, undefined, 'en'],
    ['zh-CN,zh;q=0.9,en;q=0.8', undefined, 'zh'],
    ['en-US,en;q=0.9,zh;q=0.8', undefined, 'en'],
    ['fr-FR, zh-TW;q=0.5', undefined, 'zh'],
    ['en;q=0.1, zh-Hans;q=0.2', undefined, 'zh'],
    ['zh;q=0, en', undefined, 'en'],
    ['fr, de', undefined, 'en'],
    ['*', undefined, 'en'],
    ['zh-CN', 'en', 'en'],
    ['en', 'zh', 'zh'],
    ['en', 'ZH-cn', 'zh'],
    ['zh', 'xx', 'zh'],
    ['garbage;;;q=abc', undefined, 'en'],
  ];
  for (const [header, query, want] of cases) t.equal(pickLanguage(header, query), want, `${header} / ?lang=${query}`);
});

t.test('formatNumber: three significant digits, whole from 100', async (t) => {
  t.same([280.307568141, 309.767, 0.542638062394, 95.911, 0, 1e-7, -12.345, Infinity].map(formatNumber), ['280', '310', '0.543', '95.9', '0', '1e-7', '-12.3', '–']);
});

t.test('customer page of the demo window frame', async (t) => {
  const { get, ledger } = await demo(t);
  const res = await get(`/v1/objects/${enc(GREEN)}/page`, { 'accept-language': 'en-GB,en;q=0.9' });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], 'text/html; charset=utf-8');
  t.match(res.headers['vary'], /Accept-Language/);
  t.match(res.headers['content-security-policy'], /^default-src 'self'; .*; frame-ancestors 'none'$/);
  const html = res.body;
  const words = text(html);
  t.match(html, /^<!doctype html>\n<html lang="en">/);
  t.match(html, /<meta name="viewport" content="width=device-width,initial-scale=1">/, 'readable on a phone');
  t.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self';/);
  t.notMatch(html, /class="warn"/, 'no warning on a clean product');
  t.match(words, /PW-60 casement window 1200 x 1500 mm, anodised natural/);
  t.match(words, /Made by Pearl River Window Systems/);
  t.match(words, /Lot CW2611-19/);
  t.match(words, `Digital Link ${PUB}/01/06931000080010/10/CW2611-19`);
  // The provenance tree, down to the alumina, with makers and inspections.
  for (const s of ['Where it comes from', 'Insulating glass unit', 'Xinyi Float Glass Works', 'anodised natural, class 20', 'Passed', 'Pearl Delta Quality Lab', 'Guangxi Alumina Refinery Co.', 'Raw material', 'Certificate']) {
    t.ok(words.includes(s), `provenance shows ${s}`);
  }
  // Footprint with electricity and water, as the upstream roll-up says.
  const up = await ledger.upstream(GREEN);
  const fp = up.footprint;
  t.match(words, `${formatNumber(fp.kgCO2ePerUnit)} kg CO₂e greenhouse gases per piece`);
  t.match(words, `${formatNumber(fp.electricityKWhPerUnit)} kWh electricity per piece`);
  t.match(words, `${formatNumber(fp.waterM3PerUnit)} m³ water per piece`);
  // The journey: shipped (on the pallet), in transit, delivered, received with the damage, delivered to customers.
  for (const s of ['Journey', 'Shipped from Pearl River Window Systems to GreenBuild Distribution', 'In transit', 'Received by GreenBuild Distribution', 'Received by Harbour Homes Renovation', '2 pcs short or damaged', 'Delivered to Order HH-7731']) {
    t.ok(words.includes(s), `journey shows ${s}`);
  }
  const times = [...html.matchAll(/<time datetime="([^"]+)">/g)].map((m) => Date.parse(m[1]!));
  t.same(times, [...times].sort((a, b) => a - b), 'journey in time order');

  // The badge: pinned key, evidence URL, every cited seq among the evidence, the script from here.
  const config = configOf(html);
  t.equal(config.ledgerKey, ledger.verifierKey, 'the ledger key is pinned in the page');
  t.equal(config.evidence, `/v1/objects/${enc(GREEN)}/evidence`);
  t.match(html, /<script type="module" src="\/assets\/verify.js"><\/script>/);
  const evidence = await ledger.evidence(GREEN);
  const have = new Set(evidence.records.map((r) => r.seq));
  t.ok(config.cited.length > 20, `${config.cited.length} facts cite entries`);
  t.same(config.cited.filter((s) => !have.has(s)), [], 'every cited seq is in the evidence');
  const linked = new Set([...html.matchAll(/data-seq="(\d+)"/g)].map((m) => Number(m[1])));
  t.same([...linked].sort((a, b) => a - b), config.cited, 'the cited list is exactly the seqs the page links');
  // Everything from this origin: no absolute URL in any src or href.
  t.same([...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]).filter((u) => !/^(\/|\?lang=|data:,$)/.test(u!)), [], 'no external resource');

  // The resolver serves the same page to browsers.
  const resolved = await get('/01/06931000080010/10/CW2611-19', { accept: 'text/html' });
  t.equal(resolved.statusCode, 200);
  t.same(configOf(resolved.body).cited, config.cited);

  // And the badge's verifier accepts the served evidence (in Node here; in Chromium in test/browser).
  const served = await get(config.evidence);
  const verdict = await verifyEvidence(served.body, { pinnedKey: config.ledgerKey, cited: config.cited, code: GREEN });
  t.match(verdict, { ok: true, entries: evidence.records.length, size: evidence.treeSize, origin: 'demo.test.local/log' });
});

t.test('a frame made from the recalled billet: warnings come first', async (t) => {
  const { get } = await demo(t);
  const html = (await get(`/v1/objects/${enc(RECALLED)}/page`)).body;
  const main = html.slice(html.indexOf('<main>'));
  t.ok(main.indexOf('class="warn"') < main.indexOf('<h1>'), 'the warning is above the product');
  const warn = text(main.slice(main.indexOf('class="warn"'), main.indexOf('</section>')));
  t.match(warn, /Recall ?: .*lot B2611-08, which went into this product/);
  t.match(warn, /Failed inspection ?: .*lot B2611-08/);
  t.match(warn, /Mg 0\.38 % \(min 0\.45 %\)/, 'with the recall reason');
  t.match(warn, /spectrometer was found out of calibration/, 'with the inspection note');
  t.match(html, /role="alert"/);
  t.match(text(html), /✗ Failed/, 'the failed inspection in the tree');

  const zh = (await get(`/v1/objects/${enc(RECALLED)}/page`, { 'accept-language': 'zh-CN,zh;q=0.9' })).body;
  t.match(text(zh.slice(zh.indexOf('class="warn"'))), /召回 ?: .*（批次 B2611-08），已用于本产品/);
});

t.test('English and Chinese, by Accept-Language and ?lang=', async (t) => {
  const { get } = await demo(t);
  const url = `/v1/objects/${enc(GREEN)}/page`;
  const zh = (await get(url, { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.5' })).body;
  t.match(zh, /<html lang="zh-Hans">/);
  for (const s of ['来源', '碳足迹', '物流轨迹', '生产商', '正在核验签名记录', '已发货', '合格']) t.ok(text(zh).includes(s), `zh: ${s}`);
  t.equal(configOf(zh).t.ok, '记录真实，未被篡改', 'the badge speaks Chinese too');
  t.match(zh, /<a href="\?lang=en" lang="en" hreflang="en">English<\/a>/, 'a switch to English');
  t.match(zh, /<a href="\?lang=zh" aria-current="true" lang="zh-Hans">中文<\/a>/);
  const forcedEn = (await get(`${url}?lang=en`, { 'accept-language': 'zh-CN' })).body;
  t.match(forcedEn, /<html lang="en">/, '?lang=en beats Accept-Language');
  t.match(text(forcedEn), /Where it comes from/);
  const forcedZh = (await get(`${url}?lang=zh`)).body;
  t.match(forcedZh, /<html lang="zh-Hans">/);
  const french = await get(`${url}?lang=fr`, { 'accept-language': 'zh' });
  t.equal(french.statusCode, 200, 'an unknown ?lang is no error…');
  t.match(french.body, /<html lang="zh-Hans">/, '…Accept-Language decides');
});

t.test('page, script and evidence fit in 150 KB', async (t) => {
  const { get } = await demo(t);
  const page = await get(`/v1/objects/${enc(GREEN)}/page`);
  const script = await get('/assets/verify.js', { 'accept-encoding': 'identity' });
  const gz = await get('/assets/verify.js', { 'accept-encoding': 'gzip, deflate' });
  const br = await get('/assets/verify.js', { 'accept-encoding': 'gzip, deflate, br' });
  const evidence = await get(configOf(page.body).evidence);
  t.equal(script.statusCode, 200);
  t.equal(script.headers['content-type'], 'text/javascript; charset=utf-8');
  t.equal(gz.headers['content-encoding'], 'gzip');
  t.equal(gunzipSync(gz.rawPayload).toString(), script.body, 'gzip is the same script');
  t.equal(br.headers['content-encoding'], 'br', 'br when the client accepts it');
  t.equal(brotliDecompressSync(br.rawPayload).toString(), script.body, 'br is the same script');
  const cssUrl = /<link rel="stylesheet" href="([^"]+)">/.exec(page.body)![1]!;
  const css = await get(cssUrl);
  const sizes = { page: page.rawPayload.length, css: css.rawPayload.length, script: script.rawPayload.length, scriptGzip: gz.rawPayload.length, scriptBr: br.rawPayload.length, evidence: evidence.rawPayload.length };
  const total = sizes.page + sizes.css + sizes.script + sizes.evidence;
  // What a phone receives: it asks for br and gzip (security.ts compresses; the script is compressed once, at bundling).
  const phone = { 'accept-encoding': 'gzip, deflate, br' };
  const compressed = await Promise.all([`/v1/objects/${enc(GREEN)}/page`, cssUrl, configOf(page.body).evidence].map((url) => get(url, phone)));
  t.same(compressed.map((r) => r.headers['content-encoding']), ['br', 'br', 'br'], 'page, stylesheet and evidence arrive compressed');
  const sent = compressed.reduce((n, r) => n + r.rawPayload.length, sizes.scriptBr);
  t.comment(`sizes in bytes: ${JSON.stringify(sizes)}; uncompressed total ${total}; compressed as a phone asks: ${sent}`);
  t.ok(total <= BUDGET, `page + stylesheet + script + evidence, uncompressed: ${total} ≤ ${BUDGET}`);
  t.ok(sent < total / 2, `compressed: ${sent} bytes, less than half`);
  t.ok(sizes.script < 64 * 1024, 'the badge script stays small');
  t.notMatch(script.body, /(?:import\s*\(?|from)\s*["']https?:/, 'the script imports nothing from elsewhere');

  // ETag revalidation.
  const etag = script.headers['etag'] as string;
  t.match(etag, /^"[A-Za-z0-9_-]{27}"$/);
  t.equal(script.headers['cache-control'], 'no-cache');
  const again = await get('/assets/verify.js', { 'if-none-match': etag });
  t.equal(again.statusCode, 304);
  t.equal(again.rawPayload.length, 0);
  t.equal((await get('/assets/verify.js', { 'if-none-match': '"other"' })).statusCode, 200);
  t.equal((await get('/assets/verify.js', { 'accept-encoding': 'gzip;q=0' })).headers['content-encoding'], undefined, 'gzip;q=0 refuses gzip');
});

t.test('unknown and malformed codes: a friendly page, 404 and 400', async (t) => {
  const { get } = await demo(t);
  const unknown = await get(`/v1/objects/${enc('urn:trace:nobody:nothing')}/page`);
  t.equal(unknown.statusCode, 404);
  t.equal(unknown.headers['content-type'], 'text/html; charset=utf-8');
  t.match(text(unknown.body), /Product not found .*urn:trace:nobody:nothing/);
  t.match(text(unknown.body), /scan the QR code again/);
  t.notMatch(unknown.body, /verify\.js/, 'nothing to verify');
  const zh = await get(`/v1/objects/${enc('urn:trace:nobody:nothing')}/page?lang=zh`);
  t.match(text(zh.body), /未找到该产品/);
  const bad = await get(`/v1/objects/${enc('https://id.gs1.org/01/06931000080011')}/page`);
  t.equal(bad.statusCode, 400);
  t.match(text(bad.body), /Not a valid product code .*check digit/);
  const hostile = await get(`/v1/objects/${enc('<script>alert(1)</script>')}/page`);
  t.equal(hostile.statusCode, 400);
  t.notMatch(hostile.body, /<script>alert/);
  t.match(hostile.body, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
});

t.test('the tamper hook exists only with testHooks, and alters one record', async (t) => {
  const { get, ledger } = await demo(t);
  const up = await ledger.upstream(GREEN);
  const seq = up.object.createdSeq;
  const config = configOf((await get(`/v1/objects/${enc(GREEN)}/page?tamper=${seq}`)).body);
  t.equal(config.evidence, `/test-hooks/objects/${enc(GREEN)}/evidence?tamper=${seq}`);
  const tampered = await get(config.evidence);
  t.equal(tampered.statusCode, 200);
  const honest = await ledger.evidence(GREEN);
  const changed = (tampered.json() as typeof honest).records.filter((r, i) => JSON.stringify(r) !== JSON.stringify(honest.records[i]));
  t.same(changed.map((r) => r.seq), [seq], 'exactly one record differs');
  const verdict = await verifyEvidence(tampered.body, { pinnedKey: config.ledgerKey, cited: config.cited, code: GREEN });
  t.match(verdict, { ok: false, check: 'leafHash', seq });
  t.equal((await get(`/test-hooks/objects/${enc(GREEN)}/evidence?tamper=99999`)).statusCode, 400, 'a seq not in the evidence');

  // The same ledger behind an app without test hooks: ?tamper is ignored, the route is absent.
  const plain = await buildApp({ ledger, publicUrl: () => PUB });
  t.teardown(() => plain.close());
  const page = await plain.inject({ method: 'GET', url: `/v1/objects/${enc(GREEN)}/page?tamper=${seq}` });
  t.equal(configOf(page.body).evidence, `/v1/objects/${enc(GREEN)}/evidence`);
  t.equal((await plain.inject({ method: 'GET', url: config.evidence })).statusCode, 404);
});

t.test('participant text is escaped everywhere', async (t) => {
  const L = await makeLedger();
  const app = await buildApp({ ledger: L.ledger, publicUrl: () => PUB });
  t.teardown(async () => {
    await app.close();
    await L.close();
  });
  const evil = party('evil');
  await L.ledger.submit([
    L.sign(L.operator, { type: 'participant.register', participant: evil.id, name: 'Evil <img src=x onerror=alert(1)> & Co', roles: ['manufacturer', 'inspector'], publicKey: Buffer.from(evil.publicKey).toString('base64url') }),
  ]);
  const code = 'urn:trace:evil:lot-1';
  await L.ledger.submit([
    L.sign(evil, {
      type: 'commission',
      objects: [
        {
          code,
          level: 'finished',
          product: { name: '<script>alert("name")</script> "quoted" \'single\'' },
          quantity: { value: 1, unit: 'H87' },
          attributes: { colour: '<b>bold</b>' },
          certificates: [{ scheme: '</script><script>alert(2)</script>', id: 'C-1' }],
          footprint: { kgCO2ePerUnit: 1 },
        },
      ],
    }),
  ]);
  await L.ledger.submit([L.sign(evil, { type: 'inspect', objects: [code], result: 'fail', note: 'bad \u2028 line </script><!-- <script>alert(3)</script>', standard: '<i>std</i>' })]);
  const res = await app.inject({ method: 'GET', url: `/v1/objects/${enc(code)}/page` });
  t.equal(res.statusCode, 200);
  const html = res.body;
  t.notMatch(html, /<script>alert/, 'no injected script element');
  t.same(html.match(/<img|<b>bold|<i>std|<!--/g), null, 'no injected markup');
  t.equal(html.split('</script>').length - 1, 2, 'only the page\'s own two script elements close');
  t.match(html, /&lt;script&gt;alert\(&quot;name&quot;\)&lt;\/script&gt; &quot;quoted&quot; &#39;single&#39;/);
  t.match(html, /Evil &lt;img src=x onerror=alert\(1\)&gt; &amp; Co/);
  t.match(html, /<title>&lt;script&gt;alert/);
  t.doesNotThrow(() => configOf(html), 'the config still parses');
  t.match(text(html), /Failed inspection ?: This product/);
});

t.test('product status and the records check are separate statements', async (t) => {
  const { get } = await demo(t);
  const badgeOf = (html: string) => html.slice(html.indexOf('<section id="badge"'), html.indexOf('</section>', html.indexOf('<section id="badge"')));
  // A clean product: OK, and the records check may show its tick.
  const green = (await get(`/v1/objects/${enc(GREEN)}/page`)).body;
  t.match(green, /<p class="status ok" data-product-status="ok">✓ No recall or failed inspection on record<\/p>/);
  t.match(badgeOf(green), /data-product="ok"/);
  t.match(configOf(green).t.okDetail, /^All \{n\} signed records behind this page were checked on your device/);

  // The recalled frame: the product is not OK, said in words; the records check is about records.
  const recalled = (await get(`/v1/objects/${enc(RECALLED)}/page`)).body;
  const main = recalled.slice(recalled.indexOf('<main>'));
  t.match(main, /<section class="warn" role="alert"[^>]*><h2>Recall: this product is affected<\/h2>/);
  t.match(main, /<p class="status bad" data-product-status="recalled">✗ Recalled<\/p>/);
  const badge = badgeOf(recalled);
  t.match(badge, /data-product="flagged"/, 'no green tick for the records of a recalled product (page-style.ts)');
  t.match(badge, /<h2>Are these records genuine\?<\/h2>/);
  t.notMatch(text(badge), /Verified|checkpoint size/, 'no "Verified" headline, no checkpoint jargon outside the details');
  t.match(badge, /<details class="tech"><summary>Technical details<\/summary><p data-badge-tech><\/p>/, 'the technical line is one tap away');
  const config = configOf(recalled);
  t.match(config.t.okDetail, /the warning above is genuine too\. Genuine records do not make this product OK\./);
  t.match(config.t.okTech, /checkpoint size \{size\} signed by \{origin\}/, 'checkpoint and signer only in the technical line');
  t.notMatch(config.t.ok, /\{size\}|\{origin\}|checkpoint/i);
  t.match(badge, /<button type="button" class="retry" data-badge-retry hidden>Try again<\/button>/, 'a retry button, hidden until the evidence cannot be fetched');

  const zh = (await get(`/v1/objects/${enc(RECALLED)}/page?lang=zh`)).body;
  t.match(zh, /<h2>召回：本产品受影响<\/h2>/);
  t.match(zh, /data-product-status="recalled">✗ 已召回</);
  t.match(configOf(zh).t.okDetail, /记录真实并不代表产品合格/);
  t.match(configOf(zh).t.unavailableDetail, /并不表示记录被篡改/);

  // Only a failed inspection (no recall): its own words.
  const L = await makeLedger();
  const app = await buildApp({ ledger: L.ledger, publicUrl: () => PUB });
  t.teardown(async () => {
    await app.close();
    await L.close();
  });
  const maker = party('maker');
  const lab = party('lab');
  await L.register(maker, ['manufacturer']);
  await L.register(lab, ['inspector']);
  const code = 'urn:trace:maker:lot-9';
  await L.ledger.submit([L.sign(maker, { type: 'commission', objects: [{ code, level: 'finished', product: { name: 'Door' }, quantity: { value: 1, unit: 'H87' } }] })]);
  await L.ledger.submit([L.sign(lab, { type: 'inspect', objects: [code], result: 'fail', standard: 'EN 14351-1' })]);
  const failed = (await app.inject({ method: 'GET', url: `/v1/objects/${enc(code)}/page` })).body;
  t.match(failed, /<h2>This product failed a quality inspection<\/h2>/);
  t.match(failed, /data-product-status="failed">✗ Failed inspection</);
  t.match(badgeOf(failed), /data-product="flagged"/);
});

t.test('specifications show labels and units, in both languages', async (t) => {
  const { get } = await demo(t);
  const specOf = (html: string) => text(html.slice(html.indexOf('<details><summary>'), html.indexOf('</details>')));
  const en = specOf((await get(`/v1/objects/${enc(GREEN)}/page`)).body);
  for (const s of ['Specifications', 'Thermal transmittance (Uw) 1.5 W/(m²·K)', 'Air tightness EN 12207 class 4', 'Water tightness EN 12208 class 8A']) t.ok(en.includes(s), `en: ${s}`);
  t.notMatch(en, /uwValue|airPermeability|cpc|42120/, 'no raw attribute names, the classification code hidden');
  const zh = specOf((await get(`/v1/objects/${enc(GREEN)}/page?lang=zh`)).body);
  for (const s of ['规格', '整窗传热系数 (Uw) 1.5 W/(m²·K)', '气密性能 EN 12207 class 4', '水密性能 EN 12208 class 8A']) t.ok(zh.includes(s), `zh: ${s}`);
});

t.test('nothing inline: the stylesheet and the script are files from this origin', async (t) => {
  const { get } = await demo(t);
  const html = (await get(`/v1/objects/${enc(RECALLED)}/page`)).body;
  t.notMatch(html, /<style|\sstyle=|\son[a-z]+=/i, 'no inline style element, style attribute or event handler');
  t.same([...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]), [' type="application/json" id="verify-config"', ' type="module" src="/assets/verify.js"'], 'only a data block and the external script');
  const href = /<link rel="stylesheet" href="([^"]+)">/.exec(html)?.[1];
  t.match(href, /^\/assets\/page\.css\?v=[A-Za-z0-9_-]{16}$/);
  const css = await get(href!);
  t.equal(css.statusCode, 200);
  t.equal(css.headers['content-type'], 'text/css; charset=utf-8');
  t.equal(css.headers['cache-control'], 'public, max-age=31536000, immutable', 'the hashed URL is kept for good');
  t.match(css.body, /\.badge\[data-state=ok\]\[data-product=ok\] \.badge-title::before\{content:"✓ "\}/, 'the tick only for a product that is OK');
  t.match(css.body, /\.badge\[data-state=unavailable\]\{border-color:#8c959f/, 'could-not-check is grey, not red');
  t.equal((await get('/assets/page.css?v=old')).headers['cache-control'], 'no-cache', 'an old or missing hash is revalidated');
});
