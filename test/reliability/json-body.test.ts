/**
 * Issue 16, "Rule bypasses": request bodies are JSON in UTF-8 (RFC 8259 §8.1); invalid bytes are
 * refused, never repaired to U+FFFD, and a charset other than UTF-8 is refused with 415.
 */
import t, { type Test } from 'tap';
import { toBase64Url } from '../../src/core/bytes.js';
import { party } from '../helpers.js';
import { appOnLedger } from '../http/app-on-ledger.js';

async function setup(t: Test) {
  const { L, app } = await appOnLedger(t);
  /** A registration signed over a name holding U+FFFD, as a body with `bytes` in place of the character. */
  const bodyWith = (bytes: number[], participant = 'p-new'): Buffer => {
    const entry = L.sign(L.operator, { type: 'participant.register', participant, name: 'Caf\uFFFD', roles: ['supplier'], publicKey: toBase64Url(party('x').publicKey) });
    const json = Buffer.from(JSON.stringify(entry));
    const at = json.indexOf(Buffer.from('\uFFFD'));
    return Buffer.concat([json.subarray(0, at), Buffer.from(bytes), json.subarray(at + 3)]);
  };
  const post = (body: Buffer, contentType = 'application/json') =>
    app.inject({ method: 'POST', url: '/v1/entries', payload: body, headers: { 'content-type': contentType } });
  return { bodyWith, post };
}

t.test('invalid UTF-8 in the body is refused, not turned into U+FFFD', async (t) => {
  const { bodyWith, post } = await setup(t);
  const cases: Array<[string, number[]]> = [
    ['a lone 0xFF byte', [0xff]],
    ['a truncated sequence', [0xe2, 0x82]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
  ];
  for (const [name, bytes] of cases) {
    const res = await post(bodyWith(bytes));
    t.equal(res.statusCode, 400, name);
    t.equal(res.json().code, 'LEDGER_JSON_INVALID', name);
    t.match(res.headers['content-type'], /^application\/problem\+json/, name);
  }
  const ok = await post(bodyWith([0xef, 0xbf, 0xbd]));
  t.equal(ok.statusCode, 201, 'the genuine U+FFFD character is valid UTF-8 and accepted');
});

t.test('charset: UTF-8 is accepted, any other is refused with 415', async (t) => {
  const { bodyWith, post } = await setup(t);
  for (const [i, ct] of ['application/json; charset=utf-8', 'application/json;charset="UTF-8"'].entries()) {
    const res = await post(bodyWith([0xef, 0xbf, 0xbd], `p-${i}`), ct);
    t.equal(res.statusCode, 201, ct);
  }
  for (const ct of ['application/json; charset=iso-8859-1', 'application/json; charset=utf-16', 'application/json; charset=']) {
    const res = await post(bodyWith([0xef, 0xbf, 0xbd]), ct);
    t.equal(res.statusCode, 415, ct);
    t.equal(res.json().code, 'LEDGER_MEDIA_TYPE_UNSUPPORTED', ct);
  }
});
