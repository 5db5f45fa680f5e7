/**
 * Issue 16 "Rule bypasses", codes under someone else's company prefix: any supplier or
 * manufacturer could commission a GTIN, SSCC or GLN under another company's GS1 Company Prefix,
 * and take a code first so that its real owner got 409. Prefixes are now stated by the operator at
 * registration (src/domain/prefixes.ts); a brand lets a contract manufacturer use its prefix with a
 * signed prefix.delegate. Each attack of the issue is replayed, over HTTP where the issue saw it.
 */
import t, { type Test } from 'tap';
import { toBase64Url } from '../../src/core/bytes.js';
import { gs1CheckDigit } from '../../src/core/codes.js';
import { verifyDatabase } from '../../src/audit/db-verify.js';
import { buildApp } from '../../src/http/app.js';
import { rebuildDerived } from '../../src/ledger.js';
import { prepareExport } from '../../src/audit/bundle.js';
import { forgeLog, verifyText } from '../audit-bundles.js';
import { makeLedger, party, type Party, type TestLedger } from '../helpers.js';

const BRAND_PREFIX = '0614141';
const withCheck = (body: string): string => body + gs1CheckDigit(body);
/** A lot of a GTIN-14 (indicator 0) under `prefix`. */
const lot = (prefix: string, item: string, lotNo: string): string => `https://id.gs1.org/01/${withCheck(`0${prefix}${item}`)}/10/${lotNo}`;
const BRAND_LOT = lot(BRAND_PREFIX, '00001', 'L1');
/** The same GTIN written as a GTIN-13 and as a U.P.C. (GTIN-12, company prefix 614141). */
const BRAND_GTIN13 = `https://id.gs1.org/01/${withCheck(`${BRAND_PREFIX}00002`)}/21/S1`;
const BRAND_UPC = `https://id.gs1.org/01/${withCheck(`${BRAND_PREFIX.slice(1)}00003`)}/10/U1`;
const BRAND_SSCC = `https://id.gs1.org/00/${withCheck(`3${BRAND_PREFIX}000000001`)}`;
const BRAND_GLN = `https://id.gs1.org/414/${withCheck(`${BRAND_PREFIX}00009`)}`;

interface Cluster {
  L: TestLedger;
  brand: Party;
  cm: Party;
  rogue: Party;
  legacy: Party;
  submit(who: Party, fields: Record<string, unknown> & { type: string }): Promise<{ seq: number; leafHash: string }>;
}

const spec = (code: string, value = 10) => ({ code, level: 'finished', product: { name: 'Window' }, quantity: { value, unit: 'H87' } });
const commission = (...codes: string[]) => ({ type: 'commission', objects: codes.map((c) => spec(c)) });

/** brand (0614141), a contract manufacturer cm (0614142), rogue (a supplier without prefixes), legacy (registered the old way). */
async function cluster(t: Test): Promise<Cluster> {
  const L = await makeLedger();
  t.teardown(() => L.close());
  const [brand, cm, rogue, legacy] = ['brand', 'cm', 'rogue', 'legacy'].map((id) => party(id)) as [Party, Party, Party, Party];
  const register = (p: Party, roles: string[], prefixes?: string[]) =>
    L.sign(L.operator, { type: 'participant.register', participant: p.id, name: `${p.id} Ltd`, roles, publicKey: toBase64Url(p.publicKey), ...(prefixes ? { prefixes } : {}) });
  await L.ledger.submit([
    register(brand, ['manufacturer'], [BRAND_PREFIX]),
    register(cm, ['manufacturer'], ['0614142']),
    register(rogue, ['supplier', 'manufacturer'], []),
    register(legacy, ['supplier']),
  ]);
  return {
    L, brand, cm, rogue, legacy,
    async submit(who, fields) {
      const [r] = await L.ledger.submit([L.sign(who, fields)]);
      return r!;
    },
  };
}

