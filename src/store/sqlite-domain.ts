/**
 * The traceability projections in SQLite: objects, input→output edges, containment, holdings,
 * shipments and the per-code index of entries (`touches`). They are caches of the log, written in
 * the same transaction as the record that causes them, and `rebuild` recreates them from the log
 * alone. Unlike the log tables they are updated in place (a holding goes down when it is shipped).
 */
import type Database from 'better-sqlite3';
import { canonicalize } from '../core/jcs.js';
import type { DomainEffect, ObjectRow, ShipmentRow, Touch, TouchRole } from '../domain/rules.js';
import type { EdgeRow, HoldingRow, TraceReader } from '../domain/trace.js';

export const DOMAIN_SCHEMA = `
  -- spec is canonical JSON (RFC 8785): the same bytes whether written live or by a rebuild.
  CREATE TABLE objects (
    code TEXT PRIMARY KEY, level TEXT NOT NULL, unit TEXT NOT NULL, quantity INTEGER NOT NULL,
    producer TEXT NOT NULL, created_seq INTEGER NOT NULL, created_by TEXT NOT NULL, spec TEXT NOT NULL,
    recalled_seq INTEGER
  ) WITHOUT ROWID;
  CREATE TABLE holdings (code TEXT NOT NULL, holder TEXT NOT NULL, quantity INTEGER NOT NULL, PRIMARY KEY (code, holder)) WITHOUT ROWID;
  CREATE TABLE edges (output TEXT NOT NULL, input TEXT NOT NULL, quantity INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (output, input)) WITHOUT ROWID;
  CREATE INDEX edges_input ON edges (input);
  CREATE TABLE containment (parent TEXT NOT NULL, child TEXT NOT NULL, quantity INTEGER NOT NULL, PRIMARY KEY (parent, child)) WITHOUT ROWID;
  CREATE INDEX containment_child ON containment (child);
  CREATE TABLE shipments (
    seq INTEGER PRIMARY KEY, sender TEXT NOT NULL, receiver TEXT NOT NULL, carrier TEXT,
    received_seq INTEGER, retracted_seq INTEGER
  );
  CREATE TABLE shipment_items (
    shipment_seq INTEGER NOT NULL, code TEXT NOT NULL, shipped INTEGER NOT NULL, received INTEGER,
    PRIMARY KEY (shipment_seq, code)
  ) WITHOUT ROWID;
  CREATE INDEX shipment_items_code ON shipment_items (code);
  CREATE TABLE touches (
    code TEXT NOT NULL, seq INTEGER NOT NULL, role TEXT NOT NULL, signer TEXT NOT NULL, quantity INTEGER,
    PRIMARY KEY (code, seq, role)
  ) WITHOUT ROWID;
  CREATE INDEX touches_seq ON touches (seq);
  CREATE TABLE retractions (target_seq INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
`;

/** Every projection table, in the order `rebuild` clears and a comparison dumps them. */
export const DOMAIN_TABLES = ['objects', 'holdings', 'edges', 'containment', 'shipments', 'shipment_items', 'touches', 'retractions'] as const;

interface ObjectDbRow { code: string; level: string; unit: string; quantity: number; producer: string; created_seq: number; created_by: string; spec: string; recalled_seq: number | null }
interface ShipmentDbRow { seq: number; sender: string; receiver: string; carrier: string | null; received_seq: number | null; retracted_seq: number | null }

const toObject = (r: ObjectDbRow): ObjectRow => ({
  code: r.code, level: r.level, unit: r.unit, quantity: r.quantity, producer: r.producer, createdSeq: r.created_seq,
  createdBy: r.created_by, spec: JSON.parse(r.spec) as ObjectRow['spec'], recalledSeq: r.recalled_seq,
});

/** The objects columns in the order `fromRaw` reads them (raw rows skip building a row object). */
const OBJECT_COLUMNS = 'code, level, unit, quantity, producer, created_seq, created_by, spec, recalled_seq';
type ObjectRawRow = [string, string, string, number, string, number, string, string, number | null];
const fromRaw = (r: ObjectRawRow): ObjectRow => ({
  code: r[0], level: r[1], unit: r[2], quantity: r[3], producer: r[4], createdSeq: r[5], createdBy: r[6],
  spec: JSON.parse(r[7]) as ObjectRow['spec'], recalledSeq: r[8],
});

