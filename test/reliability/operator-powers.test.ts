/**
 * Issue 16, "The operator can act as any participant": the operator added a key to pearl-windows,
 * signed a recall as pearl-windows, revoked pearl-windows' own key, and `verify --db` said OK.
 * Now a participant's keys are added by the participant itself; the operator revokes, and adds a
 * recovery key only to a participant with no valid key left; that key and every entry it signs are
 * flagged in the participants view, trace answers, the customer page, bundle verification and reports.
 */
import t, { type Test } from 'tap';
import { toBase64Url } from '../../src/core/bytes.js';
import { keyIdOf } from '../../src/core/keys.js';
import { bundleLines, verifyBundle } from '../../src/audit/verify.js';
import { verifyReport, type OriginReport } from '../../src/audit/reports.js';
import { verifyDatabase } from '../../src/audit/db-verify.js';
import { verifyEvidence } from '../../src/web/verify.js';
import { party, type Party, type TestLedger } from '../helpers.js';
import { appOnLedger } from '../http/app-on-ledger.js';
import { commission, gtin, pcs, spec } from '../trace-world.js';

const WINDOWS = `https://id.gs1.org/01/${gtin('0950600013437')}/10/W-1`;

async function setup(t: Test) {
  const { L, app } = await appOnLedger(t);
  const pearl = party('pearl-windows');
  await L.register(pearl, ['manufacturer']);
  const post = (entry: unknown) => app.inject({ method: 'POST', url: '/v1/entries', payload: entry as object });
  const made = await post(L.sign(pearl, commission(spec(WINDOWS, pcs(40), { level: 'finished' }))));
  t.equal(made.statusCode, 201, 'pearl-windows commissions a window lot');
  return { L, app, pearl, post };
}

const keyAdd = (L: TestLedger, by: Party, participant: string, key: Party) =>
  L.sign(by, { type: 'participant.key.add', participant, publicKey: toBase64Url(key.publicKey) });
const revoke = (L: TestLedger, by: Party, participant: string, kid: string) =>
  L.sign(by, { type: 'participant.key.revoke', participant, kid, reason: 'test' });
const recall = (L: TestLedger, as: Party) => L.sign(as, { type: 'recall', objects: [WINDOWS], reason: 'cracked glass' });

t.test('the operator cannot add a key to a participant that still holds one', async (t) => {
  const { L, app, pearl, post } = await setup(t);
  const forged = party(pearl.id);
  const add = await post(keyAdd(L, L.operator, pearl.id, forged));
  t.equal(add.statusCode, 403);
  t.match(add.headers['content-type'], /^application\/problem\+json/);
  t.equal(add.json().code, 'LEDGER_PERMISSION_DENIED');
  // ... so the attack's next step, a recall signed with that key, has no key to stand on.
  const forgedRecall = await post(recall(L, forged));
  t.equal(forgedRecall.json().code, 'LEDGER_KEY_UNKNOWN');
  const keys = (await app.inject({ url: `/v1/participants/${pearl.id}` })).json().keys;
  t.same(keys.map((k: { kid: string }) => k.kid), [keyIdOf(pearl.publicKey)], 'pearl-windows has only its own key');

  // Another participant cannot add keys for pearl-windows either.
  const other = party('other-co');
  await L.register(other);
  t.equal((await post(keyAdd(L, other, pearl.id, party('x')))).json().code, 'LEDGER_PERMISSION_DENIED');
  // Nor can anyone add or revoke the ledger's own key.
  t.equal((await post(keyAdd(L, L.operator, 'ledger', party('x')))).json().code, 'LEDGER_PERMISSION_DENIED');
  // pearl-windows adds its own keys, and they are not flagged.
  const own = party(pearl.id);
  t.equal((await post(keyAdd(L, pearl, pearl.id, own))).statusCode, 201);
  const after = (await app.inject({ url: `/v1/participants/${pearl.id}` })).json().keys;
  t.match(after, [
    { kid: keyIdOf(pearl.publicKey), addedBy: 'operator', operatorAdded: false },
    { kid: keyIdOf(own.publicKey), addedBy: pearl.id, operatorAdded: false },
  ]);
  // With one of two keys revoked, pearl-windows still holds a valid key: still no operator add.
  t.equal((await post(revoke(L, L.operator, pearl.id, keyIdOf(own.publicKey)))).statusCode, 201, 'the operator may revoke');
  t.equal((await post(keyAdd(L, L.operator, pearl.id, forged))).json().code, 'LEDGER_PERMISSION_DENIED');
});

