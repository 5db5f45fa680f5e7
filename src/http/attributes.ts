/**
 * Product attributes (a commission's free-form `attributes`) as a customer reads them: a label in
 * the page's language and the value with its unit. `uwValue 1.5` becomes "Thermal transmittance
 * (Uw) 1.5 W/(m²·K)". Known names come from the table below (those of the demo's aluminium
 * window chain, fixtures/demo/chain.json); an unknown name is made readable (`maxLoadKg` → "Max
 * load", 120 kg) and keeps its value as signed. Units are SI symbols in both languages, as Chinese product standards print them.
 */
import type { Lang } from './page-i18n.js';

interface AttributeLabel {
  readonly en: string;
  readonly zh: string;
  /** The unit of a numeric value, shown after it. */
  readonly unit?: string;
}

// EN 14351-1 declares a window's Uw, EN 1279-5 / EN 673 an insulating glass unit's Ug, both in
// W/(m²·K); EN 12207 and EN 12208 classes are already readable text.
const KNOWN: Readonly<Record<string, AttributeLabel>> = {
  uwValue: { en: 'Thermal transmittance (Uw)', zh: '整窗传热系数 (Uw)', unit: 'W/(m²·K)' },
  ugValue: { en: 'Glass thermal transmittance (Ug)', zh: '玻璃传热系数 (Ug)', unit: 'W/(m²·K)' },
  airPermeability: { en: 'Air tightness', zh: '气密性能' },
  watertightness: { en: 'Water tightness', zh: '水密性能' },
  diameterMm: { en: 'Diameter', zh: '直径', unit: 'mm' },
  'Al2O3.pct': { en: 'Alumina content (Al₂O₃)', zh: '氧化铝含量 (Al₂O₃)', unit: '%' },
  alloy: { en: 'Alloy', zh: '合金牌号' },
  grade: { en: 'Grade', zh: '牌号' },
  temper: { en: 'Temper', zh: '热处理状态' },
  cast: { en: 'Casting', zh: '铸造' },
  dies: { en: 'Extrusion dies', zh: '挤压模具' },
  finish: { en: 'Surface finish', zh: '表面处理' },
  coatingClass: { en: 'Coating class', zh: '膜厚等级' },
  compound: { en: 'Rubber compound', zh: '胶料' },
  standard: { en: 'Standard', zh: '执行标准' },
  process: { en: 'Process', zh: '工艺' },
  footprintDeclaration: { en: 'Carbon footprint declaration', zh: '碳足迹声明' },
};

/** Unit suffixes an unknown numeric attribute may end with (`lengthMm`, `loadKg`, `ratioPct`). */
const SUFFIX_UNITS: Readonly<Record<string, string>> = { mm: 'mm', cm: 'cm', kg: 'kg', pct: '%', percent: '%', kwh: 'kWh', mpa: 'MPa', m2: 'm²', m3: 'm³' };

/** Between a number and its unit, so that a narrow phone column never breaks "1.5 W/(m²·K)". */
const NBSP = '\u00a0';

const BOOLEAN: Readonly<Record<Lang, readonly [string, string]>> = { en: ['yes', 'no'], zh: ['是', '否'] };

/** `maxLoadKg` → ['max', 'Load', 'Kg']; `wind_class` → ['wind', 'class']; an acronym stays whole. */
function wordsOf(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[\s._-]+/)
    .filter(Boolean);
}

/** An unknown name as words: first capitalised, the rest lower case unless an acronym. */
function readableName(words: readonly string[]): string {
  return words
    .map((w, i) => (/^[A-Z0-9]{2,}$/.test(w) ? w : i === 0 ? w[0]!.toUpperCase() + w.slice(1) : w.toLowerCase()))
    .join(' ');
}

function valueText(value: unknown, lang: Lang): string {
  if (typeof value === 'boolean') return BOOLEAN[lang][value ? 0 : 1];
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) return value.join(', ');
  return JSON.stringify(value);
}

/**
 * The label and displayed value of one attribute, in `lang`. Plain text: the caller escapes it.
 * A number keeps every digit it was signed with (a specification is not rounded).
 */
export function describeAttribute(name: string, value: unknown, lang: Lang): { readonly label: string; readonly value: string } {
  const known = Object.hasOwn(KNOWN, name) ? KNOWN[name] : undefined;
  if (known !== undefined) {
    const unit = typeof value === 'number' && known.unit !== undefined ? `${NBSP}${known.unit}` : '';
    return { label: known[lang], value: `${valueText(value, lang)}${unit}` };
  }
  const words = wordsOf(name);
  const last = words.at(-1)?.toLowerCase();
  const suffixUnit = typeof value === 'number' && words.length > 1 && last !== undefined && Object.hasOwn(SUFFIX_UNITS, last) ? SUFFIX_UNITS[last] : undefined;
  if (suffixUnit !== undefined) return { label: readableName(words.slice(0, -1)), value: `${valueText(value, lang)}${NBSP}${suffixUnit}` };
  return { label: words.length === 0 ? name : readableName(words), value: valueText(value, lang) };
}
