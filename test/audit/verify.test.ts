/**
 * The bundle verifier (src/audit/verify.ts): bundles that hold, and every kind of bad bundle named
 * in the report by its check, line and seq: truncation, edited, reordered, repeated or foreign
 * lines, proofs for another tree size, checkpoints signed by another key or of another origin,
 * keys used outside their validity (forged logs the ledger would refuse), lines over the cap.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toBase64, toBase64Url, toHex } from '../../src/core/bytes.js';
import { signCheckpoint, verifyCheckpoint } from '../../src/core/checkpoint.js';
import { nobleEd25519 } from '../../src/core/ed25519.js';
import { keyIdOf } from '../../src/core/keys.js';
import { formatVerifierKey } from '../../src/core/note.js';
import { hashLeaf } from '../../src/core/merkle.js';
import { canonicalBytes } from '../../src/core/jcs.js';
import { verifyBundleFile } from '../../src/audit/bundle-file.js';
import { bundleLines, formatBundleReport, verifyBundle, type BundleCheck, type BundleReport } from '../../src/audit/verify.js';
import type { BundleHeader } from '../../src/audit/bundle.js';
import { party } from '../helpers.js';
import { auditWorld, exportText, forgeLog, linesOf, reseal, verifyText, withEnd, P, A1, type AuditWorld } from '../audit-bundles.js';

/** The report fails, and names `check` (at `seq`, when given). */
function names(t: Test, r: BundleReport, check: BundleCheck, seq?: number | null, what = `${check}${seq === undefined ? '' : ` at seq ${seq}`}`): void {
  t.equal(r.ok, false, `${what}: the bundle fails`);
  const hit = r.failures.some((f) => f.check === check && (seq === undefined || f.seq === seq));
  t.ok(hit, `${what} is named${hit ? '' : `; failures: ${JSON.stringify(r.failures.map((f) => [f.check, f.line, f.seq, f.message]))}`}`);
}

const lacks = (t: Test, r: BundleReport, check: BundleCheck, what: string) =>
  t.notOk(r.failures.some((f) => f.check === check), `${what}: no ${check} failure`);

/** Edit one line of a bundle (0 = header) as JSON. */
function editLine(text: string, index: number, edit: (v: Record<string, unknown>) => void): string {
  const lines = linesOf(text);
  const v = JSON.parse(lines[index]!) as Record<string, unknown>;
  edit(v);
  lines[index] = JSON.stringify(v);
  return lines.join('\n');
}

const lineOfSeq = (text: string, seq: number): number => linesOf(text).findIndex((l) => l.startsWith('{"record":') && (JSON.parse(l) as { record: { seq: number } }).record.seq === seq);

let world: AuditWorld;
let full: string;
let up: string;
let key: string;
/** A checkpoint older than the one the bundles are exported with. */
let old: { size: number; note: string };
t.before(async () => {
  world = await auditWorld();
  old = world.w.L.ledger.checkpoint(world.w.L.ledger.size());
  await world.w.submit(world.w.lab, { type: 'inspect', objects: [A1], result: 'pass', standard: 'EN 573-3' });
  full = await exportText(world.w);
  up = await exportText(world.w, { code: P, direction: 'up' });
  key = world.w.L.ledger.verifierKey;
});
t.teardown(() => world.close());

