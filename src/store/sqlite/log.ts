/**
 * The log tables: records, Merkle nodes, checkpoints and meta, and the parsed payloads the trace
 * queries read (records never change, so they are cached). Deduplication lookups go through the
 * key index (key-index.ts).
 */
import type Database from 'better-sqlite3';
import { LedgerError } from '../../core/errors.js';
import { toHex } from '../../core/bytes.js';
import type { LedgerRecord } from '../../core/record.js';
import type { Payload } from '../../domain/schemas.js';
import type { CheckpointLog, MerkleNodeStore, NewRecord, RecordLog } from '../store.js';
import type { KeyIndex } from './key-index.js';
import { leafKeyOf } from './key-index.js';
import { merklePos } from './merkle-layout.js';
import { toCheckpoint, toRecord, u8, type CheckpointRow, type RecordRow } from './rows.js';

/** Payloads parsed at most (the trace queries read many; a 1M-record log would not fit). */
const PAYLOAD_CACHE = 50_000;

/** @throws LedgerError LEDGER_STORE_CORRUPT: a row the log must have is missing */
export const missing = (what: string): never => {
  throw new LedgerError('LEDGER_STORE_CORRUPT', `missing ${what}: the database is incomplete or was modified`);
};

/** The record reads the trace queries and the rules make. */
export interface RecordReads {
  payloadAt(seq: number): Payload;
  signingKidAt(seq: number): string;
  recordMeta(seq: number): { recordedAt: string; leafHash: string };
}

export interface SqliteLog extends RecordLog, MerkleNodeStore, CheckpointLog, RecordReads {
  /** Drop the cached payloads (a rolled-back record's seq is reused by the next entry). */
  forget(): void;
}

export function sqliteLog(db: Database.Database, keys: KeyIndex): SqliteLog {
  const q = {
    size: db.prepare('SELECT COALESCE(MAX(seq), -1) + 1 AS n FROM records').pluck(),
    // An index-only scan of the smallest index: about 20-35 ms per million records.
    count: db.prepare('SELECT COUNT(*) FROM records').pluck(),
    record: db.prepare('SELECT seq, leaf, leaf_hash, chain_hash FROM records WHERE seq = ?'),
    records: db.prepare('SELECT seq, leaf, leaf_hash, chain_hash FROM records WHERE seq > ? ORDER BY seq LIMIT ?'),
    range: db.prepare('SELECT seq, leaf, leaf_hash, chain_hash FROM records WHERE seq >= ? AND seq < ? ORDER BY seq'),
    signersBetween: db.prepare('SELECT DISTINCT signer FROM records WHERE seq >= ? AND seq < ? ORDER BY signer').pluck(),
    leafHash: db.prepare('SELECT leaf_hash FROM records WHERE seq = ?').pluck(),
    node: db.prepare('SELECT hash FROM merkle_nodes WHERE pos = ?').pluck(),
    latestCheckpoint: db.prepare('SELECT size, root, note, signed_at FROM checkpoints ORDER BY id DESC LIMIT 1'),
    checkpoints: db.prepare('SELECT size, root, note, signed_at FROM checkpoints WHERE size < ? ORDER BY id DESC LIMIT ?'),
    meta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
    insertRecord: db.prepare(
      'INSERT INTO records (seq, signer, entry_id, type, payload_hash, leaf, leaf_hash, chain_hash, leaf_key, entry_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    insertNode: db.prepare('INSERT INTO merkle_nodes (pos, hash) VALUES (?, ?)'),
    insertCheckpoint: db.prepare('INSERT INTO checkpoints (size, root, note, signed_at) VALUES (?, ?, ?, ?)'),
    setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
  };
  const payloads = new Map<number, Payload>();
  const parseRecord = (seq: number): LedgerRecord => {
    const r = q.record.get(seq) as RecordRow | undefined;
    if (r === undefined) return missing(`record ${seq}`);
    return JSON.parse(r.leaf.toString('utf8')) as LedgerRecord;
  };

  return {
    size: () => q.size.get() as number,
    recordCount: () => q.count.get() as number,
    record(seq) {
      const r = q.record.get(seq) as RecordRow | undefined;
      return r && toRecord(r);
    },
    records: (after, limit) => (q.records.all(after, limit) as RecordRow[]).map(toRecord),
    *iterateRecords(from, to) {
      for (const r of q.range.iterate(from, to) as IterableIterator<RecordRow>) yield toRecord(r);
    },
    signersBetween: (from, to) => q.signersBetween.all(from, to) as string[],
    seqOfLeafHash: (leafHash) => keys.seqOfLeafHash(leafHash),
    entryBySignerId: (signer, id) => keys.entryBySignerId(signer, id),
    insertRecord(r: NewRecord) {
      const leafKey = leafKeyOf(r.leafHash);
      q.insertRecord.run(r.seq, r.signer, r.entryId, r.type, r.payloadHash, r.leaf, r.leafHash, r.chainHash, leafKey, keys.entryKey(r.signer, r.entryId));
      keys.recordAdded(r.seq, r.signer, r.entryId, leafKey);
    },

    node(level, index) {
      const h = (level === 0 ? q.leafHash.get(index) : q.node.get(merklePos(level, index))) as Buffer | undefined;
      return h === undefined ? missing(`Merkle node (${level}, ${index})`) : u8(h);
    },
    insertNodes(nodes) {
      for (const n of nodes) q.insertNode.run(merklePos(n.level, n.index), n.hash);
    },

    latestCheckpoint() {
      const r = q.latestCheckpoint.get() as CheckpointRow | undefined;
      return r && toCheckpoint(r);
    },
    checkpoints: (limit, beforeSize = Number.MAX_SAFE_INTEGER) => (q.checkpoints.all(beforeSize, limit) as CheckpointRow[]).map(toCheckpoint),
    insertCheckpoint(cp) {
      q.insertCheckpoint.run(cp.size, cp.root, cp.note, cp.signedAt);
    },
    meta: (key) => q.meta.get(key) as string | undefined,
    setMeta(key, value) {
      q.setMeta.run(key, value);
    },

    payloadAt(seq) {
      let p = payloads.get(seq);
      if (p === undefined) {
        p = parseRecord(seq).entry.payload as unknown as Payload;
        if (payloads.size >= PAYLOAD_CACHE) payloads.delete(payloads.keys().next().value!);
        payloads.set(seq, p);
      }
      return p;
    },
    signingKidAt: (seq) => parseRecord(seq).entry.signature.kid,
    recordMeta(seq) {
      const r = q.record.get(seq) as RecordRow | undefined;
      if (r === undefined) return missing(`record ${seq}`);
      return { recordedAt: (JSON.parse(r.leaf.toString('utf8')) as LedgerRecord).recordedAt, leafHash: toHex(r.leaf_hash) };
    },
    forget: () => payloads.clear(),
  };
}
