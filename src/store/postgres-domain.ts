/**
 * The traceability projections in PostgreSQL (objects, edges, containment, holdings, shipments,
 * touches, retractions): the SQL behind the DomainView and TraceReader methods and the domain
 * effects, run on the store's worker thread. Same queries and meanings as the SQLite store's
 * (src/store/sqlite-domain.ts); sets of codes are bound as text arrays (`= ANY($1)`) where SQLite
 * reads a JSON array through json_each.
 */
import { canonicalize } from '../core/jcs.js';
import type { DomainEffect, ObjectRow, ShipmentRow, Touch, TouchRole } from '../domain/rules.js';
import type { EdgeRow, HoldingRow, TraceTouch } from '../domain/trace.js';
import type { Sql } from './postgres-log.js';

interface ObjectDbRow { code: string; level: string; unit: string; quantity: number; producer: string; created_seq: number; created_by: string; spec: string; recalled_seq: number | null }
interface ShipmentDbRow { seq: number; sender: string; receiver: string; carrier: string | null; received_seq: number | null; retracted_seq: number | null }
interface EdgeDbRow { output: string; input: string; quantity: number; seq: number | null }
interface TouchDbRow { code: string; seq: number; role: TouchRole; signer: string; quantity: number | null; retracted_by: number | null }

const toObject = (r: ObjectDbRow): ObjectRow => ({
  code: r.code, level: r.level, unit: r.unit, quantity: r.quantity, producer: r.producer, createdSeq: r.created_seq,
  createdBy: r.created_by, spec: JSON.parse(r.spec) as ObjectRow['spec'], recalledSeq: r.recalled_seq,
});

const NOT_RETRACTED = 'NOT EXISTS (SELECT 1 FROM retractions r WHERE r.target_seq = t.seq)';

// One level of the ancestry (edges into a set of codes) or of the descendants (edges out of it),
// as in the SQLite store: upstream follows what logistic units contain now (unpacked children
// keep a containment row at quantity 0); downstream follows every containment.
const EDGES_INTO = `
  SELECT e.output, e.input, e.quantity, e.seq FROM edges e WHERE e.output = ANY($1::text[])
  UNION ALL
  SELECT c.parent, c.child, c.quantity, NULL FROM containment c WHERE c.parent = ANY($1::text[]) AND c.quantity > 0`;
const EDGES_OUT_OF = `
  SELECT e.output, e.input, e.quantity, e.seq FROM edges e WHERE e.input = ANY($1::text[])
  UNION ALL
  SELECT c.parent, c.child, c.quantity, NULL FROM containment c WHERE c.child = ANY($1::text[])`;

