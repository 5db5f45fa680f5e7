/**
 * The answers about an object: its state, its trace up and down, the customer's summary, its
 * certificates and recall status. Each waits for the durable barrier first (src/ledger/durability.ts)
 * and the trace answers go through the answer cache.
 */
import { parseCustomerHolder, type ObjectRow } from '../../domain/rules.js';
import { downstream, history, pactFootprint, requireCode, shipmentAt, upstream, type UpstreamNode } from '../../domain/trace.js';
import type { LedgerStore } from '../../store/store.js';
import type { Heads } from '../heads.js';
import type { AnswerCache } from './answer-cache.js';

/** The answers of src/domain/trace.ts, named. */
export type UpstreamAnswer = ReturnType<typeof upstream>;
export type DownstreamAnswer = ReturnType<typeof downstream>;
export type ShipmentAnswer = ReturnType<typeof shipmentAt>;
export type HistoryAnswer = ReturnType<typeof history>;
export type FootprintAnswer = ReturnType<typeof pactFootprint>;

interface Quantity {
  value: number;
  unit: string;
}

/** Current state of an object: what it is, who holds how much, where it is packed. */
export interface ObjectState {
  code: string;
  level: string;
  product: ObjectRow['spec']['product'];
  producer: string;
  quantity: Quantity;
  createdSeq: number;
  createdBy: string;
  recalledSeq: number | null;
  attributes?: NonNullable<ObjectRow['spec']['attributes']>;
  certificates?: NonNullable<ObjectRow['spec']['certificates']>;
  declaredFootprint?: NonNullable<ObjectRow['spec']['footprint']>;
  holders: Array<{ holder: string; quantity: Quantity } | { customer: string; deliveredBy: string; quantity: Quantity }>;
  packedIn: Array<{ parent: string; quantity: Quantity }>;
  contents: Array<{ child: string; quantity: number }>;
  recalled: boolean;
}

type Shipment = DownstreamAnswer['shipments'][number];
type Delivery = DownstreamAnswer['deliveries'][number];

/** What a customer or a machine needs first about an object (the resolver's JSON answer). */
export interface ObjectSummary {
  code: string;
  /** Set when a serial was resolved to its lot; `note` says so. */
  resolvedFrom?: string | undefined;
  note?: string;
  object: UpstreamAnswer['object'];
  status: 'ok' | 'recalled' | 'warning';
  flags: Array<UpstreamAnswer['flags'][number] | DownstreamAnswer['flags'][number]>;
  footprint: UpstreamAnswer['footprint'];
  provenance: Array<{
    code: string; depth: number; level: string; product: UpstreamNode['product']['name']; producer: UpstreamNode['producer'];
    inspections: Array<Pick<UpstreamNode['inspections'][number], 'result' | 'seq'>>;
  }>;
  journey: Array<{
    seq: Shipment['seq']; from: Shipment['sender']; to: Shipment['receiver']; status: Shipment['status'];
    dispatchedAt: Shipment['dispatchedAt']; receivedAt: Shipment['receivedAt'];
  }>;
  deliveries: Array<Pick<Delivery, 'seq' | 'status' | 'time'>>;
  verification: { ledgerKey: string; evidence: string };
  links?: unknown;
}

/** Certificates (commissioned with objects, or on inspections) of the object and its ancestors. */
export interface CertificatesAnswer {
  code: string;
  certificates: Array<Record<string, unknown> & { code: string; depth: number; seq: number }>;
  inspections: Array<UpstreamNode['inspections'][number] & { code: string; depth: number }>;
}

/** Is the object, or anything it was made from, recalled or failed an inspection? */
export interface RecallStatus {
  code: string;
  recalled: boolean;
  failedInspection: boolean;
  flags: UpstreamAnswer['flags'];
  /** The log size the answer is about. */
  asOfSize: number;
}

export interface ObjectQueries {
  /**
   * Current state of an object: what it is, who holds how much, where it is packed.
   * @throws LedgerError TRACE_OBJECT_NOT_FOUND (and the code's own errors)
   */
  object(code: string): Promise<ObjectState>;
  /** What the object was made from, down to its raw materials, with flags and footprint. */
  upstream(code: string): Promise<UpstreamAnswer>;
  /** Where the object and what was made from it went, and the impact of recalls. */
  downstream(code: string): Promise<DownstreamAnswer>;
  /** The shipment dispatched at seq, retracted or not (the handoff report's subject). */
  shipment(seq: number): Promise<ShipmentAnswer>;
  /** Every entry that touched the object, one per seq, with the roles it touched it in. */
  history(code: string): Promise<HistoryAnswer>;
  /** The object's PACT product footprint, as of the durable log. */
  footprint(code: string): Promise<FootprintAnswer>;
  /** What a customer or a machine needs first about an object (the resolver's JSON answer). */
  summary(code: string, extra?: { resolvedFrom?: string | undefined; links?: unknown }): Promise<ObjectSummary>;
  /** Certificates (commissioned with objects, or on inspections) of the object and its ancestors. */
  certificates(code: string): Promise<CertificatesAnswer>;
  /** Is the object, or anything it was made from, recalled or failed an inspection? */
  recallStatus(code: string): Promise<RecallStatus>;
}