t.test('bundles that hold', async (t) => {
  const pinned = await verifyText(full, { trustedKey: key });
  t.ok(pinned.ok, JSON.stringify(pinned.failures));
  t.equal(pinned.keyPinned, true);
  t.same(pinned.notes, []);
  const unpinned = await verifyText(full);
  t.ok(unpinned.ok);
  t.equal(unpinned.keyPinned, false);
  t.match(unpinned.notes.join(' '), /not independently pinned/);
  t.match(formatBundleReport(unpinned), /NOT independently pinned[\s\S]*\nOK \(key NOT pinned\): every check passed against the bundle.s own key/);

  for (const request of [{ code: P, direction: 'up' as const }, { code: A1, direction: 'down' as const }, { code: A1 }, { from: 10, to: 20 }]) {
    const r = await verifyText(await exportText(world.w, request), { trustedKey: key });
    t.ok(r.ok, `${JSON.stringify(request)}: ${JSON.stringify(r.failures)}`);
    t.equal(r.checked.inclusionProofs, r.records);
  }

  // The default @noble path (what a browser would run) agrees.
  const noble = await verifyBundle(linesOf(up), { trustedKey: key });
  t.ok(noble.ok, JSON.stringify(noble.failures));

  // From bytes in chunks of any size, and from a file with the worker pool.
  const bytes = Buffer.from(full);
  for (const size of [1, 7, 4096]) {
    async function* chunks() {
      for (let i = 0; i < bytes.length; i += size) yield new Uint8Array(bytes.subarray(i, i + size));
    }
    t.ok((await verifyBundle(bundleLines(chunks()), { trustedKey: key })).ok, `chunks of ${size} bytes`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-verify-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'full.ndjson'), full);
  const progress: number[] = [];
  const fromFile = await verifyBundleFile(join(dir, 'full.ndjson'), { trustedKey: key, workers: 2, onProgress: (n) => progress.push(n) });
  t.ok(fromFile.ok, JSON.stringify(fromFile.failures));
  t.equal(fromFile.checked.signatures, fromFile.records, 'every signature checked on the workers');
  t.equal(progress.at(-1), fromFile.records);
  writeFileSync(join(dir, 'bad.ndjson'), full.replace('"result":"pass"', '"result":"fail"'));
  const badFile = await verifyBundleFile(join(dir, 'bad.ndjson'), { trustedKey: key, workers: 2 });
  names(t, badFile, 'signature', world.r['iA1']!.seq, 'a signature failure found on a worker');
  const missing = await verifyBundleFile(join(dir, 'none.ndjson'), { trustedKey: key });
  names(t, missing, 'truncated', undefined, 'a file that cannot be read');
});

t.test('older checkpoints: consistency checked, or its absence named', async (t) => {
  const { ledger } = world.w.L;
  const since = await exportText(world.w, { since: old.size });
  const ok = await verifyText(since, { trustedKey: key, oldCheckpoint: old.note });
  t.ok(ok.ok && ok.checked.consistency, JSON.stringify(ok.failures));
  const now = ledger.checkpoint();
  t.ok((await verifyText(full, { trustedKey: key, oldCheckpoint: now.note })).ok, 'the same checkpoint needs no proof');
  const unchecked = await verifyText(since, { trustedKey: key });
  t.ok(unchecked.ok);
  t.match(unchecked.notes.join(' '), /consistency proof from size \d+, not checked/);

  names(t, await verifyText(full, { trustedKey: key, oldCheckpoint: old.note }), 'consistency', null, 'no proof in the bundle');
  const other = await exportText(world.w, { since: old.size - 1 });
  const wrongSize = await verifyText(other, { trustedKey: key, oldCheckpoint: old.note });
  names(t, wrongSize, 'consistency', null, 'a proof from another size');
  t.match(wrongSize.failures.find((f) => f.check === 'consistency'), { expected: String(old.size), found: String(old.size - 1) });
  const forgedOld = signCheckpoint({ origin: ledger.origin, size: old.size, root: new Uint8Array(32).fill(1) }, { name: ledger.origin, seed: new Uint8Array(32).fill(5) });
  names(t, await verifyText(since, { trustedKey: key, oldCheckpoint: forgedOld }), 'consistency', null, 'an older checkpoint signed by another key');
  const fake = verifyCheckpoint(old.note, key);
  const bigger = signCheckpoint({ origin: ledger.origin, size: ledger.size() + 5, root: fake.root }, { name: ledger.origin, seed: world.w.L.ledgerSeed });
  names(t, await verifyText(since, { trustedKey: key, oldCheckpoint: bigger }), 'consistency', null, 'an "older" checkpoint larger than the bundle\'s');
  const badProof = reseal(editLine(since, 0, (h) => {
    const c = h['consistency'] as { proof: string[] };
    c.proof[0] = toBase64(new Uint8Array(32).fill(7));
  }));
  const r = await verifyText(badProof, { trustedKey: key, oldCheckpoint: old.note });
  names(t, r, 'consistency', null, 'an altered consistency proof');
  t.equal(r.failures.find((f) => f.check === 'consistency')?.code, 'LEDGER_CONSISTENCY_PROOF_INVALID');
});

