/** The derived-state seal (src/ledger/derived-seal.ts): only the ledger key makes one that reads as valid. */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { readDerivedSeal, removeDerivedSeal, sealPath, writeDerivedSeal } from '../../src/ledger/derived-seal.js';

const seed = new Uint8Array(32).fill(1);
const tables = { holdings: 'aa'.repeat(32), participants: 'bb'.repeat(32) };

t.test('a seal reads back valid under the key that wrote it, and only under it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-seal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'ledger.db');
  t.same(readDerivedSeal(db, seed), { kind: 'missing' });
  writeDerivedSeal(db, seed, { size: 42, tables });
  t.equal(statSync(sealPath(db)).mode & 0o777, 0o600);
  t.same(readDerivedSeal(db, seed), { kind: 'valid', seal: { size: 42, tables } });
  t.equal(readDerivedSeal(db, new Uint8Array(32).fill(2)).kind, 'invalid', 'another ledger key');

  const text = readFileSync(sealPath(db), 'utf8');
  const edits: Array<[string, (s: Record<string, unknown>) => unknown]> = [
    ['size changed', (s) => ({ ...s, size: 43 })],
    ['a digest changed', (s) => ({ ...s, tables: { ...tables, holdings: 'cc'.repeat(32) } })],
    ['a table dropped', (s) => ({ ...s, tables: { holdings: tables.holdings } })],
    ['mac of other bytes', (s) => ({ ...s, mac: '00'.repeat(32) })],
    ['extra member', (s) => ({ ...s, extra: 1 })],
    ['other version', (s) => ({ ...s, version: 2 })],
    ['negative size', (s) => ({ ...s, size: -1 })],
    ['short mac', (s) => ({ ...s, mac: 'ab' })],
  ];
  for (const [what, edit] of edits) {
    writeFileSync(sealPath(db), JSON.stringify(edit(JSON.parse(text) as Record<string, unknown>)));
    t.equal(readDerivedSeal(db, seed).kind, 'invalid', what);
  }
  for (const junk of ['', 'null', '[]', '{', 'seal']) {
    writeFileSync(sealPath(db), junk);
    t.equal(readDerivedSeal(db, seed).kind, 'invalid', `junk ${JSON.stringify(junk)}`);
  }
  removeDerivedSeal(db);
  removeDerivedSeal(db);
  t.same(readDerivedSeal(db, seed), { kind: 'missing' });
  t.throws(() => writeDerivedSeal(db, new Uint8Array(31), { size: 1, tables }), RangeError);
});
