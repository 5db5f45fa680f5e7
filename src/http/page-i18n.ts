/**
 * Texts of the customer page in English and Simplified Chinese. `{name}` placeholders are filled
 * by page.ts (server side) or by the badge script (the `badge` group travels in the page).
 * Technical names that customers may look up (GTIN, seq, the check names' originals) stay as they
 * are in both languages.
 */
import type { BadgeTexts } from '../web/verify.js';

export const LANGUAGES = ['en', 'zh'] as const;
export type Lang = (typeof LANGUAGES)[number];

export interface PageTexts {
  readonly htmlLang: string;
  readonly langName: string;
  readonly brand: string;
  readonly titleSuffix: string;
  readonly levels: Readonly<Record<string, string>>;
  readonly units: Readonly<Record<string, string>>;
  /** The unit after "per": "piece" for H87. */
  readonly perUnits: Readonly<Record<string, string>>;
  readonly warnings: {
    readonly heading: string;
    readonly recall: string;
    readonly failedInspection: string;
    readonly thisProduct: string;
    readonly upstream: string;
    /** The warning's headline when a recall applies (to the product or to what went into it). */
    readonly recallHeadline: string;
    /** The headline when only an inspection failed. */
    readonly failedHeadline: string;
    /** Headline over entries signed with a recovery key the operator added (domain/key-rules.ts). */
    readonly operatorKeyHeadline: string;
    /** One such entry: {who} is the participant it claims to be signed by, {operator} who added the key. */
    readonly operatorKey: string;
  };
  /** The product's status, shown under its name: separate from whether the records are genuine. */
  readonly status: {
    readonly ok: string;
    readonly recalled: string;
    readonly failed: string;
  };
  readonly product: {
    readonly producer: string;
    readonly code: string;
    readonly gtin: string;
    readonly lot: string;
    readonly serial: string;
    readonly sscc: string;
    readonly made: string;
    readonly lotSize: string;
    readonly details: string;
    readonly resolvedFrom: string;
  };
  /** What the badge script shows (BadgeTexts), plus what the server renders around it. */
  readonly badge: BadgeTexts & {
    readonly heading: string;
    /** okDetail on a recalled or failed product: genuine records do not make the product OK. */
    readonly okDetailFlagged: string;
    readonly noscript: string;
    readonly retry: string;
    readonly tech: string;
    readonly how: string;
  };
  readonly provenance: {
    readonly heading: string;
    readonly intro: string;
    readonly madeFrom: string;
    readonly used: string;
    readonly packed: string;
    readonly seeAbove: string;
    readonly process: string;
    readonly electricity: string;
    readonly water: string;
    readonly passed: string;
    readonly failed: string;
    readonly inspectedBy: string;
    readonly measurements: string;
    readonly certificate: string;
    readonly recalledBy: string;
  };
  readonly footprint: {
    readonly heading: string;
    readonly per: string;
    readonly co2: string;
    readonly electricity: string;
    readonly water: string;
    readonly primary: string;
    readonly gaps: string;
    readonly method: string;
  };
  readonly journey: {
    readonly heading: string;
    readonly none: string;
    readonly status: Readonly<Record<string, string>>;
    readonly fromTo: string;
    readonly by: string;
    readonly carrier: string;
    readonly deliveredTo: string;
    readonly returnedBy: string;
    readonly transport: string;
    readonly modes: Readonly<Record<string, string>>;
    readonly missing: string;
  };
  readonly footer: {
    readonly ledger: string;
    readonly raw: string;
    readonly upstream: string;
    readonly downstream: string;
    readonly evidence: string;
    readonly checkpoint: string;
  };
  readonly entryTitle: string;
  readonly notFound: {
    readonly title: string;
    readonly invalidTitle: string;
    readonly body: string;
    readonly invalidBody: string;
    readonly hint: string;
    readonly code: string;
  };
}

