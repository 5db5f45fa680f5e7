/**
 * Fuzzing the bundle verifier with fast-check: random mutations of valid bundles (byte flips, lines
 * dropped, swapped, repeated, truncation, random JSON lines), fed through bundleLines in random
 * chunk sizes. The verifier always returns a report, never throws or hangs; it fails every bundle
 * whose bytes differ from the exported ones and passes the pristine bundle.
 */
import t from 'tap';
import fc from 'fast-check';
import { nodeEd25519 } from '../../src/platform/node-crypto.js';
import { nodeSha256 } from '../../src/audit/bundle-file.js';
import { bundleLines, verifyBundle, type BundleReport } from '../../src/audit/verify.js';
import { auditWorld, exportText, P, type AuditWorld } from '../audit-bundles.js';

type Mutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'drop'; line: number }
  | { kind: 'swap'; a: number; b: number }
  | { kind: 'dup'; line: number; to: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'json'; line: number; value: unknown; replace: boolean };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('drop' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('dup' as const), line: fc.nat(), to: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('json' as const), line: fc.nat(), value: fc.jsonValue(), replace: fc.boolean() }),
);

function apply(bytes: Buffer, m: Mutation): Buffer {
  if (bytes.length === 0) return bytes;
  switch (m.kind) {
    case 'flip': {
      const out = Buffer.from(bytes);
      const i = m.at % out.length;
      out[i] = out[i]! ^ m.mask;
      return out;
    }
    case 'truncate':
      return bytes.subarray(0, m.at % bytes.length);
    default: {
      const lines = bytes.toString('latin1').split('\n');
      const n = lines.length;
      if (m.kind === 'drop') lines.splice(m.line % n, 1);
      else if (m.kind === 'swap') [lines[m.a % n], lines[m.b % n]] = [lines[m.b % n]!, lines[m.a % n]!];
      else if (m.kind === 'dup') lines.splice(m.to % (n + 1), 0, lines[m.line % n]!);
      else lines.splice(m.line % (n + 1), m.replace ? 1 : 0, Buffer.from(JSON.stringify(m.value) ?? 'null', 'utf8').toString('latin1'));
      return Buffer.from(lines.join('\n'), 'latin1');
    }
  }
}

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield new Uint8Array(bytes.subarray(i, i + size));
}

const verify = (bytes: Buffer, chunk: number, trustedKey: string | undefined): Promise<BundleReport> =>
  verifyBundle(bundleLines(chunked(bytes, chunk)), { trustedKey, ed: nodeEd25519, sha256: nodeSha256 });

let world: AuditWorld;
t.before(async () => {
  world = await auditWorld();
});
t.teardown(() => world.close());

for (const [name, request] of [['full', {}], ['scoped', { code: P, direction: 'up' as const }]] as const) {
  t.test(`${name} bundle: every change is a failure, the pristine bundle passes`, async (t) => {
    const original = Buffer.from(await exportText(world.w, request));
    const key = world.w.L.ledger.verifierKey;
    t.ok((await verify(original, 1 << 16, key)).ok, 'pristine, pinned');
    t.ok((await verify(original, 1 << 16, undefined)).ok, 'pristine, unpinned');
    let changed = 0;
    let same = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 4096 }), fc.boolean(), async (ms, chunk, pinned) => {
        const mutated = ms.reduce(apply, original);
        const report = await verify(mutated, chunk, pinned ? key : undefined);
        const unchanged = mutated.equals(original);
        if (unchanged) same++;
        else changed++;
        if (report.ok !== unchanged) {
          throw new Error(`${JSON.stringify(ms)}: ok = ${report.ok}, bytes ${unchanged ? 'unchanged' : 'changed'}; failures ${JSON.stringify(report.failures.slice(0, 5))}`);
        }
        // Whatever happened, the report is complete and consistent, and a failing bundle always has
        // a root cause listed: consequences never stand alone.
        return (
          report.failureCount >= report.failures.length &&
          report.rootCauseCount + report.consequences.count === report.failureCount &&
          (report.ok || (report.rootCauseCount > 0 && report.rootCauses.length > 0)) &&
          Array.isArray(report.notes) &&
          Number.isInteger(report.records)
        );
      }),
      { numRuns: 300 },
    );
    t.ok(changed > 250, `${changed} changed bundles all failed (${same} mutations left the bytes as they were, and passed)`);
  });
}

t.test('random bytes and random lines: always a failing report, never a throw', async (t) => {
  const key = world.w.L.ledger.verifierKey;
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), fc.integer({ min: 1, max: 512 }), async (bytes, chunk) => {
      const report = await verify(Buffer.from(bytes), chunk, key);
      return report.ok === false && report.failureCount > 0 && report.rootCauses.length > 0;
    }),
    { numRuns: 300 },
  );
  await fc.assert(
    fc.asyncProperty(fc.array(fc.jsonValue(), { maxLength: 6 }), async (values) => {
      const report = await verifyBundle(values.map((v) => JSON.stringify(v) ?? 'null').concat(''), { trustedKey: key, ed: nodeEd25519 });
      return report.ok === false;
    }),
    { numRuns: 300 },
  );
  t.pass('no throw, no success');
});
