/**
 * Root causes and consequences (src/audit/failures.ts): one altered record in a bundle of
 * thousands is reported as that record and counts, not as thousands of chain-hash lines; two
 * independent alterations are two root causes; a failure nothing explains stays a root cause.
 */
import t from 'tap';
import { failureLog, type BundleFailure } from '../../src/audit/failures.js';
import { formatBundleReport } from '../../src/audit/verify.js';
import { forgeLog, linesOf, reseal, verifyText, type ForgedLog } from '../audit-bundles.js';

const ENTRIES = 2000;
let log: ForgedLog;
let full: string;
/** Record lines in the forged bundle: genesis plus the entries. */
const SIZE = ENTRIES + 1;
t.before(() => {
  log = forgeLog(({ operator, sign }) => Array.from({ length: ENTRIES }, (_, i) => sign(operator, { type: 'inspect', objects: [`urn:trace:test:lot-${i}`], result: 'pass' })));
  full = log.bundle();
});

/** Line index (0 = header) of a seq in a full bundle. */
const indexOf = (seq: number): number => seq + 1;

/** Changes what record `seq` says (the payload, so its leaf hash and signature both break). */
function alter(text: string, ...seqs: number[]): string {
  const lines = linesOf(text);
  for (const seq of seqs) {
    const before = lines[indexOf(seq)]!;
    lines[indexOf(seq)] = before.replace('"result":"pass"', '"result":"fail"');
    if (lines[indexOf(seq)] === before) throw new Error(`seq ${seq} has no result to alter`);
  }
  return lines.join('\n');
}

const brief = (f: BundleFailure) => [f.check, f.seq, f.line];

t.test('one altered record: the record first, with its checks; the chain after it counted', async (t) => {
  const seq = 1200;
  const r = await verifyText(alter(full, seq), { trustedKey: log.ledgerKey });
  t.equal(r.ok, false);
  t.same(r.rootCauses.map(brief), [
    ['leaf-hash', seq, seq + 2],
    ['signature', seq, seq + 2],
    ['end', null, SIZE + 2],
  ], 'root causes: the record (leaf hash and signature), and the end line\'s digest');
  t.equal(r.rootCauses[0]!.code, null);
  t.equal(r.rootCauses[1]!.code, 'LEDGER_SIGNATURE_INVALID');
  t.equal(r.rootCauseCount, 3);
  t.same(r.consequences, { count: SIZE - seq + 1, byCheck: { 'chain-hash': SIZE - seq, 'merkle-root': 1 } }, 'the chain hash of that record and every later one, and the root');
  t.equal(r.failureCount, r.rootCauseCount + r.consequences.count);

  const text = formatBundleReport(r);
  const after = text.split('\n').slice(text.split('\n').findIndex((l) => l.startsWith('FAILED')));
  t.match(after[0], `FAILED: ${r.failureCount} failures: 3 root causes, ${SIZE - seq + 1} consequences`);
  t.match(after[1], `  line ${seq + 2}, seq ${seq}: leaf-hash: `, 'the first failure printed is the altered record');
  t.notOk(after.some((l) => / chain-hash: /.test(l)), 'no chain-hash failure is listed');
  t.ok(after.some((l) => l.startsWith(`  + ${(SIZE - seq).toLocaleString('en-US')} chain-hash failures that follow from the above`)), 'they are counted');
  t.ok(after.some((l) => l.startsWith('  + 1 merkle-root failure that follows from the above')));
  t.ok(after.length < 12, `a few lines, not thousands (${after.length})`);
});

t.test('two independent alterations are two root causes', async (t) => {
  const r = await verifyText(reseal(alter(full, 300, 1700)), { trustedKey: log.ledgerKey });
  t.same(r.rootCauses.map(brief), [
    ['leaf-hash', 300, 302],
    ['signature', 300, 302],
    ['leaf-hash', 1700, 1702],
    ['signature', 1700, 1702],
  ]);
  t.same(r.consequences.byCheck, { 'chain-hash': SIZE - 300, 'merkle-root': 1 });
});