export function domainOps(sql: Sql) {
  /**
   * Every edge reachable from `start`, one query per level: `next` picks the far end of an edge
   * and each code is expanded once (the whole walk is one call from the store's caller).
   */
  async function walk(text: string, start: string, next: 'output' | 'input'): Promise<EdgeRow[]> {
    const seen = new Set([start]);
    const out: EdgeRow[] = [];
    for (let frontier = [start]; frontier.length > 0; ) {
      const rows = await sql<EdgeDbRow>(text, [frontier]);
      frontier = [];
      for (const r of rows) {
        out.push({ to: r.output, from: r.input, quantity: r.quantity, seq: r.seq, kind: r.seq === null ? 'packed' : 'transform' });
        const c = r[next];
        if (!seen.has(c)) {
          seen.add(c);
          frontier.push(c);
        }
      }
    }
    return out;
  }

  async function shipments(seqs: readonly number[]): Promise<ShipmentRow[]> {
    if (seqs.length === 0) return [];
    const heads = await sql<ShipmentDbRow>('SELECT * FROM shipments WHERE seq = ANY($1::bigint[]) ORDER BY seq', [seqs]);
    const items = await sql<{ shipment_seq: number; code: string; shipped: number; received: number | null }>(
      'SELECT shipment_seq, code, shipped, received FROM shipment_items WHERE shipment_seq = ANY($1::bigint[]) ORDER BY shipment_seq, code',
      [seqs],
    );
    return heads.map((r) => ({
      seq: r.seq, sender: r.sender, receiver: r.receiver, carrier: r.carrier, receivedSeq: r.received_seq, retractedSeq: r.retracted_seq,
      items: items.filter((i) => i.shipment_seq === r.seq).map((i) => ({ code: i.code, shipped: i.shipped, received: i.received })),
    }));
  }

  const seqs = (rows: Array<{ seq: number }>) => rows.map((r) => r.seq);

  return {
    async object(code: string) {
      const r = (await sql<ObjectDbRow>('SELECT * FROM objects WHERE code = $1', [code]))[0];
      return r && toObject(r);
    },
    objects: async (codes: readonly string[]) => (await sql<ObjectDbRow>('SELECT * FROM objects WHERE code = ANY($1::text[])', [codes])).map(toObject),
    holding: async (code: string, holder: string) =>
      (await sql<{ quantity: number }>('SELECT quantity FROM holdings WHERE code = $1 AND holder = $2', [code, holder]))[0]?.quantity ?? 0,
    holdingsOf: (codes: readonly string[]) =>
      sql<HoldingRow>('SELECT code, holder, quantity FROM holdings WHERE code = ANY($1::text[]) AND quantity > 0 ORDER BY code, holder', [codes]),
    inTransitTo: async (code: string, receiver: string) =>
      (await sql<{ n: number }>(
        `SELECT COALESCE(SUM(i.shipped), 0)::bigint AS n FROM shipment_items i JOIN shipments s ON s.seq = i.shipment_seq
         WHERE i.code = $1 AND s.receiver = $2 AND s.received_seq IS NULL AND s.retracted_seq IS NULL`,
        [code, receiver],
      ))[0]!.n,
    containersOf: (code: string) => sql<{ parent: string; quantity: number }>('SELECT parent, quantity FROM containment WHERE child = $1 AND quantity > 0', [code]),
    contents: (parent: string) => sql<{ child: string; quantity: number }>('SELECT child, quantity FROM containment WHERE parent = $1 ORDER BY child', [parent]),
    shipment: async (seq: number) => (await shipments([seq]))[0],
    shipmentsOf: async (codes: readonly string[]) =>
      // A retracted shipment is in no answer: the log without its entry would not have it (docs/events.md).
      shipments(seqs(await sql<{ seq: number }>(
        `SELECT DISTINCT i.shipment_seq AS seq FROM shipment_items i JOIN shipments s ON s.seq = i.shipment_seq
         WHERE i.code = ANY($1::text[]) AND s.retracted_seq IS NULL ORDER BY 1`,
        [codes],
      ))),
    retractionOf: async (seq: number) => (await sql<{ seq: number }>('SELECT seq FROM retractions WHERE target_seq = $1', [seq]))[0]?.seq,
    touchesOf: (seq: number) => sql<Touch>('SELECT code, seq, role, signer, quantity FROM touches WHERE seq = $1 ORDER BY code, role', [seq]),
    laterTouches: async (codes: readonly string[], after: number, signer?: string) =>
      seqs(await sql<{ seq: number }>(
        `SELECT DISTINCT t.seq FROM touches t WHERE t.code = ANY($1::text[]) AND t.seq > $2
         AND ($3::text IS NULL OR t.signer = $3) AND t.role <> 'retracted' AND ${NOT_RETRACTED} ORDER BY t.seq`,
        [codes, after, signer ?? null],
      )),
    standingRecalls: async (code: string) =>
      seqs(await sql<{ seq: number }>(`SELECT t.seq FROM touches t WHERE t.code = $1 AND t.role = 'recalled' AND ${NOT_RETRACTED} ORDER BY t.seq`, [code])),
    standingPackings: async (parent: string, child: string) =>
      seqs(await sql<{ seq: number }>(
        `SELECT t.seq FROM touches t JOIN touches c ON c.code = $1 AND c.seq = t.seq AND c.role = 'packed'
         WHERE t.code = $2 AND t.role = 'packed-into' AND ${NOT_RETRACTED} ORDER BY t.seq`,
        [child, parent],
      )),
    touchesFor: async (codes: readonly string[], roles?: readonly TouchRole[]): Promise<TraceTouch[]> =>
      (await sql<TouchDbRow>(
        `SELECT t.code, t.seq, t.role, t.signer, t.quantity, (SELECT r.seq FROM retractions r WHERE r.target_seq = t.seq) AS retracted_by
         FROM touches t WHERE t.code = ANY($1::text[]) AND ($2::text[] IS NULL OR t.role = ANY($2::text[]))
         ORDER BY t.seq, t.code, t.role`,
        [codes, roles ?? null],
      )).map((r) => ({ code: r.code, seq: r.seq, role: r.role, signer: r.signer, quantity: r.quantity, retractedBy: r.retracted_by })),
    upstreamEdges: (code: string) => walk(EDGES_INTO, code, 'input'),
    downstreamEdges: (code: string) => walk(EDGES_OUT_OF, code, 'output'),

    async applyDomainEffects(effects: readonly DomainEffect[]) {
      for (const e of effects) await applyDomainEffect(sql, e);
    },
  };
}

