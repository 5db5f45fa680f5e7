import t from 'tap';
import { readFileSync } from 'node:fs';
import { describeAttribute } from '../../src/http/attributes.js';

t.test('known attributes: a label in each language and the value with its unit (joined by a no-break space)', async (t) => {
  t.same(describeAttribute('uwValue', 1.5, 'en'), { label: 'Thermal transmittance (Uw)', value: '1.5\u00a0W/(m²·K)' });
  t.same(describeAttribute('uwValue', 1.5, 'zh'), { label: '整窗传热系数 (Uw)', value: '1.5\u00a0W/(m²·K)' });
  t.same(describeAttribute('diameterMm', 178, 'en'), { label: 'Diameter', value: '178\u00a0mm' });
  t.same(describeAttribute('Al2O3.pct', 98.6, 'zh'), { label: '氧化铝含量 (Al₂O₃)', value: '98.6\u00a0%' });
  t.same(describeAttribute('airPermeability', 'EN 12207 class 4', 'en'), { label: 'Air tightness', value: 'EN 12207 class 4' });
  t.same(describeAttribute('uwValue', 'about 1.5', 'en'), { label: 'Thermal transmittance (Uw)', value: 'about 1.5' }, 'a unit only after a number');
  t.same(describeAttribute('uwValue', 1.23456, 'en').value, '1.23456\u00a0W/(m²·K)', 'a specification is not rounded');
});

t.test('every attribute of the demo chain has a label in both languages', async (t) => {
  const chain = JSON.parse(readFileSync(new URL('../../fixtures/demo/chain.json', import.meta.url), 'utf8')) as unknown;
  const names = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'attributes' && typeof x === 'object' && x !== null) Object.keys(x).forEach((n) => names.add(n));
        walk(x);
      }
    }
  };
  walk(chain);
  names.delete('cpc'); // the product classification code: not shown on the page
  t.ok(names.size >= 10, `${names.size} attribute names in the demo`);
  for (const name of names) {
    for (const lang of ['en', 'zh'] as const) {
      const { label } = describeAttribute(name, 1, lang);
      t.not(label, name, `${name} (${lang}) has a label`);
      if (lang === 'zh') t.match(label, /[\u4e00-\u9fff]/, `${name} has a Chinese label`);
    }
  }
});

t.test('unknown attributes: camelCase split into words, unit suffixes recognised, value kept', async (t) => {
  const cases: Array<[string, unknown, string, string]> = [
    ['maxLoadKg', 120, 'Max load', '120\u00a0kg'],
    ['glassThicknessMm', 6, 'Glass thickness', '6\u00a0mm'],
    ['recycledContentPct', 35, 'Recycled content', '35\u00a0%'],
    ['windLoadClass', 'C3', 'Wind load class', 'C3'],
    ['fire_rating', 'EI30', 'Fire rating', 'EI30'],
    ['CEMarking', true, 'CE marking', 'yes'],
    ['colourRAL', 'RAL 9016', 'Colour RAL', 'RAL 9016'],
    ['widthMm', 'n/a', 'Width mm', 'n/a'],
    ['mm', 5, 'Mm', '5'],
    ['dims', { w: 1200, h: 1500 }, 'Dims', '{"w":1200,"h":1500}'],
    ['sizes', [1200, 1500], 'Sizes', '1200, 1500'],
    ['toString', 'x', 'To string', 'x'],
  ];
  for (const [name, value, label, shown] of cases) t.same(describeAttribute(name, value, 'en'), { label, value: shown }, name);
  t.same(describeAttribute('CEMarking', false, 'zh'), { label: 'CE marking', value: '否' });
});