t.test('commissioning under another company prefix is refused over HTTP, for every GS1 key', async (t) => {
  const c = await cluster(t);
  const app = await buildApp({ ledger: c.L.ledger });
  t.teardown(() => app.close());
  const attempts: Array<[string, Record<string, unknown> & { type: string }]> = [
    ['a GTIN lot', commission(BRAND_LOT)],
    ['a serialised GTIN-13', commission(BRAND_GTIN13)],
    ['a U.P.C. (GTIN-12)', commission(BRAND_UPC)],
    ['an SSCC', commission(BRAND_SSCC)],
    ['a GLN', commission(BRAND_GLN)],
  ];
  for (const signer of [c.cm, c.rogue, c.legacy]) {
    for (const [what, fields] of attempts) {
      const res = await app.inject({ method: 'POST', url: '/v1/entries', payload: c.L.sign(signer, fields) });
      t.equal(res.statusCode, 403, `${signer.id}, ${what}: 403`);
      t.match(res.headers['content-type'], /^application\/problem\+json/, `${signer.id}, ${what}: problem+json`);
      t.equal(res.json().code, 'TRACE_CODE_NOT_OWNED', `${signer.id}, ${what}: code`);
    }
  }
  const size = c.L.ledger.size();
  // Outputs of a transform and a new pallet are commissioned too.
  await c.submit(c.rogue, { type: 'commission', objects: [spec('urn:trace:rogue:glass-1')] });
  await t.rejects(
    c.submit(c.rogue, { type: 'transform', inputs: [{ code: 'urn:trace:rogue:glass-1', quantity: { value: 1, unit: 'H87' } }], outputs: [spec(BRAND_LOT)] }),
    { code: 'TRACE_CODE_NOT_OWNED' },
    'a transform output under the brand prefix',
  );
  await t.rejects(
    c.submit(c.rogue, { type: 'aggregate', parent: BRAND_SSCC, children: [{ code: 'urn:trace:rogue:glass-1', quantity: { value: 1, unit: 'H87' } }] }),
    { code: 'TRACE_CODE_NOT_OWNED' },
    'a new pallet under the brand prefix',
  );
  t.equal(c.L.ledger.size(), size + 1, 'only the urn commission went in');
});

t.test('a participant without prefixes commissions no GS1 key at all; urn:trace codes stay its own', async (t) => {
  const c = await cluster(t);
  await t.rejects(c.submit(c.rogue, commission(lot('9999999', '00001', 'X'))), { code: 'TRACE_CODE_NOT_OWNED' }, 'an unclaimed prefix');
  await c.submit(c.rogue, commission('urn:trace:rogue:lot-1'));
  // Registered before prefixes existed: unclaimed prefixes as before (old logs replay), claimed ones never.
  await c.submit(c.legacy, commission(lot('9999999', '00001', 'X')));
  await t.rejects(c.submit(c.legacy, commission(lot(BRAND_PREFIX, '00001', 'X'))), { code: 'TRACE_CODE_NOT_OWNED' });
});

t.test('squatting: nobody takes the brand code first, and the brand then gets it (not 409)', async (t) => {
  const c = await cluster(t);
  for (const squatter of [c.rogue, c.cm, c.legacy]) {
    await t.rejects(c.submit(squatter, commission(BRAND_LOT, BRAND_SSCC)), { code: 'TRACE_CODE_NOT_OWNED' }, `${squatter.id} squats`);
  }
  const r = await c.submit(c.brand, commission(BRAND_LOT, BRAND_GTIN13, BRAND_UPC, BRAND_SSCC, BRAND_GLN));
  t.equal(c.L.store.object(BRAND_LOT)?.producer, 'brand', 'the owner commissions its code');
  t.equal(c.L.store.object(BRAND_LOT)?.createdSeq, r.seq);
});

