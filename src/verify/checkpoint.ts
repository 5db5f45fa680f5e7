/**
 * The checkpoint check: the note is signed by the trusted ledger key (C2SP signed-note), its body
 * is a tlog-checkpoint, and its origin is the key's name. Everything a verifier proves is proved
 * against this checkpoint, so nothing else is trusted until it passes.
 */
import { verifyCheckpoint, type Checkpoint } from '../core/checkpoint.js';
import type { Ed25519 } from '../core/ed25519.js';
import type { VerifierKey } from '../core/note.js';
import { failure, messageOf, type Checked } from './failure.js';

/** The checkpoint, or CHECKPOINT_SIGNATURE naming why it does not verify with `key`. */
export function checkCheckpoint(note: string, key: VerifierKey, ed: Ed25519): Checked<Checkpoint> {
  try {
    return { ok: true, value: verifyCheckpoint(note, key, ed) };
  } catch (e) {
    return { ok: false, failure: failure('CHECKPOINT_SIGNATURE', messageOf(e), { cause: e }) };
  }
}
