/** Rows as better-sqlite3 returns them, and their conversion to the store's types. */
import type { KeyRecord, ParticipantRecord } from '../../domain/registry.js';
import type { StoredCheckpoint, StoredRecord } from '../store.js';

export interface RecordRow { seq: number; leaf: Buffer; leaf_hash: Buffer; chain_hash: Buffer }
export interface ParticipantRow { id: string; name: string; roles: string; gln: string | null; registered_seq: number }
export interface KeyRow { kid: string; participant: string; public_key: Buffer; added_seq: number; revoked_seq: number | null; added_by: string; operator_added: number }
export interface CheckpointRow { size: number; root: Buffer; note: string; signed_at: string }

/** A view of a Buffer's bytes (no copy). */
export const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

export const toRecord = (r: RecordRow): StoredRecord => ({ seq: r.seq, leaf: u8(r.leaf), leafHash: u8(r.leaf_hash), chainHash: u8(r.chain_hash) });
export const toParticipant = (r: ParticipantRow): ParticipantRecord => ({
  id: r.id, name: r.name, roles: JSON.parse(r.roles) as string[], gln: r.gln, registeredSeq: r.registered_seq,
});
export const toKey = (r: KeyRow): KeyRecord => ({
  kid: r.kid, participant: r.participant, publicKey: u8(r.public_key), addedSeq: r.added_seq, revokedSeq: r.revoked_seq,
  addedBy: r.added_by, operatorAdded: r.operator_added === 1,
});
export const toCheckpoint = (r: CheckpointRow): StoredCheckpoint => ({ size: r.size, root: u8(r.root), note: r.note, signedAt: r.signed_at });
