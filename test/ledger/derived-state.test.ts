/**
 * The derived-state digest and comparison (src/ledger/derived-state.ts) over tables of several pages:
 * equal tables compare equal and digest alike, and a changed, missing or extra row in any page is
 * named by table and key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { compareDerived, differingTables, digestDerived, type DerivedMismatch } from '../../src/ledger/derived-state.js';
import type { DomainEffect } from '../../src/domain/rules.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { LedgerStore } from '../../src/store/store.js';

const ROWS = 4500; // over two pages of 2,000

function storeWithHoldings(t: Test, name: string, edit?: (effects: DomainEffect[]) => DomainEffect[]): LedgerStore {
  const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-derived-'));
  const store = openSqliteStore(join(dir, `${name}.db`), { scratch: true });
  t.teardown(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let effects: DomainEffect[] = [];
  for (let i = 0; i < ROWS; i++) {
    effects.push({ kind: 'holding.add', code: `urn:trace:x:lot-${String(i).padStart(5, '0')}`, holder: i % 2 ? 'a' : 'b', delta: 1e6 + i });
  }
  if (edit) effects = edit(effects);
  store.transaction(() => store.applyDomainEffects(effects));
  return store;
}

function compareAll(live: LedgerStore, replica: LedgerStore, maxRows: number): true | DerivedMismatch {
  const c = compareDerived(live, replica);
  for (;;) {
    const r = c.step(maxRows);
    if (r === true) return true;
    if (r !== false) return r;
  }
}

t.test('equal tables compare equal, in any step size, and digest alike', async (t) => {
  const a = storeWithHoldings(t, 'a');
  const b = storeWithHoldings(t, 'b');
  for (const step of [1, 999, 2000, 100_000]) t.equal(compareAll(a, b, step), true, `step ${step}`);
  t.same(differingTables(digestDerived(a), digestDerived(b)), []);
});

t.test('a changed, missing or extra row on a later page is named', async (t) => {
  const replica = storeWithHoldings(t, 'replica');
  const code = (i: number) => `urn:trace:x:lot-${String(i).padStart(5, '0')}`;
  const cases: Array<[string, (e: DomainEffect[]) => DomainEffect[], string, RegExp]> = [
    ['changed', (e) => [...e, { kind: 'holding.add', code: code(3001), holder: 'a', delta: 900e6 }], `${code(3001)}, a`, /^holdings row/],
    ['missing', (e) => e.filter((_, i) => i !== 2500), `${code(2500)}, b`, /^holdings lacks a row/],
    ['extra', (e) => [...e, { kind: 'holding.add', code: code(2222), holder: 'c', delta: 1 }], `${code(2222)}, c`, /^holdings has a row/],
    ['missing last', (e) => e.slice(0, -1), `${code(ROWS - 1)}, a`, /^holdings lacks a row/],
    ['extra last', (e) => [...e, { kind: 'holding.add', code: 'urn:trace:x:zzz', holder: 'a', delta: 1 }], 'urn:trace:x:zzz, a', /^holdings has a row/],
  ];
  for (const [what, edit, key, message] of cases) {
    const live = storeWithHoldings(t, what.replace(' ', '-'), edit);
    for (const step of [1000, 2000]) {
      const r = compareAll(live, replica, step);
      t.not(r, true, `${what}: found`);
      if (r !== true) {
        t.equal(r.table, 'holdings', `${what}: table`);
        t.equal(r.key, key, `${what}: key`);
        t.match(r.message, message, `${what}: message`);
      }
    }
    t.same(differingTables(digestDerived(replica), digestDerived(live)), ['holdings'], `${what}: digest`);
  }
});