t.test('truncated bundles', async (t) => {
  const size = world.w.L.ledger.size();
  const midLine = full.slice(0, full.length - 500);
  const r1 = await verifyText(midLine, { trustedKey: key });
  names(t, r1, 'truncated', undefined, 'cut inside a line');
  names(t, r1, 'format', undefined, 'the cut line is not JSON');
  names(t, r1, 'merkle-root');

  const lines = linesOf(full);
  const atLine = lines.slice(0, lines.length - 5).join('\n') + '\n';
  const r2 = await verifyText(atLine, { trustedKey: key });
  names(t, r2, 'truncated', undefined, 'cut at a line boundary');
  names(t, r2, 'order', size - 3, 'the missing records are named');
  t.match(r2.failures.find((f) => f.check === 'order'), { message: `records ${size - 3}..${size - 1} are missing: the checkpoint has ${size}` });
  names(t, r2, 'merkle-root');

  const upLines = linesOf(up);
  const r3 = await verifyText(upLines.slice(0, upLines.length - 4).join('\n') + '\n', { trustedKey: key });
  names(t, r3, 'truncated', undefined, 'a scoped bundle cut at a line boundary (only the end line shows it)');

  names(t, await verifyText(full.slice(0, -1), { trustedKey: key }), 'truncated', undefined, 'no final newline');
  names(t, await verifyText(''), 'header', null, 'an empty bundle');
});

t.test('edited records', async (t) => {
  const seq = world.r['t1']!.seq;
  const line = lineOfSeq(full, seq);
  const edited = editLine(full, line, (v) => {
    ((v['record'] as { entry: { payload: { process: { electricityKWh: number } } } }).entry.payload.process.electricityKWh) = 10;
  });
  const r = await verifyText(edited, { trustedKey: key });
  names(t, r, 'leaf-hash', seq);
  const f = r.failures.find((x) => x.check === 'leaf-hash')!;
  t.equal(f.line, line + 1, 'with its line number');
  t.match(f, { expected: /^[0-9a-f]{64}$/, found: JSON.parse(linesOf(full)[line]!).leafHash, verifyCode: 'RECORD_LEAF_HASH' });
  t.match(formatBundleReport(r), new RegExp(`line ${line + 1}, seq ${seq}: leaf-hash: .* \\[RECORD_LEAF_HASH\\]\n`), 'the text names the code at the end of the line');
  names(t, r, 'signature', seq);
  names(t, r, 'merkle-root');
  names(t, r, 'end', null, 'the end line digest');
  t.match(r.rootCauses[0], { check: 'leaf-hash', seq, line: line + 1 }, 'the altered record is the first root cause');
  t.equal(r.consequences.byCheck['merkle-root'], 1, 'the root follows from the altered leaf: a consequence');

  // Leaf hash recomputed and the end line resealed: the signature, chain and root still fail.
  const sly = reseal(editLine(full, line, (v) => {
    const rec = v['record'] as { entry: { payload: { process: { electricityKWh: number } } } };
    rec.entry.payload.process.electricityKWh = 10;
    v['leafHash'] = toHex(hashLeaf(canonicalBytes(rec)));
  }));
  const r2 = await verifyText(sly, { trustedKey: key });
  lacks(t, r2, 'leaf-hash', 'hash recomputed');
  lacks(t, r2, 'end', 'end line resealed');
  names(t, r2, 'signature', seq);
  names(t, r2, 'chain-hash', seq);
  names(t, r2, 'merkle-root');

  // In a scoped bundle, the inclusion proof fails instead of the root.
  const upSeq = world.inspectSeq;
  const upLine = lineOfSeq(up, upSeq);
  const r3 = await verifyText(reseal(editLine(up, upLine, (v) => {
    const rec = v['record'] as { entry: { payload: { result: string } } };
    rec.entry.payload.result = 'fail';
    v['leafHash'] = toHex(hashLeaf(canonicalBytes(rec)));
  })), { trustedKey: key });
  names(t, r3, 'inclusion', upSeq);
  names(t, r3, 'signature', upSeq);
  t.ok(r3.rootCauses.some((f) => f.check === 'inclusion' && f.seq === upSeq), 'with its leaf hash recomputed, nothing else explains the proof failing');

  // recordedAt is not signed but is hashed.
  const r4 = await verifyText(reseal(editLine(full, 5, (v) => {
    (v['record'] as { recordedAt: string }).recordedAt = '2020-01-01T00:00:00.000Z';
  })), { trustedKey: key });
  names(t, r4, 'leaf-hash', 4);
  names(t, r4, 'merkle-root');
  lacks(t, r4, 'signature', 'recordedAt is outside the signature');
});

