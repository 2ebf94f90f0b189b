/**
 * The embedded request store: one SQLite file in WAL mode. Every transition is a single UPDATE
 * guarded by the status it leaves (and the lease owner), so it is atomic across threads and
 * processes sharing the file; SQLite's write lock serialises them.
 */
import type { SqliteDatabase } from '../../db/sqlite.js';
import { ForeignWrites, migrate } from '../../db/sqlite.js';
import { LimitExceededError, QueueFullError } from '../errors.js';
import { effectiveLimits, RATE_WINDOW_MS, rateRetryAfter, secondsToNextUtcDay, utcDayStart } from '../limits.js';
import {
  IDEMPOTENCY_WINDOW_MS,
  type AccountLimitOverrides,
  type AccountLimits,
  type EnqueueLimits,
  type UsageCursor,
  type UsageEntry,
  type CancelOutcome,
  type ClaimedRequest,
  type DeliveryOutcome,
  type DeliveryRecord,
  type EngineCheckpoint,
  type Enqueued,
  type ExpiredLeases,
  type RequestEvent,
  type RequestPage,
  type UsageDay,
  type WebhookDelivery,
  type NewRequest,
  type RequestError,
  type RequestRecord,
  type RequestResult,
  type RequestStatus,
  type RequestStore,
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
import { ChangeListeners } from '../change-listeners.js';
import { requestMigrations } from './schema.js';

interface Row extends RecordRow {
  lease_owner?: string;
  engine_state?: string | null;
}

const RECORD_COLUMNS =
  'id, account_id, model_id, status, progress, attempts, created_at, started_at, finished_at, expires_at, result, error';

/** How stale a read may be after another process wrote (this process's writes are seen at once). */
const FOREIGN_CHECK_MS = 25;
const MAX_RECENT = 10_000;

export class SqliteRequestStore implements RequestStore {
  private readonly sql;
  /** This process's own changes, announced as they are written (other processes' are polled for). */
  readonly changes = new ChangeListeners(false);

  constructor(private readonly db: SqliteDatabase) {
    migrate(db, requestMigrations);
    this.foreignWrites = new ForeignWrites(db, FOREIGN_CHECK_MS);
    this.sql = {
      insert: db.prepare(
        `INSERT INTO requests (id, account_id, model_id, status, created_at, expires_at, webhook_url, webhook_events, idempotency_key)
         VALUES (?, ?, ?, 'in_queue', ?, ?, ?, ?, ?) RETURNING ${RECORD_COLUMNS}, seq`,
      ),
      insertInput: db.prepare(`INSERT INTO request_inputs (seq, input) VALUES (?, ?)`),
      byIdempotencyKey: db.prepare(`SELECT id, created_at FROM requests WHERE account_id = ? AND idempotency_key = ?`),
      forgetIdempotencyKey: db.prepare(`UPDATE requests SET idempotency_key = NULL WHERE id = ?`),
      events: db.prepare(`SELECT id, status, at FROM request_events WHERE request_id = ? AND id > ? ORDER BY id`),
      dueDeliveries: db.prepare(
        `UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ?
         WHERE id IN (SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?)
         RETURNING id, request_id, account_id, url, status, attempts, created_at`,
      ),
      delivered: db.prepare(`UPDATE webhook_deliveries SET state = 'delivered', delivered_at = ?, last_error = NULL WHERE id = ?`),
      retryDelivery: db.prepare(`UPDATE webhook_deliveries SET next_attempt_at = ?, last_error = ? WHERE id = ? AND state = 'pending'`),
      failDelivery: db.prepare(`UPDATE webhook_deliveries SET state = 'failed', last_error = ? WHERE id = ? AND state = 'pending'`),
      deliveriesOf: db.prepare(
        `SELECT id, request_id, account_id, url, status, attempts, created_at, state, last_error, delivered_at
         FROM webhook_deliveries WHERE request_id = ? ORDER BY created_at, rowid`,
      ),
      queued: db.prepare(`SELECT n FROM request_counts WHERE status = 'in_queue'`).pluck(),
      recentRuns: db.prepare(
        `SELECT (SELECT avg(finished_at - started_at) FROM
                   (SELECT finished_at, started_at FROM requests WHERE status = 'completed' ORDER BY finished_at DESC LIMIT 20)) AS avg,
                (SELECT n FROM request_counts WHERE status = 'in_progress') AS running`,
      ),
      position: db.prepare(`SELECT count(*) FROM requests WHERE status = 'in_queue' AND seq < ?`).pluck(),
      get: db.prepare(
        `SELECT ${RECORD_COLUMNS},
           CASE WHEN status = 'in_queue'
             THEN (SELECT count(*) FROM requests q WHERE q.status = 'in_queue' AND q.seq < r.seq) END AS queue_position
         FROM requests r WHERE id = ?`,
      ),
      cancel: db.prepare(
        `UPDATE requests SET status = 'cancelled', finished_at = ? WHERE id = ? AND status = 'in_queue'
         RETURNING ${RECORD_COLUMNS}, engine_state`,
      ),
      claim: db.prepare(
        `UPDATE requests
           SET status = 'in_progress', lease_owner = ?, lease_expires_at = ?, attempts = attempts + 1,
               progress = 0, started_at = coalesce(started_at, ?)
         WHERE seq = (SELECT seq FROM requests WHERE status = 'in_queue' ORDER BY seq LIMIT 1)
           AND status = 'in_queue'
         RETURNING ${RECORD_COLUMNS}, (SELECT input FROM request_inputs i WHERE i.seq = requests.seq) AS input, lease_owner, engine_state`,
      ),
      renew: db.prepare(
        `UPDATE requests SET lease_expires_at = ? WHERE id = ? AND status = 'in_progress' AND lease_owner = ?`,
      ),
      progress: db.prepare(
        `UPDATE requests SET progress = ? WHERE id = ? AND status = 'in_progress' AND lease_owner = ?`,
      ),
      engineState: db.prepare(
        `UPDATE requests SET engine_state = ? WHERE id = ? AND status = 'in_progress' AND lease_owner = ?`,
      ),
      complete: db.prepare(
        `UPDATE requests SET status = 'completed', progress = 1, result = ?, finished_at = ?,
           lease_owner = NULL, lease_expires_at = NULL
         WHERE id = ? AND status = 'in_progress' AND lease_owner = ?`,
      ),
      fail: db.prepare(
        `UPDATE requests SET status = 'failed', error = ?, finished_at = ?, lease_owner = NULL, lease_expires_at = NULL
         WHERE id = ? AND status = 'in_progress' AND lease_owner = ?`,
      ),
      release: db.prepare(
        `UPDATE requests SET status = 'in_queue', progress = 0, attempts = max(attempts - 1, 0),
           lease_owner = NULL, lease_expires_at = NULL
         WHERE id = ? AND status = 'in_progress' AND lease_owner = ?`,
      ),
      requeueExpired: db.prepare(
        `UPDATE requests SET status = 'in_queue', progress = 0, lease_owner = NULL, lease_expires_at = NULL
         WHERE status = 'in_progress' AND lease_expires_at < ? AND attempts < ? RETURNING id`,
      ).pluck(),
      failExhausted: db.prepare(
        `UPDATE requests SET status = 'failed', error = ?, finished_at = ?, lease_owner = NULL, lease_expires_at = NULL
         WHERE status = 'in_progress' AND lease_expires_at < ? AND attempts >= ? RETURNING id`,
      ).pluck(),
      expired: db.prepare(`DELETE FROM requests WHERE seq IN (SELECT seq FROM requests WHERE expires_at <= ? LIMIT ?) RETURNING id`).pluck(),
      counts: db.prepare(`SELECT status, n FROM request_counts`),
      oldestQueued: db.prepare(`SELECT created_at FROM requests WHERE status = 'in_queue' ORDER BY seq LIMIT 1`).pluck(),
      heartbeat: db.prepare(
        `INSERT INTO workers (id, info, heartbeat_at) VALUES (?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET info = excluded.info, heartbeat_at = excluded.heartbeat_at`,
      ),
      removeWorker: db.prepare(`DELETE FROM workers WHERE id = ?`),
      liveWorkers: db.prepare(`SELECT id, info FROM workers WHERE heartbeat_at >= ?`),
      ping: db.prepare('SELECT 1').pluck(),
      input: db.prepare('SELECT i.input FROM requests r JOIN request_inputs i ON i.seq = r.seq WHERE r.id = ?').pluck(),
      page: db.prepare(
        `SELECT ${RECORD_COLUMNS}, r.seq AS seq, json_extract(i.input, '$.prompt') AS prompt, json_array_length(i.input, '$.image_urls') AS image_count,
           CASE WHEN status = 'in_queue'
             THEN (SELECT count(*) FROM requests q WHERE q.status = 'in_queue' AND q.seq < r.seq) END AS queue_position
         FROM requests r LEFT JOIN request_inputs i ON i.seq = r.seq
         WHERE r.account_id = ? AND r.seq < ? ORDER BY r.seq DESC LIMIT ?`,
      ),
      deleteFinished: db.prepare(`DELETE FROM requests WHERE id = ? AND status IN ('completed', 'failed', 'cancelled')`),
      usage: db.prepare(
        `SELECT date(finished_at / 1000, 'unixepoch') AS day, count(*) AS requests,
                sum(status = 'completed') AS completed, sum(status = 'failed') AS failed, sum(status = 'cancelled') AS cancelled,
                sum(images) AS images, sum(megapixels) AS mp, sum(compute_seconds) AS compute
         FROM usage_ledger WHERE account_id = ? AND finished_at >= ? GROUP BY day ORDER BY day`,
      ),
      usageEngines: db.prepare(
        `SELECT date(finished_at / 1000, 'unixepoch') AS day, engine, count(*) AS n
         FROM usage_ledger WHERE account_id = ? AND finished_at >= ? AND status = 'completed' AND engine IS NOT NULL GROUP BY day, engine`,
      ),
      usageUpstream: db.prepare(
        `SELECT date(finished_at / 1000, 'unixepoch') AS day, u.key AS name, sum(u.value) AS total
         FROM usage_ledger, json_each(usage_ledger.upstream) u
         WHERE account_id = ? AND finished_at >= ? AND upstream IS NOT NULL AND u.type IN ('integer', 'real') GROUP BY day, name`,
      ),
      usageEntries: db.prepare(
        `SELECT * FROM usage_ledger
         WHERE finished_at >= @since AND finished_at < @until AND (@account IS NULL OR account_id = @account)
           AND (finished_at, request_id) > (@afterAt, @afterId)
         ORDER BY finished_at, request_id LIMIT @limit`,
      ),
      deleteUsage: db.prepare(`DELETE FROM usage_ledger WHERE finished_at < ?`),
      // The submits of the window by the log, or by the requests when more (those made while no rpm
      // limit was in force are in the requests only).
      recentSubmits: db.prepare(
        `SELECT max(l.n, r.n) AS n, coalesce(min(l.oldest, r.oldest), l.oldest, r.oldest) AS oldest
         FROM (SELECT count(*) AS n, min(at) AS oldest FROM account_submits WHERE account_id = @account AND at > @since) l,
              (SELECT count(*) AS n, min(created_at) AS oldest FROM requests WHERE account_id = @account AND created_at > @since) r`,
      ),
      logSubmit: db.prepare(`INSERT INTO account_submits (account_id, at) VALUES (?, ?)`),
      forgetSubmits: db.prepare(`DELETE FROM account_submits WHERE at <= ?`),
      activeOf: db.prepare(`SELECT count(*) FROM requests WHERE account_id = ? AND status IN ('in_queue', 'in_progress')`).pluck(),
      // The images of the day so far, and at least one for each request still to finish.
      imagesSince: db.prepare(
        `SELECT (SELECT coalesce(sum(images), 0) FROM usage_ledger WHERE account_id = @account AND finished_at >= @since)
              + (SELECT count(*) FROM requests WHERE account_id = @account AND status IN ('in_queue', 'in_progress'))`,
      ).pluck(),
      overrides: db.prepare(`SELECT rpm, concurrent, daily_images FROM account_limits WHERE account_id = ?`),
      setOverrides: db.prepare(
        `INSERT INTO account_limits (account_id, rpm, concurrent, daily_images) VALUES (?, ?, ?, ?)
         ON CONFLICT(account_id) DO UPDATE SET rpm = excluded.rpm, concurrent = excluded.concurrent, daily_images = excluded.daily_images`,
      ),
      clearOverrides: db.prepare(`DELETE FROM account_limits WHERE account_id = ?`),
    };
    this.enqueueOne = db.transaction(this.enqueueTx);
  }

  private readonly enqueueTx = (request: NewRequest, limits: EnqueueLimits): Enqueued => {
    if (request.idempotencyKey) {
      const earlier = this.sql.byIdempotencyKey.get(request.accountId, request.idempotencyKey) as { id: string; created_at: number } | undefined;
      if (earlier && earlier.created_at > request.createdAt - IDEMPOTENCY_WINDOW_MS) {
        return { record: toRecord(this.sql.get.get(earlier.id) as Row), created: false };
      }
      // Past the window the key is free again.
      if (earlier) this.sql.forgetIdempotencyKey.run(earlier.id);
    }
    const account = effectiveLimits(limits.account, this.overridesOf(request.accountId));
    this.checkAccountLimits(request.accountId, account, request.createdAt);
    const queued = this.sql.queued.get() as number;
    if (queued >= limits.maxQueue) throw new QueueFullError(this.retryAfterSeconds());
    if (account.rpm !== undefined) {
      this.sql.forgetSubmits.run(request.createdAt - RATE_WINDOW_MS);
      this.sql.logSubmit.run(request.accountId, request.createdAt);
    }
    const row = this.sql.insert.get(
      request.id,
      request.accountId,
      request.modelId,
      request.createdAt,
      request.expiresAt,
      request.webhook?.url ?? null,
      request.webhook?.events.join(',') ?? '',
      request.idempotencyKey ?? null,
    ) as Row & { seq: number };
    this.sql.insertInput.run(row.seq, JSON.stringify(request.input));
    // Everything queued before the insert is ahead of this request.
    return { record: toRecord({ ...row, queue_position: queued }), created: true };
  };

  /** Only asked when the queue is full. */
  private retryAfterSeconds(): number {
    const { avg, running } = this.sql.recentRuns.get() as { avg: number | null; running: number };
    return retryAfterSeconds(avg, running);
  }

  /** Throws LimitExceededError for the first limit the account is at; see limits.ts for the rules. */
  private checkAccountLimits(accountId: string, limits: AccountLimits, now: number): void {
    if (limits.rpm !== undefined) {
      const { n, oldest } = this.sql.recentSubmits.get({ account: accountId, since: now - RATE_WINDOW_MS }) as { n: number; oldest: number | null };
      if (n >= limits.rpm) throw new LimitExceededError('rpm', limits.rpm, rateRetryAfter(oldest ?? now, now));
    }
    if (limits.concurrent !== undefined) {
      const active = this.sql.activeOf.get(accountId) as number;
      if (active >= limits.concurrent) throw new LimitExceededError('concurrent', limits.concurrent, this.retryAfterSeconds());
    }
    if (limits.dailyImages !== undefined) {
      const used = this.sql.imagesSince.get({ account: accountId, since: utcDayStart(now) }) as number;
      if (used >= limits.dailyImages) throw new LimitExceededError('daily_images', limits.dailyImages, secondsToNextUtcDay(now));
    }
  }

  private overridesOf(accountId: string): AccountLimitOverrides {
    return toOverrides(this.sql.overrides.get(accountId) as OverridesRow | undefined);
  }

  async limitOverrides(accountId: string): Promise<AccountLimitOverrides> {
    return this.overridesOf(accountId);
  }

  async setLimitOverrides(accountId: string, overrides: AccountLimitOverrides): Promise<void> {
    const columns = overrideColumns(overrides);
    if (!columns) this.sql.clearOverrides.run(accountId);
    else this.sql.setOverrides.run(accountId, ...columns);
  }

  /**
   * Submits that arrive in one turn of the event loop are committed together: a WAL commit was
   * three quarters of a submit's cost, and one commit for several writes their shared pages (the
   * indexes, the counts) once. Each submit is a savepoint of its own, so that one refused (a limit,
   * a full queue) takes nothing else with it; a commit that fails fails them all.
   */
  private pendingEnqueues: { request: NewRequest; limits: EnqueueLimits; resolve: (out: Enqueued) => void; reject: (err: unknown) => void }[] = [];
  /** One submit; inside the batch's transaction, a savepoint. */
  private readonly enqueueOne: (request: NewRequest, limits: EnqueueLimits) => Enqueued;

  async enqueue(request: NewRequest, limits: EnqueueLimits): Promise<Enqueued> {
    return new Promise((resolve, reject) => {
      if (this.pendingEnqueues.push({ request, limits, resolve, reject }) === 1) setImmediate(() => this.commitEnqueues());
    });
  }

  private commitEnqueues(): void {
    const batch = this.pendingEnqueues;
    this.pendingEnqueues = [];
    const outcomes: ({ ok: true; out: Enqueued } | { ok: false; err: unknown })[] = [];
    try {
      // IMMEDIATE takes the write lock first, so the counts and the inserts see the same state.
      this.db
        .transaction(() => {
          for (const { request, limits } of batch) {
            try {
              outcomes.push({ ok: true, out: this.enqueueOne(request, limits) });
            } catch (err) {
              outcomes.push({ ok: false, err });
            }
          }
        })
        .immediate();
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    if (outcomes.some((o) => o.ok && o.out.created)) {
      this.forget();
      this.changes.enqueued();
    }
    batch.forEach((p, i) => {
      const o = outcomes[i]!;
      if (o.ok) p.resolve(o.out);
      else p.reject(o.err);
    });
  }

  async eventsSince(id: string, afterId: number): Promise<RequestEvent[]> {
    return this.sql.events.all(id, afterId) as RequestEvent[];
  }

  /**
   * Status polls are most of the traffic, and each SQLite read in WAL mode pays for a read snapshot:
   * recent reads are kept. Every write through this store forgets them all (a claim or a cancel moves
   * other requests' queue positions too); writes by other connections (a worker process) are noticed
   * through data_version, looked at every FOREIGN_CHECK_MS, so a poll is at most that stale.
   */
  private readonly recent = new Map<string, RequestRecord>();
  private readonly foreignWrites: ForeignWrites;

  private forget(): void {
    this.recent.clear();
  }

  peek(id: string): RequestRecord | undefined {
    if (this.foreignWrites.happened()) this.recent.clear();
    return this.recent.get(id);
  }

  async get(id: string): Promise<RequestRecord | undefined> {
    const hit = this.peek(id);
    if (hit) return hit;
    const row = this.sql.get.get(id) as Row | undefined;
    if (!row) return undefined;
    const record = toRecord(row);
    if (this.recent.size >= MAX_RECENT) this.recent.clear();
    this.recent.set(id, record);
    return record;
  }

  async cancel(id: string, now: number): Promise<CancelOutcome> {
    const row = this.sql.cancel.get(now, id) as Row | undefined;
    if (row) {
      this.changed(id, true);
      return { outcome: 'cancelled', record: toRecord(row), engineState: row.engine_state ? (JSON.parse(row.engine_state) as EngineCheckpoint) : null };
    }
    const current = await this.get(id);
    if (!current) return { outcome: 'not_found' };
    return current.status === 'cancelled'
      ? { outcome: 'already_cancelled', record: current }
      : { outcome: 'not_cancellable', record: current };
  }

  async claim(owner: string, leaseMs: number, now: number): Promise<ClaimedRequest | undefined> {
    const row = this.sql.claim.get(owner, now + leaseMs, now) as (Row & { input: string; lease_owner: string; engine_state: string | null }) | undefined;
    if (!row) return undefined;
    this.changed(row.id, true);
    return {
      ...toRecord(row),
      input: JSON.parse(row.input),
      leaseOwner: row.lease_owner,
      engineState: row.engine_state ? (JSON.parse(row.engine_state) as EngineCheckpoint) : null,
    };
  }

  async renewLease(id: string, owner: string, leaseMs: number, now: number): Promise<boolean> {
    return this.sql.renew.run(now + leaseMs, id, owner).changes === 1;
  }

  async setProgress(id: string, owner: string, progress: number): Promise<boolean> {
    return this.changed(id, this.sql.progress.run(Math.min(1, Math.max(0, progress)), id, owner).changes === 1);
  }

  async saveEngineState(id: string, owner: string, checkpoint: EngineCheckpoint | null): Promise<boolean> {
    // No change of what a status read shows, so the records kept in memory stay valid.
    return this.sql.engineState.run(checkpoint && JSON.stringify(checkpoint), id, owner).changes === 1;
  }

  async complete(id: string, owner: string, result: RequestResult, now: number): Promise<boolean> {
    return this.changed(id, this.sql.complete.run(JSON.stringify(result), now, id, owner).changes === 1);
  }

  async fail(id: string, owner: string, error: RequestError, now: number): Promise<boolean> {
    return this.changed(id, this.sql.fail.run(JSON.stringify(error), now, id, owner).changes === 1);
  }

  async release(id: string, owner: string): Promise<boolean> {
    return this.changed(id, this.sql.release.run(id, owner).changes === 1);
  }

  async recoverExpiredLeases(now: number, maxAttempts: number): Promise<ExpiredLeases> {
    const out = this.db.transaction((): ExpiredLeases => {
      const failed = this.sql.failExhausted.all(JSON.stringify(workerLostError(maxAttempts)), now, now, maxAttempts) as string[];
      const requeued = this.sql.requeueExpired.all(now, maxAttempts) as string[];
      if (failed.length || requeued.length) this.forget();
      return { requeued, failed };
    }).immediate();
    for (const id of [...out.failed, ...out.requeued]) this.changes.changed(id);
    if (out.requeued.length) this.changes.enqueued();
    return out;
  }

  async deleteExpired(now: number, limit: number): Promise<string[]> {
    const ids = this.sql.expired.all(now, limit) as string[];
    if (ids.length) this.forget();
    for (const id of ids) this.changes.changed(id);
    return ids;
  }

  /** Forgets the recent reads and tells the request's followers when a write changed it; passes the answer on. */
  private changed(id: string, didChange: boolean): boolean {
    if (didChange) {
      this.forget();
      this.changes.changed(id);
    }
    return didChange;
  }

  async oldestQueuedAt(): Promise<number | null> {
    return (this.sql.oldestQueued.get() as number | undefined) ?? null;
  }

  async countByStatus(): Promise<Record<RequestStatus, number>> {
    const out = { in_queue: 0, in_progress: 0, completed: 0, failed: 0, cancelled: 0 };
    for (const row of this.sql.counts.all() as { status: RequestStatus; n: number }[]) out[row.status] = row.n;
    return out;
  }

  async claimDueDeliveries(now: number, limit: number, leaseMs: number): Promise<WebhookDelivery[]> {
    const rows = this.sql.dueDeliveries.all(now + leaseMs, now, limit) as DeliveryRow[];
    return rows.map(toDelivery);
  }

  async settleDelivery(id: string, outcome: DeliveryOutcome): Promise<void> {
    if (outcome.state === 'delivered') this.sql.delivered.run(outcome.at, id);
    else if (outcome.state === 'retry') this.sql.retryDelivery.run(outcome.at, outcome.error, id);
    else this.sql.failDelivery.run(outcome.error, id);
  }

  async deliveriesOf(requestId: string): Promise<DeliveryRecord[]> {
    return (this.sql.deliveriesOf.all(requestId) as (DeliveryRow & { state: DeliveryRecord['state']; last_error: string | null; delivered_at: number | null })[]).map(
      (r) => ({ ...toDelivery(r), state: r.state, lastError: r.last_error, deliveredAt: r.delivered_at }),
    );
  }

  async heartbeat(worker: WorkerHeartbeat, now: number): Promise<void> {
    this.sql.heartbeat.run(worker.id, JSON.stringify(worker.info), now);
  }

  async removeWorker(id: string): Promise<void> {
    this.sql.removeWorker.run(id);
  }

  async liveWorkers(since: number): Promise<WorkerHeartbeat[]> {
    return (this.sql.liveWorkers.all(since) as { id: string; info: string }[]).map((w) => ({
      id: w.id,
      info: JSON.parse(w.info) as Record<string, unknown>,
    }));
  }

  async inputOf(id: string): Promise<unknown | undefined> {
    const raw = this.sql.input.get(id) as string | undefined;
    return raw === undefined ? undefined : JSON.parse(raw);
  }

  async listByAccount(accountId: string, options: { limit: number; before?: string | undefined }): Promise<RequestPage> {
    const before = options.before && /^\d{1,15}$/.test(options.before) ? Number(options.before) : Number.MAX_SAFE_INTEGER;
    // One more than asked tells whether there is a next page.
    const rows = this.sql.page.all(accountId, before, options.limit + 1) as (Row & { seq: number; prompt: string | null; image_count: number | null })[];
    const items = rows.slice(0, options.limit).map((r) => ({ ...toRecord(r), prompt: r.prompt, imageCount: r.image_count ?? 0 }));
    const last = rows[options.limit - 1];
    return { items, next: rows.length > options.limit && last ? String(last.seq) : null };
  }

  async deleteFinished(id: string): Promise<boolean> {
    return this.changed(id, this.sql.deleteFinished.run(id).changes === 1);
  }

  async usageByDay(accountId: string, since: number): Promise<UsageDay[]> {
    return usageDays(
      this.sql.usage.all(accountId, since) as UsageDayRow[],
      this.sql.usageEngines.all(accountId, since) as { day: string; engine: string; n: number }[],
      this.sql.usageUpstream.all(accountId, since) as { day: string; name: string; total: number }[],
    );
  }

  async usageEntries(filter: { since: number; until?: number | undefined; accountId?: string | undefined; after?: UsageCursor | undefined; limit: number }): Promise<UsageEntry[]> {
    const rows = this.sql.usageEntries.all({
      since: filter.since,
      until: filter.until ?? Number.MAX_SAFE_INTEGER,
      account: filter.accountId ?? null,
      afterAt: filter.after?.finishedAt ?? -1,
      afterId: filter.after?.requestId ?? '',
      limit: filter.limit,
    }) as LedgerRow[];
    return rows.map(toUsageEntry);
  }

  async deleteUsageBefore(cutoff: number): Promise<number> {
    return this.sql.deleteUsage.run(cutoff).changes;
  }

  async ping(): Promise<void> {
    this.sql.ping.get();
  }

  async close(): Promise<void> {
    // The database handle is shared with other stores; whoever opened it closes it.
  }
}
