/**
 * The deduplication indexes of the log, written in bulk: how a record is found by (signer, id)
 * (replays, conflicts) and by leaf hash (proofs, shipment receipts), and a participant's key by
 * kid and by participant. A speed-up, not part of what proves the log: the log is verified
 * without these tables, and they can be rebuilt from it (docs/internals.md, "Key lookups indexed
 * in bulk").
 *
 * Why in bulk: both record keys are hashes, so indexing each record as it was written put its
 * index entries on a random page of each index, and every commit wrote one index page per
 * record and index to the WAL: with 100-entry batches the two indexes cost ~15 % of the server's
 * CPU (measured without them: 7,211 → 8,423 entries/s). The newest records' keys are held here in
 * memory (the "tail", rebuilt from the records themselves at open: seq ≥ meta 'keys_indexed_upto')
 * and written to entry_keys and leaf_keys sorted, every `mergeAt` records and when the store
 * closes, so one page takes many keys at once. Keys are 6-byte integer prefixes of the hashes
 * (leafKeyOf, entryKeyOf): ~3× smaller index entries than the full values; lookups compare the
 * full values after the key. Participants' keys likewise go to kid_keys and participant_kids
 * (own watermark, 'kids_indexed_upto').
 *
 * The database still refuses a record that repeats the (signer, entry_id) or leaf hash of any
 * record in the key tables (schema.ts); the newest ones, still in the tail, are checked by the
 * ledger before it writes, and all of them by `trace-ledger verify --db`. Whether this pays against
 * plain unique indexes: bench/RESULTS.md ("Deferred key indexes against plain unique indexes";
 * inconclusive on a busy shared machine, to be rerun on a quiet one).
 */
