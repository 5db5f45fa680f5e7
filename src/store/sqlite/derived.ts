/**
 * The state derived from the log: the registry (participants and their keys), the GS1 company
 * prefixes (../sqlite-prefixes.ts) and the traceability projections (../sqlite-domain.ts). The
 * rules and the queries read it; only the effects of appended entries change it; a rebuild
 * empties it and replays the log (src/ledger/derived-state.ts). Keys are found through the key index
 * (key-index.ts).
 */
import type Database from 'better-sqlite3';
import type { KeyRecord, ParticipantRecord, RegistryEffect } from '../../domain/registry.js';
import type { DerivedStateStore } from '../store.js';
import type { TraceReader } from '../../domain/trace.js';
import type { RecordReads } from './log.js';
import { DOMAIN_TABLES, domainStore } from '../sqlite-domain.js';
import { PREFIX_TABLES, prefixStore } from '../sqlite-prefixes.js';
import { derivedPager } from '../sqlite-derived.js';
import type { KeyIndex } from './key-index.js';
import { toKey, toParticipant, type KeyRow, type ParticipantRow } from './rows.js';

/**
 * The derived tables whose rows the log determines: the registry and the projections. The key
 * tables (kid_keys, participant_kids) index participant_keys and are checked against it by
 * `trace-ledger verify --db`.
 */
export const DERIVED_TABLES: readonly string[] = ['participants', 'participant_keys', ...PREFIX_TABLES, ...DOMAIN_TABLES];

/** Entries cached at most per cache (participants, keys by kid). */
const CACHE_LIMIT = 10_000;

/** The derived state and its reads; what the trace queries read of the log itself comes from log.ts. */
export type SqliteDerived = Omit<DerivedStateStore & TraceReader, keyof RecordReads | 'seqOfLeafHash'> & {
  /** Drop every cache (a transaction was rolled back: what it wrote is gone). */
  forget(): void;
};

export function sqliteDerived(db: Database.Database, keys: KeyIndex): SqliteDerived {
  const q = {
    participant: db.prepare('SELECT * FROM participants WHERE id = ?'),
    participants: db.prepare('SELECT * FROM participants ORDER BY registered_seq, id'),
    insertParticipant: db.prepare('INSERT INTO participants (id, name, roles, gln, registered_seq) VALUES (?, ?, ?, ?, ?)'),
    insertKey: db.prepare('INSERT INTO participant_keys (kid, participant, public_key, added_seq, revoked_seq, added_by, operator_added) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    operatorAddedKeys: db.prepare('SELECT * FROM participant_keys WHERE operator_added = 1 ORDER BY added_seq'),
    revokeKey: db.prepare('UPDATE participant_keys SET revoked_seq = ? WHERE added_seq = ? AND kid = ? AND revoked_seq IS NULL'),
  };
  const domain = domainStore(db);
  const prefixes = prefixStore(db);
  const pager = derivedPager(db, DERIVED_TABLES);
  // Participants are few and read for every node of a trace: cached until the registry changes.
  const participantCache = new Map<string, ParticipantRecord | undefined>();
  // Every entry's signing key is looked up while sequencing, and a new key's kid once more to
  // refuse duplicates: cached (misses too) and dropped when an effect changes that kid's row.
  const keyCache = new Map<string, KeyRecord | undefined>();

  function participant(id: string): ParticipantRecord | undefined {
    if (participantCache.has(id)) return participantCache.get(id);
    const r = q.participant.get(id) as ParticipantRow | undefined;
    const p = r && toParticipant(r);
    if (participantCache.size >= CACHE_LIMIT) participantCache.clear();
    participantCache.set(id, p);
    return p;
  }
  function key(kid: string): KeyRecord | undefined {
    if (keyCache.has(kid)) return keyCache.get(kid);
    const r = keys.keyRow(kid);
    const k = r && toKey(r);
    if (keyCache.size >= CACHE_LIMIT) keyCache.clear();
    keyCache.set(kid, k);
    return k;
  }
  function applyEffect(e: RegistryEffect): void {
    switch (e.kind) {
      case 'participant.insert': {
        // Key effects leave participant rows alone: only a new participant changes what is cached.
        participantCache.delete(e.participant.id);
        const p = e.participant;
        q.insertParticipant.run(p.id, p.name, JSON.stringify(p.roles), p.gln, p.registeredSeq);
        break;
      }
      case 'key.insert': {
        const k = e.key;
        q.insertKey.run(k.kid, k.participant, k.publicKey, k.addedSeq, k.revokedSeq, k.addedBy, k.operatorAdded ? 1 : 0);
        keys.keyAdded(k.addedSeq, k.kid, k.participant);
        keyCache.delete(k.kid);
        break;
      }
      case 'key.revoke': {
        const k = key(e.kid);
        if (k !== undefined) q.revokeKey.run(e.seq, k.addedSeq, e.kid);
        keyCache.delete(e.kid);
        break;
      }
      default:
        prefixes.apply(e);
    }
  }
  function forget(): void {
    participantCache.clear();
    keyCache.clear();
    domain.forget();
  }

  return {
    ...domain.reader,
    ...prefixes.reader,
    participant,
    key,
    participants: () => (q.participants.all() as ParticipantRow[]).map(toParticipant),
    keysOf: (id) => keys.keyRowsOf(id).map(toKey),
    operatorAddedKeys: () => (q.operatorAddedKeys.all() as KeyRow[]).map(toKey),
    applyEffects(effects) {
      for (const e of effects) applyEffect(e);
    },
    applyDomainEffects: domain.applyDomainEffects,
    dumpProjections: () => domain.dumpProjections(['participants', 'participant_keys', ...PREFIX_TABLES]),
    derivedTables: () => DERIVED_TABLES,
    derivedPage: (table, after, limit, upTo) => pager.page(table, after, limit, upTo),
    clearDerived() {
      domain.clearProjections();
      prefixes.clear();
      db.prepare('DELETE FROM participant_keys').run();
      db.prepare('DELETE FROM kid_keys').run();
      db.prepare('DELETE FROM participant_kids').run();
      db.prepare('DELETE FROM participants').run();
      keys.kidsCleared();
      forget();
    },
    forget,
  };
}
