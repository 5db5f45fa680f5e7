/**
 * The OpenAPI document (/docs/json) against the real service: every documented operation is
 * called on the seeded demo with real parameters, the URL built from its path template as Swagger
 * UI's "Try it out" builds it, and every answer (status, media type, body) must match the schema
 * the document gives for that status and media type. Problem answers likewise, on several routes.
 */
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { readPrivateKey, readPublicKey } from '../../src/cli/keyfiles.js';
import { REPO_ROOT } from '../../src/cli/demo.js';
import { signEntry, signingMessage, verifyEntrySignature } from '../../src/core/entry.js';
import { EXAMPLE_ENTRY } from '../../src/http/entry-example.js';
import { json, registerOpenApi } from '../../src/http/openapi.js';
import { obj } from '../../src/http/schemas/common.js';
import { seededDemo } from './demo-app.js';
import { examples, GREEN, UNKNOWN, urlOf, type Example } from './openapi-examples.js';
import { appOnLedger } from './app-on-ledger.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;


interface Operation {
  readonly operationId?: string;
  readonly summary?: string;
  readonly tags?: string[];
  readonly parameters?: Array<{ name: string; in: string; required?: boolean; example?: unknown }>;
  readonly requestBody?: { content: Record<string, { schema?: object; example?: unknown }> };
  readonly responses: Record<string, { content?: Record<string, { schema?: object }> }>;
}
interface Doc {
  readonly openapi: string;
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components: { schemas: Record<string, object> };
}


const ptr = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** Validators of the document's response schemas, by JSON pointer into the document. */
function schemaChecker(doc: Doc) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  // The document itself, so that #/components/schemas/… refs resolve as they do for any client.
  ajv.addSchema(doc as unknown as object, 'openapi.json', undefined, false);
  const compiled = new Map<string, ValidateFunction>();
  return (pointer: string): ValidateFunction => {
    let v = compiled.get(pointer);
    if (v === undefined) {
      v = ajv.compile({ $ref: `openapi.json#/${pointer}` });
      compiled.set(pointer, v);
    }
    return v;
  };
}

type Check = ReturnType<typeof schemaChecker>;

function operations(doc: Doc): Array<{ path: string; method: string; op: Operation }> {
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));
}

/**
 * The answer must be documented for its status and media type, and its body valid against that
 * schema: JSON types parsed, NDJSON line by line, text and images as strings.
 */
function checkAnswer(t: Test, check: Check, where: { path: string; method: string; op: Operation }, res: LightMyRequestResponse, label: string): void {
  const status = String(res.statusCode);
  const documented = where.op.responses[status];
  if (documented === undefined) {
    t.fail(`${label}: status ${status} is not documented (${Object.keys(where.op.responses).join(', ')})`, { body: res.body.slice(0, 300) });
    return;
  }
  const contentType = res.headers['content-type'];
  if (documented.content === undefined) {
    t.equal(res.body, '', `${label}: ${status} has no documented body and none came`);
    return;
  }
  const media = String(contentType ?? '').split(';')[0]!.trim();
  if (documented.content[media]?.schema === undefined) {
    t.fail(`${label}: ${status} ${media} is not documented (${Object.keys(documented.content).join(', ')})`);
    return;
  }
  const validate = check(ptr('paths', where.path, where.method, 'responses', status, 'content', media, 'schema'));
  const values: unknown[] =
    media === 'application/x-ndjson' ? res.body.trimEnd().split('\n').map((line) => JSON.parse(line))
    : /json$/.test(media) ? [res.json()]
    : media.startsWith('image/png') ? [res.rawPayload.toString('latin1')]
    : [res.body];
  for (const [i, value] of values.entries()) {
    if (!validate(value)) {
      t.fail(`${label}: ${status} ${media}${values.length > 1 ? ` line ${i + 1}` : ''} does not match its schema`, { errors: validate.errors?.slice(0, 5) });
      return;
    }
  }
  t.pass(`${label}: ${status} ${media} matches its schema`);
}

let shared: Awaited<ReturnType<typeof seededDemo>> | undefined;
t.teardown(() => shared?.close());
const demo = async () => (shared ??= await seededDemo('openapi'));

