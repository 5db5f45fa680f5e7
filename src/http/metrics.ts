/**
 * `GET /metrics`: the ledger's health in the Prometheus text exposition format (prom-client).
 *
 * Each app has its own Registry, never prom-client's global one: tests build many apps in one
 * process, and two ledgers must not add to the same counters. Counters and histograms are fed by
 * the ledger's observer hook (LedgerObserver in src/ledger.ts) from the moment the app is built;
 * gauges are read from the ledger when scraped.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Ledger, LedgerObserver } from '../ledger.js';
import type { NotReadyReason } from '../ledger/readiness.js';
import { problems } from './openapi.js';

export interface MetricsOptions {
  readonly ledger: Ledger;
  /**
   * Records the background verifier has checked so far in its current pass: undefined when no
   * pass runs (the gauge then reads 0). Without a getter the gauge is left out.
   */
  readonly verifierProgress?: (() => number | undefined) | undefined;
}

/** Every readiness condition, so that a cleared one reads 0 rather than vanishing from the series. */
const REASONS: readonly NotReadyReason[] = ['verifying', 'verifying-state', 'verification-failed', 'store-unwritable', 'sync-failed', 'closing'];

export interface LedgerMetrics {
  readonly registry: Registry;
  /** Stop observing the ledger (the app's onClose). */
  stop(): void;
}

// Over 80 lines: one declaration per metric (name, help, labels), read top to bottom like a table.
/** A Registry with the ledger's metrics and the process defaults, observing `ledger` from now on. */
export function createLedgerMetrics({ ledger, verifierProgress }: MetricsOptions): LedgerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const appended = new Counter({ name: 'trace_ledger_entries_appended_total', help: 'Records appended to the log and made durable.', registers });
  const latency = new Histogram({
    name: 'trace_ledger_commit_latency_seconds',
    help: 'Time from a group commit to the end of the fdatasync that makes it durable (receipts are sent then).',
    // fdatasync is 0.3-1 ms on an SSD, tens of ms on a busy or network disk.
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const groupSize = new Histogram({
    name: 'trace_ledger_commit_group_records',
    help: 'Records appended by one group commit (every submission that arrived during the previous one).',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
    registers,
  });
  const syncFailures = new Counter({ name: 'trace_ledger_fsync_failures_total', help: 'fdatasync calls that failed (the ledger then stops accepting writes).', registers });
  const commitFailures = new Counter({ name: 'trace_ledger_commit_failures_total', help: 'Group commits that failed and wrote nothing (disk full, read-only store, I/O error).', registers });
  new Gauge({
    name: 'trace_ledger_queue_depth',
    help: 'Submissions taken and not yet answered: waiting for, in, or synced after a group commit.',
    registers,
    collect() {
      this.set(ledger.pendingSubmissions());
    },
  });
  new Gauge({
    name: 'trace_ledger_log_size',
    help: 'Records in the durable log.',
    registers,
    collect() {
      this.set(ledger.size());
    },
  });
  new Gauge({
    name: 'trace_ledger_checkpoint_age_seconds',
    help: 'Seconds since the latest checkpoint was signed (a new one is signed only when the log grows).',
    registers,
    collect() {
      const signedAt = Date.parse(ledger.checkpoint().signedAt);
      this.set(Math.max(0, (Date.now() - signedAt) / 1000));
    },
  });
  new Gauge({
    name: 'trace_ledger_ready',
    help: 'Whether the ledger accepts writes now (GET /readyz): 1 ready, 0 not.',
    registers,
    collect() {
      this.set(ledger.readiness.ready() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'trace_ledger_not_ready_condition',
    help: 'Conditions that hold writes back (src/ledger/readiness.ts): 1 while held.',
    labelNames: ['reason'],
    registers,
    collect() {
      const held = new Set(ledger.readiness.conditions().map((c) => c.reason));
      for (const reason of REASONS) this.set({ reason }, held.has(reason) ? 1 : 0);
    },
  });
  if (verifierProgress !== undefined) {
    new Gauge({
      name: 'trace_ledger_verifier_records_verified',
      help: 'Records the background verifier has checked in its current pass.',
      registers,
      collect() {
        this.set(verifierProgress() ?? 0);
      },
    });
  }
  const observer: LedgerObserver = {
    durable(records, ms) {
      appended.inc(records);
      groupSize.observe(records);
      latency.observe(ms / 1000);
    },
    syncFailed: () => syncFailures.inc(),
    commitFailed: () => commitFailures.inc(),
  };
  return { registry, stop: ledger.observe(observer) };
}

export const metricsRoutes: FastifyPluginAsync<MetricsOptions> = async (app: FastifyInstance, options) => {
  const metrics = createLedgerMetrics(options);
  app.addHook('onClose', async () => metrics.stop());
  app.get(
    '/metrics',
    {
      schema: {
        operationId: 'getMetrics',
        summary: 'Prometheus metrics (text exposition format 0.0.4)',
        description:
          'Entries appended, commit latency (commit to durable) and group size histograms, queue depth, checkpoint age, ' +
          'fsync and commit failures, readiness with its conditions, verifier progress, and the process defaults (CPU, memory, event loop lag).',
        tags: ['service'],
        response: { 200: { description: 'Metrics', content: { 'text/plain': { schema: { type: 'string' } } } }, ...problems() },
      },
    },
    async (_request, reply) => reply.type(metrics.registry.contentType).header('cache-control', 'no-store').send(await metrics.registry.metrics()),
  );
};
