/**
 * The customer page's stylesheet, served from this origin at {@link PAGE_CSS_PATH} so that the
 * page's Content-Security-Policy needs no 'unsafe-inline' style (CSP Level 3 §6.1.11). The URL
 * carries a hash of the text: a phone keeps it for a year and a changed stylesheet is a new URL.
 */
import { createHash } from 'node:crypto';

export const PAGE_CSS = `*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;color:#1b1f23;background:#f2f4f5}
header{display:flex;justify-content:space-between;align-items:center;padding:.6rem 1rem;background:#17324d;color:#fff}
header a{color:#fff;margin-left:.6rem}header a[aria-current]{font-weight:700;text-decoration:none}
main{max-width:40rem;margin:0 auto;padding:.5rem .6rem 2rem}
.card,.warn{background:#fff;border-radius:.6rem;padding:.8rem 1rem;margin:.6rem 0;box-shadow:0 1px 2px #0002}
h1{font-size:1.35rem;margin:.1rem 0 .5rem}h2{font-size:1.1rem;margin:0 0 .4rem}
.level,.intro,.meta,small,.note{color:#57606a;font-size:.9rem;margin:.2rem 0}
.warn{background:#b3261e;color:#fff}.warn ul{margin:0;padding-left:1.1rem}.warn li{margin:.3rem 0}.warn a,.warn a.seq{color:#fff}
.warn h2{margin:0 0 .3rem;font-size:1.15rem}
.why{font-size:.9rem}
dl.kv{display:grid;grid-template-columns:auto 1fr;gap:.2rem .8rem;margin:.3rem 0}dt{color:#57606a}dd{margin:0;overflow-wrap:anywhere}
dl.spec dd{overflow-wrap:break-word}
.code{font-family:ui-monospace,monospace;font-size:.8rem;overflow-wrap:anywhere}
.badge{border-left:.5rem solid #8c959f}.badge-title{font-weight:700;margin:.2rem 0}.badge-detail{font-size:.85rem;color:#57606a;overflow-wrap:anywhere}
.badge[data-state=ok]{border-color:#1a7f37;background:#e9f7ee}.badge[data-state=ok] .badge-title{color:#1a7f37}.badge[data-state=ok][data-product=ok] .badge-title::before{content:"✓ "}
.badge[data-state=ok][data-product=flagged]{border-color:#0550ae;background:#eef4fb}.badge[data-state=ok][data-product=flagged] .badge-title{color:#0550ae}
.badge[data-state=unavailable]{border-color:#8c959f;background:#f6f8fa}.badge[data-state=unavailable] .badge-title{color:#424a53}
.badge[data-state=fail]{border-color:#b3261e;background:#fdecea}.badge[data-state=fail] .badge-title{color:#b3261e}.badge[data-state=fail] .badge-title::before{content:"✗ "}
progress{width:100%}
ul.tree{list-style:none;margin:0;padding-left:.8rem;border-left:2px solid #d0d7de}ul.tree.root{padding-left:0;border:0}
.node{margin:.5rem 0}.node-head{margin:0}.from{margin:.4rem 0 0;font-size:.85rem;color:#57606a}
.flagged>.node-head b{color:#b3261e}
.lvl{display:inline-block;font-size:.75rem;padding:0 .35rem;border-radius:.3rem;background:#ddf4ff;color:#0550ae}
.lvl-material{background:#fff8c5;color:#7d4e00}.lvl-finished{background:#dafbe1;color:#116329}
.proc{font-size:.9rem;margin:.2rem 0}
ul.facts{list-style:none;padding:0;margin:.2rem 0;font-size:.9rem}
.insp .res{font-weight:700}.pass .res{color:#1a7f37}.fail .res{color:#b3261e}
ul.ms{margin:.2rem 0;padding-left:1rem}.lim{color:#57606a}
.tiles{display:grid;grid-template-columns:repeat(3,1fr);gap:.5rem}
.tile{background:#f6f8fa;border-radius:.5rem;padding:.5rem;text-align:center}.tile b{font-size:1.3rem}.tile small{display:block}
ol.timeline{list-style:none;margin:0;padding:0 0 0 .8rem;border-left:2px solid #d0d7de}
ol.timeline li{margin:.2rem 0 .7rem;position:relative}ol.timeline li::before{content:"";position:absolute;left:-1.15rem;top:.35rem;width:.6rem;height:.6rem;border-radius:50%;background:#17324d}
ol.timeline time{font-size:.85rem;color:#57606a}ol.timeline p{margin:0}
a.seq{font-size:.8rem;color:#57606a}a.seq.v-ok::after{content:" ✓";color:#1a7f37}a.seq.v-bad{color:#b3261e;font-weight:700}a.seq.v-bad::after{content:" ✗"}.warn a.seq.v-ok::after{color:inherit}
footer{font-size:.85rem;color:#57606a;padding:0 .4rem}
.status{display:inline-block;font-weight:700;font-size:.95rem;padding:.15rem .5rem;border-radius:.3rem;margin:0 0 .4rem}.status.ok{background:#dafbe1;color:#116329}.status.bad{background:#b3261e;color:#fff}
button.retry{font:inherit;font-weight:700;padding:.45rem 1.1rem;margin:.3rem 0;border:1px solid #57606a;border-radius:.4rem;background:#fff;color:#1b1f23;min-height:2.75rem}
details.tech{font-size:.85rem;color:#57606a;margin-top:.3rem}details.tech p{margin:.2rem 0;overflow-wrap:anywhere}`;

/** Strong validator and cache key: a hash of the bytes. */
export const PAGE_CSS_HASH = createHash('sha256').update(PAGE_CSS).digest('base64url').slice(0, 16);

/** Where the page links the stylesheet (asset-routes.ts serves it). */
export const PAGE_CSS_PATH = `/assets/page.css?v=${PAGE_CSS_HASH}`;