async function applyDomainEffect(sql: Sql, e: DomainEffect): Promise<void> {
  switch (e.kind) {
    case 'object.insert': {
      const o = e.object;
      await sql(
        'INSERT INTO objects (code, level, unit, quantity, producer, created_seq, created_by, spec, recalled_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
        [o.code, o.level, o.unit, o.quantity, o.producer, o.createdSeq, o.createdBy, canonicalize(o.spec), o.recalledSeq],
      );
      break;
    }
    case 'object.delete':
      await sql('DELETE FROM objects WHERE code = $1', [e.code]);
      await sql('DELETE FROM containment WHERE parent = $1', [e.code]);
      break;
    case 'holding.add': {
      await sql(
        'INSERT INTO holdings (code, holder, quantity) VALUES ($1, $2, $3) ON CONFLICT (code, holder) DO UPDATE SET quantity = holdings.quantity + excluded.quantity',
        [e.code, e.holder, e.delta],
      );
      // An emptied holding is no row at all, as in the SQLite store (and in a rebuild). No other
      // row is ever at 0, so this deletes only the one just emptied (without reading it back: the
      // writes of a commit are sent together, src/store/postgres-worker.ts).
      await sql('DELETE FROM holdings WHERE code = $1 AND holder = $2 AND quantity = 0', [e.code, e.holder]);
      break;
    }
    case 'edge.insert':
      await sql('INSERT INTO edges (output, input, quantity, seq) VALUES ($1, $2, $3, $4)', [e.output, e.input, e.quantity, e.seq]);
      break;
    case 'edges.delete':
      await sql('DELETE FROM edges WHERE output = $1', [e.output]);
      break;
    case 'contain.add':
      await sql(
        'INSERT INTO containment (parent, child, quantity) VALUES ($1, $2, $3) ON CONFLICT (parent, child) DO UPDATE SET quantity = containment.quantity + excluded.quantity',
        [e.parent, e.child, e.delta],
      );
      break;
    case 'contain.drop':
      await sql('DELETE FROM containment WHERE parent = $1 AND child = $2', [e.parent, e.child]);
      break;
    case 'shipment.insert': {
      const s = e.shipment;
      await sql('INSERT INTO shipments (seq, sender, receiver, carrier, received_seq, retracted_seq) VALUES ($1, $2, $3, $4, NULL, NULL)', [s.seq, s.sender, s.receiver, s.carrier]);
      for (const it of s.items) await sql('INSERT INTO shipment_items (shipment_seq, code, shipped, received) VALUES ($1, $2, $3, NULL)', [s.seq, it.code, it.shipped]);
      break;
    }
    case 'shipment.receive':
      await sql('UPDATE shipments SET received_seq = $1 WHERE seq = $2', [e.receivedSeq, e.seq]);
      for (const it of e.items) await sql('UPDATE shipment_items SET received = $1 WHERE shipment_seq = $2 AND code = $3', [it.received, e.seq, it.code]);
      break;
    case 'shipment.unreceive':
      await sql('UPDATE shipments SET received_seq = NULL WHERE seq = $1', [e.seq]);
      await sql('UPDATE shipment_items SET received = NULL WHERE shipment_seq = $1', [e.seq]);
      break;
    case 'shipment.retract':
      await sql('UPDATE shipments SET retracted_seq = $1 WHERE seq = $2', [e.retractedSeq, e.seq]);
      break;
    case 'touch': {
      const t = e.touch;
      await sql('INSERT INTO touches (code, seq, role, signer, quantity) VALUES ($1, $2, $3, $4, $5)', [t.code, t.seq, t.role, t.signer, t.quantity]);
      break;
    }
    case 'recall.set':
      await sql('UPDATE objects SET recalled_seq = $1 WHERE code = $2', [e.seq, e.code]);
      break;
    case 'retraction.insert':
      await sql('INSERT INTO retractions (target_seq, seq) VALUES ($1, $2)', [e.target, e.seq]);
      break;
  }
}
