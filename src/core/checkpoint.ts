/**
 * C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the signed statement "the log named
 * `origin` has `size` leaves and RFC 6962 root `root`", carried as the text of a signed note
 * (note.ts). The ledger signs with the key whose name is the origin (docs/format.md, "Checkpoints"), so a
 * verifier holding the ledger's verifier key also learns which log it is talking to.
 *
 * Sizes are JS numbers: the log indexes leaves with numbers everywhere else, and a ledger will not
 * reach 2^53 entries. The parser still reads the size as an arbitrary-length decimal first, so that a
 * larger (but valid uint64) size is reported as such instead of being rounded.
 *
 * Formatting throws LEDGER_CHECKPOINT_INVALID for exactly the values the parser would reject, so
 * `parseCheckpointBody(formatCheckpointBody(cp))` returns `cp` whenever the first call succeeds.
 */
import { fromBase64, toBase64 } from './bytes.js';
import { nobleEd25519, type Ed25519 } from './ed25519.js';
import { LedgerError } from './errors.js';
import { noteTextProblem, openNote, parseVerifierKey, signNote, type NoteSigner, type VerifierKey } from './note.js';

export interface Checkpoint {
  /** tlog-checkpoint §Note text (1): the log's identity; equals the ledger key's name. */
  readonly origin: string;
  /** Number of leaves, 0 ≤ size ≤ Number.MAX_SAFE_INTEGER. */
  readonly size: number;
  /** RFC 6962 Merkle tree hash of the first `size` leaves (32 bytes). */
  readonly root: Uint8Array;
  /** Opaque, non-empty extension lines (§Note text (4)); we never emit any by default. */
  readonly extensions: readonly string[];
}

export type CheckpointInput = Omit<Checkpoint, 'extensions'> & { readonly extensions?: readonly string[] };

const UINT64_MAX = (1n << 64n) - 1n;

function invalid(why: string, cause?: unknown): LedgerError {
  return new LedgerError('LEDGER_CHECKPOINT_INVALID', `checkpoint: ${why}`, cause === undefined ? undefined : { cause });
}

/** Why a line cannot stand in a checkpoint body, if it cannot: lines are non-empty note text. */
function lineProblem(line: string, what: string): string | undefined {
  if (line.length === 0) return `${what} is empty`;
  if (line.includes('\n')) return `${what} contains a newline`;
  const p = noteTextProblem(`${line}\n`);
  return p === undefined ? undefined : `${what} ${p.replace(/^text /, '')}`;
}

/**
 * The checkpoint body, `origin\nsize\nbase64(root)\n` followed by one line per extension
 * (tlog-checkpoint §Note text).
 * @throws LedgerError LEDGER_CHECKPOINT_INVALID if a field could not be parsed back (empty origin,
 *   size not a safe non-negative integer, root not 32 bytes, empty or multi-line extension)
 */
export function formatCheckpointBody(cp: CheckpointInput): string {
  if (typeof cp !== 'object' || cp === null) throw new TypeError('checkpoint must be an object');
  const { origin, size, root } = cp;
  const extensions = cp.extensions ?? [];
  if (typeof origin !== 'string') throw new TypeError('checkpoint.origin must be a string');
  if (typeof size !== 'number') throw new TypeError('checkpoint.size must be a number');
  if (!(root instanceof Uint8Array)) throw new TypeError('checkpoint.root must be a Uint8Array');
  if (!Array.isArray(extensions) || !extensions.every((e) => typeof e === 'string')) {
    throw new TypeError('checkpoint.extensions must be an array of strings');
  }
  const problem = lineProblem(origin, 'origin');
  if (problem !== undefined) throw invalid(problem);
  if (!Number.isSafeInteger(size) || size < 0) throw invalid(`size ${size} is not an integer in 0..2^53-1`);
  if (root.length !== 32) throw invalid(`root must be 32 bytes, got ${root.length}`);
  for (const [i, ext] of extensions.entries()) {
    const p = lineProblem(ext, `extension line ${i + 1}`);
    if (p !== undefined) throw invalid(p);
  }
  return [origin, String(size), toBase64(root), ...extensions].map((l) => `${l}\n`).join('');
}