t.test('reordered, repeated, dropped and foreign lines', async (t) => {
  const lines = linesOf(full);
  const swapped = [...lines];
  [swapped[10], swapped[11]] = [swapped[11]!, swapped[10]!];
  const r1 = await verifyText(swapped.join('\n'), { trustedKey: key });
  names(t, r1, 'order', 9, 'seq 9 after seq 10');
  names(t, r1, 'merkle-root');
  names(t, r1, 'end');
  const r1s = await verifyText(reseal(swapped.join('\n')), { trustedKey: key });
  names(t, r1s, 'order', 9, 'resealed: still out of order');

  const repeated = [...lines.slice(0, 8), lines[7]!, ...lines.slice(8)];
  const r2 = await verifyText(repeated.join('\n'), { trustedKey: key });
  names(t, r2, 'order', 6, 'a repeated line');
  names(t, r2, 'end', null, 'the count');

  const dropped = [...lines.slice(0, 8), ...lines.slice(9)];
  const r3 = await verifyText(reseal(dropped.join('\n')), { trustedKey: key });
  names(t, r3, 'order', 8, 'a dropped record');
  t.match(r3.failures.find((f) => f.check === 'order'), { message: 'records 7..7 are missing' });

  const upLines = linesOf(up);
  const drop = lineOfSeq(up, world.inspectSeq);
  const scopedDrop = [...upLines.slice(0, drop), ...upLines.slice(drop + 1)];
  names(t, await verifyText(scopedDrop.join('\n'), { trustedKey: key }), 'end', null, 'a line dropped from a scoped bundle: the end line shows it');
  t.ok((await verifyText(reseal(scopedDrop.join('\n')), { trustedKey: key })).ok, 'once resealed it cannot show: the end line is a checksum, not a proof (documented)');

  const noHeader = await verifyText(lines.slice(1).join('\n'), { trustedKey: key });
  names(t, noHeader, 'header', null, 'the header dropped');
  t.equal(noHeader.checked.signatures, noHeader.records, 'the records are still checked');

  const deep = `{"record":${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)},"leafHash":"${'0'.repeat(64)}","chainHash":"${'0'.repeat(64)}"}`;
  const foreign = [...lines.slice(0, 5), '{"hello":"world"}', '[1,2,3]', 'not json', '', '['.repeat(500_000) + ']'.repeat(500_000), deep, ...lines.slice(5)];
  const r4 = await verifyText(foreign.join('\n'), { trustedKey: key });
  for (const line of [6, 7, 8, 9, 10, 11]) t.ok(r4.failures.some((f) => f.check === 'format' && f.line === line), `line ${line} is named`);
  const after = await verifyText(`${full}{"record":1}\n`, { trustedKey: key });
  names(t, after, 'format', null, 'data after the end line');
  const count = await verifyText(editLine(full, lines.length - 2, (v) => {
    (v['end'] as { records: number }).records = 3;
  }), { trustedKey: key });
  names(t, count, 'end', null, 'a wrong count on the end line');
});

