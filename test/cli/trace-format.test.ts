// `trace-ledger trace` on the demo: the provenance tree is drawn depth-first (each input under the
// product it went into), the product's own inspection is shown, and customer names that contain
// commas stay readable.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../cli-runner.js';
import { seedDemo } from '../../src/cli/demo.js';
import { serve } from '../../src/cli/serve.js';
import { formatDownstream } from '../../src/cli/trace-format.js';

const dir = mkdtempSync(join(tmpdir(), 'trace-ledger-trace-format-'));
const db = join(dir, 'data', 'ledger.db');
const server = await serve({ db, port: 0, host: '127.0.0.1', origin: 'trace-format.test.local/log', demo: false, quiet: true, handleSignals: false });
t.teardown(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});
const seeded = await seedDemo(server.url, db, () => {});
const seqOf = (id: string) => seeded.chain.find((r) => r.id === id)!.receipt.seq;

const WINDOW = 'https://id.gs1.org/01/06931000080010/10/CW2611-19';
const PROFILES = 'https://id.gs1.org/01/06931000070011/10/AN2611-201';
const EXTRUSION = 'https://id.gs1.org/01/06931000060012/10/EX2611-101';
const BILLET = 'https://id.gs1.org/01/06931000050013/10/B2611-07';
const GASKET = 'urn:trace:sealtech:G12-2611-01';

interface TreeLine { depth: number; code: string; index: number }

/** The object lines of a drawn tree ("│  ├─ Name CODE [level] …"), with their depth. */
function treeLines(text: string): TreeLine[] {
  return text.split('\n').flatMap((line, index) => {
    const m = /^((?:[│ ] {2})*)[├└]─ .*? (\S+) \[[a-z]+\]/u.exec(line);
    return m === null ? [] : [{ depth: m[1]!.length / 3, code: m[2]!, index }];
  });
}

/** The line a tree line hangs from: the nearest line above it one level up (undefined at the top). */
const parentOf = (lines: TreeLine[], k: number): string | undefined => {
  for (let j = k - 1; j >= 0; j--) if (lines[j]!.depth === lines[k]!.depth - 1) return lines[j]!.code;
  return undefined;
};

t.test('upstream: every object is drawn under the product it went into', async (t) => {
  const text = (await cli('trace', WINDOW, '--url', server.url)).stdout;
  const json = JSON.parse((await cli('trace', WINDOW, '--json', '--url', server.url)).stdout) as { ancestors: number; nodes: Array<{ code: string; inputs: Array<{ code: string }> }> };
  const lines = treeLines(text);
  const inputs = new Map(json.nodes.map((n) => [n.code, n.inputs.map((i) => i.code)]));
  t.same(new Set(lines.map((l) => l.code)), new Set(json.nodes.slice(1).map((n) => n.code)), 'every ancestor drawn');
  t.equal(json.ancestors, 8);
  lines.forEach((line, k) => {
    const parent = parentOf(lines, k) ?? WINDOW;
    t.ok(inputs.get(parent)!.includes(line.code), `${line.code} is drawn under ${parent}, an input of it`);
  });
  const at = (code: string) => lines.findIndex((l) => l.code === code);
  t.equal(parentOf(lines, at(EXTRUSION)), PROFILES, 'the extrusion under the anodised profiles');
  t.equal(parentOf(lines, at(BILLET)), EXTRUSION, 'the billet under the extrusion');
  t.equal(parentOf(lines, at(GASKET)), undefined, 'the gasket straight under the window');
  t.notOk(parentOf(lines, at(EXTRUSION)) === GASKET, 'not under the gasket');
});

t.test("upstream: the product's own inspection is shown, before its ancestors", async (t) => {
  const text = (await cli('trace', WINDOW, '--url', server.url)).stdout;
  const seq = seqOf('inspect-cw2611-19-performance');
  t.equal(seq, 48, 'the demo inspection of the window is seq 48');
  const line = text.split('\n').findIndex((l) => l.startsWith('  inspection pass ') && l.endsWith(`(seq ${seq})`));
  t.ok(line > 0, 'an inspection line for seq 48');
  t.ok(line < text.split('\n').findIndex((l) => l.startsWith('ancestors: ')), 'among the product\'s own facts');
});

t.test('downstream: derived products as a tree, customers one per line', async (t) => {
  const billet = 'https://id.gs1.org/01/06931000050013/10/B2611-08';
  const text = (await cli('trace', billet, '--down', '--url', server.url)).stdout;
  const json = JSON.parse((await cli('trace', billet, '--down', '--json', '--url', server.url)).stdout) as { derived: Array<{ code: string }>; edges: Array<{ from: string; to: string }>; impact: { customers: string[] } };
  const lines = treeLines(text);
  t.same(new Set(lines.map((l) => l.code)), new Set(json.derived.map((d) => d.code)), 'every derived product drawn');
  lines.forEach((line, k) => {
    const parent = parentOf(lines, k) ?? billet;
    t.ok(json.edges.some((e) => e.from === parent && e.to === line.code), `${line.code} is drawn under ${parent}, made from it`);
  });
  t.ok(json.impact.customers.some((c) => c.includes(',')), 'the demo has customer names with commas');
  const list = text.split('\n');
  const start = list.indexOf('customers holding affected products:');
  t.same(list.slice(start + 1, start + 1 + json.impact.customers.length), json.impact.customers.map((c) => `  ${c}`), 'each customer on its own line');
});

t.test('a customer name with commas is never split or joined by commas', async (t) => {
  const product = { name: 'Window', id: 'w' };
  const object = { code: 'urn:trace:w:1', product, level: 'finished', quantity: { value: 2, unit: 'H87' }, producer: { id: 'w', name: 'W' }, createdSeq: 1 };
  const text = formatDownstream({
    object, derived: [], edges: [], shipments: [], discrepancies: [], deliveries: [], holders: [],
    impact: {
      recalled: false, recalls: [],
      finishedProducts: [{ ...object, holders: [{ customer: 'Harbour Homes, Ltd.', holder: null, quantity: { value: 1, unit: 'H87' } }, { customer: 'Smith, J.', holder: null, quantity: { value: 1, unit: 'H87' } }], inTransitShipments: [] }],
      customers: ['Harbour Homes, Ltd.', 'Smith, J.'],
    },
  });
  t.match(text, /\ncustomers holding affected products:\n {2}Harbour Homes, Ltd\.\n {2}Smith, J\.$/);
  t.match(text, /customer Harbour Homes, Ltd\. 1 H87; customer Smith, J\. 1 H87/, 'holders separated by "; "');
});
