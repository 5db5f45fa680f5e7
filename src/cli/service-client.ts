/**
 * Talking to a running service: which URL (--url, $TRACE_LEDGER_URL, the local default), fetches
 * that wait out a rate limit, and the service's problem+json turned into one line.
 */
import { describeFetchFailure } from '../platform/fetch-failure.js';
import { CliError, UsageError } from './cli-error.js';

/** --url, else $TRACE_LEDGER_URL, else the local default; without a trailing slash. @throws UsageError */
export function serviceUrl(values: Record<string, unknown>): string {
  const url = ((values['url'] as string | undefined) ?? process.env['TRACE_LEDGER_URL'] ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new UsageError(`--url (or $TRACE_LEDGER_URL) must be an http(s) URL, got ${url}`);
  return url;
}

/** The service at `url` did not answer: name it, say why, and what to do. */
export function unreachable(url: string, cause: unknown): CliError {
  const { reason, hint } = describeFetchFailure(cause);
  return new CliError('CLI_SERVICE_UNREACHABLE', `cannot reach the service at ${new URL(url).origin} (${reason}): ${hint}`, { cause });
}

/** Longest Retry-After the CLI waits out on a 429 before giving up with the service's problem. */
const MAX_RATE_LIMIT_WAIT_S = 60;

/** `fetch`, with CLI_SERVICE_UNREACHABLE when nothing answers. @throws CliError */
export async function fetchService(url: string, init?: RequestInit): Promise<Response> {
  // Expensive routes are rate-limited per client (429 + Retry-After): a script that proves many
  // submissions waits its turn, twice at most, instead of failing. Only reads are retried: a
  // refused POST has done nothing, but retrying writes is the caller's decision.
  for (let attempt = 0; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(url, init);
    } catch (cause) {
      throw unreachable(url, cause);
    }
    const wait = Number(res.headers.get('retry-after'));
    const isRead = (init?.method ?? 'GET') === 'GET';
    if (res.status !== 429 || !isRead || attempt >= 2 || !Number.isFinite(wait) || wait < 0 || wait > MAX_RATE_LIMIT_WAIT_S) return res;
    await res.body?.cancel();
    await new Promise((r) => setTimeout(r, wait * 1000));
  }
}

/** `res` when it is a 2xx; otherwise its problem as `CODE: detail`. @throws Error */
export async function expectOk(res: Response): Promise<Response> {
  if (res.ok) return res;
  const text = await res.text();
  try {
    const p = JSON.parse(text) as { code?: string; detail?: string };
    throw new Error(`${p.code ?? res.status}: ${p.detail ?? text}`);
  } catch (e) {
    if (e instanceof SyntaxError) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
    throw e;
  }
}

/** GET `url`, expecting a 2xx. @throws CliError, Error */
export async function getOk(url: string): Promise<Response> {
  return expectOk(await fetchService(url));
}

/** POST signed entries (one or a batch) to the service; resolves to its receipt(s). @throws CliError, Error */
export async function postEntries(url: string, body: unknown): Promise<unknown> {
  const res = await expectOk(
    await fetchService(`${url}/v1/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  );
  return res.json();
}