t.test('a contract manufacturer commissions under the brand prefix while delegated, and not after', async (t) => {
  const c = await cluster(t);
  const delegation = await c.submit(c.brand, { type: 'prefix.delegate', prefix: BRAND_PREFIX, to: 'cm' });
  await c.submit(c.cm, commission(BRAND_LOT));
  t.equal(c.L.store.object(BRAND_LOT)?.producer, 'cm', 'the contract manufacturer produced it');
  // Its own prefix still works, the delegation does not reach a third company's prefix.
  await c.submit(c.cm, commission(lot('0614142', '00001', 'C1')));
  await t.rejects(c.submit(c.rogue, commission(lot(BRAND_PREFIX, '00005', 'R'))), { code: 'TRACE_CODE_NOT_OWNED' }, 'not delegated to rogue');

  await t.rejects(c.submit(c.cm, { type: 'prefix.delegate.revoke', prefix: BRAND_PREFIX, to: 'cm' }), { code: 'LEDGER_PERMISSION_DENIED' }, 'the delegate does not revoke');
  await c.submit(c.brand, { type: 'prefix.delegate.revoke', prefix: BRAND_PREFIX, to: 'cm', reason: 'contract ended' });
  await t.rejects(c.submit(c.cm, commission(lot(BRAND_PREFIX, '00001', 'L2'))), { code: 'TRACE_CODE_NOT_OWNED' }, 'after the revocation');
  await t.rejects(c.submit(c.brand, { type: 'prefix.delegate.revoke', prefix: BRAND_PREFIX, to: 'cm' }), { code: 'TRACE_DELEGATION_UNKNOWN' }, 'revoked twice');
  await t.rejects(c.submit(c.brand, { type: 'retract', target: delegation.leafHash, reason: 'x' }), { code: 'TRACE_RETRACT_INVALID' }, 'a delegation is revoked, not retracted');

  // A delegation with an end date covers entries dated up to it, and a narrower range only that range.
  await c.submit(c.brand, { type: 'prefix.delegate', prefix: `${BRAND_PREFIX}0`, to: 'cm', until: '2030-01-01T00:00:00Z' });
  await c.submit(c.cm, commission(lot(BRAND_PREFIX, '00007', 'L3')));
  await t.rejects(c.submit(c.cm, commission(lot(BRAND_PREFIX, '10007', 'L3'))), { code: 'TRACE_CODE_NOT_OWNED' }, 'outside the delegated range');
  await c.submit(c.brand, { type: 'prefix.delegate.revoke', prefix: `${BRAND_PREFIX}0`, to: 'cm' });
  await c.submit(c.brand, { type: 'prefix.delegate', prefix: BRAND_PREFIX, to: 'cm', until: new Date(Date.now() - 60_000).toISOString() });
  await t.rejects(c.submit(c.cm, commission(lot(BRAND_PREFIX, '00008', 'L4'))), { code: 'TRACE_CODE_NOT_OWNED' }, 'after until');
});

t.test('nobody grants itself a prefix', async (t) => {
  const c = await cluster(t);
  await t.rejects(c.submit(c.rogue, { type: 'participant.prefixes.set', participant: 'rogue', prefixes: [BRAND_PREFIX] }), { code: 'LEDGER_PERMISSION_DENIED' });
  await t.rejects(c.submit(c.rogue, { type: 'prefix.delegate', prefix: BRAND_PREFIX, to: 'rogue' }), { code: 'TRACE_CODE_NOT_OWNED' }, 'delegating what it does not hold');
  await t.rejects(c.submit(c.cm, { type: 'prefix.delegate', prefix: BRAND_PREFIX, to: 'rogue' }), { code: 'TRACE_CODE_NOT_OWNED' });
  // The operator cannot hand out a prefix that overlaps one already held either.
  await t.rejects(c.submit(c.L.operator, { type: 'participant.prefixes.set', participant: 'rogue', prefixes: [`${BRAND_PREFIX}5`] }), { code: 'TRACE_PREFIX_CONFLICT' });
  await t.rejects(c.submit(c.L.operator, { type: 'participant.prefixes.set', participant: 'rogue', prefixes: ['061414'] }), { code: 'TRACE_PREFIX_CONFLICT' });
  await t.rejects(c.submit(c.L.operator, { type: 'participant.prefixes.set', participant: 'rogue', prefixes: ['123'] }), { code: 'LEDGER_ENTRY_INVALID' }, 'a GCP has 4-12 digits');
  // What the operator does assign takes effect, and replaces the earlier list.
  await c.submit(c.L.operator, { type: 'participant.prefixes.set', participant: 'rogue', prefixes: ['9521234'] });
  await c.submit(c.rogue, commission(lot('9521234', '00001', 'OK')));
  await c.submit(c.L.operator, { type: 'participant.prefixes.set', participant: 'brand', prefixes: ['0614143'] });
  await t.rejects(c.submit(c.brand, commission(BRAND_LOT)), { code: 'TRACE_CODE_NOT_OWNED' }, 'a prefix taken away');
});