async function docOf(app: FastifyInstance): Promise<Doc> {
  const res = await app.inject({ method: 'GET', url: '/docs/json' });
  return res.json() as Doc;
}

t.test('every operation has an operationId, tags, a summary, a typed success and problem responses', async (t) => {
  const { app } = await demo();
  const doc = await docOf(app);
  t.equal(doc.openapi, '3.1.0');
  t.same(Object.keys(doc.components.schemas).sort(), ['Entry', 'Payload', 'Problem']);
  const ids = new Set<string>();
  const ops = operations(doc);
  t.ok(ops.length >= 30, `${ops.length} operations`);
  for (const { path, method, op } of ops) {
    const label = `${method.toUpperCase()} ${path}`;
    t.match(op.operationId, /^[a-z]+[A-Z][A-Za-z]*$/, `${label}: verbNoun operationId`);
    t.notOk(ids.has(op.operationId!), `${label}: operationId ${op.operationId} is unique`);
    ids.add(op.operationId!);
    t.ok(op.tags !== undefined && op.tags.length > 0, `${label}: tagged`);
    t.ok(typeof op.summary === 'string' && op.summary.length > 0, `${label}: summary`);
    t.notMatch(path, /\{\*\}/, `${label}: no wildcard parameter (Try it out would encode its slashes)`);
    // Try it out fills path parameters from their examples; a shipment's hash differs per ledger.
    for (const p of op.parameters ?? []) {
      const required = p.in === 'path' || p.required === true;
      if (required && p.name !== 'shipment') t.ok(p.example !== undefined, `${label}: required parameter ${p.name} has an example`);
    }
    const success = Object.entries(op.responses).filter(([s]) => s.startsWith('2'));
    t.ok(success.length > 0 && success.every(([, r]) => Object.values(r.content ?? {}).every((c) => c.schema !== undefined) && r.content !== undefined), `${label}: 2xx with a schema`);
    t.ok(op.responses['500'] !== undefined, `${label}: 500 documented`);
    for (const [status, r] of Object.entries(op.responses)) {
      if (!/^[45]/.test(status)) continue;
      // The customer page answers people: unknown and malformed codes get a page, not problem+json.
      if (op.operationId === 'getCustomerPage' && (status === '400' || status === '404')) continue;
      t.same(r.content?.['application/problem+json']?.schema, { $ref: '#/components/schemas/Problem' }, `${label}: ${status} is a Problem`);
    }
  }
  const problem = doc.components.schemas['Problem'] as { required: string[] };
  t.same(problem.required, ['type', 'title', 'status', 'detail', 'code', 'instance']);
});

t.test('each documented operation, called with its example, answers what the document says', async (t) => {
  const { app, ledger, seed } = await demo();
  const doc = await docOf(app);
  const check = schemaChecker(doc);
  const table = examples(ledger, seed);
  for (const where of operations(doc)) {
    const id = where.op.operationId!;
    const list = table[id];
    if (list === undefined || list.length === 0) {
      t.fail(`${id}: no example request`);
      continue;
    }
    for (const ex of list) {
      const url = urlOf(where.path, ex);
      const label = `${id} ${where.method.toUpperCase()} ${url.length > 100 ? `${url.slice(0, 100)}…` : url}`;
      const res = await app.inject({
        method: where.method.toUpperCase() as 'GET',
        url,
        headers: { ...(ex.body === undefined ? {} : { 'content-type': 'application/json' }), ...ex.headers },
        ...(ex.body === undefined ? {} : { payload: JSON.stringify(ex.body) }),
      });
      t.equal(res.statusCode, ex.status, `${label}: status`, { body: res.body.slice(0, 300) });
      checkAnswer(t, check, where, res, label);
      if (ex.code !== undefined) t.equal(res.json().code, ex.code, `${label}: code`);
      if (ex.direct !== undefined) {
        // The served body is the domain's answer, whole: the response schemas do not shape it.
        t.same(res.json(), JSON.parse(JSON.stringify(await ex.direct())), `${label}: the body is the domain's answer, unchanged`);
      }
    }
  }
  for (const id of Object.keys(table)) t.ok(operations(doc).some((o) => o.op.operationId === id), `${id}: the table names a documented operation`);
});