t.test('proofs for another tree size', async (t) => {
  const { ledger } = world.w.L;
  const seq = world.r['t3']!.seq;
  const line = lineOfSeq(up, seq);
  const wrong = ledger.inclusionProof(seq, ledger.size() - 1);
  const r = await verifyText(reseal(editLine(up, line, (v) => {
    v['inclusion'] = wrong.hashes;
  })), { trustedKey: key });
  names(t, r, 'inclusion', seq);
  t.equal(r.failures.filter((f) => f.check === 'inclusion').length, 1, 'only that record');
  t.equal(r.failures[0]?.code, 'LEDGER_INCLUSION_PROOF_INVALID');

  // The whole bundle against an older checkpoint (as if the proofs were for another size).
  const r2 = await verifyText(reseal(editLine(up, 0, (h) => {
    h['checkpoint'] = old.note;
  })), { trustedKey: key });
  names(t, r2, 'inclusion');
  names(t, r2, 'order', undefined, 'records beyond that checkpoint');
});

t.test('checkpoints signed by another key, bundles of another origin', async (t) => {
  const { ledger } = world.w.L;
  const header = JSON.parse(linesOf(full)[0]!) as BundleHeader;
  const cp = verifyCheckpoint(header.checkpoint, key);
  const otherSeed = new Uint8Array(32).fill(42);
  const otherNote = signCheckpoint({ origin: cp.origin, size: cp.size, root: cp.root }, { name: cp.origin, seed: otherSeed });
  const otherKey = formatVerifierKey(cp.origin, nobleEd25519.publicKey(otherSeed));

  const r1 = await verifyText(reseal(editLine(full, 0, (h) => {
    h['checkpoint'] = otherNote;
  })), { trustedKey: key });
  names(t, r1, 'checkpoint', null, 'a checkpoint signed by another key (pinned key)');
  t.equal(r1.failures.find((f) => f.check === 'checkpoint')?.code, 'LEDGER_CHECKPOINT_SIGNATURE_INVALID');
  t.match(r1.notes.join(' '), /no verified checkpoint/);

  // Someone re-signs the right root with their own key and names it in the header.
  const mine = reseal(editLine(full, 0, (h) => {
    h['checkpoint'] = otherNote;
    h['ledgerKey'] = otherKey;
  }));
  const r2 = await verifyText(mine, { trustedKey: key });
  names(t, r2, 'ledger-key', null, 'pinned: the bundle names another key');
  names(t, r2, 'checkpoint');
  const r3 = await verifyText(mine);
  names(t, r3, 'ledger-key', 0, 'unpinned: the genesis names another ledger key');
  t.equal(r3.keyPinned, false);

  // Another log altogether.
  const forged = forgeLog(() => []);
  const r4 = await verifyText(full, { trustedKey: forged.ledgerKey });
  names(t, r4, 'ledger-key', null, 'the bundle names another key than the one pinned');
  names(t, r4, 'checkpoint', null, 'its checkpoint has no signature by the pinned key');
  names(t, r4, 'origin', null, 'and another origin');
  const r5 = await verifyText(reseal(editLine(full, 0, (h) => {
    h['origin'] = 'elsewhere.example/log';
  })), { trustedKey: key });
  names(t, r5, 'origin', null, 'the header names another origin');
  t.match(r5.failures.find((f) => f.check === 'origin'), { expected: ledger.origin, found: 'elsewhere.example/log' });
  const sameNameOtherKey = forgeLog(() => [], ledger.origin);
  names(t, await verifyText(full, { trustedKey: sameNameOtherKey.ledgerKey }), 'checkpoint', null, 'same origin, another key');
  names(t, await verifyText(full, { trustedKey: 'not a key' }), 'ledger-key', null, 'a malformed trusted key');
});

