/**
 * Issue 16: `GET /v1/checkpoint?minSize=` signed one checkpoint per request under steady commits.
 * The gate signs at most one per interval, and every answer still covers what was asked.
 */
import t from 'tap';
import type { LightMyRequestResponse } from 'fastify';
import { verifyCheckpoint } from '../../src/core/checkpoint.js';
import { buildApp } from '../../src/http/app.js';
import { createCheckpointGate } from '../../src/http/checkpoint-gate.js';
import type { StoredCheckpoint } from '../../src/store/store.js';
import { makeLedger, party } from '../helpers.js';

/** A ledger that commits one record before every call, as under steady traffic; it counts signatures. */
function busyLedger() {
  let size = 1;
  let latest: StoredCheckpoint = { size: 1, root: new Uint8Array(32), note: '', signedAt: '' } as unknown as StoredCheckpoint;
  const state = { signed: 0, commit: () => size++ };
  const ledger = {
    size: () => size,
    checkpoint(minSize = 0): StoredCheckpoint {
      if (latest.size >= Math.min(minSize, size)) return latest;
      state.signed++;
      latest = { ...latest, size };
      return latest;
    },
  };
  return { ledger, state };
}

t.test('concurrent requests within the interval share one signature, each covered', async (t) => {
  const { ledger, state } = busyLedger();
  const sleeps: number[] = [];
  let clock = 10_000;
  const gate = createCheckpointGate(ledger, {
    minIntervalMs: 1000,
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
  });
  state.commit();
  t.equal((await gate.checkpoint(2)).size, 2, 'the first request signs at once');
  t.equal(state.signed, 1);
  clock += 100;
  const asks: Array<{ minSize: number; answer: Promise<StoredCheckpoint> }> = [];
  for (let i = 0; i < 20; i++) {
    state.commit();
    const minSize = ledger.size();
    asks.push({ minSize, answer: gate.checkpoint(minSize) });
  }
  for (const { minSize, answer } of asks) t.ok((await answer).size >= minSize, `minSize=${minSize} covered`);
  t.equal(state.signed, 2, 'twenty requests, one more signature');
  t.same(sleeps, [900], 'it waited for the rest of the interval once');
  t.equal((await gate.checkpoint(ledger.size())).size, ledger.size(), 'a covered request answers at once');
  t.equal(state.signed, 2);
});

t.test('GET /v1/checkpoint?minSize= under commits: every answer covers minSize, few signatures', async (t) => {
  const L = await makeLedger({ checkpointIntervalMs: 3_600_000 });
  const app = await buildApp({ ledger: L.ledger, checkpointMinIntervalMs: 2_000 });
  t.teardown(async () => {
    await app.close();
    await L.close();
  });
  const before = L.ledger.checkpointHistory(1000).length;
  const answers: Array<{ minSize: number; res: Promise<LightMyRequestResponse> }> = [];
  for (let i = 0; i < 5; i++) {
    await L.register(party(`p${i}`));
    const minSize = L.ledger.size();
    answers.push({ minSize, res: app.inject({ url: `/v1/checkpoint?minSize=${minSize}` }) });
  }
  for (const { minSize, res } of answers) {
    const r = await res;
    t.equal(r.statusCode, 200);
    t.ok(verifyCheckpoint(r.body, L.ledger.verifierKey).size >= minSize, `minSize=${minSize} covered`);
  }
  // One at once and one after the interval, unless the five commits took longer than that.
  t.ok(L.ledger.checkpointHistory(1000).length - before < answers.length, 'fewer signatures than requests');
});
