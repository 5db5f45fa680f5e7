/**
 * Issue 16, "honest health": /healthz is liveness only; /readyz says whether a write would be taken
 * and why not, and the ledger refuses submissions while any readiness condition is held.
 */
import t from 'tap';
import { toBase64Url } from '../../src/core/bytes.js';
import { signEntry } from '../../src/core/entry.js';
import { createReadiness } from '../../src/ledger/readiness.js';
import { party, payloadOf } from '../helpers.js';
import { appOnLedger } from '../http/app-on-ledger.js';

t.test('readiness holds and releases named conditions', async (t) => {
  const r = createReadiness();
  t.ok(r.ready());
  r.hold('verifying', 'verifying 1 of 2 records', { transient: true });
  r.hold('sync-failed', 'syncing to disk failed');
  r.hold('verifying', 'verifying 2 of 2 records', { transient: true });
  t.same(r.conditions().map((c) => [c.reason, c.detail, c.transient]), [
    ['verifying', 'verifying 2 of 2 records', true],
    ['sync-failed', 'syncing to disk failed', false],
  ]);
  t.notOk(r.ready());
  r.release('verifying');
  r.release('verifying');
  r.release('sync-failed');
  t.ok(r.ready());
});

t.test('/readyz answers 200 when ready and 503 naming the condition when not; writes are refused meanwhile', async (t) => {
  const { L, app } = await appOnLedger(t);
  const ready = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), { status: 'ready', size: L.ledger.size() });

  L.ledger.readiness.hold('verifying', 'verifying the chain: 10 of 20 records', { transient: true });
  const verifying = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(verifying.statusCode, 503);
  t.equal(verifying.json().code, 'LEDGER_NOT_READY');
  t.equal(verifying.json().readiness, 'verifying');
  t.same(verifying.json().conditions, [{ reason: 'verifying', detail: 'verifying the chain: 10 of 20 records' }]);
  // Liveness is not readiness, and reads are still served.
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  t.equal((await app.inject({ method: 'GET', url: '/v1/checkpoint' })).statusCode, 200);

  const supplier = party('supplier-ready');
  const sizeBefore = L.ledger.size();
  const register = signEntry(payloadOf(L.operator, { type: 'participant.register', participant: supplier.id, name: 'S', roles: ['supplier'], publicKey: toBase64Url(supplier.publicKey) }), L.operator.seed);
  const refused = await app.inject({ method: 'POST', url: '/v1/entries', payload: register });
  t.equal(refused.statusCode, 503);
  t.equal(refused.json().code, 'LEDGER_NOT_READY');
  t.equal(refused.headers['retry-after'], '1', 'a transient condition says when to retry');
  t.equal(L.ledger.size(), sizeBefore, 'nothing was written');

  L.ledger.readiness.hold('verification-failed', 'record 46 does not match the signed checkpoint');
  const failed = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(failed.json().readiness, 'not-ready');
  const refusedAgain = await app.inject({ method: 'POST', url: '/v1/entries', payload: register });
  t.equal(refusedAgain.statusCode, 503);
  t.equal(refusedAgain.headers['retry-after'], undefined, 'no retry hint while an operator must act');

  L.ledger.readiness.release('verifying');
  L.ledger.readiness.release('verification-failed');
  await L.register(supplier);
  t.equal(L.ledger.size(), sizeBefore + 1, 'writes resume once every condition is released');
});
