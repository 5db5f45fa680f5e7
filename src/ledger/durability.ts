/**
 * Durable receipts: a committed group is answered only after the `store.sync()` that covers it,
 * so every acknowledged entry is on disk. One sync runs at a time, off the event loop; groups
 * committed meanwhile wait, and the next sync covers them all. Queries wait here too (the
 * barrier), so no answer shows an effect a crash could still take back.
 */
import { LedgerError } from '../core/errors.js';
import type { LedgerStore } from '../store/store.js';
import type { Head, Heads } from './heads.js';
import type { Observers } from './observers.js';
import type { Readiness } from './readiness.js';

/** A committed group waiting for its sync: how to answer it, and the head it leaves. */
export interface CommittedGroup {
  /** Answer the group's submissions: with `failure` when its sync failed. */
  readonly settle: (failure?: LedgerError) => void;
  readonly head: Head;
  readonly records: number;
  /** performance.now() at its commit. */
  readonly committedAt: number;
}

export interface Durability {
  /** A group was committed: answer it after the sync that covers it. */
  committed(group: CommittedGroup): void;
  /** Set for good once a sync failed: nothing more is written. */
  failure(): LedgerError | undefined;
  /**
   * Resolves once everything committed so far is durable (about one fsync at most), or syncing failed.
   * Projections are written with their records, before the sync that makes them durable.
   */
  barrier(): Promise<void>;
  /** The sync under way, if any. */
  inFlight(): Promise<void> | undefined;
  /** No sync under way and no committed group waiting for one. */
  idle(): boolean;
}

export interface DurabilityOptions {
  readonly store: Pick<LedgerStore, 'sync'>;
  /** Moves `durable` to the head of the last group synced. */
  readonly heads: Heads;
  readonly readiness: Readiness;
  readonly observers: Observers;
  /** After each successful sync (the checkpoint schedule). */
  readonly afterSync: () => void;
}

export function createDurability({ store, heads, readiness, observers, afterSync }: DurabilityOptions): Durability {
  const state = {
    unsynced: [] as CommittedGroup[],
    syncing: undefined as Promise<void> | undefined,
    failed: undefined as LedgerError | undefined,
    /** Queries waiting for the commits they could see to be durable. */
    barrierWaiters: [] as Array<{ size: number; resolve: () => void }>,
  };

  function releaseBarriers(): void {
    const ready = state.barrierWaiters.filter((w) => w.size <= heads.durable.size || state.failed !== undefined);
    state.barrierWaiters = state.barrierWaiters.filter((w) => !ready.includes(w));
    ready.forEach((w) => w.resolve());
  }

  function synced(covered: readonly CommittedGroup[]): void {
    heads.durable = covered.at(-1)!.head;
    for (const group of covered) group.settle();
    const at = performance.now();
    for (const group of covered) observers.tell((o) => o.durable(group.records, at - group.committedAt));
    releaseBarriers();
  }

  function syncFailed(covered: readonly CommittedGroup[], cause: unknown): void {
    // After a failed fsync the kernel may have dropped the dirty pages: what is committed is
    // no longer known to be on disk. Stop writing (as PostgreSQL does) rather than guess; on
    // restart the start-up check and SQLite's recovery decide what survived.
    const failed = new LedgerError('LEDGER_UNAVAILABLE', `the ledger stopped accepting writes: syncing to disk failed (${(cause as Error).message}); restart it`, { cause });
    state.failed = failed;
    readiness.hold('sync-failed', failed.message);
    observers.tell((o) => o.syncFailed());
    for (const group of [...covered, ...state.unsynced]) group.settle(failed);
    state.unsynced = [];
    releaseBarriers();
  }

  /** One sync at a time; it covers every group committed before it started. */
  function startSync(): void {
    if (state.syncing !== undefined || state.unsynced.length === 0) return;
    const covered = state.unsynced;
    state.unsynced = [];
    state.syncing = store.sync().then(() => synced(covered), (cause: unknown) => syncFailed(covered, cause)).finally(() => {
      state.syncing = undefined;
      if (state.failed === undefined) {
        afterSync();
        startSync();
      }
    });
  }

  return {
    committed(group) {
      state.unsynced.push(group);
      startSync();
    },
    failure: () => state.failed,
    barrier() {
      const committed = heads.committed.size;
      if (committed <= heads.durable.size || state.failed !== undefined) return Promise.resolve();
      return new Promise((resolve) => state.barrierWaiters.push({ size: committed, resolve }));
    },
    inFlight: () => state.syncing,
    idle: () => state.syncing === undefined && state.unsynced.length === 0,
  };
}
