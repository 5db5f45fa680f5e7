/**
 * The customer page: what a phone shows after scanning a product's QR code. Server-rendered HTML
 * with one stylesheet (page-style.ts) and one small script (`/assets/verify.js`, the badge), no
 * framework, nothing inline, nothing from another origin (the page's Content-Security-Policy says
 * so too).
 *
 * Order, for a phone screen: recall and failed-inspection warnings first, then the product, its
 * status in words (recalled, failed inspection, OK) and its producer, the badge that says whether
 * the records are genuine (a separate question), the provenance tree (product → parts →
 * materials, with makers, inspections and certificates), the carbon footprint with electricity and
 * water, and the journey (shipped, in transit, received, delivered).
 *
 * Every fact carries the seq of the signed entry that proves it (`data-seq`, linking to
 * `/v1/entries/:seq`); the page lists those seqs in its config, and the badge script checks that
 * each is among the entries it verified against the ledger key pinned here. Links and fetches are
 * root-relative, so the page works on whichever host served it; `publicUrl` only names the
 * product's Digital Link.
 *
 * All text from the ledger (names, notes, codes) is participant-supplied and escaped.
 */
import type { Ledger } from '../ledger.js';
import type { PageConfig } from '../web/verify.js';
import { LANGUAGES, TEXTS, type Lang, type PageTexts } from './page-i18n.js';
import { PAGE_CSS_PATH } from './page-style.js';
import type { PageContext } from './page/context.js';
import { footprint } from './page/footprint.js';
import { escapeHtml, fill, scriptJson } from './page/html.js';
import { journey } from './page/journey.js';
import { provenance } from './page/provenance.js';
import { badge, operatorKeyWarnings, productCard, statusOf, warnings, type ProductStatus } from './page/product.js';

export { LANGUAGES, type Lang } from './page-i18n.js';
export { escapeHtml, formatNumber } from './page/html.js';

/** Where the badge script is served (asset-routes.ts). */
export const VERIFY_SCRIPT_PATH = '/assets/verify.js';
/** The test-only tampered evidence route, `<prefix><code>/evidence?tamper=<seq>` (asset-routes.ts, testHooks only). */
export const TAMPERED_EVIDENCE_PREFIX = '/test-hooks/objects/';

// ---------------------------------------------------------------------------------------------
// Language

/**
 * The page language: `?lang=` when it names one we have, else the best of `Accept-Language`
 * (RFC 9110 §12.5.4, by q-value, first listed wins ties; any `zh-*` is Chinese, `en-*` English),
 * else English.
 */
