/** Example requests per documented operation of the OpenAPI document, on the seeded demo. */
import { REPO_ROOT, type DemoSeed } from '../../src/cli/demo.js';
import { readPrivateKey } from '../../src/cli/keyfiles.js';
import { signEntry } from '../../src/core/entry.js';
import { EXAMPLE_ENTRY } from '../../src/http/entry-example.js';
import type { Ledger } from '../../src/ledger.js';

export const GREEN = 'https://id.gs1.org/01/06931000080010/10/CW2611-19';
export const DATA_GAP = 'https://id.gs1.org/01/06931000080027/10/FW2611-19';
export const RECALLED_FRAMES = 'https://id.gs1.org/01/06931000080010/10/CW2611-20';
export const RECALLED_BILLET = 'https://id.gs1.org/01/06931000050013/10/B2611-08';
export const PALLET = 'https://id.gs1.org/00/369310000800001018';
export const GASKETS = 'urn:trace:sealtech:W8-2611-01';
export const UNKNOWN = 'urn:trace:nobody:nothing';

const FOREIGN_PREFIX_ENTRY = () =>
  signEntry(
    {
      type: 'commission', id: 'example-foreign-prefix', signer: 'xinyi-glass', time: '2026-11-03T08:00:00.000+08:00',
      objects: [{ code: 'https://id.gs1.org/01/06931000080010/10/FAKE-1', level: 'finished', product: { name: 'Window' }, quantity: { value: 1, unit: 'H87' } }],
    },
    readPrivateKey(`${REPO_ROOT}keys/xinyi-glass.key.pem`),
  );

/** One request of the table: path parameters, query, headers, body, and what must come back. */
export interface Example {
  readonly params?: Record<string, string | number>;
  readonly query?: Record<string, string | number | string[]>;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  readonly status: number;
  /** Problem `code` expected, for problem answers. */
  readonly code?: string;
  /** The domain's own answer: the served JSON must equal it (nothing dropped or changed by serialisation). */
  readonly direct?: () => Promise<unknown> | unknown;
}

