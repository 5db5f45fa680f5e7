/**
 * The one error type of trace-ledger. Every failure a caller can cause or observe carries a stable
 * `code` from the literal union below; `docs/errors.md` is the table users read, and a test keeps
 * that table and this one equal. Misuse by our own code (wrong argument types) is a TypeError or
 * RangeError instead, never a LedgerError.
 */

/** Code → HTTP status and a short human title (RFC 9457 `title`). */
export const ERROR_CODES = {
  LEDGER_JSON_INVALID: { status: 400, title: 'Malformed JSON' },
  LEDGER_CANONICAL_JSON_INVALID: { status: 400, title: 'Value cannot be canonicalised (RFC 8785)' },
  LEDGER_ENCODING_INVALID: { status: 400, title: 'Malformed hex or base64' },
  LEDGER_ENTRY_INVALID: { status: 400, title: 'Entry does not match the schema' },
  LEDGER_QUERY_INVALID: { status: 400, title: 'Invalid query or path parameter' },
  LEDGER_SIGNATURE_INVALID: { status: 400, title: 'Signature does not verify' },
  LEDGER_SIGNER_UNKNOWN: { status: 400, title: 'Signer is not a registered participant' },
  LEDGER_KEY_UNKNOWN: { status: 400, title: 'Key id is not registered for the signer' },
  LEDGER_KEY_REVOKED: { status: 400, title: 'Key was revoked before this entry' },
  LEDGER_KEY_INVALID: { status: 400, title: 'Malformed key' },
  LEDGER_TIME_IN_FUTURE: { status: 400, title: 'Entry time is beyond the allowed clock skew' },
  LEDGER_PERMISSION_DENIED: { status: 403, title: 'Signer may not sign this kind of entry' },
  LEDGER_ENTRY_CONFLICT: { status: 409, title: 'Entry id already used with a different payload' },
  LEDGER_PARTICIPANT_EXISTS: { status: 409, title: 'Participant is already registered' },
  LEDGER_KEY_EXISTS: { status: 409, title: 'Key is already registered' },
  LEDGER_NOT_FOUND: { status: 404, title: 'No such resource' },
  LEDGER_ENTRY_NOT_FOUND: { status: 404, title: 'No entry with that seq or leaf hash' },
  LEDGER_PARTICIPANT_NOT_FOUND: { status: 404, title: 'No such participant' },
  LEDGER_PROOF_RANGE: { status: 400, title: 'Proof parameters are outside the log' },
  LEDGER_REQUEST_MALFORMED: { status: 400, title: 'Malformed HTTP request' },
  LEDGER_REQUEST_TIMEOUT: { status: 408, title: 'Request not received in time' },
  LEDGER_BODY_TOO_LARGE: { status: 413, title: 'Request body too large' },
  LEDGER_BATCH_TOO_LARGE: { status: 413, title: 'Too many entries in one batch' },
  LEDGER_URI_TOO_LONG: { status: 414, title: 'Path parameter too long' },
  LEDGER_MEDIA_TYPE_UNSUPPORTED: { status: 415, title: 'Unsupported content type' },
  LEDGER_HEADERS_TOO_LARGE: { status: 431, title: 'Request line and headers too large' },
  LEDGER_INCLUSION_PROOF_INVALID: { status: 422, title: 'Inclusion proof does not verify' },
  LEDGER_CONSISTENCY_PROOF_INVALID: { status: 422, title: 'Consistency proof does not verify' },
  LEDGER_NOTE_MALFORMED: { status: 422, title: 'Signed note is malformed' },
  LEDGER_CHECKPOINT_INVALID: { status: 422, title: 'Checkpoint body is malformed' },
  LEDGER_CHECKPOINT_SIGNATURE_INVALID: { status: 422, title: 'Checkpoint is not signed by the expected key' },
  TRACE_CODE_INVALID: { status: 400, title: 'Malformed object code' },
  TRACE_OBJECT_NOT_FOUND: { status: 404, title: 'No object with that code' },
  TRACE_OBJECT_UNKNOWN: { status: 422, title: 'Entry refers to an object that was never commissioned' },
  TRACE_ALREADY_COMMISSIONED: { status: 409, title: 'Code is already commissioned' },
  TRACE_CODE_NOT_OWNED: { status: 403, title: 'Code is not under a company prefix of the signer' },
  TRACE_PREFIX_CONFLICT: { status: 409, title: 'Company prefix overlaps another participant\'s' },
  TRACE_DELEGATION_UNKNOWN: { status: 422, title: 'No standing delegation of that prefix' },
  TRACE_NOT_HOLDER: { status: 403, title: 'Signer does not hold the object' },
  TRACE_QUANTITY_INVALID: { status: 400, title: 'Quantity is not a whole number of millionths of its unit above 0' },
  TRACE_QUANTITY_EXCEEDED: { status: 409, title: 'Quantity exceeds what remains' },
  TRACE_UNIT_MISMATCH: { status: 422, title: 'Quantity unit differs from the object\'s unit' },
  TRACE_OBJECT_RECALLED: { status: 409, title: 'Object is recalled' },
  TRACE_OBJECT_IN_TRANSIT: { status: 409, title: 'Object is in transit' },
  TRACE_CONTAINER_INVALID: { status: 409, title: 'Aggregation does not fit the containment state' },
  TRACE_SHIPMENT_UNKNOWN: { status: 422, title: 'No shipment with that leaf hash' },
  TRACE_NOT_ADDRESSEE: { status: 403, title: 'Only the addressee receives a shipment' },
  TRACE_ALREADY_RECEIVED: { status: 409, title: 'Shipment was already received' },
  TRACE_ALLOCATION_INVALID: { status: 422, title: 'Output allocation shares are missing or do not sum to 1' },
  TRACE_RETRACT_DENIED: { status: 403, title: 'Only the original signer retracts an entry' },
  TRACE_RETRACT_INVALID: { status: 422, title: 'Entry cannot be retracted' },
  TRACE_RETRACT_DEPENDENTS: { status: 409, title: 'Later entries depend on the entry to retract' },
  TRACE_FOOTPRINT_UNAVAILABLE: { status: 422, title: 'Footprint cannot be expressed for this object' },
  LEDGER_RATE_LIMITED: { status: 429, title: 'Too many requests from this client' },
  LEDGER_STORE_CORRUPT: { status: 500, title: 'Stored log failed its integrity check' },
  LEDGER_STORE_UNWRITABLE: { status: 503, title: 'Store cannot be written (read-only or full)' },
  LEDGER_ORIGIN_CHANGED: { status: 500, title: 'The database\'s stored origin differs from its genesis entry\'s' },
  LEDGER_ORIGIN_MISMATCH: { status: 500, title: 'The origin given is not this log\'s' },
  LEDGER_UNAVAILABLE: { status: 503, title: 'Ledger is not accepting writes' },
  LEDGER_NOT_READY: { status: 503, title: 'Ledger is not ready for writes' },
  LEDGER_INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type LedgerErrorCode = keyof typeof ERROR_CODES;

export class LedgerError extends Error {
  override readonly name = 'LedgerError';
  readonly code: LedgerErrorCode;
  /** Extra machine-readable context (e.g. the seq of a conflicting entry); copied into problem+json. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: LedgerErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
  }
}

export function isLedgerError(e: unknown, code?: LedgerErrorCode): e is LedgerError {
  return e instanceof LedgerError && (code === undefined || e.code === code);
}