const en: PageTexts = {
  htmlLang: 'en',
  langName: 'English',
  brand: 'Product passport',
  titleSuffix: 'provenance',
  levels: { material: 'Raw material', semi: 'Part', finished: 'Product', logistic: 'Pallet' },
  units: { KGM: 'kg', TNE: 't', GRM: 'g', MTR: 'm', MTK: 'm²', MTQ: 'm³', LTR: 'l', H87: 'pcs', C62: 'pcs', SET: 'sets', PR: 'pairs', KWH: 'kWh' },
  perUnits: { KGM: 'kg', TNE: 't', GRM: 'g', MTR: 'm', MTK: 'm²', MTQ: 'm³', LTR: 'l', H87: 'piece', C62: 'piece', SET: 'set', PR: 'pair', KWH: 'kWh' },
  warnings: {
    heading: 'Warning',
    recall: 'Recall',
    failedInspection: 'Failed inspection',
    thisProduct: 'This product',
    upstream: '{product}, lot {lot}, which went into this product',
    recallHeadline: 'Recall: this product is affected',
    failedHeadline: 'This product failed a quality inspection',
    operatorKeyHeadline: 'Some records were signed with a key the ledger operator added',
    operatorKey: 'Signed as {who} with a recovery key that {operator} (the operator) added after {who}\'s own keys were revoked; {who} never signed for this key',
  },
  status: {
    ok: '✓ No recall or failed inspection on record',
    recalled: '✗ Recalled',
    failed: '✗ Failed inspection',
  },
  product: {
    producer: 'Made by',
    code: 'Digital Link',
    gtin: 'GTIN',
    lot: 'Lot',
    serial: 'Serial',
    sscc: 'SSCC',
    made: 'Made',
    lotSize: 'Lot size',
    details: 'Specifications',
    resolvedFrom: 'You scanned {code}; it is shown as part of its lot.',
  },
  badge: {
    heading: 'Are these records genuine?',
    fetching: 'Checking the signed records…',
    progress: 'Checked {done} of {total} records',
    ok: 'The records are genuine',
    okDetail: 'All {n} signed records behind this page were checked on your device: none has been altered since it was recorded.',
    okDetailFlagged: 'All {n} signed records behind this page were checked on your device: none has been altered, so the warning above is genuine too. Genuine records do not make this product OK.',
    okTech: '{n} entries verified against checkpoint size {size} signed by {origin}: every signature, inclusion proof and the checkpoint signature, with the ledger key pinned in this page.',
    operatorKeys: '{n} of them were signed with a recovery key that the ledger operator added, not with a key of the participant named as signer.',
    fail: 'The records failed the check',
    failDetail: 'Record #{seq} has been altered or cannot be proven (check: {check}). Do not rely on this page.',
    failNoSeqDetail: 'The ledger’s proof does not hold (check: {check}). Do not rely on this page.',
    unavailable: 'Could not check the records right now',
    unavailableDetail: 'The ledger could not be reached, so nothing was checked. This is not a sign of tampering: try again when you are online.',
    checks: {
      evidence: 'evidence',
      checkpoint: 'checkpoint',
      leafHash: 'leaf hash',
      inclusion: 'inclusion',
      key: 'key',
      signature: 'signature',
      missing: 'missing entry',
    },
    noscript: 'The check runs in your browser and needs JavaScript.',
    retry: 'Try again',
    tech: 'Technical details',
    how: 'Ledger key pinned in this page:',
  },
  provenance: {
    heading: 'Where it comes from',
    intro: 'Materials and parts, their makers and inspection results.',
    madeFrom: 'Made from',
    used: 'used {q}',
    packed: 'packed {q}',
    seeAbove: 'shown above',
    process: 'Process',
    electricity: 'electricity',
    water: 'water',
    passed: 'Passed',
    failed: 'Failed',
    inspectedBy: 'by {who}',
    measurements: 'Measurements',
    certificate: 'Certificate',
    recalledBy: 'Recalled by {who}',
  },
  footprint: {
    heading: 'Carbon footprint',
    per: 'per {unit}',
    co2: 'greenhouse gases',
    electricity: 'electricity',
    water: 'water',
    primary: 'Primary data: {p} %',
    gaps: 'No footprint declared for:',
    method: 'Cradle to gate: declared footprints of every source lot plus the energy and emissions of every process step, allocated to this product.',
  },
  journey: {
    heading: 'Journey',
    none: 'No shipments recorded yet.',
    status: {
      dispatched: 'Shipped',
      in_transit: 'In transit',
      out_for_delivery: 'Out for delivery',
      delivered: 'Delivered',
      received: 'Received',
      returned: 'Returned',
    },
    fromTo: 'from {from} to {to}',
    by: 'by {who}',
    carrier: 'carrier {who}',
    deliveredTo: 'to {who}',
    returnedBy: 'from {who}',
    transport: '{mode}, {km} km, {co2} kg CO₂e',
    modes: { road: 'road', rail: 'rail', sea: 'sea', air: 'air', inland_waterway: 'inland waterway' },
    missing: '{q} short or damaged',
  },
  footer: {
    ledger: 'Ledger {origin}. Every fact links to the signed entry (#seq) that proves it.',
    raw: 'Data:',
    upstream: 'provenance',
    downstream: 'journey',
    evidence: 'evidence',
    checkpoint: 'checkpoint',
  },
  entryTitle: 'Signed ledger entry {seq}',
  notFound: {
    title: 'Product not found',
    invalidTitle: 'Not a valid product code',
    body: 'No product with this code is recorded in this ledger.',
    invalidBody: 'This is not a product code this service can read.',
    hint: 'Check the code on the label, or scan the QR code again.',
    code: 'Code',
  },
};

