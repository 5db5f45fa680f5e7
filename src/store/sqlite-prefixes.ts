/**
 * The GS1 Company Prefix tables (src/domain/prefixes.ts): a cache of the log like the rest of the
 * registry, rebuilt by `rebuild` and compared with a rebuild by `verify --db`. No in-memory cache:
 * a rolled-back transaction leaves nothing behind to forget, and a commission reads one row per code.
 */
import type Database from 'better-sqlite3';
import type { Delegation, PrefixAssignment, PrefixEffect, PrefixView } from '../domain/prefixes.js';

/** Migration: logs written before prefixes hold none, so the tables start empty and consistent with them. */
export const PREFIX_SCHEMA = `
  CREATE TABLE participant_prefixes (participant TEXT PRIMARY KEY, prefixes TEXT NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE company_prefixes (prefix TEXT PRIMARY KEY, participant TEXT NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE prefix_delegations (
    delegate TEXT NOT NULL, seq INTEGER NOT NULL, prefix TEXT NOT NULL, grantor TEXT NOT NULL, until TEXT, revoked_seq INTEGER,
    PRIMARY KEY (delegate, seq, prefix)
  ) WITHOUT ROWID;
`;

export const PREFIX_TABLES = ['participant_prefixes', 'company_prefixes', 'prefix_delegations'] as const;

interface DelegationRow { delegate: string; seq: number; prefix: string; grantor: string; until: string | null; revoked_seq: number | null }

const toDelegation = (r: DelegationRow): Delegation => ({ prefix: r.prefix, grantor: r.grantor, to: r.delegate, seq: r.seq, until: r.until, revokedSeq: r.revoked_seq });

/** GS1 Company Prefixes are 4-12 digits: the ones that can begin `digits`. */
function leadingCandidates(digits: string): string[] {
  const out: string[] = [];
  for (let n = 4; n <= Math.min(12, digits.length); n++) out.push(digits.slice(0, n));
  return out;
}

export function prefixStore(db: Database.Database): { reader: PrefixView; apply(effect: PrefixEffect): void; clear(): void } {
  const q = {
    // ':' sorts right after '9': [digits, digits + ':') holds every digit string beginning with digits.
    overlapping: db.prepare(
      'SELECT prefix, participant, seq FROM company_prefixes WHERE prefix IN (SELECT value FROM json_each(?)) OR (prefix >= ? AND prefix < ?) ORDER BY prefix',
    ),
    prefixesOf: db.prepare('SELECT prefixes FROM participant_prefixes WHERE participant = ?').pluck(),
    delegationsTo: db.prepare('SELECT * FROM prefix_delegations WHERE delegate = ? AND revoked_seq IS NULL ORDER BY seq, prefix'),
    dropOwned: db.prepare('DELETE FROM company_prefixes WHERE participant = ?'),
    setPrefixes: db.prepare('INSERT INTO participant_prefixes (participant, prefixes, seq) VALUES (?, ?, ?) ON CONFLICT (participant) DO UPDATE SET prefixes = excluded.prefixes, seq = excluded.seq'),
    own: db.prepare('INSERT INTO company_prefixes (prefix, participant, seq) VALUES (?, ?, ?)'),
    delegate: db.prepare('INSERT INTO prefix_delegations (delegate, seq, prefix, grantor, until, revoked_seq) VALUES (?, ?, ?, ?, ?, ?)'),
    revoke: db.prepare('UPDATE prefix_delegations SET revoked_seq = ? WHERE delegate = ? AND prefix = ? AND revoked_seq IS NULL'),
  };
  return {
    reader: {
      overlappingPrefixes: (digits) => q.overlapping.all(JSON.stringify(leadingCandidates(digits)), digits, `${digits}:`) as PrefixAssignment[],
      prefixesOf(participant) {
        const json = q.prefixesOf.get(participant) as string | undefined;
        return json === undefined ? undefined : (JSON.parse(json) as string[]);
      },
      delegationsTo: (to) => (q.delegationsTo.all(to) as DelegationRow[]).map(toDelegation),
    },
    apply(e) {
      switch (e.kind) {
        case 'prefixes.set':
          q.dropOwned.run(e.participant);
          q.setPrefixes.run(e.participant, JSON.stringify(e.prefixes), e.seq);
          for (const prefix of e.prefixes) q.own.run(prefix, e.participant, e.seq);
          break;
        case 'delegation.insert': {
          const d = e.delegation;
          q.delegate.run(d.to, d.seq, d.prefix, d.grantor, d.until, d.revokedSeq);
          break;
        }
        case 'delegation.revoke':
          q.revoke.run(e.seq, e.to, e.prefix);
          break;
      }
    },
    clear() {
      for (const t of PREFIX_TABLES) db.prepare(`DELETE FROM ${t}`).run();
    },
  };
}
