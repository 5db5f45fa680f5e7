/** `demo`: load the demo cluster (src/cli/demo.ts) into a running service and say where to look. */
import { resolve } from 'node:path';
import { isFetchFailure } from '../../platform/fetch-failure.js';
import { parse } from '../args.js';
import { seedDemo } from '../demo.js';
import { DEMO_DB } from '../demo-ledger.js';
import { demoUrls } from '../serve.js';
import { serviceUrl, unreachable } from '../service-client.js';

export async function demoCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { url: { type: 'string' }, db: { type: 'string', default: DEMO_DB } });
  const url = serviceUrl(values);
  const { highlights } = await seedDemo(url, resolve(values['db'] as string), (s) => console.log(s)).catch((e: unknown) => {
    throw isFetchFailure(e) ? unreachable(url, e) : e;
  });
  console.log(demoUrls(url, highlights).join('\n'));
  return 0;
}
