/**
 * The log, the registry and the GS1 prefixes in PostgreSQL: the SQL behind those store methods,
 * run on the store's worker thread (src/store/postgres-worker.ts). Each function is one store
 * method; its answer is sent back to the calling thread as is (structured clone), so it returns
 * plain data in the shapes of src/store/store.ts and src/domain/registry.ts. Writes never read
 * their own results: the worker may collect them and send them to the server together.
 */
import type { Delegation, PrefixAssignment, PrefixEffect } from '../domain/prefixes.js';
import type { KeyRecord, ParticipantRecord, RegistryEffect } from '../domain/registry.js';
import type { EntryRef, MerkleNode, NewRecord, StoredCheckpoint, StoredRecord } from './store.js';

/** One statement on the worker's connection (prepared once per text, see postgres-worker.ts). */
export type Sql = <R = Record<string, unknown>>(text: string, values?: readonly unknown[]) => Promise<R[]>;

interface RecordRow { seq: number; leaf: Buffer; leaf_hash: Buffer; chain_hash: Buffer }
interface ParticipantRow { id: string; name: string; roles: string; gln: string | null; registered_seq: number }
interface KeyRow { kid: string; participant: string; public_key: Buffer; added_seq: number; revoked_seq: number | null; added_by: string; operator_added: number }
interface CheckpointRow { size: number; root: Buffer; note: string; signed_at: string }
interface DelegationRow { delegate: string; seq: number; prefix: string; grantor: string; until: string | null; revoked_seq: number | null }

const toRecord = (r: RecordRow): StoredRecord => ({ seq: r.seq, leaf: r.leaf, leafHash: r.leaf_hash, chainHash: r.chain_hash });
const toParticipant = (r: ParticipantRow): ParticipantRecord => ({
  id: r.id, name: r.name, roles: JSON.parse(r.roles) as string[], gln: r.gln, registeredSeq: r.registered_seq,
});
const toKey = (r: KeyRow): KeyRecord => ({
  kid: r.kid, participant: r.participant, publicKey: r.public_key, addedSeq: r.added_seq, revokedSeq: r.revoked_seq,
  addedBy: r.added_by, operatorAdded: r.operator_added === 1,
});
const toCheckpoint = (r: CheckpointRow): StoredCheckpoint => ({ size: r.size, root: r.root, note: r.note, signedAt: r.signed_at });
const toDelegation = (r: DelegationRow): Delegation => ({ prefix: r.prefix, grantor: r.grantor, to: r.delegate, seq: r.seq, until: r.until, revokedSeq: r.revoked_seq });

const RECORD = 'SELECT seq, leaf, leaf_hash, chain_hash FROM records';
const CHECKPOINT = 'SELECT size, root, note, signed_at FROM checkpoints';

/** GS1 Company Prefixes are 4-12 digits: the ones that can begin `digits`. */
function leadingCandidates(digits: string): string[] {
  const out: string[] = [];
  for (let n = 4; n <= Math.min(12, digits.length); n++) out.push(digits.slice(0, n));
  return out;
}

