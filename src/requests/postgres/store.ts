/**
 * The request store on PostgreSQL, for any number of API nodes and workers on one database. The SQL
 * is in sql.ts; this file turns rows into records and decides what runs in a transaction:
 *
 * - enqueue: one round trip to a function that holds a transaction-scoped advisory lock, so that
 *   the max-queue check, the idempotency check and the queue order are exact however many nodes
 *   submit at once (`npm run bench` measures what that costs);
 * - claim: one statement, FOR UPDATE SKIP LOCKED;
 * - every other transition: one guarded statement;
 * - lease recovery: one node at a time (a try-lock: the others skip the round, nobody waits).
 *
 * Nothing here waits on anything but the database inside a transaction. An unreachable database
 * becomes DatabaseUnavailableError (503) for the caller; the pool reconnects by itself.
 */
import { guarded, inTransaction, type Pool } from '../../db/postgres/pool.js';
import type { PgListener } from '../../db/postgres/listener.js';
import { LimitExceededError, QueueFullError, type LimitName } from '../errors.js';
import { RATE_WINDOW_MS, rateRetryAfter, secondsToNextUtcDay, utcDayStart } from '../limits.js';
import {
  IDEMPOTENCY_WINDOW_MS,
  type AccountLimitOverrides,
  type EngineCheckpoint,
  type EnqueueLimits,
  type UsageCursor,
  type UsageEntry,
  type CancelOutcome,
  type ChangeFeed,
  type ClaimedRequest,
  type DeliveryOutcome,
  type DeliveryRecord,
  type Enqueued,
  type ExpiredLeases,
  type NewRequest,
  type RequestError,
  type RequestEvent,
  type RequestPage,
  type RequestRecord,
  type RequestResult,
  type RequestStatus,
  type RequestStore,
  type UsageDay,
  type WebhookDelivery,
  type WorkerHeartbeat,
} from '../types.js';
import {
  overrideColumns,
  retryAfterSeconds,
  toDelivery,
  toOverrides,
  toRecord,
  toUsageEntry,
  usageDays,
  workerLostError,
  type DeliveryRow,
  type LedgerRow,
  type OverridesRow,
  type RecordRow,
  type UsageDayRow,
} from '../rows.js';
import { listenerChangeFeed } from './changes.js';
import { SQL } from './sql.js';

type Row = RecordRow;

/**
 * PostgreSQL text cannot hold NUL, and UTF-8 cannot hold a lone surrogate; JSON and HTTP can carry
 * both. Free text that goes into a text column of its own (not the JSON columns, whose escapes keep
 * everything) has them replaced by U+FFFD.
 */
const plainText = (s: string): string => Buffer.from(s.replaceAll('\u0000', '\uFFFD')).toString();

/** An engine's upstream figures, with strings made safe for PostgreSQL's JSON functions. */
function sanitised(usage: Record<string, number | string>): Record<string, number | string> {
  return Object.fromEntries(Object.entries(usage).map(([k, v]) => [plainText(k), typeof v === 'string' ? plainText(v) : v]));
}

/** What a list shows of an input, taken once at submit. */
function summaryOf(input: unknown): { prompt: string | null; imageCount: number } {
  const i = (input ?? {}) as { prompt?: unknown; image_urls?: unknown };
  return {
    prompt: typeof i.prompt === 'string' ? plainText(i.prompt) : null,
    imageCount: Array.isArray(i.image_urls) ? i.image_urls.length : 0,
  };
}

export class PostgresRequestStore implements RequestStore {
  readonly changes: ChangeFeed | undefined;

  constructor(private readonly pool: Pool, listener?: PgListener) {
    this.changes = listener && listenerChangeFeed(listener);
  }