t.test('malformed variants of every example get a documented status and body', async (t) => {
  const { app, ledger, seed } = await demo();
  const doc = await docOf(app);
  const check = schemaChecker(doc);
  const table = examples(ledger, seed);
  for (const where of operations(doc)) {
    const ex = table[where.op.operationId!]?.[0];
    if (ex === undefined || where.method !== 'get') continue;
    const variants: Array<[string, Example]> = [['an unknown query parameter', { ...ex, query: { ...ex.query, unknownParameter: '1' } }]];
    for (const name of Object.keys(ex.params ?? {})) variants.push([`${name} malformed`, { ...ex, params: { ...ex.params, [name]: 'not-a-valid-value' } }]);
    for (const accept of ['application/json', 'text/html']) {
      for (const [what, variant] of variants) {
        const res = await app.inject({ method: 'GET', url: urlOf(where.path, variant), headers: { ...variant.headers, accept } });
        checkAnswer(t, check, where, res, `${where.op.operationId} with ${what} (Accept ${accept})`);
      }
    }
  }
});

t.test('answers carry what the examples promise', async (t) => {
  const { get } = await demo();
  const serial = await get('/01/06931000080010/10/CW2611-20/21/1001', { accept: 'application/json' });
  t.equal(serial.headers['x-resolved-from'], 'https://id.gs1.org/01/06931000080010/10/CW2611-20/21/1001');
  t.equal(serial.json().status, 'recalled');
  const redirect = await get('/01/06931000080010/10/CW2611-19?linkType=gs1:sustainabilityInfo');
  t.match(redirect.headers.location, /\/footprint$/);
  const bundle = (await get(`/v1/export?code=${encodeURIComponent(GREEN)}&direction=up&since=5`)).body.trimEnd().split('\n').map((l) => JSON.parse(l));
  t.equal(bundle[0].format, 'trace-ledger-bundle/1', 'NDJSON: the header first');
  t.ok(bundle.slice(1, -1).length > 0 && bundle.slice(1, -1).every((l) => 'record' in l && 'inclusion' in l), 'then record lines');
  t.equal(bundle.at(-1).end.records, bundle.length - 2, 'the end line last');
});