t.test('the verifiers agree: rebuild, verify --db and the bundle verifier', async (t) => {
  const c = await cluster(t);
  await c.submit(c.brand, commission(BRAND_LOT));
  await c.submit(c.brand, { type: 'prefix.delegate', prefix: BRAND_PREFIX, to: 'cm' });
  await c.submit(c.cm, commission(BRAND_GTIN13));
  await c.submit(c.brand, { type: 'prefix.delegate.revoke', prefix: BRAND_PREFIX, to: 'cm' });
  await c.submit(c.legacy, commission(lot('9999999', '00001', 'X')));
  await c.L.ledger.checkpoint(c.L.ledger.size());

  const live = c.L.store.dumpProjections();
  t.ok((live['company_prefixes'] ?? []).length > 0, 'prefixes are stored');
  c.L.store.transaction(() => void rebuildDerived(c.L.store));
  t.strictSame(c.L.store.dumpProjections(), live, 'a rebuild from the log gives the same registry and projections');
  const db = await verifyDatabase(c.L.dbPath);
  t.ok(db.ok, `verify --db: ${db.failures.map((f) => f.message).join('; ')}`);
  const parts: Buffer[] = [];
  for await (const chunk of prepareExport(c.L.ledger, {}).chunks()) parts.push(Buffer.from(chunk));
  const text = Buffer.concat(parts).toString('utf8');
  const report = await verifyText(text, { trustedKey: c.L.ledger.verifierKey });
  t.ok(report.ok, 'the full bundle verifies');
});

t.test('the bundle verifier refuses what the ledger refuses, in a log forged without the rules', async (t) => {
  const brand = party('brand', new Uint8Array(32).fill(1));
  const rogue = party('rogue', new Uint8Array(32).fill(2));
  const forged = forgeLog(({ operator, sign }) => [
    sign(operator, { type: 'participant.register', participant: 'brand', name: 'Brand', roles: ['manufacturer'], publicKey: toBase64Url(brand.publicKey), prefixes: [BRAND_PREFIX] }),
    sign(operator, { type: 'participant.register', participant: 'rogue', name: 'Rogue', roles: ['supplier'], publicKey: toBase64Url(rogue.publicKey), prefixes: [] }),
    sign(rogue, { type: 'prefix.delegate', prefix: BRAND_PREFIX, to: 'rogue' }),
    sign(rogue, commission(BRAND_LOT)),
  ]);
  const report = await verifyText(forged.bundle(), { trustedKey: forged.ledgerKey });
  t.notOk(report.ok);
  const bySeq = new Map(report.failures.map((f) => [f.seq, f.code]));
  t.equal(bySeq.get(3), 'TRACE_CODE_NOT_OWNED', 'the self-granted delegation');
  t.equal(bySeq.get(4), 'TRACE_CODE_NOT_OWNED', 'the commission under the brand prefix');
});
