import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STAMP, buildAndStamp, buildIsStale, sourceFingerprint } from '../../scripts/build.js';

const BUILD_SCRIPT = fileURLToPath(new URL('../../scripts/build.js', import.meta.url));

/** A package directory with two sources and the tsconfig files, not yet built. */
function project(t: Test): string {
  const root = mkdtempSync(join(tmpdir(), 'trace-ledger-build-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'src', 'cli'), { recursive: true });
  writeFileSync(join(root, 'src', 'a.ts'), 'export const a = 1;\n');
  writeFileSync(join(root, 'src', 'cli', 'b.ts'), 'export const b = 2;\n');
  writeFileSync(join(root, 'tsconfig.json'), '{"compilerOptions":{"strict":true}}\n');
  writeFileSync(join(root, 'tsconfig.build.json'), '{"extends":"./tsconfig.json"}\n');
  return root;
}

const built = (t: Test, root: string) => t.equal(buildAndStamp(root, () => 0), 0, 'built');

t.test('no stamp: stale; a successful build makes it fresh', async (t) => {
  const root = project(t);
  t.equal(buildIsStale(root), true, 'never built');
  let compiles = 0;
  t.equal(buildAndStamp(root, () => (compiles++, 0)), 0);
  t.equal(compiles, 1);
  t.equal(buildIsStale(root), false, 'fresh after the build');
  t.equal(sourceFingerprint(root), sourceFingerprint(root), 'deterministic');
});

t.test('any change to what tsc reads makes the build stale', async (t) => {
  const changes: Record<string, (root: string) => void> = {
    'an edit that keeps size and mtime': (root) => {
      const file = join(root, 'src', 'a.ts');
      const { atime, mtime } = statSync(file);
      writeFileSync(file, 'export const a = 7;\n');
      utimesSync(file, atime, mtime);
    },
    'a new file': (root) => writeFileSync(join(root, 'src', 'cli', 'c.ts'), 'export {};\n'),
    'a deleted file': (root) => rmSync(join(root, 'src', 'cli', 'b.ts')),
    'a renamed file': (root) => renameSync(join(root, 'src', 'cli', 'b.ts'), join(root, 'src', 'cli', 'b2.ts')),
    'a file moved to another folder': (root) => renameSync(join(root, 'src', 'cli', 'b.ts'), join(root, 'src', 'b.ts')),
    'tsconfig.json': (root) => writeFileSync(join(root, 'tsconfig.json'), '{"compilerOptions":{"strict":false}}\n'),
    'tsconfig.build.json': (root) => writeFileSync(join(root, 'tsconfig.build.json'), '{"extends":"./tsconfig.json","include":["src"]}\n'),
    'another compiler version': (root) => {
      mkdirSync(join(root, 'node_modules', 'typescript'), { recursive: true });
      writeFileSync(join(root, 'node_modules', 'typescript', 'package.json'), '{"version":"9.9.9"}\n');
    },
    'the stamp deleted (dist/ removed)': (root) => rmSync(join(root, 'dist'), { recursive: true }),
  };
  for (const [what, change] of Object.entries(changes)) {
    const root = project(t);
    built(t, root);
    t.equal(buildIsStale(root), false, `${what}: fresh before`);
    change(root);
    t.equal(buildIsStale(root), true, `${what}: stale after`);
  }
});

t.test('touching a file without changing it does not rebuild', async (t) => {
  const root = project(t);
  built(t, root);
  const later = new Date(Date.now() + 60_000);
  utimesSync(join(root, 'src', 'a.ts'), later, later);
  t.equal(buildIsStale(root), false);
});

t.test('a failed build leaves no stamp, even over a good one', async (t) => {
  const root = project(t);
  built(t, root);
  writeFileSync(join(root, 'src', 'a.ts'), 'export const a: number = "x";\n');
  t.equal(buildAndStamp(root, () => 2), 2, "the compiler's status");
  t.equal(buildIsStale(root), true);
  t.throws(() => statSync(join(root, STAMP)), { code: 'ENOENT' });
});

t.test('an edit made while tsc runs leaves the build stale', async (t) => {
  const root = project(t);
  t.equal(
    buildAndStamp(root, () => {
      writeFileSync(join(root, 'src', 'a.ts'), 'export const a = 3;\n');
      return 0;
    }),
    0,
  );
  t.equal(buildIsStale(root), true);
});

t.test('node scripts/build.js --if-stale runs the compiler only when stale', async (t) => {
  // A copy of the script in a package without node_modules: running tsc would fail, so the exit
  // status tells whether it tried.
  const root = project(t);
  mkdirSync(join(root, 'scripts'));
  copyFileSync(BUILD_SCRIPT, join(root, 'scripts', 'build.js'));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
  const run = (...args: string[]) => spawnSync(process.execPath, [join(root, 'scripts', 'build.js'), ...args], { cwd: root, encoding: 'utf8' });

  const stale = run('--if-stale');
  t.equal(stale.status, 1, 'stale: tried to compile');
  t.match(stale.stderr, /typescript/);
  built(t, root);
  const fresh = run('--if-stale');
  t.equal(fresh.status, 0, 'fresh: nothing to do');
  t.equal(fresh.stderr, '');
  t.equal(run().status, 1, 'without --if-stale: always compiles');
  t.equal(run('--if-stael').status, 2, 'unknown option');
});
