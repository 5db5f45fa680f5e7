/** `trace CODE`: one of the service's trace views of an object, as text or JSON. */
import { parse } from '../args.js';
import { UsageError } from '../cli-error.js';
import { getOk, serviceUrl } from '../service-client.js';
import { formatDownstream, formatHistory, formatUpstream } from '../trace-format.js';

/** Each view's option and the path below /v1/objects/:code it fetches ('' is the object itself). */
const TRACE_VIEWS = { up: 'upstream', down: 'downstream', history: 'history', footprint: 'footprint', state: '' } as const;

export async function traceCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { url: { type: 'string' }, json: { type: 'boolean', default: false }, ...Object.fromEntries(Object.keys(TRACE_VIEWS).map((k) => [k, { type: 'boolean', default: false }])) },
    1,
  );
  const code = positionals[0];
  if (code === undefined) throw new UsageError('give the object code');
  const chosen = Object.keys(TRACE_VIEWS).filter((k) => values[k]) as Array<keyof typeof TRACE_VIEWS>;
  if (chosen.length > 1) throw new UsageError(`choose one of --${chosen.join(', --')}`);
  const view = chosen[0] ?? 'up';
  const path = `/v1/objects/${encodeURIComponent(code)}${TRACE_VIEWS[view] ? `/${TRACE_VIEWS[view]}` : ''}`;
  const body = (await (await getOk(`${serviceUrl(values)}${path}`)).json()) as Record<string, unknown>;
  if (values['json'] || view === 'footprint' || view === 'state') console.log(JSON.stringify(body, null, 2));
  else console.log(view === 'up' ? formatUpstream(body) : view === 'down' ? formatDownstream(body) : formatHistory(body));
  return 0;
}