  async enqueue(request: NewRequest, limits: EnqueueLimits): Promise<Enqueued> {
    const { prompt, imageCount } = summaryOf(request.input);
    // The account's overrides refine these defaults inside retouch_enqueue (migrations.ts).
    const account = limits.account ?? {};
    const now = request.createdAt;
    const row = (
      await this.rows<Row & { outcome: 'created' | 'replayed' | 'full' | LimitName; queued: number | null; oldest: number | null }>(SQL.enqueue, [
        request.id,
        request.accountId,
        request.modelId,
        JSON.stringify(request.input),
        prompt,
        imageCount,
        request.createdAt,
        request.expiresAt,
        request.webhook ? plainText(request.webhook.url) : null,
        request.webhook?.events ?? [],
        request.idempotencyKey ? plainText(request.idempotencyKey) : null,
        limits.maxQueue,
        IDEMPOTENCY_WINDOW_MS,
        account.rpm ?? null,
        now - RATE_WINDOW_MS,
        account.concurrent ?? null,
        account.dailyImages ?? null,
        utcDayStart(now),
      ])
    )[0]!;
    switch (row.outcome) {
      case 'created':
        // Enqueues are serialised: everything queued when it was inserted is ahead of this request.
        return { record: toRecord({ ...row, queue_position: row.queued }), created: true };
      case 'replayed': {
        const earlier = await this.get(row.id);
        if (earlier) return { record: earlier, created: false };
        // Deleted in between (retention): submit again, now without a match.
        return this.enqueue(request, limits);
      }
      case 'full':
        throw new QueueFullError(await this.retryAfterSeconds());
      // A refusal's `queued` is the limit in force.
      case 'rpm':
        throw new LimitExceededError('rpm', Number(row.queued), rateRetryAfter(row.oldest ?? now, now));
      case 'concurrent':
        throw new LimitExceededError('concurrent', Number(row.queued), await this.retryAfterSeconds());
      case 'daily_images':
        throw new LimitExceededError('daily_images', Number(row.queued), secondsToNextUtcDay(now));
    }
  }

  async limitOverrides(accountId: string): Promise<AccountLimitOverrides> {
    return toOverrides((await this.rows<OverridesRow>(SQL.overrides, [accountId]))[0]);
  }

  async setLimitOverrides(accountId: string, overrides: AccountLimitOverrides): Promise<void> {
    const columns = overrideColumns(overrides);
    if (!columns) await this.count(SQL.clearOverrides, [accountId]);
    else await this.count(SQL.setOverrides, [accountId, ...columns]);
  }

  /** Only asked when the queue is full. */
  private async retryAfterSeconds(): Promise<number> {
    const { avg, running } = (await this.rows<{ avg: number | null; running: number }>(SQL.recentRuns, []))[0]!;
    return retryAfterSeconds(avg, running);
  }

  async eventsSince(id: string, afterId: number): Promise<RequestEvent[]> {
    return this.rows<RequestEvent>(SQL.events, [id, afterId]);
  }

  async get(id: string): Promise<RequestRecord | undefined> {
    const row = (await this.rows<Row>(SQL.get, [id]))[0];
    return row && toRecord(row);
  }

  async cancel(id: string, now: number): Promise<CancelOutcome> {
    const row = (await this.rows<Row & { engine_state: string | null }>(SQL.cancel, [now, id]))[0];
    if (row) return { outcome: 'cancelled', record: toRecord(row), engineState: row.engine_state ? (JSON.parse(row.engine_state) as EngineCheckpoint) : null };
    const current = await this.get(id);
    if (!current) return { outcome: 'not_found' };
    return current.status === 'cancelled' ? { outcome: 'already_cancelled', record: current } : { outcome: 'not_cancellable', record: current };
  }

  async inputOf(id: string): Promise<unknown | undefined> {
    const row = (await this.rows<{ input: string }>(SQL.input, [id]))[0];
    return row && JSON.parse(row.input);
  }

