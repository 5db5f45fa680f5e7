#!/usr/bin/env -S node --max-semi-space-size=64
// The installed command: runs the compiled CLI (npm install/prepare builds dist/).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`trace-ledger: ${err?.message ?? err}\n`); process.exitCode = 1; },
);
