/**
 * Housekeeping that any live process may do, idempotently: give the requests of dead workers back
 * to the queue (or fail them after too many attempts), and delete requests and files past their
 * retention, and usage ledger entries past theirs.
 */
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/metrics.js';
import type { RequestStore } from '../requests/types.js';
import type { FileStorage } from '../storage/types.js';

export interface MaintenanceOptions {
  maxAttempts: number;
  /** Uploads older than this are deleted. */
  uploadTtlMs: number;
  /** Usage ledger entries older than this are deleted. */
  usageRetentionMs: number;
  /** How often to look for expired leases. */
  leaseCheckMs: number;
  retentionCheckMs?: number;
}

const DELETE_BATCH = 500;

export class Maintenance {
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly deps: { store: RequestStore; storage: FileStorage; log: Logger; onRequeued?: () => void; metrics?: Metrics | undefined },
    private readonly options: MaintenanceOptions,
  ) {}

  start(): void {
    const every = (ms: number, task: () => Promise<unknown>) => {
      const t = setInterval(() => task().catch((err) => this.deps.log.error({ err }, 'maintenance failed')), ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.options.leaseCheckMs, () => this.recoverLeases());
    every(this.options.retentionCheckMs ?? 60_000, () => this.deleteExpired());
    void this.recoverLeases().catch((err) => this.deps.log.error({ err }, 'maintenance failed'));
    void this.deleteExpired().catch((err) => this.deps.log.error({ err }, 'maintenance failed'));
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  async recoverLeases(now = Date.now()): Promise<void> {
    const { requeued, failed } = await this.deps.store.recoverExpiredLeases(now, this.options.maxAttempts);
    if (requeued.length) this.deps.log.warn({ request_ids: requeued }, 'requests of a stopped worker returned to the queue');
    if (failed.length) {
      this.deps.log.warn({ request_ids: failed }, 'requests failed after too many attempts');
      // Counted as the worker counts the failures it records (rare: a lookup each is cheap enough).
      for (const id of failed) {
        const record = await this.deps.store.get(id);
        if (record) this.deps.metrics?.finished.inc({ model: record.modelId, status: 'failed', engine: '' });
      }
    }
    if (requeued.length) this.deps.onRequeued?.();
  }

  async deleteExpired(now = Date.now()): Promise<number> {
    let total = 0;
    for (;;) {
      const ids = await this.deps.store.deleteExpired(now, DELETE_BATCH);
      for (const id of ids) await this.deps.storage.deletePrefix(`outputs/${id}`);
      total += ids.length;
      if (ids.length < DELETE_BATCH) break;
    }
    if (total) this.deps.log.info({ deleted: total }, 'expired requests deleted');
    const uploads = await this.deps.storage.deleteWrittenBefore('uploads', now - this.options.uploadTtlMs);
    if (uploads) this.deps.log.info({ deleted: uploads }, 'expired uploads deleted');
    const usage = await this.deps.store.deleteUsageBefore(now - this.options.usageRetentionMs);
    if (usage) this.deps.log.info({ deleted: usage }, 'usage ledger entries past --usage-retention deleted');
    return total;
  }
}