  async listByAccount(accountId: string, options: { limit: number; before?: string | undefined }): Promise<RequestPage> {
    const before = options.before && /^\d{1,15}$/.test(options.before) ? Number(options.before) : Number.MAX_SAFE_INTEGER;
    // One more than asked tells whether there is a next page.
    const rows = await this.rows<Row & { seq: number; prompt: string | null; image_count: number }>(SQL.page, [accountId, before, options.limit + 1]);
    const items = rows.slice(0, options.limit).map((r) => ({ ...toRecord(r), prompt: r.prompt, imageCount: r.image_count }));
    const last = rows[options.limit - 1];
    return { items, next: rows.length > options.limit && last ? String(last.seq) : null };
  }

  async deleteFinished(id: string): Promise<boolean> {
    return (await this.count(SQL.deleteFinished, [id])) === 1;
  }

  async usageByDay(accountId: string, since: number): Promise<UsageDay[]> {
    const [days, engines, upstream] = await Promise.all([
      this.rows<UsageDayRow>(SQL.usage, [accountId, since]),
      this.rows<{ day: string; engine: string; n: number }>(SQL.usageEngines, [accountId, since]),
      this.rows<{ day: string; name: string; total: number }>(SQL.usageUpstream, [accountId, since]),
    ]);
    return usageDays(days, engines, upstream);
  }

  async usageEntries(filter: { since: number; until?: number | undefined; accountId?: string | undefined; after?: UsageCursor | undefined; limit: number }): Promise<UsageEntry[]> {
    const rows = await this.rows<LedgerRow>(SQL.usageEntries, [
      filter.since,
      filter.until ?? Number.MAX_SAFE_INTEGER,
      filter.accountId ?? null,
      filter.after?.finishedAt ?? -1,
      filter.after?.requestId ?? '',
      filter.limit,
    ]);
    return rows.map(toUsageEntry);
  }

  async deleteUsageBefore(cutoff: number): Promise<number> {
    return this.count(SQL.deleteUsage, [cutoff]);
  }

  async claim(owner: string, leaseMs: number, now: number): Promise<ClaimedRequest | undefined> {
    const row = (await this.rows<Row & { input: string; lease_owner: string; engine_state: string | null }>(SQL.claim, [owner, now + leaseMs, now]))[0];
    if (!row) return undefined;
    return {
      ...toRecord(row),
      input: JSON.parse(row.input),
      leaseOwner: row.lease_owner,
      engineState: row.engine_state ? (JSON.parse(row.engine_state) as EngineCheckpoint) : null,
    };
  }

  async renewLease(id: string, owner: string, leaseMs: number, now: number): Promise<boolean> {
    return (await this.count(SQL.renew, [now + leaseMs, id, owner])) === 1;
  }

  async setProgress(id: string, owner: string, progress: number): Promise<boolean> {
    return (await this.count(SQL.progress, [Math.min(1, Math.max(0, progress)), id, owner])) === 1;
  }

  async saveEngineState(id: string, owner: string, checkpoint: EngineCheckpoint | null): Promise<boolean> {
    return (await this.count(SQL.engineState, [checkpoint && JSON.stringify(checkpoint), id, owner])) === 1;
  }

  async complete(id: string, owner: string, result: RequestResult, now: number): Promise<boolean> {
    // What the usage ledger records, worked out here so that SQL never parses the result.
    const pixels = result.files.reduce((sum, f) => sum + f.width * f.height, 0);
    const upstream = result.usage ? JSON.stringify(sanitised(result.usage)) : null;
    const engine = result.engine ? plainText(result.engine) : null;
    return (await this.count(SQL.complete, [JSON.stringify(result), result.files.length, pixels, engine, upstream, now, id, owner])) === 1;
  }

  async fail(id: string, owner: string, error: RequestError, now: number): Promise<boolean> {
    return (await this.count(SQL.fail, [JSON.stringify(error), now, id, owner])) === 1;
  }