t.test('a recovery key, once every key is revoked, is flagged with everything it signs', async (t) => {
  const { L, app, pearl, post } = await setup(t);
  t.equal((await post(revoke(L, L.operator, pearl.id, keyIdOf(pearl.publicKey)))).statusCode, 201);
  const recovery = party(pearl.id);
  const added = await post(keyAdd(L, L.operator, pearl.id, recovery));
  t.equal(added.statusCode, 201, 'the operator adds a recovery key to a participant with no valid key');
  const addedSeq = added.json().seq as number;
  const recalled = await post(recall(L, recovery));
  t.equal(recalled.statusCode, 201);
  const recallSeq = recalled.json().seq as number;
  const kid = keyIdOf(recovery.publicKey);
  const flag = { kind: 'operator_added_key', seq: recallSeq, signer: pearl.id, kid, keyAddedBy: 'operator', keyAddedSeq: addedSeq };

  // Participants view
  const keys = (await app.inject({ url: `/v1/participants/${pearl.id}` })).json().keys;
  t.match(keys, [
    { kid: keyIdOf(pearl.publicKey), valid: false, operatorAdded: false },
    { kid, valid: true, addedSeq, addedBy: 'operator', operatorAdded: true },
  ]);

  // Trace answers
  const path = `/v1/objects/${encodeURIComponent(WINDOWS)}`;
  const up = (await app.inject({ url: `${path}/upstream` })).json();
  t.match(up.flags.filter((f: { kind: string }) => f.kind === 'operator_added_key'), [flag], 'upstream');
  const down = (await app.inject({ url: `${path}/downstream` })).json();
  t.match(down.flags.filter((f: { kind: string }) => f.kind === 'operator_added_key'), [flag], 'downstream');
  const history = (await app.inject({ url: `${path}/history` })).json();
  t.same(history.entries.map((e: { seq: number; operatorAddedKey: boolean }) => [e.seq, e.operatorAddedKey]), [[2, false], [recallSeq, true]], 'history');
  const digitalLink = new URL(WINDOWS).pathname;
  const summary = (await app.inject({ url: digitalLink, headers: { accept: 'application/json' } })).json();
  t.match(summary.flags.filter((f: { kind: string }) => f.kind === 'operator_added_key'), [flag], 'resolver summary');

  // Customer page
  const page = await app.inject({ url: `${path}/page` });
  t.equal(page.statusCode, 200);
  t.match(page.body, `data-operator-key="${kid}"`, 'customer page');
  // ... and its badge, which checks the evidence in the customer's browser, sees it from the records.
  const evidence = await app.inject({ url: `${path}/evidence` });
  const badge = await verifyEvidence(evidence.body, { pinnedKey: L.ledger.verifierKey, code: WINDOWS });
  t.match(badge, { ok: true, operatorKeySeqs: [recallSeq] }, 'browser verifier');

  // Bundle verification
  const bundle = await app.inject({ url: `/v1/export?code=${encodeURIComponent(WINDOWS)}` });
  t.equal(bundle.statusCode, 200);
  const verified = await verifyBundle(bundleLines((async function* () { yield new Uint8Array(bundle.rawPayload); })()), { trustedKey: L.ledger.verifierKey });
  t.ok(verified.ok, 'the bundle verifies: the recovery was within the rules');
  t.same(verified.operatorAddedKeys, [{ kid, participant: pearl.id, addedBy: 'operator', addedSeq }]);
  t.same(verified.operatorKeySigned, [{ seq: recallSeq, signer: pearl.id, kid }]);

  // Report
  const report = (await app.inject({ url: `/v1/reports/origin/${encodeURIComponent(WINDOWS)}` })).json() as OriginReport;
  t.same(report.statements.map((s) => [s.seq, s.operatorAddedKey]), [[2, false], [recallSeq, true]], 'report statements');
  const checked = verifyReport(report, L.ledger.verifierKey);
  t.ok(checked.ok, 'the report verifies');
  t.same(checked.operatorKeySigned, [{ seq: recallSeq, signer: pearl.id, kid, addedBy: 'operator' }]);
  const html = await app.inject({ url: `/v1/reports/origin/${encodeURIComponent(WINDOWS)}`, headers: { accept: 'text/html' } });
  t.match(html.body, 'class="operator-key"', 'report HTML');
  // Hiding the flag in a report is caught by its verification.
  const hidden = { ...report, statements: report.statements.map((s) => ({ ...s, operatorAddedKey: false })) };
  t.match(verifyReport(hidden, L.ledger.verifierKey).failures, [{ check: 'registry', seq: recallSeq }]);

  // And the database verifies: the log holds nothing the rules refuse.
  const db = await verifyDatabase(L.dbPath, { ledgerKey: L.ledger.verifierKey });
  t.ok(db.ok, 'verify --db: OK');
});
