import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { ERROR_CODES } from '../src/core/errors.js';

t.test('docs/errors.md lists exactly the error codes, with their HTTP status', async (t) => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| ((?:LEDGER|TRACE)_[A-Z_]+) \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
  t.same(rows, Object.entries(ERROR_CODES).map(([code, v]) => [code, v.status]));
});

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

t.test("the README's Layout names every folder of src/", async (t) => {
  const layout = readme.slice(readme.indexOf('## Layout'));
  const folders = readdirSync(new URL('../src/', import.meta.url), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => `src/${d.name}/`);
  t.ok(folders.length > 5, 'src/ has its folders');
  for (const f of folders) t.match(layout, f, `${f} is in the Layout section`);
});

t.test("the README's Layout names every module of src/ and nothing that is gone", async (t) => {
  const block = readme.slice(readme.indexOf('## Layout')).split('```')[1]!;
  const listed = new Set<string>();
  let folder = '';
  for (const line of block.split('\n')) {
    const top = /^(src\/\S*)\s/.exec(line);
    if (top) {
      if (top[1]!.endsWith('/')) folder = top[1]!;
      else listed.add(top[1]!);
      continue;
    }
    const inner = /^ {2}(\S+\.(?:ts|sql))\s/.exec(line);
    if (inner) listed.add(folder + inner[1]!);
  }
  const modules: string[] = [];
  const walk = (dir: string): void => {
    for (const d of readdirSync(new URL(`../${dir}`, import.meta.url), { withFileTypes: true })) {
      if (d.isDirectory()) walk(`${dir}${d.name}/`);
      else if (/\.(ts|sql)$/.test(d.name)) modules.push(`${dir}${d.name}`);
    }
  };
  walk('src/');
  t.ok(modules.length > 100, 'the walk finds the modules');
  for (const m of modules) t.ok(listed.has(m), `${m} is in the Layout section`);
  for (const l of listed) t.ok(modules.includes(l), `${l}, named in the Layout section, exists`);
});

t.test("the README's configuration table names every environment variable the code reads", async (t) => {
  const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Security model'));
  const names = new Set<string>();
  const walk = (dir: URL): void => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      if (d.isDirectory()) walk(new URL(`${d.name}/`, dir));
      else if (d.name.endsWith('.ts')) {
        for (const m of readFileSync(new URL(d.name, dir), 'utf8').matchAll(/process\.env\[?'?\.?([A-Z_]+)/g)) names.add(m[1]!);
      }
    }
  };
  walk(new URL('../src/', import.meta.url));
  t.ok(names.has('PORT'), 'the scan finds the variables');
  for (const n of names) t.match(table, `\`${n}\``, `${n} is documented`);
});

t.test("the README's shell examples write only into ignored folders, never the repository root", async (t) => {
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const ignored = readFileSync(new URL('../.gitignore', import.meta.url), 'utf8').split('\n');
  t.ok(ignored.includes('scratch/') && ignored.includes('data/'), 'scratch/ and data/ are ignored');
  const targets = blocks.flatMap((b) =>
    [...b.matchAll(/(?:--out|--state)\s+(\S+)|(?<![0-9&])>\s*([^\s&|)]+)/g)].map((m) => (m[1] ?? m[2])!),
  );
  t.ok(targets.length >= 10, `the scan finds the files the examples write (${targets.length})`);
  for (const f of targets) {
    if (f === '/dev/null') continue;
    t.match(f, /^(?:scratch|data)\/|^"?\$/, `${f} is written under scratch/ or data/ (or a variable the example sets)`);
  }
});