import { hash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { EntryRef } from '../store.js';
import { kidTail, recordTail } from './key-tail.js';
import { u8, type KeyRow } from './rows.js';

/** meta key: every record with a smaller seq has its rows in entry_keys and leaf_keys. */
export const KEYS_INDEXED_UPTO = 'keys_indexed_upto';
/** meta key: every participant_keys row with a smaller added_seq has its rows in kid_keys and participant_kids. */
export const KIDS_INDEXED_UPTO = 'kids_indexed_upto';
/** Records whose keys are moved to the key tables at once (and what the tail holds at most, plus one commit). */
export const KEYS_MERGE_AT = 4096;

/** Index key of a leaf hash: its first 6 bytes, big-endian (a safe integer). */
export function leafKeyOf(leafHash: Uint8Array): number {
  return Buffer.from(leafHash.buffer, leafHash.byteOffset, leafHash.byteLength).readUIntBE(0, 6);
}

/** Index key of (signer, entry id): the first 6 bytes of SHA-256(signer ‖ 0x00 ‖ id). */
export function entryKeyOf(signer: string, entryId: string): number {
  return hash('sha256', `${signer}\u0000${entryId}`, 'buffer').readUIntBE(0, 6);
}

/**
 * SQL for the kid_keys key of a kid: its bytes (a kid is 16 hex digits); a kid that is not hex
 * (none the ledger writes) by its text, so that the merge never meets a NULL.
 */
export function kidBytes(column: string): string {
  return `COALESCE(unhex(${column}), CAST(${column} AS BLOB))`;
}

/** Where the tails stood: what a rolled-back transaction takes back (undoTo). */
export interface TailMark {
  readonly records: number;
  readonly kids: number;
  readonly merges: number;
}

export interface KeyIndex {
  /** The (signer, entry_id) key of a record, computed once for the lookup and the insert that follows it. */
  entryKey(signer: string, entryId: string): number;
  /** A record was inserted in the open transaction. */
  recordAdded(seq: number, signer: string, entryId: string, leafKey: number): void;
  /** A participant's key was inserted in the open transaction. */
  keyAdded(seq: number, kid: string, participant: string): void;
  entryBySignerId(signer: string, entryId: string): EntryRef | undefined;
  seqOfLeafHash(leafHash: Uint8Array): number | undefined;
  /** The participant_keys row of a kid. */
  keyRow(kid: string): KeyRow | undefined;
  /** A participant's participant_keys rows, in the order they were added. */
  keyRowsOf(participant: string): KeyRow[];
  mark(): TailMark;
  /** Take back what was added after `mark` (its rows were rolled back). */
  undoTo(mark: TailMark): void;
  /** At the end of a write transaction that appended `records`: merge a full tail. */
  mergeIfFull(records: number): void;
  /** Merge both tails (at close, inside a transaction). */
  mergeAll(): void;
  pending(): boolean;
  /** participant_keys, kid_keys and participant_kids were emptied (a rebuild of the derived state). */
  kidsCleared(): void;
}

/**
 * The key index of the database `db`. `writing()` says whether this connection is inside its own
 * write transaction (no other writer can have appended meanwhile).
 *
 * One function of ~160 lines on purpose: the two watermarks, the two tails and the merge count
 * are one state, which every method keeps consistent (a merge moves keys from a tail into a table
 * and advances its watermark in the same transaction; a rollback takes back both). The tails
 * themselves are plain data structures (key-tail.ts), the statements a third of the lines.
 */
export function keyIndex(db: Database.Database, mergeAt: number, writing: () => boolean): KeyIndex {
  const q = {
    size: db.prepare('SELECT COALESCE(MAX(seq), -1) + 1 AS n FROM records').pluck(),
    meta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
    setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    seqOfLeaf: db.prepare('SELECT k.seq FROM leaf_keys k JOIN records r ON r.seq = k.seq WHERE k.key = ? AND r.leaf_hash = ?').pluck(),
    bySignerId: db.prepare(
      'SELECT r.seq, r.payload_hash AS payloadHash FROM entry_keys k JOIN records r ON r.seq = k.seq WHERE k.key = ? AND r.signer = ? AND r.entry_id = ?',
    ),
    payloadHash: db.prepare('SELECT payload_hash FROM records WHERE seq = ?').pluck(),
    leafHash: db.prepare('SELECT leaf_hash FROM records WHERE seq = ?').pluck(),
    tail: db.prepare('SELECT seq, signer, entry_id, leaf_key FROM records WHERE seq >= ? ORDER BY seq'),
    // The merge: SQLite sorts the tail's keys itself, so each index page is written once per merge.
    mergeEntryKeys: db.prepare('INSERT INTO entry_keys (key, seq) SELECT entry_key, seq FROM records WHERE seq >= ? ORDER BY entry_key, seq'),
    mergeLeafKeys: db.prepare('INSERT INTO leaf_keys (key, seq) SELECT leaf_key, seq FROM records WHERE seq >= ? ORDER BY leaf_key, seq'),
    keyAt: db.prepare('SELECT * FROM participant_keys WHERE added_seq = ? AND kid = ?'),
    keyIndexed: db.prepare(`SELECT p.* FROM kid_keys k JOIN participant_keys p ON p.added_seq = k.seq AND p.kid = @kid WHERE k.kid = ${kidBytes('@kid')}`),
    tailKids: db.prepare('SELECT kid, added_seq AS seq, participant FROM participant_keys WHERE added_seq >= ? ORDER BY added_seq, kid'),
    mergeKids: db.prepare(`INSERT INTO kid_keys (kid, seq) SELECT ${kidBytes('kid')}, added_seq FROM participant_keys WHERE added_seq >= ? ORDER BY 1, 2`),
    mergeParticipantKids: db.prepare(
      'INSERT INTO participant_kids (participant, seq, kid) SELECT participant, added_seq, kid FROM participant_keys WHERE added_seq >= ? ORDER BY 1, 2, 3',
    ),
    keysOfIndexed: db.prepare(
      'SELECT p.* FROM participant_kids x JOIN participant_keys p ON p.added_seq = x.seq AND p.kid = x.kid WHERE x.participant = ? ORDER BY x.seq, x.kid',
    ),
  };

  // The newest records' keys (seq ≥ keysUpto) and participant keys (added_seq ≥ kidsUpto), not
  // yet in the key tables (key-tail.ts).
  let keysUpto = 0;
  let kidsUpto = 0;
  const records = recordTail();
  const kids = kidTail();
  /** Merges (and clears) so far: a rollback after one cannot be undone entry by entry (loadTail instead). */
  let merges = 0;
  // Sequencing an entry looks up its (signer, id) and then inserts it: one SHA-256 for both.
  let lastEntryKey: { signer: string; entryId: string; key: number } | undefined;

  function entryKey(signer: string, entryId: string): number {
    const last = lastEntryKey;
    if (last !== undefined && last.signer === signer && last.entryId === entryId) return last.key;
    const key = entryKeyOf(signer, entryId);
    lastEntryKey = { signer, entryId, key };
    return key;
  }
  /** One past the last record the tail (or the key tables) covers. */
  const tailEnd = (): number => records.end() ?? keysUpto;
  /** Read the records not yet in the key tables: at open, after a failed merge, or if another connection wrote. */
  function extendTail(): void {
    for (const r of q.tail.iterate(tailEnd()) as IterableIterator<{ seq: number; signer: string; entry_id: string; leaf_key: number }>) {
      records.add(r.seq, r.signer, r.entry_id, r.leaf_key);
    }
    for (const k of q.tailKids.iterate(kids.end() ?? kidsUpto) as IterableIterator<{ seq: number; kid: string; participant: string }>) kids.add(k.seq, k.kid, k.participant);
  }
  function loadTail(): void {
    keysUpto = Number(q.meta.get(KEYS_INDEXED_UPTO) ?? 0);
    kidsUpto = Number(q.meta.get(KIDS_INDEXED_UPTO) ?? 0);
    records.clear();
    kids.clear();
    extendTail();
  }
  /** Outside our own write transaction another connection may have appended: look once more. */
  function tailMayBeStale(): boolean {
    if (writing()) return false;
    const size = q.size.get() as number;
    if (size <= tailEnd()) return false;
    if (records.length > 4 * mergeAt) loadTail(); // a long-lived reader: start from the key tables again
    else extendTail();
    return true;
  }
  /** Write the tail's record keys into entry_keys and leaf_keys, sorted (one page takes many), inside the open transaction. */
  function mergeRecordKeys(): void {
    if (records.length === 0) return;
    merges++;
    q.mergeEntryKeys.run(keysUpto);
    q.mergeLeafKeys.run(keysUpto);
    keysUpto = tailEnd();
    q.setMeta.run(KEYS_INDEXED_UPTO, String(keysUpto));
    records.clear();
  }
  /** Likewise the tail's participant keys into kid_keys and participant_kids. */
  function mergeKids(): void {
    if (kids.length === 0) return;
    merges++;
    q.mergeKids.run(kidsUpto);
    q.mergeParticipantKids.run(kidsUpto);
    kidsUpto = kids.end()!;
    q.setMeta.run(KIDS_INDEXED_UPTO, String(kidsUpto));
    kids.clear();
  }
  const keyInTail = (kid: string): KeyRow | undefined => {
    const seq = kids.seqOf(kid);
    return seq === undefined ? undefined : (q.keyAt.get(seq, kid) as KeyRow | undefined);
  };

  loadTail();
  return {
    entryKey,
    recordAdded: (seq, signer, entryId, leafKey) => records.add(seq, signer, entryId, leafKey),
    keyAdded: (seq, kid, participant) => kids.add(seq, kid, participant),
    entryBySignerId(signer, entryId) {
      const inTail = (): EntryRef | undefined => {
        const seq = records.seqOfEntry(signer, entryId);
        return seq === undefined ? undefined : { seq, payloadHash: u8(q.payloadHash.get(seq) as Buffer) };
      };
      const indexed = (): EntryRef | undefined => {
        const r = q.bySignerId.get(entryKey(signer, entryId), signer, entryId) as { seq: number; payloadHash: Buffer } | undefined;
        return r && { seq: r.seq, payloadHash: u8(r.payloadHash) };
      };
      return inTail() ?? indexed() ?? (tailMayBeStale() ? inTail() : undefined);
    },
    seqOfLeafHash(leafHash) {
      if (leafHash.length !== 32) return undefined;
      const key = leafKeyOf(leafHash);
      const inTail = () => records.seqsOfLeafKey(key)?.find((seq) => (q.leafHash.get(seq) as Buffer).equals(leafHash));
      return inTail() ?? (q.seqOfLeaf.get(key, leafHash) as number | undefined) ?? (tailMayBeStale() ? inTail() : undefined);
    },
    keyRow: (kid) => keyInTail(kid) ?? (q.keyIndexed.get({ kid }) as KeyRow | undefined) ?? (tailMayBeStale() ? keyInTail(kid) : undefined),
    keyRowsOf(participant) {
      tailMayBeStale();
      const indexed = q.keysOfIndexed.all(participant) as KeyRow[];
      const newest = kids.of(participant).map((k) => q.keyAt.get(k.seq, k.kid) as KeyRow);
      return [...indexed, ...newest];
    },
    mark: () => ({ records: records.length, kids: kids.length, merges }),
    undoTo(mark) {
      if (merges !== mark.merges) {
        loadTail(); // the merge was rolled back too
        return;
      }
      records.truncate(mark.records);
      kids.truncate(mark.kids);
    },
    /**
     * A full tail goes to the key tables, but one of the two tails per transaction, so that a
     * commit stalls the event loop for at most one of the merges (key.add entries fill both tails
     * at once: the two merges took 13-22 ms together at ~4,000 single-entry requests/s, the
     * longest stalls of the loop). Small commits (1 to mergeAt / 128 records: single entries,
     * clients waiting on each) merge a tail at a quarter of mergeAt, so each merge is shorter;
     * larger ones wait for the whole mergeAt, where a merge writes fewer pages per key (batches
     * ran 4-5 % faster that way).
     */
    mergeIfFull(appended) {
      const small = appended > 0 && appended <= mergeAt / 128;
      const at = small ? Math.max(1, Math.floor(mergeAt / 4)) : mergeAt;
      if (records.length >= at) mergeRecordKeys();
      else if (kids.length >= at) mergeKids();
    },
    mergeAll() {
      mergeRecordKeys();
      mergeKids();
    },
    pending: () => records.length > 0 || kids.length > 0,
    kidsCleared() {
      // Every key the rebuild adds goes to the tail again; a rollback reads the tail back (as after a merge).
      merges++;
      kidsUpto = 0;
      q.setMeta.run(KIDS_INDEXED_UPTO, '0');
      kids.clear();
    },
  };
}
