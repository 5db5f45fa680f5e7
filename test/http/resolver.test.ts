import t, { type Test } from 'tap';
import { buildApp } from '../../src/http/app.js';
import { negotiate } from '../../src/http/resolver.js';
import { makeLedger, party } from '../helpers.js';

const PUB = 'https://trace.example.com';
const LOT = 'https://id.gs1.org/01/09506000134352/10/W-1';
const SSCC = 'https://id.gs1.org/00/106141412345678908';

async function setup(t: Test) {
  const L = await makeLedger();
  const app = await buildApp({ ledger: L.ledger, publicUrl: () => PUB });
  t.teardown(async () => {
    await app.close();
    await L.close();
  });
  const man = party('man');
  await L.register(man, ['manufacturer']);
  await L.ledger.submit([
    L.sign(man, { type: 'commission', objects: [{ code: LOT, level: 'finished', product: { name: 'Window', netMassKg: 30 }, quantity: { value: 10, unit: 'H87' }, footprint: { kgCO2ePerUnit: 150 } }] }),
  ]);
  await L.ledger.submit([L.sign(man, { type: 'aggregate', parent: SSCC, children: [{ code: LOT, quantity: { value: 4, unit: 'H87' } }] })]);
  return { L, app };
}

t.test('content negotiation picks the representation', async (t) => {
  t.equal(negotiate(undefined), 'html');
  t.equal(negotiate('*/*'), 'html');
  t.equal(negotiate('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'), 'html');
  t.equal(negotiate('application/json'), 'json');
  t.equal(negotiate('application/json, */*;q=0.1'), 'json');
  t.equal(negotiate('application/linkset+json'), 'linkset');
  t.equal(negotiate('text/html;q=0.5, application/json'), 'json');
  t.equal(negotiate('image/png'), 'html', 'nothing we serve: the page');
});

t.test('resolver: JSON, HTML, linkset, link types, serial fallback, errors', async (t) => {
  const { app } = await setup(t);
  const get = (url: string, accept?: string) => app.inject({ method: 'GET', url, headers: accept === undefined ? {} : { accept } });

  const json = await get('/01/09506000134352/10/W-1', 'application/json');
  t.equal(json.statusCode, 200);
  t.match(json.headers['content-type'], /^application\/json/);
  t.match(json.json(), { code: LOT, status: 'ok', object: { level: 'finished' }, verification: { ledgerKey: /\+/ } });
  t.equal(json.headers['link'], `<${PUB}/01/09506000134352/10/W-1?linkType=linkset>; rel="linkset"; type="application/linkset+json"`);

  const html = await get('/01/9506000134352/10/W-1', 'text/html');
  t.equal(html.statusCode, 200, 'GTIN-13 spelling resolves too');
  t.match(html.headers['content-type'], /^text\/html/);
  t.match(html.body, /<html/);

  for (const [url, accept] of [['/01/09506000134352/10/W-1?linkType=linkset', undefined], ['/01/09506000134352/10/W-1', 'application/linkset+json'], ['/01/09506000134352/10/W-1?linkType=all', 'text/html']] as const) {
    const ls = await get(url, accept);
    t.equal(ls.statusCode, 200, url);
    t.match(ls.headers['content-type'], /^application\/linkset\+json/);
    const set = JSON.parse(ls.body).linkset[0];
    t.equal(set.anchor, LOT);
    const enc = encodeURIComponent(LOT);
    t.same(set['https://gs1.org/voc/defaultLink'][0].href, `${PUB}/v1/objects/${enc}/page`);
    for (const type of ['pip', 'traceability', 'sustainabilityInfo', 'certificationInfo', 'recallStatus']) {
      t.ok(Array.isArray(set[`https://gs1.org/voc/${type}`]) && set[`https://gs1.org/voc/${type}`][0].href.startsWith(`${PUB}/v1/objects/${enc}/`), `gs1:${type}`);
    }
  }

  const enc = encodeURIComponent(LOT);
  for (const [type, suffix] of [['gs1:pip', 'page'], ['gs1:sustainabilityInfo', 'footprint'], ['gs1:traceability', 'upstream'], ['gs1:certificationInfo', 'certificates'], ['gs1:recallStatus', 'recall-status'], ['https://gs1.org/voc/epcis', 'history'], ['gs1:recyclingInfo', 'page']]) {
    const r = await get(`/01/09506000134352/10/W-1?linkType=${encodeURIComponent(type!)}`, 'application/json');
    t.equal(r.statusCode, 307, type!);
    t.equal(r.headers['location'], `${PUB}/v1/objects/${enc}/${suffix}`, `${type} → ${suffix}${type === 'gs1:recyclingInfo' ? ' (no such link: the default link)' : ''}`);
    // …and the link's target answers.
    const target = await get(r.headers['location']!.slice(PUB.length), suffix === 'page' ? 'text/html' : 'application/json');
    t.equal(target.statusCode, 200, `${suffix} answers`);
  }
  const recall = await get(`/v1/objects/${enc}/recall-status`);
  t.match(recall.json(), { code: LOT, recalled: false, failedInspection: false });
  const badType = await get('/01/09506000134352/10/W-1?linkType=pip', 'application/json');
  t.equal(badType.statusCode, 400);
  t.equal(badType.json().code, 'LEDGER_QUERY_INVALID');

  const serial = await get('/01/09506000134352/10/W-1/21/SN-77', 'application/json');
  t.equal(serial.statusCode, 200, 'an uncommissioned serial resolves to its lot');
  t.equal(serial.json().code, LOT);
  t.equal(serial.json().resolvedFrom, `${LOT}/21/SN-77`);
  t.equal(serial.headers['x-resolved-from'], `${LOT}/21/SN-77`);

  const pallet = await get('/00/106141412345678908', 'application/json');
  t.equal(pallet.statusCode, 200);
  t.equal(pallet.json().object.level, 'logistic');
  const byId = await get(`/id/${encodeURIComponent(LOT)}`, 'application/json');
  t.equal(byId.json().code, LOT, '/id/<encoded code>');

  const unknown = await get('/01/09506000134352/10/NOPE', 'application/json');
  t.equal(unknown.statusCode, 404);
  t.equal(unknown.json().code, 'TRACE_OBJECT_NOT_FOUND');
  const unknownHtml = await get('/01/09506000134352/10/NOPE', 'text/html');
  t.equal(unknownHtml.statusCode, 404);
  t.match(unknownHtml.headers['content-type'], /^text\/html/, 'browsers get a friendly page');
  const serialOfUnknownLot = await get('/01/09506000134352/10/NOPE/21/1', 'application/json');
  t.equal(serialOfUnknownLot.statusCode, 404);

  const invalid = await get('/01/09506000134353/10/W-1', 'application/json');
  t.equal(invalid.statusCode, 400);
  t.equal(invalid.json().code, 'TRACE_CODE_INVALID');
  t.match(invalid.json().detail, /check digit/);
  const invalidHtml = await get('/01/09506000134352/21/X/10/Y', 'text/html');
  t.equal(invalidHtml.statusCode, 400);
  t.match(invalidHtml.headers['content-type'], /^text\/html/);
});