/**
 * Every edge reachable from `start`, one query per level: `next` picks the far end of an edge
 * ([output, input, quantity, seq] rows; seq is null for containment) and each code is expanded once.
 */
function walk(stmt: Database.Statement, start: string, next: 0 | 1): EdgeRow[] {
  const seen = new Set([start]);
  const out: EdgeRow[] = [];
  for (let frontier = [start]; frontier.length > 0; ) {
    const rows = stmt.all({ codes: JSON.stringify(frontier) }) as Array<[string, string, number, number | null]>;
    frontier = [];
    for (const r of rows) {
      out.push({ to: r[0], from: r[1], quantity: r[2], seq: r[3], kind: r[3] === null ? 'packed' : 'transform' });
      const c = r[next];
      if (!seen.has(c)) {
        seen.add(c);
        frontier.push(c);
      }
    }
  }
  return out;
}

const NOT_RETRACTED = 'NOT EXISTS (SELECT 1 FROM retractions r WHERE r.target_seq = t.seq)';

export function domainStore(db: Database.Database) {
  const q = {
    object: db.prepare('SELECT * FROM objects WHERE code = ?'),
    objects: db.prepare(`SELECT ${OBJECT_COLUMNS} FROM objects WHERE code IN (SELECT value FROM json_each(?))`).raw(),
    holding: db.prepare('SELECT quantity FROM holdings WHERE code = ? AND holder = ?').pluck(),
    holdings: db.prepare('SELECT code, holder, quantity FROM holdings WHERE code IN (SELECT value FROM json_each(?)) AND quantity > 0 ORDER BY code, holder'),
    inTransitTo: db.prepare(
      `SELECT COALESCE(SUM(i.shipped), 0) FROM shipment_items i JOIN shipments s ON s.seq = i.shipment_seq
       WHERE i.code = ? AND s.receiver = ? AND s.received_seq IS NULL AND s.retracted_seq IS NULL`,
    ).pluck(),
    containersOf: db.prepare('SELECT parent, quantity FROM containment WHERE child = ? AND quantity > 0'),
    contents: db.prepare('SELECT child, quantity FROM containment WHERE parent = ? ORDER BY child'),
    shipment: db.prepare('SELECT * FROM shipments WHERE seq = ?'),
    shipmentItems: db.prepare('SELECT code, shipped, received FROM shipment_items WHERE shipment_seq = ? ORDER BY code'),
    shipmentsOf: db.prepare(
      // A retracted shipment is in no answer: the log without its entry would not have it (docs/events.md).
      `SELECT DISTINCT i.shipment_seq FROM shipment_items i JOIN shipments s ON s.seq = i.shipment_seq
       WHERE i.code IN (SELECT value FROM json_each(?)) AND s.retracted_seq IS NULL ORDER BY i.shipment_seq`,
    ).pluck(),
    retractionOf: db.prepare('SELECT seq FROM retractions WHERE target_seq = ?').pluck(),
    touchesOf: db.prepare('SELECT * FROM touches WHERE seq = ? ORDER BY code, role'),
    laterTouches: db.prepare(
      `SELECT DISTINCT t.seq FROM touches t WHERE t.code IN (SELECT value FROM json_each(?)) AND t.seq > ?
       AND (? IS NULL OR t.signer = ?) AND t.role != 'retracted' AND ${NOT_RETRACTED} ORDER BY t.seq`,
    ).pluck(),
    standingPackings: db.prepare(
      `SELECT t.seq FROM touches t JOIN touches c ON c.code = ? AND c.seq = t.seq AND c.role = 'packed'
       WHERE t.code = ? AND t.role = 'packed-into' AND ${NOT_RETRACTED} ORDER BY t.seq`,
    ).pluck(),
    standingRecalls: db.prepare(`SELECT t.seq FROM touches t WHERE t.code = ? AND t.role = 'recalled' AND ${NOT_RETRACTED} ORDER BY t.seq`).pluck(),
    touchesFor: db.prepare(
      `SELECT t.code, t.seq, t.role, t.signer, t.quantity, (SELECT r.seq FROM retractions r WHERE r.target_seq = t.seq) FROM touches t
       WHERE t.code IN (SELECT value FROM json_each(?)) AND (? IS NULL OR t.role IN (SELECT value FROM json_each(?)))
       ORDER BY t.seq, t.code, t.role`,
    ).raw(),
    // One level of the ancestry (edges into a set of codes) or of the descendants (edges out of
    // it): the walks below call these once per level, which is faster than a recursive CTE whose
    // closure then has to be joined with the edges again (9.5 against 3.7 ms for 1,155 ancestors).
    // Upstream follows what logistic units contain now (unpacked children keep a containment row
    // at quantity 0); downstream follows every containment (the child travelled in the unit).
    edgesInto: db.prepare(`
      SELECT e.output, e.input, e.quantity, e.seq FROM edges e WHERE e.output IN (SELECT value FROM json_each(@codes))
      UNION ALL
      SELECT c.parent, c.child, c.quantity, NULL FROM containment c WHERE c.parent IN (SELECT value FROM json_each(@codes)) AND c.quantity > 0`).raw(),
    edgesOutOf: db.prepare(`
      SELECT e.output, e.input, e.quantity, e.seq FROM edges e WHERE e.input IN (SELECT value FROM json_each(@codes))
      UNION ALL
      SELECT c.parent, c.child, c.quantity, NULL FROM containment c WHERE c.child IN (SELECT value FROM json_each(@codes))`).raw(),

    insertObject: db.prepare(
      'INSERT INTO objects (code, level, unit, quantity, producer, created_seq, created_by, spec, recalled_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    deleteObject: db.prepare('DELETE FROM objects WHERE code = ?'),
    addHolding: db.prepare(
      'INSERT INTO holdings (code, holder, quantity) VALUES (?, ?, ?) ON CONFLICT (code, holder) DO UPDATE SET quantity = quantity + excluded.quantity',
    ),
    dropEmptyHolding: db.prepare('DELETE FROM holdings WHERE code = ? AND holder = ? AND quantity = 0'),
    insertEdge: db.prepare('INSERT INTO edges (output, input, quantity, seq) VALUES (?, ?, ?, ?)'),
    deleteEdges: db.prepare('DELETE FROM edges WHERE output = ?'),
    addContained: db.prepare(
      'INSERT INTO containment (parent, child, quantity) VALUES (?, ?, ?) ON CONFLICT (parent, child) DO UPDATE SET quantity = quantity + excluded.quantity',
    ),
    dropContainment: db.prepare('DELETE FROM containment WHERE parent = ?'),
    dropContained: db.prepare('DELETE FROM containment WHERE parent = ? AND child = ?'),
    insertShipment: db.prepare('INSERT INTO shipments (seq, sender, receiver, carrier, received_seq, retracted_seq) VALUES (?, ?, ?, ?, NULL, NULL)'),
    insertShipmentItem: db.prepare('INSERT INTO shipment_items (shipment_seq, code, shipped, received) VALUES (?, ?, ?, NULL)'),
    receiveShipment: db.prepare('UPDATE shipments SET received_seq = ? WHERE seq = ?'),
    receiveItem: db.prepare('UPDATE shipment_items SET received = ? WHERE shipment_seq = ? AND code = ?'),
    unreceiveShipment: db.prepare('UPDATE shipments SET received_seq = NULL WHERE seq = ?'),
    unreceiveItems: db.prepare('UPDATE shipment_items SET received = NULL WHERE shipment_seq = ?'),
    retractShipment: db.prepare('UPDATE shipments SET retracted_seq = ? WHERE seq = ?'),
    insertTouch: db.prepare('INSERT INTO touches (code, seq, role, signer, quantity) VALUES (?, ?, ?, ?, ?)'),
    setRecall: db.prepare('UPDATE objects SET recalled_seq = ? WHERE code = ?'),
    insertRetraction: db.prepare('INSERT INTO retractions (target_seq, seq) VALUES (?, ?)'),
  };

  const shipment = (seq: number): ShipmentRow | undefined => {
    const r = q.shipment.get(seq) as ShipmentDbRow | undefined;
    if (r === undefined) return undefined;
    return {
      seq: r.seq, sender: r.sender, receiver: r.receiver, carrier: r.carrier, receivedSeq: r.received_seq, retractedSeq: r.retracted_seq,
      items: q.shipmentItems.all(seq) as ShipmentRow['items'],
    };
  };
  const toTouch = (r: Touch & { retracted_by?: number | null }) => r;

  // The rules read every input, shipped and inspected object, most of them recently made: a cache
  // by code saves the read and the parse of its spec. It follows every write below (insert,
  // delete, recall) and is dropped on a rollback (forget) and by clearProjections.
  const objectCache = new Map<string, ObjectRow | undefined>();
  const cacheObject = (code: string, o: ObjectRow | undefined) => {
    if (objectCache.size >= 50_000) objectCache.delete(objectCache.keys().next().value!);
    objectCache.set(code, o);
  };
  // Holdings the same way (key code NUL holder): the rules read what they then change, and a
  // known quantity tells whether a decrease emptied the holding (only then is the row deleted).
  const holdingCache = new Map<string, number>();
  const cacheHolding = (key: string, quantity: number) => {
    if (holdingCache.size >= 50_000) holdingCache.delete(holdingCache.keys().next().value!);
    holdingCache.set(key, quantity);
  };

  const reader = {
    object(code: string): ObjectRow | undefined {
      let o = objectCache.get(code);
      if (o === undefined && !objectCache.has(code)) {
        const r = q.object.get(code) as ObjectDbRow | undefined;
        o = r && toObject(r);
        cacheObject(code, o);
      }
      return o;
    },
    objects: (codes: readonly string[]) => (q.objects.all(JSON.stringify(codes)) as ObjectRawRow[]).map(fromRaw),
    holding(code: string, holder: string): number {
      const key = `${code}\u0000${holder}`;
      let quantity = holdingCache.get(key);
      if (quantity === undefined) {
        quantity = (q.holding.get(code, holder) as number | undefined) ?? 0;
        cacheHolding(key, quantity);
      }
      return quantity;
    },
    holdingsOf: (codes: readonly string[]) => q.holdings.all(JSON.stringify(codes)) as HoldingRow[],
    inTransitTo: (code: string, receiver: string) => q.inTransitTo.get(code, receiver) as number,
    containersOf: (code: string) => q.containersOf.all(code) as Array<{ parent: string; quantity: number }>,
    contents: (parent: string) => q.contents.all(parent) as Array<{ child: string; quantity: number }>,
    shipment,
    shipmentsOf: (codes: readonly string[]) => (q.shipmentsOf.all(JSON.stringify(codes)) as number[]).map((s) => shipment(s)!),
    retractionOf: (seq: number) => q.retractionOf.get(seq) as number | undefined,
    touchesOf: (seq: number) => (q.touchesOf.all(seq) as Touch[]).map(toTouch),
    // better-sqlite3 binds anonymous parameters only (no ?NNN), so the optional signer is bound twice.
    laterTouches: (codes: readonly string[], after: number, signer?: string) =>
      q.laterTouches.all(JSON.stringify(codes), after, signer ?? null, signer ?? null) as number[],
    standingRecalls: (code: string) => q.standingRecalls.all(code) as number[],
    standingPackings: (parent: string, child: string) => q.standingPackings.all(child, parent) as number[],
    touchesFor: (codes: readonly string[], roles?: readonly TouchRole[]) =>
      (q.touchesFor.all(JSON.stringify(codes), roles === undefined ? null : 1, roles === undefined ? null : JSON.stringify(roles)) as Array<[string, number, TouchRole, string, number | null, number | null]>).map((r) => ({
        code: r[0], seq: r[1], role: r[2], signer: r[3], quantity: r[4], retractedBy: r[5],
      })),
    upstreamEdges: (code: string) => walk(q.edgesInto, code, 1),
    downstreamEdges: (code: string) => walk(q.edgesOutOf, code, 0),
  } satisfies Partial<TraceReader> & Record<string, unknown>;

  function applyDomainEffects(effects: readonly DomainEffect[]): void {
    for (const e of effects) {
      switch (e.kind) {
        case 'object.insert': {
          const o = e.object;
          const spec = canonicalize(o.spec);
          q.insertObject.run(o.code, o.level, o.unit, o.quantity, o.producer, o.createdSeq, o.createdBy, spec, o.recalledSeq);
          // As a read would return it: the spec as stored.
          cacheObject(o.code, { ...o, spec: JSON.parse(spec) as ObjectRow['spec'] });
          break;
        }
        case 'object.delete':
          q.deleteObject.run(e.code);
          q.dropContainment.run(e.code);
          objectCache.delete(e.code);
          break;
        case 'holding.add': {
          q.addHolding.run(e.code, e.holder, e.delta);
          const key = `${e.code}\u0000${e.holder}`;
          const before = holdingCache.get(key);
          if (before === undefined) {
            if (e.delta < 0) q.dropEmptyHolding.run(e.code, e.holder); // quantity unknown: delete if 0
          } else {
            if (before + e.delta === 0) q.dropEmptyHolding.run(e.code, e.holder);
            cacheHolding(key, before + e.delta);
          }
          break;
        }
        case 'edge.insert':
          q.insertEdge.run(e.output, e.input, e.quantity, e.seq);
          break;
        case 'edges.delete':
          q.deleteEdges.run(e.output);
          break;
        case 'contain.add':
          q.addContained.run(e.parent, e.child, e.delta);
          break;
        case 'contain.drop':
          q.dropContained.run(e.parent, e.child);
          break;
        case 'shipment.insert': {
          const s = e.shipment;
          q.insertShipment.run(s.seq, s.sender, s.receiver, s.carrier);
          for (const it of s.items) q.insertShipmentItem.run(s.seq, it.code, it.shipped);
          break;
        }
        case 'shipment.receive':
          q.receiveShipment.run(e.receivedSeq, e.seq);
          for (const it of e.items) q.receiveItem.run(it.received, e.seq, it.code);
          break;
        case 'shipment.unreceive':
          q.unreceiveShipment.run(e.seq);
          q.unreceiveItems.run(e.seq);
          break;
        case 'shipment.retract':
          q.retractShipment.run(e.retractedSeq, e.seq);
          break;
        case 'touch': {
          const t = e.touch;
          q.insertTouch.run(t.code, t.seq, t.role, t.signer, t.quantity);
          break;
        }
        case 'recall.set':
          q.setRecall.run(e.seq, e.code);
          objectCache.delete(e.code);
          break;
        case 'retraction.insert':
          q.insertRetraction.run(e.target, e.seq);
          break;
      }
    }
  }

  /** Every projection row, ordered: what a rebuild must reproduce exactly. */
  function dumpProjections(extra: readonly string[] = []): Record<string, unknown[]> {
    return Object.fromEntries(
      [...extra, ...DOMAIN_TABLES].map((t) => {
        const cols = (db.prepare(`PRAGMA table_info(${t})`).all() as Array<{ name: string }>).map((c) => c.name);
        return [t, db.prepare(`SELECT * FROM ${t} ORDER BY ${cols.join(', ')}`).all()];
      }),
    );
  }

  function clearProjections(): void {
    for (const t of DOMAIN_TABLES) db.prepare(`DELETE FROM ${t}`).run();
    objectCache.clear();
    holdingCache.clear();
  }

  /** Drop what is cached of the projections (a rollback may have undone writes it follows). */
  const forget = () => {
    objectCache.clear();
    holdingCache.clear();
  };

  return { reader, applyDomainEffects, dumpProjections, clearProjections, forget };
}
