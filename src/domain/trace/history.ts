/**
 * History of one object (README "HTTP API"): every entry that touched it, in seq order, with the
 * roles it played in each, its retraction if any, and whether an operator-added key signed it.
 */
import { operatorKeyFlagAt } from '../key-provenance.js';
import { groupBy, requireCode, summary } from './answer.js';
import type { TraceReader } from './reader.js';

/**
 * The history answer of `code`.
 * @throws LedgerError TRACE_CODE_INVALID | TRACE_OBJECT_NOT_FOUND
 */
export function history(reader: TraceReader, code: string) {
  const root = requireCode(reader, code);
  const touches = reader.touchesFor([root.code]);
  const bySeq = groupBy(touches, (t) => String(t.seq));
  const keys = reader.operatorAddedKeys();
  return {
    code: root.code,
    object: summary(reader, root),
    entries: [...bySeq.values()].map((ts) => {
      const t = ts[0]!;
      const p = reader.payloadAt(t.seq);
      const operatorKey = operatorKeyFlagAt(reader, t.seq, keys);
      return {
        seq: t.seq, type: p.type, signer: p.signer, time: p.time, recordedAt: reader.recordMeta(t.seq).recordedAt, roles: ts.map((x) => x.role), retractedBy: t.retractedBy,
        // Signed with a recovery key the operator added, not one the signer added itself.
        operatorAddedKey: operatorKey !== undefined,
        payload: p,
      };
    }),
  };
}