t.test('key validity is positional (forged logs)', async (t) => {
  const sup = party('sup', new Uint8Array(32).fill(21));
  const sup2 = party('sup', new Uint8Array(32).fill(22));
  const evil = party('evil', new Uint8Array(32).fill(23));
  const commission = (n: number) => ({ type: 'commission', objects: [{ code: `urn:trace:sup:lot-${n}`, level: 'material', product: { name: 'Lot' }, quantity: { value: 1, unit: 'KGM' } }] });
  const log = forgeLog(({ operator, sign }) => [
    sign(operator, { type: 'participant.register', participant: 'sup', name: 'Sup', roles: ['supplier'], publicKey: toBase64Url(sup.publicKey) }), // 1
    sign(sup, commission(1)), // 2
    sign(sup2, { type: 'participant.key.add', participant: 'sup', publicKey: toBase64Url(sup2.publicKey) }), // 3: signed by the key it adds
    sign(sup, { type: 'participant.key.add', participant: 'sup', publicKey: toBase64Url(sup2.publicKey) }), // 4: added at 4
    sign(sup2, commission(2)), // 5: 4 < 5, valid
    sign(sup, { type: 'participant.key.revoke', participant: 'sup', kid: keyIdOf(sup.publicKey) }), // 6: revoked at 6, by itself: valid
    sign(sup, commission(3)), // 7: after the revocation
    sign(sup2, commission(4)), // 8: valid
    sign(sup, { type: 'participant.register', participant: 'evil', name: 'Evil', roles: ['supplier'], publicKey: toBase64Url(evil.publicKey) }), // 9: not an operator (and revoked)
    sign(sup2, { type: 'participant.register', participant: 'evil', name: 'Evil', roles: ['supplier'], publicKey: toBase64Url(evil.publicKey) }), // 10: not an operator
    { ...sign(sup2, commission(5)), signature: { kid: keyIdOf(sup2.publicKey), sig: sign(sup, commission(5)).signature.sig } }, // 11: another key's signature
    sign(party('ledger', new Uint8Array(32).fill(9)), commission(6)), // 12: the ledger key (forgeLog's) signs only genesis
  ]);
  const r = await verifyText(log.bundle(), { trustedKey: log.ledgerKey });
  const bySeq = (seq: number) => r.failures.filter((f) => f.seq === seq).map((f) => [f.check, f.code]);
  t.same(bySeq(2), [], 'seq 2: valid');
  t.same(bySeq(3), [['signing-key', 'LEDGER_KEY_UNKNOWN']], 'seq 3: a key signing its own addition is not valid yet');
  t.same(bySeq(4), [], 'seq 4: the addition');
  t.same(bySeq(5), [], 'seq 5: the added key, after its addition');
  t.same(bySeq(6), [], 'seq 6: a revocation signed by the key it revokes (seq = r)');
  t.same(bySeq(7), [['signing-key', 'LEDGER_KEY_REVOKED']], 'seq 7: the revoked key after its revocation');
  t.same(bySeq(8), [], 'seq 8: valid');
  t.same(bySeq(9), [['signing-key', 'LEDGER_KEY_REVOKED'], ['registry', 'LEDGER_PERMISSION_DENIED']], 'seq 9');
  t.same(bySeq(10), [['registry', 'LEDGER_PERMISSION_DENIED']], 'seq 10: only an operator registers');
  t.same(bySeq(11), [['signature', 'LEDGER_SIGNATURE_INVALID']], 'seq 11: a signature by another key');
  t.same(bySeq(12), [['signing-key', 'LEDGER_PERMISSION_DENIED']], 'seq 12: the ledger key signs only genesis');
  const codesAt = (seq: number) => r.failures.filter((f) => f.seq === seq).map((f) => f.verifyCode);
  t.same([3, 7, 9, 10, 11, 12].map(codesAt), [['RECORD_KEY_UNKNOWN'], ['RECORD_KEY_UNKNOWN'], ['RECORD_KEY_UNKNOWN', 'REGISTRY_ENTRY'], ['REGISTRY_ENTRY'], ['RECORD_SIGNATURE'], ['RECORD_KEY_UNKNOWN']], 'each with its record check\'s code');
  t.same(r.failures.filter((f) => f.seq === null || f.seq < 2), [], 'hashes, root and checkpoint hold');
  t.ok(r.checked.root);

  // Scoped: without the registry records, signatures cannot be checked, and the report says so.
  const scoped = log.bundle({ kind: 'code', code: 'urn:trace:sup:lot-2', direction: 'both' }, (s) => s === 5);
  const r2 = await verifyText(scoped, { trustedKey: log.ledgerKey });
  names(t, r2, 'scope', 0, 'no genesis');
  t.equal(r2.failures.find((f) => f.check === 'scope')?.verifyCode, 'REGISTRY_CLOSURE');
  names(t, r2, 'signing-key', 5, 'the signer is unknown');
  const withRegistry = log.bundle({ kind: 'code', code: 'urn:trace:sup:lot-2', direction: 'both' }, (s) => [0, 1, 4, 5].includes(s));
  t.ok((await verifyText(withRegistry, { trustedKey: log.ledgerKey })).ok, 'with genesis, registration and key addition it holds');
});