export function pickLanguage(acceptLanguage: string | undefined, queryLang: string | undefined): Lang {
  const direct = queryLang?.trim().toLowerCase().slice(0, 2);
  if (direct !== undefined && (LANGUAGES as readonly string[]).includes(direct)) return direct as Lang;
  let best: Lang = 'en';
  let bestQ = 0;
  for (const part of (acceptLanguage ?? '').split(',')) {
    const [tag = '', ...params] = part.trim().toLowerCase().split(';').map((s) => s.trim());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q) || q <= 0) continue;
    const primary = tag.split('-')[0];
    if (!(LANGUAGES as readonly string[]).includes(primary ?? '')) continue;
    if (q > bestQ) {
      best = primary as Lang;
      bestQ = q;
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Document

/**
 * Everything from this origin (the stylesheet, the badge script, its worker, the evidence fetch),
 * nothing inline: no 'unsafe-inline' for scripts or styles. In a meta element, so it holds
 * wherever the page is served; security.ts sends it as a header on every route, with
 * `frame-ancestors 'none'`, which a meta element cannot carry.
 */
export const PAGE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'";

function languageSwitch(lang: Lang): string {
  return `<nav aria-label="Language / 语言">${LANGUAGES.map((l) =>
    l === lang ? `<a href="?lang=${l}" aria-current="true" lang="${TEXTS[l].htmlLang}">${TEXTS[l].langName}</a>` : `<a href="?lang=${l}" lang="${TEXTS[l].htmlLang}" hreflang="${TEXTS[l].htmlLang}">${TEXTS[l].langName}</a>`,
  ).join('')}</nav>`;
}

function documentHtml(lang: Lang, title: string, body: string, head = ''): string {
  const t = TEXTS[lang];
  return `<!doctype html>
<html lang="${t.htmlLang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${PAGE_CSP}">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${PAGE_CSS_PATH}">${head}
</head>
<body>
<header><span>${escapeHtml(t.brand)}</span>${languageSwitch(lang)}</header>
<main>
${body}
</main>
</body>
</html>
`;
}

export interface CustomerPageOptions {
  readonly ledger: Ledger;
  /** The object's code, any valid spelling. */
  readonly code: string;
  readonly lang: Lang;
  /** Public base URL of the resolver (names the product's Digital Link). */
  readonly publicUrl: string;
  /** The code the customer scanned, when the page shows another (a serial resolved to its lot). */
  readonly resolvedFrom?: string;
  /**
   * Test hook (buildApp `testHooks` only): the badge fetches the evidence with `?tamper=<seq>`,
   * which a test-mode server answers with that record's payload altered.
   */
  readonly tamper?: number;
}

/** Links to the raw answers behind the page, for whoever wants to check by hand. */
function footer(t: PageTexts, origin: string, api: string, evidence: string): string {
  const f = t.footer;
  return `<footer><p>${escapeHtml(fill(f.ledger, { origin }))}</p><p>${escapeHtml(f.raw)} <a href="${escapeHtml(`${api}/upstream`)}">${escapeHtml(f.upstream)}</a> · <a href="${escapeHtml(
    `${api}/downstream`,
  )}">${escapeHtml(f.downstream)}</a> · <a href="${escapeHtml(evidence)}">${escapeHtml(f.evidence)}</a> · <a href="/v1/checkpoint">${escapeHtml(f.checkpoint)}</a></p></footer>`;
}

/** What the badge script reads from the page: the code, the pinned key, where the evidence is, the seqs cited, its texts. */
function badgeConfig(t: PageTexts, code: string, ledgerKey: string, evidence: string, cited: ReadonlySet<number>, status: ProductStatus): PageConfig {
  return {
    code,
    ledgerKey,
    evidence,
    cited: [...cited].sort((a, b) => a - b),
    t: {
      fetching: t.badge.fetching,
      progress: t.badge.progress,
      ok: t.badge.ok,
      okDetail: status === 'ok' ? t.badge.okDetail : t.badge.okDetailFlagged,
      okTech: t.badge.okTech,
      operatorKeys: t.badge.operatorKeys,
      fail: t.badge.fail,
      failDetail: t.badge.failDetail,
      failNoSeqDetail: t.badge.failNoSeqDetail,
      unavailable: t.badge.unavailable,
      unavailableDetail: t.badge.unavailableDetail,
      checks: t.badge.checks,
    },
  };
}

/**
 * The customer page of an object, as a complete HTML document.
 * @throws LedgerError TRACE_CODE_INVALID | TRACE_OBJECT_NOT_FOUND (render {@link renderNotFoundPage} then)
 */
export async function renderCustomerPage(o: CustomerPageOptions): Promise<string> {
  const [up, down] = await Promise.all([o.ledger.upstream(o.code), o.ledger.downstream(o.code)]);
  const t = TEXTS[o.lang];
  const ctx: PageContext = { lang: o.lang, t, names: new Map(o.ledger.participants().map((p) => [p.id, p.name])), cited: new Set(), ledger: o.ledger };
  const byCode = new Map(up.nodes.map((n) => [n.code, n]));
  const status = statusOf(up);
  const api = `/v1/objects/${encodeURIComponent(up.code)}`;
  const evidence = o.tamper === undefined ? `${api}/evidence` : `${TAMPERED_EVIDENCE_PREFIX}${encodeURIComponent(up.code)}/evidence?tamper=${o.tamper}`;
  // In the order a phone shows them (see the top of this file); each adds the seqs it cites.
  const sections = [
    warnings(ctx, up, byCode),
    operatorKeyWarnings(ctx, up, down),
    productCard(ctx, up, o.publicUrl.replace(/\/+$/, ''), o.resolvedFrom),
    badge(ctx, o.ledger.verifierKey, status),
    provenance(ctx, up, byCode),
    footprint(ctx, up),
    journey(ctx, down),
    footer(t, o.ledger.origin, api, evidence),
  ];
  const config = badgeConfig(t, up.code, o.ledger.verifierKey, evidence, ctx.cited, status);
  const head = `
<script type="application/json" id="verify-config">${scriptJson(config)}</script>
<script type="module" src="${VERIFY_SCRIPT_PATH}"></script>`;
  return documentHtml(o.lang, `${up.object.product.name} · ${t.titleSuffix}`, sections.filter(Boolean).join('\n'), head);
}

/**
 * A friendly page for a browser that asked for an unknown or malformed code (served with 404 or
 * 400). `reason` is the ledger's explanation (e.g. which check digit is wrong), shown small.
 */
export function renderNotFoundPage(code: string, lang: Lang, reason?: string, kind: 'unknown' | 'invalid' = 'unknown'): string {
  const t = TEXTS[lang];
  const n = t.notFound;
  const title = kind === 'invalid' ? n.invalidTitle : n.title;
  const body = `<section class="card"><h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(kind === 'invalid' ? n.invalidBody : n.body)}</p>
<dl class="kv"><dt>${escapeHtml(n.code)}</dt><dd class="code">${escapeHtml(code)}</dd></dl>
${reason === undefined ? '' : `<p class="intro">${escapeHtml(reason)}</p>`}
<p>${escapeHtml(n.hint)}</p></section>`;
  return documentHtml(lang, title, body);
}
