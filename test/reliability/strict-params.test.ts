/**
 * Issue 16, "Rule bypasses": a seq or a count in a path or query is a plain decimal integer; hex,
 * binary, exponents, signs, blanks and leading zeros are refused rather than coerced to a number.
 * And /problems/<code> knows only the codes of the error table, not Object.prototype's members.
 */
import t from 'tap';
import { party } from '../helpers.js';
import { appOnLedger } from '../http/app-on-ledger.js';

t.test('numbers in paths and queries are strict decimals', async (t) => {
  const { L, app } = await appOnLedger(t);
  await L.register(party('supplier-s'));
  L.ledger.checkpoint(2);
  const refused = [
    ...['0x1', '%20', '0b1', '1e0', '+1', '%201', '01', '1.0', '-0', '0o1', '%091'].map((s) => `/v1/entries/${s}`),
    '/v1/entries?after=0x0',
    '/v1/entries?after=-0x1',
    '/v1/entries?limit=1e1',
    '/v1/entries?limit=%20',
    '/v1/checkpoint?minSize=0x1',
    '/v1/checkpoints?before=0b1',
    '/v1/proofs/inclusion?seq=0x1',
    '/v1/proofs/inclusion?seq=1&size=0x2',
    '/v1/proofs/consistency?from=0x1&to=2',
    '/v1/proofs/consistency?from=1&to=+2',
    '/v1/export?from=0x0',
    '/v1/labels.svg?skip=0x1',
  ];
  for (const url of refused) {
    const res = await app.inject(url);
    t.equal(res.statusCode, 400, url);
    t.equal(res.json().code, 'LEDGER_QUERY_INVALID', url);
  }
  for (const url of ['/v1/entries/1', '/v1/entries/0', '/v1/entries?after=-1&limit=10', '/v1/proofs/consistency?from=1&to=2']) {
    t.equal((await app.inject(url)).statusCode, 200, url);
  }
});

t.test("/problems/<code> answers only the table's codes", async (t) => {
  const { app } = await appOnLedger(t);
  for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
    const res = await app.inject(`/problems/${name}`);
    t.equal(res.statusCode, 404, name);
    t.equal(res.json().code, 'LEDGER_NOT_FOUND', name);
  }
  const known = await app.inject('/problems/LEDGER_QUERY_INVALID');
  t.equal(known.statusCode, 200);
  t.equal(known.json().status, 400);
});