t.test('a chain hash rewritten on its own line stays a root cause, even after the chain broke', async (t) => {
  const lines = linesOf(alter(full, 500));
  const v = JSON.parse(lines[indexOf(900)]!) as { chainHash: string };
  v.chainHash = '0'.repeat(64);
  lines[indexOf(900)] = JSON.stringify(v);
  const r = await verifyText(reseal(lines.join('\n')), { trustedKey: log.ledgerKey });
  t.same(r.rootCauses.map(brief), [
    ['leaf-hash', 500, 502],
    ['signature', 500, 502],
    ['chain-hash', 900, 902],
    ['chain-hash', 901, 903],
  ], 'the rewritten hash breaks two links as written: its own, and the next one, which starts from it');
  t.same(r.consequences.byCheck, { 'chain-hash': SIZE - 500 - 2, 'merkle-root': 1 }, 'every other chain hash from 500 on');
  t.equal(r.rootCauseCount + r.consequences.count, r.failureCount);
});

t.test('with the leaf hash recomputed, the first wrong chain hash is the root cause, and so is the root', async (t) => {
  const seq = 1000;
  const lines = linesOf(alter(full, seq));
  const forgedLeaf = (await verifyText(lines.join('\n'), { trustedKey: log.ledgerKey })).rootCauses[0]!.expected!;
  const v = JSON.parse(lines[indexOf(seq)]!) as { leafHash: string };
  v.leafHash = forgedLeaf;
  lines[indexOf(seq)] = JSON.stringify(v);
  const r = await verifyText(reseal(lines.join('\n')), { trustedKey: log.ledgerKey });
  t.same(r.rootCauses.map(brief), [
    ['chain-hash', seq, seq + 2],
    ['signature', seq, seq + 2],
    ['merkle-root', null, null],
  ], 'no leaf-hash failure explains the root: it is listed');
  t.same(r.consequences.byCheck, { 'chain-hash': SIZE - seq - 1 });
});

t.test('a scoped bundle: the altered record\'s inclusion proof is a consequence', async (t) => {
  const range = log.bundle({ kind: 'range', from: 1, to: 401 }, (seq) => seq === 0 || (seq >= 1 && seq < 401));
  const lines = linesOf(range);
  lines[indexOf(100)] = lines[indexOf(100)]!.replace('"result":"pass"', '"result":"fail"');
  const r = await verifyText(reseal(lines.join('\n')), { trustedKey: log.ledgerKey });
  t.same(r.rootCauses.map(brief), [
    ['leaf-hash', 100, 102],
    ['signature', 100, 102],
  ]);
  t.same(r.consequences.byCheck, { 'chain-hash': 301, inclusion: 1 });
});

t.test('an explanation is taken only when the failure it needs was found', async (t) => {
  const f = (check: BundleFailure['check'], seq: number | null = null): BundleFailure => ({ line: seq === null ? null : seq + 2, seq, check, code: null, message: check });
  const alone = failureLog(10);
  alone.add(f('chain-hash', 5), 'chain-link-intact');
  alone.add(f('merkle-root'), 'leaf-altered');
  alone.add(f('inclusion', 5), 'leaf-altered');
  alone.add(f('merkle-root'), 'leaves-unreadable');
  t.equal(alone.rootCauseCount, 4, 'nothing before explains any of them');
  t.same(alone.consequences(), { count: 0, byCheck: {} });

  const explained = failureLog(10);
  explained.add(f('leaf-hash', 5));
  explained.add(f('inclusion', 6), 'leaf-altered');
  explained.add(f('inclusion', 5), 'leaf-altered');
  explained.add(f('chain-hash', 6), 'chain-link-intact');
  explained.add(f('format', 7));
  explained.add(f('merkle-root'), 'leaves-unreadable');
  t.same(explained.rootCauses().map(brief), [['leaf-hash', 5, 7], ['inclusion', 6, 8], ['format', 7, 9]], 'the inclusion of another record is its own failure');
  t.same(explained.consequences(), { count: 3, byCheck: { inclusion: 1, 'chain-hash': 1, 'merkle-root': 1 } });

  const capped = failureLog(2);
  for (let seq = 1; seq <= 5; seq++) capped.add(f('signature', seq));
  t.equal(capped.rootCauses().length, 2);
  t.equal(capped.rootCauseCount, 5, 'all are counted');
  t.equal(capped.count, 5);
});