t.test('problem answers are application/problem+json matching Problem, with a documented status', async (t) => {
  const { app } = await demo();
  const doc = await docOf(app);
  const check = schemaChecker(doc);
  const alumina = readPrivateKey(`${REPO_ROOT}keys/guangxi-alumina.key.pem`);
  const ship = (fields: Record<string, unknown>) =>
    signEntry({ ...EXAMPLE_ENTRY.payload, id: `openapi-test-${Object.keys(fields).join('-')}`, ...fields }, alumina);
  const cases: Array<{ path: string; method: string; url: string; code: string; status: number; body?: string; type?: string }> = [
    { path: '/v1/objects/{code}', method: 'get', url: `/v1/objects/${encodeURIComponent(UNKNOWN)}`, status: 404, code: 'TRACE_OBJECT_NOT_FOUND' },
    { path: '/v1/objects/{code}', method: 'get', url: '/v1/objects/not-a-code', status: 400, code: 'TRACE_CODE_INVALID' },
    { path: '/v1/objects/{code}/upstream', method: 'get', url: `/v1/objects/${encodeURIComponent('https://id.gs1.org/01/06931000080011/10/X')}/upstream`, status: 400, code: 'TRACE_CODE_INVALID' },
    { path: '/v1/objects/{code}/qr.svg', method: 'get', url: `/v1/objects/${encodeURIComponent(UNKNOWN)}/qr.svg`, status: 404, code: 'TRACE_OBJECT_NOT_FOUND' },
    { path: '/v1/objects/{code}/qr.png', method: 'get', url: `/v1/objects/${encodeURIComponent(GREEN)}/qr.png?size=1`, status: 400, code: 'LEDGER_QUERY_INVALID' },
    { path: '/v1/entries/{seq}', method: 'get', url: '/v1/entries/99999', status: 404, code: 'LEDGER_ENTRY_NOT_FOUND' },
    { path: '/v1/entries/{seq}', method: 'get', url: '/v1/entries/abc', status: 400, code: 'LEDGER_QUERY_INVALID' },
    { path: '/v1/entries', method: 'get', url: '/v1/entries?limit=0', status: 400, code: 'LEDGER_QUERY_INVALID' },
    { path: '/v1/participants/{id}', method: 'get', url: '/v1/participants/nobody', status: 404, code: 'LEDGER_PARTICIPANT_NOT_FOUND' },
    { path: '/v1/proofs/inclusion', method: 'get', url: `/v1/proofs/inclusion?leafHash=${'0'.repeat(64)}`, status: 404, code: 'LEDGER_ENTRY_NOT_FOUND' },
    { path: '/v1/proofs/consistency', method: 'get', url: '/v1/proofs/consistency?from=99999', status: 400, code: 'LEDGER_PROOF_RANGE' },
    { path: '/v1/export', method: 'get', url: `/v1/export?code=${encodeURIComponent(UNKNOWN)}`, status: 404, code: 'TRACE_OBJECT_NOT_FOUND' },
    { path: '/v1/export', method: 'get', url: '/v1/export?from=x', status: 400, code: 'LEDGER_QUERY_INVALID' },
    { path: '/v1/reports/handoff/{shipment}', method: 'get', url: '/v1/reports/handoff/zzz', status: 400, code: 'LEDGER_QUERY_INVALID' },
    { path: '/v1/reports/handoff/{shipment}', method: 'get', url: '/v1/reports/handoff/1', status: 404, code: 'LEDGER_NOT_FOUND' },
    { path: '/v1/reports/origin/{code}', method: 'get', url: `/v1/reports/origin/${encodeURIComponent(UNKNOWN)}`, status: 404, code: 'TRACE_OBJECT_NOT_FOUND' },
    { path: '/v1/labels.svg', method: 'get', url: '/v1/labels.svg', status: 400, code: 'LEDGER_QUERY_INVALID' },
    { path: '/01/{gtin}/10/{lot}', method: 'get', url: '/01/06931000080011/10/CW2611-19', status: 400, code: 'TRACE_CODE_INVALID' },
    { path: '/01/{gtin}/10/{lot}', method: 'get', url: '/01/06931000080010/10/CW2611-19?linkType=nonsense', status: 400, code: 'LEDGER_QUERY_INVALID' },
    { path: '/v1/entries', method: 'post', url: '/v1/entries', body: '{"payload":', status: 400, code: 'LEDGER_JSON_INVALID' },
    { path: '/v1/entries', method: 'post', url: '/v1/entries', body: 'hello', type: 'text/plain', status: 415, code: 'LEDGER_MEDIA_TYPE_UNSUPPORTED' },
    { path: '/v1/entries', method: 'post', url: '/v1/entries', body: JSON.stringify('x'.repeat(5 * 1024 * 1024)), status: 413, code: 'LEDGER_BODY_TOO_LARGE' },
    {
      path: '/v1/entries', method: 'post', url: '/v1/entries', status: 403, code: 'LEDGER_PERMISSION_DENIED',
      body: JSON.stringify(signEntry({ type: 'participant.register', id: 'openapi-test-register', signer: 'guangxi-alumina', time: '2026-11-03T08:00:00.000+08:00', participant: 'mallory', name: 'Mallory', roles: ['supplier'], publicKey: 'A'.repeat(43) }, alumina)),
    },
    { path: '/v1/entries', method: 'post', url: '/v1/entries', status: 409, code: 'LEDGER_ENTRY_CONFLICT', body: JSON.stringify(signEntry({ ...EXAMPLE_ENTRY.payload, reference: 'changed' }, alumina)) },
    { path: '/v1/entries', method: 'post', url: '/v1/entries', status: 404, code: 'LEDGER_PARTICIPANT_NOT_FOUND', body: JSON.stringify(ship({ to: 'nobody' })) },
    {
      path: '/v1/entries', method: 'post', url: '/v1/entries', status: 422, code: 'TRACE_OBJECT_UNKNOWN',
      body: JSON.stringify(ship({ objects: [{ code: 'https://id.gs1.org/01/06931000010017/10/NEVER', quantity: { value: 1, unit: 'KGM' } }] })),
    },
  ];
  const batch = await app.inject({ method: 'POST', url: '/v1/entries', headers: { 'content-type': 'application/json' }, payload: JSON.stringify([EXAMPLE_ENTRY, { payload: {}, signature: {} }]) });
  t.equal(batch.json().index, 1, 'a batch problem keeps its extension member index');
  checkAnswer(t, check, { path: '/v1/entries', method: 'post', op: doc.paths['/v1/entries']!['post']! }, batch, 'POST /v1/entries batch');
  for (const c of cases) {
    const res = await app.inject({
      method: c.method.toUpperCase() as 'GET',
      url: c.url,
      headers: { accept: 'application/json', ...(c.body === undefined ? {} : { 'content-type': c.type ?? 'application/json' }) },
      ...(c.body === undefined ? {} : { payload: c.body }),
    });
    const label = `${c.method.toUpperCase()} ${c.url.slice(0, 90)}`;
    t.equal(res.statusCode, c.status, `${label}: status`, { body: res.body.slice(0, 300) });
    t.match(res.headers['content-type'], /^application\/problem\+json/, `${label}: problem+json`);
    t.equal(res.json().code, c.code, `${label}: code`);
    checkAnswer(t, check, { path: c.path, method: c.method, op: doc.paths[c.path]![c.method]! }, res, label);
  }
});

