/**
 * Issue 16: answers sent before a route runs (Node's parser, Fastify's router) are RFC 9457
 * problem details with a code from docs/errors.md, like every other error. Checked on a real
 * socket on loopback, because Node answers these before app.inject() could see them.
 */
import t from 'tap';
import { connect } from 'node:net';
import { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { answerClientError } from '../../src/http/client-error.js';
import { appOnLedger } from '../http/app-on-ledger.js';

interface RawAnswer {
  status: number;
  contentType: string | undefined;
  body: { code?: string; status?: number };
}

function parseAnswer(text: string): RawAnswer {
  const split = text.indexOf('\r\n\r\n');
  const [statusLine = '', ...headers] = text.slice(0, split).split('\r\n');
  const contentType = headers.find((h) => /^content-type:/i.test(h))?.replace(/^content-type:\s*/i, '');
  return { status: Number(statusLine.split(' ')[1]), contentType, body: JSON.parse(text.slice(split + 4)) };
}

function rawRequest(port: number, request: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => undefined); // the server may reset while we still write
    socket.on('close', () => {
      try {
        resolve(parseAnswer(text));
      } catch (e) {
        reject(new Error(`not an HTTP answer with a JSON body: ${JSON.stringify(text.slice(0, 200))}`, { cause: e }));
      }
    });
  });
}

t.test('errors before routing are problem+json', async (t) => {
  const { app } = await appOnLedger(t);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const cases: Array<[string, string, number, string]> = [
    ['a too long path parameter', `GET /v1/participants/${'a'.repeat(200)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 414, 'LEDGER_URI_TOO_LONG'],
    ['headers over the limit', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`, 431, 'LEDGER_HEADERS_TOO_LARGE'],
    ['a request line over the limit', `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 431, 'LEDGER_HEADERS_TOO_LARGE'],
    ['an undecodable path', 'GET /v1/participants/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400, 'LEDGER_QUERY_INVALID'],
    ['not HTTP at all', 'GARBAGE\r\n\r\n', 400, 'LEDGER_REQUEST_MALFORMED'],
  ];
  for (const [name, request, status, code] of cases) {
    const answer = await rawRequest(port, request);
    t.equal(answer.status, status, name);
    t.match(answer.contentType, /^application\/problem\+json/, name);
    t.equal(answer.body.code, code, name);
    t.equal(answer.body.status, status, name);
  }
});

t.test('a request timeout is a 408 problem', async (t) => {
  const written: Buffer[] = [];
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      written.push(chunk);
      callback();
    },
  });
  socket.on('error', () => undefined);
  answerClientError(Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), socket);
  const answer = parseAnswer(Buffer.concat(written).toString('latin1'));
  t.equal(answer.status, 408);
  t.match(answer.contentType, /^application\/problem\+json/);
  t.equal(answer.body.code, 'LEDGER_REQUEST_TIMEOUT');
  t.ok(socket.destroyed, 'the connection is closed');
});
