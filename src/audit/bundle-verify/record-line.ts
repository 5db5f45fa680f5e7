/**
 * One record line read as data (docs/audit.md "Bundle format"):
 * `{"record":R,"leafHash":"…","chainHash":"…"[,"inclusion":[…]]}`, with R = {entry, recordedAt, seq}.
 * Its shape is checked here; what it proves is checked in records.ts.
 */
import { utf8 } from '../../core/bytes.js';
import { canonicalize, parseJson } from '../../core/jcs.js';
import { HEX64, codeOf, isObject, isSize, keysProblem, messageOf, type BundleRun, type Obj } from './context.js';

export interface RecordLine {
  readonly seq: number;
  readonly entry: Obj;
  readonly payload: Obj;
  readonly signature: { readonly kid: string; readonly sig: string };
  /** JCS(record): the leaf the log holds, hashed as read in the exporter's layout. */
  readonly leaf: Uint8Array;
  /** JCS(payload): what the signature covers, after the signing prefix. */
  readonly payloadBytes: Uint8Array;
  readonly statedLeaf: string;
  readonly statedChain: string;
  readonly inclusion: readonly string[] | undefined;
}

/** Why a line could not be read as a record line; the Merkle root then cannot be recomputed. */
export interface Unreadable {
  readonly unreadable: string;
}

const RECORD_OPEN = '{"record":';
const LINE_TAIL_MARK = ',"leafHash":"';
// The rest of a record line as the exporter writes it (ASCII only, so char and byte offsets agree).
const LINE_TAIL = /,"leafHash":"([0-9a-f]{64})","chainHash":"([0-9a-f]{64})"(?:,"inclusion":\[(?:"[A-Za-z0-9+/]{43}="(?:,"[A-Za-z0-9+/]{43}=")*)?\])?\}$/y;
const RECORD_HEAD = '{"entry":{"payload":';
const RECORD_TAIL_MARK = ',"signature":{"kid":"';
// JCS(record) after the payload (RFC 8785 §3.2.3 key order: entry < recordedAt < seq, kid < sig).
const RECORD_TAIL = /,"signature":\{"kid":"[0-9a-f]{16}","sig":"[A-Za-z0-9_-]{86}"\}\},"recordedAt":"[0-9TZ:.+-]{1,40}","seq":(?:0|[1-9][0-9]{0,15})\}/y;

/**
 * The exporter's exact layout: `{"record":` R `,"leafHash":"…","chainHash":"…"[,"inclusion":[…]]}`
 * with R = `{"entry":{"payload":` P `,"signature":{…}},"recordedAt":"…","seq":N}`. Returns the
 * byte ranges of R (to hash as read) and P (the signed payload), or undefined for any other
 * layout. Only ASCII is matched after P, so char and byte offsets from the end agree.
 */
function exporterLayout(text: string, bytes: Uint8Array): { leaf: Uint8Array; payload: Uint8Array } | undefined {
  if (!text.startsWith(RECORD_OPEN)) return undefined;
  const tailAt = text.lastIndexOf(LINE_TAIL_MARK);
  if (tailAt < 0) return undefined;
  LINE_TAIL.lastIndex = tailAt;
  if (!LINE_TAIL.test(text)) return undefined;
  const sigAt = text.lastIndexOf(RECORD_TAIL_MARK, tailAt);
  if (sigAt < RECORD_OPEN.length + RECORD_HEAD.length || !text.startsWith(RECORD_HEAD, RECORD_OPEN.length)) return undefined;
  RECORD_TAIL.lastIndex = sigAt;
  const m = RECORD_TAIL.exec(text);
  if (m === null || m.index + m[0].length !== tailAt) return undefined;
  const leafEnd = bytes.length - (text.length - tailAt);
  return {
    leaf: bytes.subarray(RECORD_OPEN.length, leafEnd),
    payload: bytes.subarray(RECORD_OPEN.length + RECORD_HEAD.length, leafEnd - (tailAt - sigAt)),
  };
}

