/** Worker for test/platform/sync-call.test.ts: answers asynchronously, as a database driver does. */
import { setTimeout as sleep } from 'node:timers/promises';
import { serveSyncCalls } from '../../src/platform/sync-call.js';

const data = serveSyncCalls(async (op, args) => {
  switch (op) {
    case 'echo':
      return args;
    case 'later':
      await sleep(Number(args[0]));
      return 'late answer';
    case 'data':
      return data;
    case 'fail':
      throw Object.assign(new Error('refused'), { code: '23505' });
    case 'never':
      return new Promise(() => undefined);
    case 'uncloneable':
      return () => 1;
    default:
      throw new TypeError(`unknown op ${op}`);
  }
});