/**
 * Parses a checkpoint body strictly: no leading zeros in the size (§Note text (2)), canonical
 * base64 for a 32-byte root, non-empty extension lines, a final newline and nothing after it.
 * The body must already have been authenticated (see verifyCheckpoint): tlog-checkpoint builds on
 * signed-note, whose text "MUST be ignored" until a trusted signature verified.
 * @throws LedgerError LEDGER_CHECKPOINT_INVALID with the reason
 */
export function parseCheckpointBody(text: string): Checkpoint {
  if (typeof text !== 'string') throw new TypeError('checkpoint body must be a string');
  const problem = noteTextProblem(text);
  if (problem !== undefined) throw invalid(problem.replace(/^text/, 'body'));
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw invalid(`expected at least 3 lines (origin, size, root), got ${lines.length}`);
  const [origin, sizeLine, rootLine, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) throw invalid('origin is empty');

  if (!/^(0|[1-9][0-9]*)$/.test(sizeLine)) {
    throw invalid(`size ${JSON.stringify(sizeLine)} is not a decimal number without leading zeros`);
  }
  // 20 digits already exceed uint64; checking the length first keeps BigInt off huge inputs.
  if (sizeLine.length > 20 || BigInt(sizeLine) > UINT64_MAX) throw invalid('size does not fit in uint64');
  const size = Number(sizeLine);
  if (!Number.isSafeInteger(size)) throw invalid(`size ${sizeLine} exceeds Number.MAX_SAFE_INTEGER`);

  let root: Uint8Array;
  try {
    root = fromBase64(rootLine);
  } catch (cause) {
    throw invalid('root hash is not valid base64', cause);
  }
  if (root.length !== 32) throw invalid(`root hash must be 32 bytes, got ${root.length}`);

  for (const [i, ext] of extensions.entries()) {
    if (ext.length === 0) throw invalid(`extension line ${i + 1} is empty`);
  }
  return { origin, size, root, extensions };
}

/**
 * Formats and signs a checkpoint as a signed note.
 * @throws RangeError if `signer.name` is not `cp.origin` (the ledger's key is named after its
 *   origin, and verifyCheckpoint insists on it)
 * @throws LedgerError LEDGER_CHECKPOINT_INVALID (see formatCheckpointBody), LEDGER_KEY_INVALID if the
 *   origin is not a valid key name
 */
export function signCheckpoint(cp: CheckpointInput, signer: NoteSigner, ed: Ed25519 = nobleEd25519): string {
  const body = formatCheckpointBody(cp);
  if (typeof signer !== 'object' || signer === null) throw new TypeError('signer must be an object');
  if (signer.name !== cp.origin) {
    throw new RangeError(`signer.name ${JSON.stringify(signer.name)} must equal the origin ${JSON.stringify(cp.origin)}`);
  }
  return signNote(body, signer, ed);
}

/**
 * Verifies a checkpoint note against the ledger's verifier key, then parses its body and checks that
 * the origin is the key's name (tlog-checkpoint §Signatures: the key name SHOULD match the origin;
 * we make it a MUST, so a checkpoint cannot be replayed as one of another log under the same
 * key name).
 * @throws LedgerError LEDGER_KEY_INVALID for a malformed key string; LEDGER_NOTE_MALFORMED or
 *   LEDGER_CHECKPOINT_SIGNATURE_INVALID from openNote; LEDGER_CHECKPOINT_INVALID for a malformed body
 *   or an origin other than the key name
 */
export function verifyCheckpoint(noteText: string | Uint8Array, verifierKey: string | VerifierKey, ed: Ed25519 = nobleEd25519): Checkpoint {
  const key = typeof verifierKey === 'string' ? parseVerifierKey(verifierKey) : verifierKey;
  const { text } = openNote(noteText, [key], ed);
  const cp = parseCheckpointBody(text);
  if (cp.origin !== key.name) {
    throw invalid(`origin ${JSON.stringify(cp.origin)} is not the verifier key name ${JSON.stringify(key.name)}`);
  }
  return cp;
}