const zh: PageTexts = {
  htmlLang: 'zh-Hans',
  langName: '中文',
  brand: '产品溯源',
  titleSuffix: '产品溯源',
  levels: { material: '原材料', semi: '部件', finished: '成品', logistic: '物流单元' },
  units: { KGM: '千克', TNE: '吨', GRM: '克', MTR: '米', MTK: '平方米', MTQ: '立方米', LTR: '升', H87: '件', C62: '件', SET: '套', PR: '双', KWH: '千瓦时' },
  perUnits: { KGM: '千克', TNE: '吨', GRM: '克', MTR: '米', MTK: '平方米', MTQ: '立方米', LTR: '升', H87: '件', C62: '件', SET: '套', PR: '双', KWH: '千瓦时' },
  warnings: {
    heading: '警告',
    recall: '召回',
    failedInspection: '检验不合格',
    thisProduct: '本产品',
    upstream: '{product}（批次 {lot}），已用于本产品',
    recallHeadline: '召回：本产品受影响',
    failedHeadline: '本产品未通过质量检验',
    operatorKeyHeadline: '部分记录由账本运营方添加的密钥签署',
    operatorKey: '以 {who} 的名义签署，所用恢复密钥由运营方 {operator} 在 {who} 自己的密钥被撤销后添加；{who} 从未为该密钥签署',
  },
  status: {
    ok: '✓ 无召回或检验不合格记录',
    recalled: '✗ 已召回',
    failed: '✗ 检验不合格',
  },
  product: {
    producer: '生产商',
    code: '数字链接',
    gtin: '商品条码 GTIN',
    lot: '批次',
    serial: '序列号',
    sscc: '物流单元编码 SSCC',
    made: '生产时间',
    lotSize: '批量',
    details: '规格',
    resolvedFrom: '您扫描的是 {code}，此处按其所属批次显示。',
  },
  badge: {
    heading: '这些记录是否真实？',
    fetching: '正在核验签名记录…',
    progress: '已核验 {done}/{total} 条记录',
    ok: '记录真实，未被篡改',
    okDetail: '本页依据的 {n} 条签名记录已在您的设备上逐条核验：记录后均未被篡改。',
    okDetailFlagged: '本页依据的 {n} 条签名记录已在您的设备上逐条核验：均未被篡改，因此上方的警告也是真实的。记录真实并不代表产品合格。',
    okTech: '已依据本页固定的账本密钥核验 {n} 条记录（检查点大小 {size}，由 {origin} 签名）：所有签名、包含证明和检查点签名。',
    operatorKeys: '其中 {n} 条由账本运营方添加的恢复密钥签署，而非署名参与方自己的密钥。',
    fail: '记录未通过核验',
    failDetail: '记录 #{seq} 已被篡改或无法证明（检查项：{check}）。请勿信赖本页信息。',
    failNoSeqDetail: '账本证明不成立（检查项：{check}）。请勿信赖本页信息。',
    unavailable: '暂时无法核验记录',
    unavailableDetail: '无法连接账本，尚未进行任何核验。这并不表示记录被篡改：请联网后重试。',
    checks: {
      evidence: '证据',
      checkpoint: '检查点',
      leafHash: '叶哈希',
      inclusion: '包含证明',
      key: '密钥',
      signature: '签名',
      missing: '缺少记录',
    },
    noscript: '验证在您的浏览器中运行，需要启用 JavaScript。',
    retry: '重试',
    tech: '技术细节',
    how: '本页固定的账本密钥：',
  },
  provenance: {
    heading: '来源',
    intro: '原材料和部件、生产商及检验结果。',
    madeFrom: '原料',
    used: '用量 {q}',
    packed: '装入 {q}',
    seeAbove: '见上文',
    process: '工艺',
    electricity: '用电',
    water: '用水',
    passed: '合格',
    failed: '不合格',
    inspectedBy: '检验方：{who}',
    measurements: '检测数据',
    certificate: '证书',
    recalledBy: '召回方：{who}',
  },
  footprint: {
    heading: '碳足迹',
    per: '每{unit}',
    co2: '温室气体',
    electricity: '用电',
    water: '用水',
    primary: '一手数据占比：{p}%',
    gaps: '以下来源未申报碳足迹：',
    method: '从摇篮到大门：汇总每个来源批次申报的碳足迹以及每道工序的能耗和排放，并分摊到本产品。',
  },
  journey: {
    heading: '物流轨迹',
    none: '尚无发货记录。',
    status: {
      dispatched: '已发货',
      in_transit: '运输中',
      out_for_delivery: '派送中',
      delivered: '已送达',
      received: '已签收',
      returned: '已退回',
    },
    fromTo: '从 {from} 到 {to}',
    by: '{who}',
    carrier: '承运商：{who}',
    deliveredTo: '交付给 {who}',
    returnedBy: '退回自 {who}',
    transport: '{mode}，{km} 公里，{co2} 千克二氧化碳当量',
    modes: { road: '公路', rail: '铁路', sea: '海运', air: '空运', inland_waterway: '内河' },
    missing: '短缺或损坏 {q}',
  },
  footer: {
    ledger: '账本 {origin}。每条信息都链接到证明它的签名记录（#seq）。',
    raw: '数据：',
    upstream: '来源',
    downstream: '去向',
    evidence: '证据',
    checkpoint: '检查点',
  },
  entryTitle: '账本签名记录 {seq}',
  notFound: {
    title: '未找到该产品',
    invalidTitle: '无效的产品编码',
    body: '本账本中没有该编码的产品记录。',
    invalidBody: '本服务无法识别此产品编码。',
    hint: '请核对标签上的编码，或重新扫描二维码。',
    code: '编码',
  },
};

export const TEXTS: Readonly<Record<Lang, PageTexts>> = { en, zh };
