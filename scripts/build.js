// Compile src/ to dist/ with tsc (`npm run build`), or with --if-stale only when dist/ was not
// compiled from the current sources (`npm start`, `prepare`).
//
// Why: a no-op `tsc` still costs 3-12 s on a small machine (even with --incremental it reloads the
// compiler and re-checks every file), and npm runs `prepare` again on the first `npx trace-ledger`
// of a checkout (it installs the checkout into its npx cache as a link, and links run `prepare`).
// A fingerprint of what tsc reads decides instead, in milliseconds. The fingerprint hashes file
// contents, not mtimes: a checkout, `cp -p` or an unpacked archive can give an edited file an old
// mtime, and a deleted or renamed file changes no mtime at all.
//
// Plain JavaScript on purpose: it has to run before anything is compiled. Types in build.d.ts.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The stamp beside the compiled files; it goes when dist/ goes. */
export const STAMP = 'dist/.build-stamp';

/** What tsc -p tsconfig.build.json reads besides src/: its configuration and the compiler itself. */
const CONFIG_FILES = ['tsconfig.json', 'tsconfig.build.json', 'node_modules/typescript/package.json'];

function filesUnder(root, dir) {
  const out = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(root, path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/**
 * SHA-256 over the path and content of every file under src/ and of the compiler configuration, in
 * path order, so that any added, deleted, renamed or edited input changes it. A missing config file
 * counts as absent (a checkout without node_modules still gets a fingerprint; tsc then fails).
 * @param {string} root the package directory
 * @returns {string} hex digest
 */
export function sourceFingerprint(root) {
  const hash = createHash('sha256');
  const inputs = [...filesUnder(root, 'src'), ...CONFIG_FILES.filter((f) => existsSync(join(root, f)))];
  // Paths with "/" on every platform, sorted by code unit, so the digest does not depend on the OS.
  for (const path of inputs.map((p) => p.split(sep).join('/')).sort()) {
    const content = readFileSync(join(root, path));
    // Length-prefixed, so that no two different file sets hash the same byte stream.
    hash.update(`${Buffer.byteLength(path)}:${path}${content.length}:`).update(content);
  }
  return hash.digest('hex');
}

/**
 * True when dist/ was not built from the current sources: no stamp, or a stamp for other sources.
 * @param {string} root the package directory
 */
export function buildIsStale(root) {
  const stampPath = join(root, STAMP);
  if (!existsSync(stampPath)) return true;
  return readFileSync(stampPath, 'utf8').trim() !== sourceFingerprint(root);
}

/**
 * Run `compile` (tsc) and record the fingerprint of the sources it compiled. The fingerprint is
 * taken before compiling, so that an edit made while tsc runs leaves the build stale; the old stamp
 * is removed first, so that a failed or interrupted build is never taken for a good one.
 * @param {string} root the package directory
 * @param {() => number} compile returns tsc's exit status
 * @returns {number} the compiler's exit status (the stamp is written only on 0)
 */
export function buildAndStamp(root, compile) {
  const fingerprint = sourceFingerprint(root);
  rmSync(join(root, STAMP), { force: true });
  const status = compile();
  if (status !== 0) return status;
  mkdirSync(dirname(join(root, STAMP)), { recursive: true });
  writeFileSync(join(root, STAMP), `${fingerprint}\n`);
  return 0;
}

function runTsc(root) {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) {
    process.stderr.write(`build: ${relative(process.cwd(), tsc) || tsc} not found; run "npm install" first\n`);
    return 1;
  }
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  return result.status ?? 1;
}

// Run as a script (not imported by the tests); realpath because Node runs the resolved file.
if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--if-stale');
  if (unknown.length > 0) {
    process.stderr.write(`build: unknown option ${unknown[0]}; usage: node scripts/build.js [--if-stale]\n`);
    process.exit(2);
  }
  if (args.includes('--if-stale') && !buildIsStale(root)) process.exit(0);
  process.exit(buildAndStamp(root, () => runTsc(root)));
}
