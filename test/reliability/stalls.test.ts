/**
 * Issue 16, "Stalls": one anonymous client must not hold the service. Loopback only; every wait
 * is bounded and the assertions are on behaviour (the socket is closed, 408), never on timing.
 */
import t, { type Test } from 'tap';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { AppOptions } from '../../src/http/app.js';
import { appOnLedger } from '../http/app-on-ledger.js';

async function listening(t: Test, extra: Partial<Omit<AppOptions, 'ledger'>> = {}) {
  const { app } = await appOnLedger(t, extra);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, port: (app.server.address() as AddressInfo).port };
}

/** Resolves with what the server sent once it closes the socket, or 'still open' after `boundMs`. */
function outcome(socket: Socket, boundMs: number): Promise<{ closed: boolean; received: string }> {
  return new Promise((resolve) => {
    let received = '';
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.on('error', () => {});
    const timer = setTimeout(() => resolve({ closed: false, received }), boundMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ closed: true, received });
    });
  });
}

const SHORT = { headersTimeoutMs: 300, requestTimeoutMs: 600, checkIntervalMs: 100 };

/**
 * A slow client: sends `start`, then `drip` every 100 ms, which keeps the socket active so that
 * only a deadline ends it. Expects the server to answer 408 and close the connection.
 */
async function slowClientIsCutOff(t: Test, start: string, drip: string): Promise<void> {
  const { port } = await listening(t, { serverLimits: SHORT });
  const socket = connect(port, '127.0.0.1');
  socket.write(start);
  const timer = setInterval(() => socket.writable && socket.write(drip), 100);
  t.teardown(() => {
    clearInterval(timer);
    socket.destroy();
  });
  const { closed, received } = await outcome(socket, 10_000);
  t.ok(closed, 'the server closed the connection');
  t.match(received, /^HTTP\/1\.1 408 /, 'with 408 Request Timeout');
}

t.test('a client that dribbles its body is cut off at the request timeout', (t) =>
  slowClientIsCutOff(t, 'POST /v1/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n', '{'));

t.test('a client that never finishes its headers is cut off at the headers timeout', (t) =>
  slowClientIsCutOff(t, 'GET /healthz HTTP/1.1\r\nHost: x\r\n', 'X-A: b\r\n'));

t.test('connections beyond the cap are closed on accept', async (t) => {
  const { port } = await listening(t, { serverLimits: { maxConnections: 2 } });
  const open = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(s));
      s.on('error', reject);
    });
  const held = [await open(), await open()];
  const third = await open();
  t.teardown(() => [...held, third].forEach((s) => s.destroy()));
  third.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  const { closed, received } = await outcome(third, 5_000);
  t.ok(closed, 'the third connection is closed');
  t.equal(received, '', 'without an answer');
  // The two held connections still get answers.
  held[0]!.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  const first = await outcome(held[0]!, 5_000);
  t.match(first.received, /^HTTP\/1\.1 200 /);
});

t.test('the defaults are bounded', async (t) => {
  const { app } = await listening(t);
  t.equal(app.server.headersTimeout, 10_000);
  t.equal(app.server.requestTimeout, 30_000);
  t.equal(app.server.maxConnections, 800);
});
