/**
 * Issue 16: the expensive routes are limited per client; other clients and the cheap routes are
 * not affected. Counted requests, never timing.
 */
import t, { type Test } from 'tap';
import { buildApp } from '../../src/http/app.js';
import { makeLedger } from '../helpers.js';

const MAX = 3;

async function setup(t: Test) {
  const L = await makeLedger();
  const app = await buildApp({ ledger: L.ledger, rateLimits: { max: MAX, windowMs: 60_000 } });
  t.teardown(async () => {
    await app.close();
    await L.close();
  });
  const get = (url: string, remoteAddress = '192.0.2.1') => app.inject({ method: 'GET', url, remoteAddress });
  return { app, get };
}

const LIMITED = [
  '/v1/checkpoint?minSize=1',
  '/v1/export',
  '/v1/reports/origin/urn:trace:x:1',
  '/v1/objects/urn:trace:x:1/qr.png',
  '/v1/objects/urn:trace:x:1/qr.svg',
  '/v1/objects/urn:trace:x:1/evidence',
  '/v1/labels.svg?code=urn:trace:x:1',
];

for (const url of LIMITED) {
  t.test(`${url}: the request after the limit is 429 problem+json with Retry-After`, async (t) => {
    const { get } = await setup(t);
    for (let i = 0; i < MAX; i++) t.not((await get(url)).statusCode, 429, `request ${i + 1} is served`);
    const res = await get(url);
    t.equal(res.statusCode, 429);
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.equal(res.json().code, 'LEDGER_RATE_LIMITED');
    t.match(String(res.headers['retry-after']), /^[1-9]\d*$/, 'Retry-After in whole seconds');
    t.not((await get(url, '192.0.2.2')).statusCode, 429, 'another client is not affected');
  });
}

t.test('cheap routes are not limited', async (t) => {
  const { get } = await setup(t);
  for (const url of ['/healthz', '/v1/checkpoint', '/v1/objects/urn:trace:x:1/certificates', '/v1/entries?after=0']) {
    const codes = new Set<number>();
    for (let i = 0; i < MAX + 2; i++) codes.add((await get(url)).statusCode);
    t.notOk(codes.has(429), `${url} never answers 429`);
  }
});
