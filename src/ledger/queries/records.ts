/** The log's records as readers see them: only below the durable head. */
import { toHex } from '../../core/bytes.js';
import { LedgerError } from '../../core/errors.js';
import type { LedgerRecord } from '../../core/record.js';
import type { LedgerStore, StoredRecord } from '../../store/store.js';
import type { Heads } from '../heads.js';

export interface RecordView {
  readonly record: LedgerRecord;
  readonly leafHash: string;
  readonly chainHash: string;
}

export interface RecordQueries {
  /**
   * The durable record at `seq`.
   * @throws LedgerError LEDGER_ENTRY_NOT_FOUND
   */
  record(seq: number): RecordView;
  /** Up to `limit` durable records after seq `after`. */
  records(after: number, limit: number): RecordView[];
  /**
   * The seq of the durable record with this leaf hash (hex).
   * @throws LedgerError LEDGER_ENTRY_NOT_FOUND
   */
  seqOfLeafHash(leafHashHex: string): number;
}

export function recordView(r: StoredRecord): RecordView {
  return {
    record: JSON.parse(new TextDecoder().decode(r.leaf)) as LedgerRecord,
    leafHash: toHex(r.leafHash),
    chainHash: toHex(r.chainHash),
  };
}

export function createRecordQueries(store: LedgerStore, heads: Readonly<Heads>): RecordQueries {
  return {
    record(seq) {
      const r = Number.isSafeInteger(seq) && seq >= 0 && seq < heads.durable.size ? store.record(seq) : undefined;
      if (r === undefined) throw new LedgerError('LEDGER_ENTRY_NOT_FOUND', `no record with seq ${seq} (the log has ${heads.durable.size})`);
      return recordView(r);
    },
    records: (after, limit) => store.records(after, Math.max(0, Math.min(limit, heads.durable.size - 1 - after))).map(recordView),
    seqOfLeafHash(leafHashHex) {
      const seq = /^[0-9a-f]{64}$/i.test(leafHashHex) ? store.seqOfLeafHash(Buffer.from(leafHashHex, 'hex')) : undefined;
      if (seq === undefined || seq >= heads.durable.size) throw new LedgerError('LEDGER_ENTRY_NOT_FOUND', `no record with leaf hash ${leafHashHex}`);
      return seq;
    },
  };
}
