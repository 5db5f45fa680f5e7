/**
 * HTML escaping and the customer page's number and time formats. All text from the ledger
 * (names, notes, codes) is participant-supplied: it reaches the page only through escapeHtml.
 */

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or attribute value → HTML. Every string from the ledger goes through here. */
export const escapeHtml = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/**
 * JSON inside `<script type="application/json">`: `<` is escaped so that no `</script>` or
 * `<!--` in a participant's text can end the element; U+2028/9 for old parsers.
 */
export const scriptJson = (value: unknown): string =>
  JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

/** A text of page-i18n.ts with its `{name}` placeholders filled; unknown ones stay as they are. */
export const fill = (template: string, values: Record<string, string>): string =>
  template.replace(/\{(\w+)\}/g, (m, k: string) => values[k] ?? m);

/** Three significant digits, whole numbers from 100 up, no exponent: 280.3 → 280, 0.5426 → 0.543. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 100) return String(Math.round(x));
  if (a === 0) return '0';
  return String(Number(x.toPrecision(3)));
}

/** The event's own local date and time, as signed (`2026-11-17T16:00:00.000+08:00` → `2026-11-17 16:00`). */
export const formatTime = (time: string): string => (/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(time) ? `${time.slice(0, 10)} ${time.slice(11, 16)}` : time);
