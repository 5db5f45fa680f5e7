import t, { type Test } from 'tap';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { PAGE_CSP } from '../../src/http/page.js';
import { DOCS_CSP } from '../../src/http/security.js';
import { party } from '../helpers.js';
import { appOnLedger } from './app-on-ledger.js';

const LOT = 'https://id.gs1.org/01/09506000134352/10/SEC-1';
const enc = encodeURIComponent;
const ORIGIN = 'https://shop.example.net';

/** A CSP as its set of directives, whatever the spacing (helmet writes `a;b`, page.ts `a; b`). */
const directives = (csp: unknown): string[] =>
  String(csp)
    .split(';')
    .map((d) => d.trim().replace(/\s+/g, ' '))
    .filter(Boolean)
    .sort();

async function setup(t: Test) {
  const { L, app } = await appOnLedger(t);
  const supplier = party('supplier-sec');
  await L.register(supplier, ['supplier']);
  await L.ledger.submit([
    L.sign(supplier, {
      type: 'commission',
      objects: [{ code: LOT, level: 'material', product: { name: 'Aluminium billet' }, quantity: { value: 10, unit: 'KGM' }, attributes: { diameterMm: 178 } }],
    }),
  ]);
  return { app, L };
}

t.test('HTML, JSON and evidence are compressed when Accept-Encoding asks', async (t) => {
  const { app } = await setup(t);
  const urls = [`/v1/objects/${enc(LOT)}/page`, `/v1/objects/${enc(LOT)}/evidence`, `/v1/objects/${enc(LOT)}/upstream`, '/01/09506000134352/10/SEC-1'];
  for (const url of urls) {
    const plain = await app.inject({ url });
    t.equal(plain.statusCode, 200, url);
    t.equal(plain.headers['content-encoding'], undefined, `${url}: not encoded unless asked`);
    const gz = await app.inject({ url, headers: { 'accept-encoding': 'gzip' } });
    t.equal(gz.headers['content-encoding'], 'gzip', `${url}: gzip`);
    t.match(gz.headers['vary'], /accept-encoding/i);
    t.equal(gunzipSync(gz.rawPayload).toString(), plain.body, `${url}: gzip is the same body`);
    t.ok(gz.rawPayload.length < plain.rawPayload.length * 0.75, `${url}: ${plain.rawPayload.length} → ${gz.rawPayload.length} bytes`);
    const br = await app.inject({ url, headers: { 'accept-encoding': 'br, gzip' } });
    t.equal(br.headers['content-encoding'], 'br', `${url}: br preferred`);
    t.equal(brotliDecompressSync(br.rawPayload).toString(), plain.body);
  }
  // The badge script is gzipped once at bundling; never encoded twice.
  const script = await app.inject({ url: '/assets/verify.js', headers: { 'accept-encoding': 'gzip' } });
  t.equal(script.headers['content-encoding'], 'gzip');
  t.match(gunzipSync(script.rawPayload).toString(), /verify-config/, 'one gunzip gives the script');
});

t.test('security headers and a Content-Security-Policy on every route', async (t) => {
  const { app } = await setup(t);
  const pageCsp = `${PAGE_CSP}; frame-ancestors 'none'`;
  t.notMatch(PAGE_CSP, /unsafe-inline|unsafe-eval/, 'the page needs no inline script or style');
  for (const url of [`/v1/objects/${enc(LOT)}/page`, '/01/09506000134352/10/SEC-1', '/v1/checkpoint', '/v1/entries/0', '/healthz']) {
    const res = await app.inject({ url });
    t.equal(res.statusCode, 200, url);
    t.same(directives(res.headers['content-security-policy']), directives(pageCsp), `${url}: CSP`);
    t.equal(res.headers['x-content-type-options'], 'nosniff', `${url}: nosniff`);
    t.equal(res.headers['x-frame-options'], 'SAMEORIGIN', `${url}: frame options`);
    t.equal(res.headers['referrer-policy'], 'no-referrer', `${url}: referrer policy`);
    t.equal(res.headers['cross-origin-resource-policy'], 'cross-origin', `${url}: public data may be embedded`);
  }
  // Errors carry the headers too.
  const missing = await app.inject({ url: '/v1/entries/999' });
  t.equal(missing.statusCode, 404);
  t.same(directives(missing.headers['content-security-policy']), directives(pageCsp));
  // Swagger UI has its own policy, without inline script or style.
  for (const url of ['/docs/', '/docs/static/swagger-ui.css', '/docs/static/swagger-initializer.js']) {
    const docs = await app.inject({ url });
    t.equal(docs.statusCode, 200, url);
    t.same(directives(docs.headers['content-security-policy']), directives(DOCS_CSP), `${url}: the docs' CSP`);
  }
  t.notMatch(DOCS_CSP, /unsafe-inline|unsafe-eval/);
});

t.test('public reads allow any origin, GET and HEAD only, without credentials; writes get no CORS', async (t) => {
  const { app, L } = await setup(t);
  const publicReads = [
    '/01/09506000134352/10/SEC-1',
    `/id/${enc(LOT)}`,
    '/v1/checkpoint',
    '/v1/checkpoint/key',
    '/v1/proofs/inclusion?seq=0',
    `/v1/objects/${enc(LOT)}/evidence`,
    `/v1/objects/${enc(LOT)}/upstream`,
    '/v1/entries?from=0&limit=2',
    '/v1/entries/1',
  ];
  for (const url of publicReads) {
    const res = await app.inject({ url, headers: { origin: ORIGIN, accept: 'application/json' } });
    t.equal(res.headers['access-control-allow-origin'], '*', `${url}: any origin may read`);
    t.equal(res.headers['access-control-allow-credentials'], undefined, `${url}: never with credentials`);
    const preflight = await app.inject({ method: 'OPTIONS', url, headers: { origin: ORIGIN, 'access-control-request-method': 'GET' } });
    t.equal(preflight.statusCode, 204, `${url}: preflight for GET`);
    t.equal(preflight.headers['access-control-allow-methods'], 'GET, HEAD');
  }
  const resolver = await app.inject({ url: '/01/09506000134352/10/SEC-1', headers: { origin: ORIGIN, accept: 'application/json' } });
  t.match(resolver.headers['access-control-expose-headers'], /\bLink\b/, 'a script may read the linkset Link header');

  // Submitting is not a cross-origin operation: no preflight grant, no CORS header on the answer.
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/v1/entries',
    headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });
  t.not(preflight.statusCode, 204);
  t.equal(preflight.headers['access-control-allow-origin'], undefined, 'POST preflight is not granted');
  t.equal(preflight.headers['access-control-allow-methods'], undefined);
  const post = await app.inject({ method: 'POST', url: '/v1/entries', headers: { origin: ORIGIN }, payload: L.sign(party('stranger'), { type: 'participant.key.add', participant: 'x', publicKey: 'AA' }) });
  t.equal(post.headers['access-control-allow-origin'], undefined, 'no CORS header on a POST');
  // Routes outside the public list get none either.
  const exp = await app.inject({ url: '/v1/participants', headers: { origin: ORIGIN } });
  t.equal(exp.headers['access-control-allow-origin'], undefined, '/v1/participants is not on the list');
});
