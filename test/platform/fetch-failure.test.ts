import t from 'tap';
import { describeFetchFailure, isFetchFailure } from '../../src/platform/fetch-failure.js';

/** What Node's fetch (undici) rejects with: TypeError('fetch failed') with the system error as cause. */
const failed = (cause: unknown) => new TypeError('fetch failed', { cause });

t.test('the reason is the system error code, with a hint to act on', async (t) => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['refused', failed(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8080'), { code: 'ECONNREFUSED' })), 'ECONNREFUSED', /`npm start`.*`trace-ledger serve`/],
    ['reset', failed(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })), 'ECONNRESET', /`npm start`/],
    ['closed keep-alive socket', failed(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })), 'UND_ERR_SOCKET', /`npm start`/],
    ['unknown host', failed(Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' })), 'ENOTFOUND', /--url/],
    ['connect timeout', failed(Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' })), 'timeout', /`npm start`/],
    ['AbortSignal.timeout', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), 'timeout', /`npm start`/],
    ['no code: the cause says why', failed(new Error('bad port')), 'bad port', /--url/],
    ['no cause', new Error('boom'), 'boom', /--url/],
  ];
  for (const [what, error, reason, hint] of cases) {
    const d = describeFetchFailure(error);
    t.equal(d.reason, reason, `${what}: reason`);
    t.match(d.hint, hint, `${what}: hint`);
  }
});

t.test('isFetchFailure tells a failed request from other errors', async (t) => {
  t.equal(isFetchFailure(failed(new Error('x'))), true);
  t.equal(isFetchFailure(new TypeError('x is not a function')), false);
  t.equal(isFetchFailure(new Error('fetch failed')), false);
});