/**
 * Reads a record line, reporting every way it is not one as a `format` failure. In the exporter's
 * layout, everything outside R was matched exactly (no duplicate or stray member can hide there)
 * and R itself is hashed as read, so plain JSON.parse is enough; any other line goes through the
 * strict parser and is canonicalised from its parsed values. Either way, what is hashed is what the
 * root or the inclusion proof vouches for, and the signature is checked over the payload bytes
 * inside it.
 */
export function readRecordLine(run: BundleRun, text: string, bytes: Uint8Array, line: number): RecordLine | Unreadable {
  const layout = exporterLayout(text, bytes);
  let v: unknown;
  try {
    v = layout === undefined ? parseJson(text) : JSON.parse(text);
  } catch (e) {
    run.fail('format', line, null, `not JSON: ${messageOf(e)}`, { code: codeOf(e) });
    return { unreadable: `line ${line} could not be read` };
  }
  const bad = (message: string, seq: number | null = null): Unreadable => {
    run.fail('format', line, seq, message);
    return { unreadable: `line ${line} is not a record line` };
  };
  if (!isObject(v)) return bad('not a JSON object');
  if (layout === undefined) {
    const shape = keysProblem(v, ['record', 'leafHash', 'chainHash'], ['inclusion']);
    if (shape !== undefined) return bad(`record line: ${shape}`);
  }
  const record = v['record'];
  if (!isObject(record) || (layout === undefined && keysProblem(record, ['entry', 'recordedAt', 'seq']) !== undefined)) return bad('record must be {entry, recordedAt, seq}');
  const seq = record['seq'];
  if (!isSize(seq)) return bad('record.seq must be a non-negative integer');
  const entry = record['entry'];
  if (!isObject(entry) || (layout === undefined && keysProblem(entry, ['payload', 'signature']) !== undefined)) return bad('record.entry must be {payload, signature}', seq);
  const payload = entry['payload'];
  const signature = entry['signature'];
  if (!isObject(payload) || typeof payload['type'] !== 'string' || typeof payload['signer'] !== 'string' || typeof payload['id'] !== 'string' || typeof payload['time'] !== 'string') {
    return bad('record.entry.payload must be an object with string type, id, signer and time', seq);
  }
  if (!isObject(signature) || (layout === undefined && keysProblem(signature, ['kid', 'sig']) !== undefined) || typeof signature['kid'] !== 'string' || typeof signature['sig'] !== 'string') {
    return bad('record.entry.signature must be {kid, sig} strings', seq);
  }
  if (typeof record['recordedAt'] !== 'string') return bad('record.recordedAt must be a string', seq);
  const statedLeaf = v['leafHash'];
  const statedChain = v['chainHash'];
  if (typeof statedLeaf !== 'string' || !HEX64.test(statedLeaf)) return bad('leafHash must be 64 lowercase hex digits', seq);
  if (typeof statedChain !== 'string' || !HEX64.test(statedChain)) return bad('chainHash must be 64 lowercase hex digits', seq);
  const inclusion = v['inclusion'];
  if (inclusion !== undefined && (!Array.isArray(inclusion) || !inclusion.every((h) => typeof h === 'string'))) return bad('inclusion must be an array of base64 strings', seq);

  let leaf: Uint8Array;
  let payloadBytes: Uint8Array;
  if (layout !== undefined) {
    ({ leaf, payload: payloadBytes } = layout);
  } else {
    try {
      leaf = utf8(canonicalize(record));
      payloadBytes = utf8(canonicalize(payload));
    } catch (e) {
      run.fail('format', line, seq, `record cannot be canonicalised (RFC 8785): ${messageOf(e)}`, { code: codeOf(e) });
      return { unreadable: `line ${line} could not be hashed` };
    }
  }
  return {
    seq, entry, payload, leaf, payloadBytes, statedLeaf, statedChain,
    signature: { kid: signature['kid'] as string, sig: signature['sig'] as string },
    inclusion: inclusion as string[] | undefined,
  };
}