t.test('503 from a closed ledger is a documented Problem', async (t) => {
  const { L, app } = await appOnLedger(t);
  const doc = await docOf(app);
  await L.ledger.close();
  const res = await app.inject({ method: 'POST', url: '/v1/entries', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(EXAMPLE_ENTRY) });
  t.equal(res.statusCode, 503);
  t.equal(res.json().code, 'LEDGER_UNAVAILABLE');
  checkAnswer(t, schemaChecker(doc), { path: '/v1/entries', method: 'post', op: doc.paths['/v1/entries']!['post']! }, res, 'POST /v1/entries on a closed ledger');
});

t.test('the example entry is the demo\'s first shipment, signed by its shipper\'s demo key', async (t) => {
  const chain = JSON.parse(readFileSync(`${REPO_ROOT}fixtures/demo/chain.json`, 'utf8')) as { entries: Array<{ id: string }> };
  t.same(EXAMPLE_ENTRY.payload, chain.entries.find((e) => e.id === EXAMPLE_ENTRY.payload.id), 'the payload is the fixture\'s');
  const publicKey = readPublicKey(`${REPO_ROOT}keys/guangxi-alumina.pub.pem`);
  t.doesNotThrow(() => verifyEntrySignature(signingMessage(EXAMPLE_ENTRY.payload), EXAMPLE_ENTRY.signature, publicKey), 'the signature verifies');
  const forged = { ...EXAMPLE_ENTRY.signature, sig: signEntry({ ...EXAMPLE_ENTRY.payload, reference: 'x' }, readPrivateKey(`${REPO_ROOT}keys/guangxi-alumina.key.pem`)).signature.sig };
  t.throws(() => verifyEntrySignature(signingMessage(EXAMPLE_ENTRY.payload), forged, publicKey), { code: 'LEDGER_SIGNATURE_INVALID' }, 'and would not for another payload');
  const { app } = await demo();
  const doc = await docOf(app);
  t.same(doc.paths['/v1/entries']!['post']!.requestBody!.content['application/json']!.example, EXAMPLE_ENTRY, 'it is the documented example');
});

t.test('response schemas document the answers and never shape them', async (t) => {
  const app = Fastify();
  t.teardown(() => app.close());
  await registerOpenApi(app);
  // A schema that lists less than the handler answers, in a plugin as every route group is.
  await app.register(async (routes) => {
    routes.get('/less', { schema: { response: { 200: json('less', obj({ listed: { type: 'integer' } })) } } }, async () => ({ listed: 1, unlisted: { seq: 7 } }));
  });
  const res = await app.inject({ method: 'GET', url: '/less' });
  t.same(res.json(), { listed: 1, unlisted: { seq: 7 } }, 'an unlisted member is served, not dropped');
});
