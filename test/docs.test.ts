import t from 'tap';
import { readFileSync } from 'node:fs';
import { ERROR_CODES } from '../src/core/errors.js';

t.test('docs/errors.md lists exactly the error codes, with their HTTP status', async (t) => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| ((?:LEDGER|TRACE)_[A-Z_]+) \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
  t.same(rows, Object.entries(ERROR_CODES).map(([code, v]) => [code, v.status]));
});
