/**
 * Why a fetch() call failed, in words a person can act on. Node's fetch (undici) rejects with
 * `TypeError('fetch failed')` and puts the system error in `cause` (`ECONNREFUSED`, `ENOTFOUND`…);
 * "fetch failed" alone says nothing, so callers name the URL and this reason and hint.
 */

export interface FetchFailure {
  /** The system error code (`ECONNREFUSED`), `timeout`, or the error's own message. */
  readonly reason: string;
  /** What to do about it. */
  readonly hint: string;
}

const START_HINT = 'is the service running? Start it with `npm start` (or `trace-ledger serve`), or give its URL with --url';

const HINTS: Record<string, string> = {
  ECONNREFUSED: `nothing listens there: ${START_HINT}`,
  ECONNRESET: `the connection was dropped: ${START_HINT}`,
  // undici's code when the server closed a kept-alive connection (it stopped since the last request)
  UND_ERR_SOCKET: `the connection was closed: ${START_HINT}`,
  ENOTFOUND: 'no such host: check --url (or $TRACE_LEDGER_URL)',
  EAI_AGAIN: 'the host name did not resolve: check --url and the network',
  EHOSTUNREACH: 'the host is unreachable: check --url and the network',
  ENETUNREACH: 'the network is unreachable: check --url and the network',
  timeout: `no answer in time: ${START_HINT}`,
};

export function describeFetchFailure(e: unknown): FetchFailure {
  const err = e as { name?: string; message?: string; cause?: { code?: string; name?: string; message?: string } };
  const timedOut = err.name === 'TimeoutError' || err.cause?.name === 'TimeoutError' || err.cause?.code === 'UND_ERR_CONNECT_TIMEOUT';
  // Without a code the cause's message is still better than the bare "fetch failed" ("bad port").
  const reason = timedOut ? 'timeout' : (err.cause?.code ?? err.cause?.message ?? err.message ?? String(e));
  return { reason, hint: HINTS[reason] ?? `check --url (or $TRACE_LEDGER_URL): ${START_HINT}` };
}

/** fetch() itself failed (no HTTP answer), as opposed to an error while handling an answer. */
export function isFetchFailure(e: unknown): boolean {
  return e instanceof TypeError && e.message === 'fetch failed';
}