/** Real requests per operationId on the seeded demo; every documented operation needs one. */
export function examples(ledger: Ledger, seed: DemoSeed): Record<string, Example[]> {
  const json = { accept: 'application/json' };
  const ship = seed.chain.find((c) => c.id === EXAMPLE_ENTRY.payload.id)!;
  return {
    appendEntries: [
      { body: EXAMPLE_ENTRY, status: 201, direct: () => ship.receipt },
      // A glass supplier commissioning a window lot under pearl-windows' company prefix 693100008.
      { body: FOREIGN_PREFIX_ENTRY(), status: 403, code: 'TRACE_CODE_NOT_OWNED' },
    ],
    listEntries: [{ query: { after: 5, limit: 3 }, status: 200, direct: () => ({ records: ledger.records(5, 3), next: 8 }) }],
    getEntry: [{ params: { seq: ship.receipt.seq }, status: 200, direct: () => ledger.record(ship.receipt.seq) }],
    getCheckpoint: [{ status: 200 }],
    getVerifierKey: [{ status: 200 }],
    listCheckpoints: [{ query: { limit: 2 }, status: 200 }],
    getInclusionProof: [
      { query: { seq: ship.receipt.seq }, status: 200, direct: () => ledger.inclusionProof(ship.receipt.seq) },
      { query: { leafHash: ship.receipt.leafHash }, status: 200 },
    ],
    getConsistencyProof: [{ query: { from: 10 }, status: 200, direct: () => ledger.consistencyProof(10) }],
    listParticipants: [{ status: 200, direct: () => ({ participants: ledger.participants() }) }],
    getParticipant: [{ params: { id: 'guangxi-alumina' }, status: 200, direct: () => ledger.participant('guangxi-alumina') }],
    getHealth: [{ status: 200 }],
    getReadiness: [{ status: 200 }],
    getMetrics: [{ status: 200 }],
    getObject: [
      { params: { code: PALLET }, status: 200, direct: () => ledger.object(PALLET) },
      { params: { code: GREEN }, status: 200, direct: () => ledger.object(GREEN) },
    ],
    getUpstream: [
      { params: { code: RECALLED_FRAMES }, status: 200, direct: () => ledger.upstream(RECALLED_FRAMES) },
      { params: { code: DATA_GAP }, status: 200, direct: () => ledger.upstream(DATA_GAP) },
    ],
    getDownstream: [
      { params: { code: RECALLED_BILLET }, status: 200, direct: () => ledger.downstream(RECALLED_BILLET) },
      { params: { code: GREEN }, status: 200, direct: () => ledger.downstream(GREEN) },
    ],
    getHistory: [{ params: { code: GREEN }, status: 200, direct: () => ledger.history(GREEN) }],
    getFootprint: [{ params: { code: DATA_GAP }, status: 200, direct: () => ledger.footprint(DATA_GAP) }],
    getEvidence: [{ params: { code: GREEN }, status: 200, direct: () => ledger.evidence(GREEN) }],
    getCertificates: [{ params: { code: RECALLED_FRAMES }, status: 200, direct: () => ledger.certificates(RECALLED_FRAMES) }],
    getRecallStatus: [{ params: { code: RECALLED_FRAMES }, status: 200, direct: () => ledger.recallStatus(RECALLED_FRAMES) }],
    exportBundle: [
      { query: { code: GREEN, direction: 'up', since: 5 }, status: 200 },
      { query: { from: 0, to: 4 }, status: 200 },
    ],
    getHandoffReport: [
      { params: { shipment: seed.highlights.discrepancy.shipLeafHash! }, headers: json, status: 200 },
      { params: { shipment: ship.receipt.seq }, query: { format: 'html' }, status: 200 },
    ],
    getOriginReport: [{ params: { code: RECALLED_FRAMES }, headers: json, status: 200 }],
    getQrSvg: [{ params: { code: GREEN }, status: 200 }],
    getQrPng: [{ params: { code: GASKETS }, query: { size: 200 }, status: 200 }],
    getLabelSheet: [{ query: { code: [GREEN, DATA_GAP, PALLET] }, status: 200 }],
    getCustomerPage: [
      { params: { code: GREEN }, status: 200 },
      { params: { code: UNKNOWN }, status: 404 },
    ],
    resolveGtin: [{ params: { gtin: '06931000080010' }, headers: json, status: 404, code: 'TRACE_OBJECT_NOT_FOUND' }],
    resolveGtinLot: [
      { params: { gtin: '06931000080010', lot: 'CW2611-19' }, headers: json, status: 200 },
      { params: { gtin: '06931000080010', lot: 'CW2611-19' }, headers: { accept: 'text/html' }, status: 200 },
      { params: { gtin: '06931000080010', lot: 'CW2611-19' }, query: { linkType: 'gs1:sustainabilityInfo' }, status: 307 },
    ],
    resolveGtinLotSerial: [{ params: { gtin: '06931000080010', lot: 'CW2611-20', serial: '1001' }, headers: json, status: 200 }],
    resolveGtinSerial: [{ params: { gtin: '06931000080010', serial: '1001' }, headers: json, status: 404, code: 'TRACE_OBJECT_NOT_FOUND' }],
    resolveSscc: [{ params: { sscc: '369310000800001018' }, headers: { accept: 'application/linkset+json' }, status: 200 }],
    resolveGln: [{ params: { gln: '6931000000018' }, headers: json, status: 404, code: 'TRACE_OBJECT_NOT_FOUND' }],
    resolveCode: [
      { params: { code: GASKETS }, headers: json, status: 200 },
      { params: { code: GREEN }, query: { linkType: 'linkset' }, status: 200 },
    ],
  };
}

/** The URL "Try it out" sends: each path parameter URL-encoded into its template. */
export function urlOf(template: string, ex: Example): string {
  const path = template.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const value = ex.params?.[name];
    if (value === undefined) throw new Error(`${template}: the example has no ${name}`);
    return encodeURIComponent(String(value));
  });
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(ex.query ?? {})) for (const one of Array.isArray(v) ? v : [v]) query.append(k, String(one));
  return query.size === 0 ? path : `${path}?${query}`;
}
