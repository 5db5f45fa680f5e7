/**
 * The in-memory halves of the key index (key-index.ts): the keys of the newest records and
 * participant keys, not yet written to the key tables. Plain data structures, no SQL: each lists
 * its entries in the order they were added, so that a rolled-back transaction can take back its
 * own (`truncate`) and a merge can start afresh (`clear`).
 */

/** The newest records: (signer, id) → seq, and leaf key → seqs (a 6-byte key may be shared). */
export interface RecordTail {
  readonly length: number;
  /** One past the last seq held, or undefined when empty. */
  end(): number | undefined;
  add(seq: number, signer: string, entryId: string, leafKey: number): void;
  seqOfEntry(signer: string, entryId: string): number | undefined;
  seqsOfLeafKey(leafKey: number): readonly number[] | undefined;
  /** Keep the first `length` records. */
  truncate(length: number): void;
  clear(): void;
}

const entryOf = (signer: string, entryId: string) => `${signer}\u0000${entryId}`;

export function recordTail(): RecordTail {
  let log: Array<{ seq: number; entry: string; leafKey: number }> = [];
  const entries = new Map<string, number>();
  const leaves = new Map<number, number[]>();
  return {
    get length() {
      return log.length;
    },
    end: () => (log.length > 0 ? log.at(-1)!.seq + 1 : undefined),
    add(seq, signer, entryId, leafKey) {
      const entry = entryOf(signer, entryId);
      entries.set(entry, seq);
      const same = leaves.get(leafKey);
      if (same === undefined) leaves.set(leafKey, [seq]);
      else same.push(seq);
      log.push({ seq, entry, leafKey });
    },
    seqOfEntry: (signer, entryId) => entries.get(entryOf(signer, entryId)),
    seqsOfLeafKey: (leafKey) => leaves.get(leafKey),
    truncate(length) {
      for (const { seq, entry, leafKey } of log.splice(length)) {
        entries.delete(entry);
        const same = leaves.get(leafKey)!.filter((s) => s !== seq);
        if (same.length === 0) leaves.delete(leafKey);
        else leaves.set(leafKey, same);
      }
    },
    clear() {
      log = [];
      entries.clear();
      leaves.clear();
    },
  };
}

/** The newest participant keys: kid → added_seq, and each participant's, in the order they were added. */
export interface KidTail {
  readonly length: number;
  /** One past the last added_seq held, or undefined when empty. */
  end(): number | undefined;
  add(seq: number, kid: string, participant: string): void;
  seqOf(kid: string): number | undefined;
  /** A participant's keys, by added_seq then kid. */
  of(participant: string): Array<{ seq: number; kid: string }>;
  truncate(length: number): void;
  clear(): void;
}

export function kidTail(): KidTail {
  let log: Array<{ seq: number; kid: string; participant: string }> = [];
  const kids = new Map<string, number>();
  return {
    get length() {
      return log.length;
    },
    end: () => (log.length > 0 ? log.at(-1)!.seq + 1 : undefined),
    add(seq, kid, participant) {
      kids.set(kid, seq);
      log.push({ seq, kid, participant });
    },
    seqOf: (kid) => kids.get(kid),
    of: (participant) =>
      log
        .filter((k) => k.participant === participant)
        .sort((a, b) => a.seq - b.seq || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0)),
    truncate(length) {
      for (const { kid } of log.splice(length)) kids.delete(kid);
    },
    clear() {
      log = [];
      kids.clear();
    },
  };
}