export interface ObjectQueriesOptions {
  readonly store: LedgerStore;
  readonly heads: Readonly<Heads>;
  /** Resolves once everything the query could see is durable. */
  readonly barrier: () => Promise<void>;
  readonly cache: AnswerCache;
  readonly now: () => number;
  /** The ledger's verifier key, named in the summary for the customer's verifier. */
  readonly verifierKey: string;
}

function objectIdentity(o: ObjectRow) {
  return {
    code: o.code, level: o.level, product: o.spec.product, producer: o.producer, quantity: { value: o.quantity / 1e6, unit: o.unit },
    createdSeq: o.createdSeq, createdBy: o.createdBy, recalledSeq: o.recalledSeq,
    ...(o.spec.attributes === undefined ? {} : { attributes: o.spec.attributes }),
    ...(o.spec.certificates === undefined ? {} : { certificates: o.spec.certificates }),
    ...(o.spec.footprint === undefined ? {} : { declaredFootprint: o.spec.footprint }),
  };
}

/** The customer's summary from the two trace answers. */
function summarise(up: UpstreamAnswer, down: DownstreamAnswer, verifierKey: string, extra: { resolvedFrom?: string | undefined; links?: unknown }): ObjectSummary {
  // The journey below cites downstream entries: their recovery-key flags belong here too.
  const upKeyFlags = new Set(up.flags.filter((f) => f['kind'] === 'operator_added_key').map((f) => f['seq']));
  const flags = [...up.flags, ...down.flags.filter((f) => f.kind === 'operator_added_key' && !upKeyFlags.has(f.seq))];
  return {
    code: up.code,
    ...(extra.resolvedFrom === undefined ? {} : { resolvedFrom: extra.resolvedFrom, note: 'this serial was never commissioned on its own: the answer is about its lot' }),
    object: up.object,
    status: flags.length === 0 ? 'ok' : flags.some((f) => f['kind'] === 'recall') ? 'recalled' : 'warning',
    flags,
    footprint: up.footprint,
    provenance: up.nodes.slice(1).map((n) => ({ code: n.code, depth: n.depth, level: n.level, product: n.product.name, producer: n.producer, inspections: n.inspections.map((i) => ({ result: i.result, seq: i.seq })) })),
    journey: down.shipments.map((s) => ({ seq: s.seq, from: s.sender, to: s.receiver, status: s.status, dispatchedAt: s.dispatchedAt, receivedAt: s.receivedAt })),
    deliveries: down.deliveries.map((d) => ({ seq: d.seq, status: d.status, time: d.time })),
    verification: { ledgerKey: verifierKey, evidence: `/v1/objects/${encodeURIComponent(up.code)}/evidence` },
    ...(extra.links === undefined ? {} : { links: extra.links }),
  };
}

export function createObjectQueries({ store, heads, barrier, cache, now, verifierKey }: ObjectQueriesOptions): ObjectQueries {
  const up = (code: string) => cache.get('up', code, () => upstream(store, code));
  const down = (code: string) => cache.get('down', code, () => downstream(store, code));
  return {
    async object(code) {
      await barrier();
      const o = requireCode(store, code);
      const holdings = store.holdingsOf([o.code]);
      return {
        ...objectIdentity(o),
        holders: holdings.map((h) => {
          const customer = parseCustomerHolder(h.holder);
          return customer === undefined
            ? { holder: h.holder, quantity: { value: h.quantity / 1e6, unit: o.unit } }
            : { customer: customer.recipient, deliveredBy: customer.deliverer, quantity: { value: h.quantity / 1e6, unit: o.unit } };
        }),
        packedIn: store.containersOf(o.code).map((c) => ({ parent: c.parent, quantity: { value: c.quantity / 1e6, unit: o.unit } })),
        contents: store.contents(o.code).filter((c) => c.quantity > 0).map((c) => ({ child: c.child, quantity: c.quantity / 1e6 })),
        recalled: o.recalledSeq !== null,
      };
    },
    async upstream(code) {
      await barrier();
      return up(code);
    },
    async downstream(code) {
      await barrier();
      return down(code);
    },
    async shipment(seq) {
      await barrier();
      return shipmentAt(store, seq);
    },
    async history(code) {
      await barrier();
      return cache.get('history', code, () => history(store, code));
    },
    async footprint(code) {
      await barrier();
      return cache.get('footprint', code, () => pactFootprint(store, code, heads.durable.size, new Date(now()).toISOString()));
    },
    async summary(code, extra = {}) {
      await barrier();
      return summarise(up(code), down(code), verifierKey, extra);
    },
    async certificates(code) {
      await barrier();
      const u = up(code);
      return {
        code: u.code,
        certificates: u.nodes.flatMap((n) => [
          ...n.certificates.map((c) => ({ code: n.code, depth: n.depth, ...c })),
          ...n.inspections.filter((i) => i.certificate !== undefined).map((i) => ({ code: n.code, depth: n.depth, ...i.certificate!, seq: i.seq })),
        ]),
        inspections: u.nodes.flatMap((n) => n.inspections.map((i) => ({ code: n.code, depth: n.depth, ...i }))),
      };
    },
    async recallStatus(code) {
      await barrier();
      const u = up(code);
      return {
        code: u.code,
        recalled: u.flags.some((f) => f['kind'] === 'recall'),
        failedInspection: u.flags.some((f) => f['kind'] === 'failed_inspection'),
        flags: u.flags,
        asOfSize: heads.durable.size,
      };
    },
  };
}