t.test('lines over the cap are named, not read', async (t) => {
  const lines = linesOf(full);
  const huge = `{"record":"${'x'.repeat(9 * 1024 * 1024)}"}`;
  const text = [...lines.slice(0, 3), huge, ...lines.slice(3)].join('\n');
  async function* chunks() {
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += 1 << 20) yield new Uint8Array(bytes.subarray(i, i + (1 << 20)));
  }
  const r = await verifyBundle(bundleLines(chunks()), { trustedKey: key });
  t.ok(r.failures.some((f) => f.check === 'line-length' && f.line === 4), 'line 4 is named');
  names(t, r, 'merkle-root');
  const r2 = await verifyText(full, { trustedKey: key, maxLineBytes: 500 });
  names(t, r2, 'line-length', null, 'a lower cap');
  t.ok(r2.failures.filter((f) => f.check === 'line-length').length > 5);
  // A line without any newline at all, far over the cap: bounded memory, one failure.
  async function* endless() {
    const block = new Uint8Array(1 << 20).fill(0x61);
    for (let i = 0; i < 40; i++) yield block;
  }
  const r3 = await verifyBundle(bundleLines(endless()), { trustedKey: key });
  names(t, r3, 'line-length', null, '40 MiB without a newline');
  names(t, r3, 'truncated');
});

t.test('failures are capped, counted, and ordered by line', async (t) => {
  const forged = forgeLog(() => []);
  const r = await verifyText(full, { trustedKey: forged.ledgerKey, maxFailures: 3 });
  t.equal(r.failures.length, 3);
  t.ok(r.failureCount > 3);
  t.equal(r.rootCauses.length, 3);
  t.equal(r.rootCauseCount + r.consequences.count, r.failureCount);
  t.match(formatBundleReport(r), new RegExp(`FAILED: ${r.failureCount} failures: ${r.rootCauseCount} root causes, ${r.consequences.count} consequences?[\\s\\S]*… and ${r.rootCauseCount - 3} more root causes not listed`));
  const all = await verifyText(withEnd(linesOf(full).slice(0, -2).map((l, i) => (i === 7 || i === 3 ? l.replace('"sig":"', '"sig":"A') : l))), { trustedKey: key });
  const lines = all.failures.map((f) => f.line ?? Infinity);
  t.same(lines, [...lines].sort((a, b) => a - b), 'in line order');
});