  async release(id: string, owner: string): Promise<boolean> {
    return (await this.count(SQL.release, [id, owner])) === 1;
  }

  async recoverExpiredLeases(now: number, maxAttempts: number): Promise<ExpiredLeases> {
    return inTransaction(this.pool, async (c) => {
      const { locked } = (await c.query<{ locked: boolean }>(SQL.tryLockRecovery)).rows[0]!;
      // Another node is doing it right now.
      if (!locked) return { requeued: [], failed: [] };
      const error = JSON.stringify(workerLostError(maxAttempts));
      const failed = (await c.query<{ id: string }>({ ...SQL.failExhausted, values: [error, now, now, maxAttempts] })).rows.map((r) => r.id);
      const requeued = (await c.query<{ id: string }>({ ...SQL.requeueExpired, values: [now, maxAttempts] })).rows.map((r) => r.id);
      return { requeued, failed };
    });
  }

  async deleteExpired(now: number, limit: number): Promise<string[]> {
    return (await this.rows<{ id: string }>(SQL.deleteExpired, [now, limit])).map((r) => r.id);
  }

  async oldestQueuedAt(): Promise<number | null> {
    return (await this.rows<{ created_at: number }>(SQL.oldestQueued, []))[0]?.created_at ?? null;
  }

  async countByStatus(): Promise<Record<RequestStatus, number>> {
    const out = { in_queue: 0, in_progress: 0, completed: 0, failed: 0, cancelled: 0 };
    for (const row of await this.rows<{ status: RequestStatus; n: number }>(SQL.counts, [])) out[row.status] = row.n;
    return out;
  }

  async claimDueDeliveries(now: number, limit: number, leaseMs: number): Promise<WebhookDelivery[]> {
    return (await this.rows<DeliveryRow>(SQL.claimDueDeliveries, [now + leaseMs, now, limit])).map(toDelivery);
  }

  async settleDelivery(id: string, outcome: DeliveryOutcome): Promise<void> {
    if (outcome.state === 'delivered') await this.count(SQL.delivered, [outcome.at, id]);
    else if (outcome.state === 'retry') await this.count(SQL.retryDelivery, [outcome.at, plainText(outcome.error), id]);
    else await this.count(SQL.failDelivery, [plainText(outcome.error), id]);
  }

  async deliveriesOf(requestId: string): Promise<DeliveryRecord[]> {
    const rows = await this.rows<DeliveryRow & { state: DeliveryRecord['state']; last_error: string | null; delivered_at: number | null }>(
      SQL.deliveriesOf,
      [requestId],
    );
    return rows.map((r) => ({ ...toDelivery(r), state: r.state, lastError: r.last_error, deliveredAt: r.delivered_at }));
  }

  async heartbeat(worker: WorkerHeartbeat, now: number): Promise<void> {
    await this.count(SQL.heartbeat, [worker.id, JSON.stringify(worker.info), now]);
  }

  async removeWorker(id: string): Promise<void> {
    await this.count(SQL.removeWorker, [id]);
  }

  async liveWorkers(since: number): Promise<WorkerHeartbeat[]> {
    const rows = await this.rows<{ id: string; info: string }>(SQL.liveWorkers, [since]);
    return rows.map((w) => ({ id: w.id, info: JSON.parse(w.info) as Record<string, unknown> }));
  }

  async ping(): Promise<void> {
    await this.rows(SQL.ping, []);
  }

  async close(): Promise<void> {
    // The pool and the listener are shared with the key store; whoever opened them closes them.
  }

  private async rows<T>(statement: { name: string; text: string }, values: unknown[]): Promise<T[]> {
    return guarded(async () => (await this.pool.query({ ...statement, values })).rows as T[]);
  }

  /** Rows changed by the statement. */
  private async count(statement: { name: string; text: string }, values: unknown[]): Promise<number> {
    return guarded(async () => (await this.pool.query({ ...statement, values })).rowCount ?? 0);
  }
}