export function logOps(sql: Sql) {
  const one = async <R>(text: string, values: readonly unknown[]): Promise<R | undefined> => (await sql<R>(text, values))[0];

  async function key(kid: string): Promise<KeyRecord | undefined> {
    const r = await one<KeyRow>('SELECT * FROM participant_keys WHERE kid = $1 ORDER BY added_seq DESC LIMIT 1', [kid]);
    return r && toKey(r);
  }

  async function applyPrefixEffect(e: PrefixEffect): Promise<void> {
    switch (e.kind) {
      case 'prefixes.set':
        await sql('DELETE FROM company_prefixes WHERE participant = $1', [e.participant]);
        await sql(
          'INSERT INTO participant_prefixes (participant, prefixes, seq) VALUES ($1, $2, $3) ON CONFLICT (participant) DO UPDATE SET prefixes = excluded.prefixes, seq = excluded.seq',
          [e.participant, JSON.stringify(e.prefixes), e.seq],
        );
        for (const prefix of e.prefixes) await sql('INSERT INTO company_prefixes (prefix, participant, seq) VALUES ($1, $2, $3)', [prefix, e.participant, e.seq]);
        break;
      case 'delegation.insert': {
        const d = e.delegation;
        await sql('INSERT INTO prefix_delegations (delegate, seq, prefix, grantor, until, revoked_seq) VALUES ($1, $2, $3, $4, $5, $6)', [d.to, d.seq, d.prefix, d.grantor, d.until, d.revokedSeq]);
        break;
      }
      case 'delegation.revoke':
        await sql('UPDATE prefix_delegations SET revoked_seq = $1 WHERE delegate = $2 AND prefix = $3 AND revoked_seq IS NULL', [e.seq, e.to, e.prefix]);
        break;
    }
  }

  return {
    size: async () => (await one<{ n: number }>('SELECT COALESCE(MAX(seq), -1) + 1 AS n FROM records', []))!.n,
    recordCount: async () => (await one<{ n: number }>('SELECT COUNT(*) AS n FROM records', []))!.n,
    async record(seq: number) {
      const r = await one<RecordRow>(`${RECORD} WHERE seq = $1`, [seq]);
      return r && toRecord(r);
    },
    records: async (after: number, limit: number) => (await sql<RecordRow>(`${RECORD} WHERE seq > $1 ORDER BY seq LIMIT $2`, [after, limit])).map(toRecord),
    signersBetween: async (from: number, to: number) =>
      (await sql<{ signer: string }>('SELECT DISTINCT signer FROM records WHERE seq >= $1 AND seq < $2 ORDER BY signer', [from, to])).map((r) => r.signer),
    async seqOfLeafHash(leafHash: Uint8Array) {
      return (await one<{ seq: number }>('SELECT seq FROM records WHERE leaf_hash = $1', [leafHash]))?.seq;
    },
    async entryBySignerId(signer: string, id: string): Promise<EntryRef | undefined> {
      const r = await one<{ seq: number; payload_hash: Buffer }>('SELECT seq, payload_hash FROM records WHERE signer = $1 AND entry_id = $2', [signer, id]);
      return r && { seq: r.seq, payloadHash: r.payload_hash };
    },
    /** Undefined when missing: the calling thread turns that into LEDGER_STORE_CORRUPT. */
    async node(level: number, index: number): Promise<Uint8Array | undefined> {
      const r =
        level === 0
          ? await one<{ hash: Buffer }>('SELECT leaf_hash AS hash FROM records WHERE seq = $1', [index])
          : await one<{ hash: Buffer }>('SELECT hash FROM merkle_nodes WHERE level = $1 AND idx = $2', [level, index]);
      return r?.hash;
    },
    async participant(id: string) {
      const r = await one<ParticipantRow>('SELECT * FROM participants WHERE id = $1', [id]);
      return r && toParticipant(r);
    },
    participants: async () => (await sql<ParticipantRow>('SELECT * FROM participants ORDER BY registered_seq, id')).map(toParticipant),
    key,
    keysOf: async (participant: string) =>
      (await sql<KeyRow>('SELECT * FROM participant_keys WHERE participant = $1 ORDER BY added_seq, kid', [participant])).map(toKey),
    operatorAddedKeys: async () => (await sql<KeyRow>('SELECT * FROM participant_keys WHERE operator_added = 1 ORDER BY added_seq')).map(toKey),
    async latestCheckpoint() {
      const r = await one<CheckpointRow>(`${CHECKPOINT} ORDER BY id DESC LIMIT 1`, []);
      return r && toCheckpoint(r);
    },
    checkpoints: async (limit: number, beforeSize: number) =>
      (await sql<CheckpointRow>(`${CHECKPOINT} WHERE size < $1 ORDER BY id DESC LIMIT $2`, [beforeSize, limit])).map(toCheckpoint),
    meta: async (key: string) => (await one<{ value: string }>('SELECT value FROM meta WHERE key = $1', [key]))?.value,

    overlappingPrefixes: async (digits: string) =>
      // ':' sorts right after '9' (COLLATE "C"): [digits, digits + ':') holds every digit string beginning with digits.
      sql<PrefixAssignment>(
        'SELECT prefix, participant, seq FROM company_prefixes WHERE prefix = ANY($1::text[]) OR (prefix >= $2 AND prefix < $3) ORDER BY prefix',
        [leadingCandidates(digits), digits, `${digits}:`],
      ),
    async prefixesOf(participant: string) {
      const r = await one<{ prefixes: string }>('SELECT prefixes FROM participant_prefixes WHERE participant = $1', [participant]);
      return r === undefined ? undefined : (JSON.parse(r.prefixes) as string[]);
    },
    delegationsTo: async (to: string) =>
      (await sql<DelegationRow>('SELECT * FROM prefix_delegations WHERE delegate = $1 AND revoked_seq IS NULL ORDER BY seq, prefix', [to])).map(toDelegation),

    async insertRecord(r: NewRecord) {
      await sql(
        'INSERT INTO records (seq, signer, entry_id, type, payload_hash, leaf, leaf_hash, chain_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
        [r.seq, r.signer, r.entryId, r.type, r.payloadHash, r.leaf, r.leafHash, r.chainHash],
      );
    },
    async insertNodes(nodes: readonly MerkleNode[]) {
      if (nodes.length === 0) return;
      // One statement for all of them: a batch of n entries makes about n nodes.
      await sql('INSERT INTO merkle_nodes (level, idx, hash) SELECT * FROM unnest($1::int[], $2::bigint[], $3::bytea[])', [
        nodes.map((n) => n.level), nodes.map((n) => n.index), nodes.map((n) => n.hash),
      ]);
    },
    async applyEffects(effects: readonly RegistryEffect[]) {
      for (const e of effects) {
        switch (e.kind) {
          case 'participant.insert': {
            const p = e.participant;
            await sql('INSERT INTO participants (id, name, roles, gln, registered_seq) VALUES ($1, $2, $3, $4, $5)', [p.id, p.name, JSON.stringify(p.roles), p.gln, p.registeredSeq]);
            break;
          }
          case 'key.insert': {
            const k = e.key;
            await sql(
              'INSERT INTO participant_keys (kid, participant, public_key, added_seq, revoked_seq, added_by, operator_added) VALUES ($1, $2, $3, $4, $5, $6, $7)',
              [k.kid, k.participant, k.publicKey, k.addedSeq, k.revokedSeq, k.addedBy, k.operatorAdded ? 1 : 0],
            );
            break;
          }
          case 'key.revoke':
            // The key that key(kid) finds: its newest row.
            await sql(
              'UPDATE participant_keys SET revoked_seq = $1 WHERE kid = $2 AND revoked_seq IS NULL AND added_seq = (SELECT MAX(added_seq) FROM participant_keys WHERE kid = $2)',
              [e.seq, e.kid],
            );
            break;
          default:
            await applyPrefixEffect(e);
        }
      }
    },
    async insertCheckpoint(cp: StoredCheckpoint) {
      await sql('INSERT INTO checkpoints (size, root, note, signed_at) VALUES ($1, $2, $3, $4)', [cp.size, cp.root, cp.note, cp.signedAt]);
    },
    async setMeta(key: string, value: string) {
      await sql('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
    },
  };
}
