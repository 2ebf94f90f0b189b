/**
 * The embedded request store: one SQLite file in WAL mode. Every transition is a single UPDATE
 * guarded by the status it leaves (and the lease owner), so it is atomic across threads and
 * processes sharing the file; SQLite's write lock serialises them.
 */
import type { SqliteDatabase } from '../../db/sqlite.js';
import { migrate } from '../../db/sqlite.js';
import { QueueFullError } from '../errors.js';
import type {
  CancelOutcome,
  ClaimedRequest,
  ExpiredLeases,
  NewRequest,
  RequestError,
  RequestRecord,
  RequestResult,
  RequestStatus,
  RequestStore,
  WorkerHeartbeat,
} from '../types.js';
import { requestMigrations } from './schema.js';

interface Row {
  id: string;
  account_id: string;
  model_id: string;
  status: RequestStatus;
  progress: number;
  attempts: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  expires_at: number;
  result: string | null;
  error: string | null;
  queue_position?: number | null;
  input?: string;
  lease_owner?: string;
}

const RECORD_COLUMNS =
  'id, account_id, model_id, status, progress, attempts, created_at, started_at, finished_at, expires_at, result, error';

function toRecord(row: Row): RequestRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    modelId: row.model_id,
    status: row.status,
    progress: row.progress,
    attempts: row.attempts,
    queuePosition: row.status === 'in_queue' ? (row.queue_position ?? null) : null,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    expiresAt: row.expires_at,
    result: row.result ? (JSON.parse(row.result) as RequestResult) : null,
    error: row.error ? (JSON.parse(row.error) as RequestError) : null,
  };
}

/** How long a full queue asks clients to wait, when nothing better is known. */
const DEFAULT_RETRY_AFTER_SECONDS = 5;

export class SqliteRequestStore implements RequestStore {
  private readonly sql;

  constructor(private readonly db: SqliteDatabase) {
    migrate(db, requestMigrations);
    this.sql = {
      insert: db.prepare(
        `INSERT INTO requests (id, account_id, model_id, input, status, created_at, expires_at)
         VALUES (?, ?, ?, ?, 'in_queue', ?, ?) RETURNING ${RECORD_COLUMNS}, seq`,
      ),
      queued: db.prepare(`SELECT n FROM request_counts WHERE status = 'in_queue'`).pluck(),
      position: db.prepare(`SELECT count(*) FROM requests WHERE status = 'in_queue' AND seq < ?`).pluck(),
      get: db.prepare(
        `SELECT ${RECORD_COLUMNS},
           CASE WHEN status = 'in_queue'
             THEN (SELECT count(*) FROM requests q WHERE q.status = 'in_queue' AND q.seq < r.seq) END AS queue_position
         FROM requests r WHERE id = ?`,
      ),
      cancel: db.prepare(
        `UPDATE requests SET status = 'cancelled', finished_at = ? WHERE id = ? AND status = 'in_queue'
         RETURNING ${RECORD_COLUMNS}`,
      ),
      claim: db.prepare(
        `UPDATE requests
           SET status = 'in_progress', lease_owner = ?, lease_expires_at = ?, attempts = attempts + 1,
               progress = 0, started_at = coalesce(started_at, ?)
         WHERE seq = (SELECT seq FROM requests WHERE status = 'in_queue' ORDER BY seq LIMIT 1)
           AND status = 'in_queue'
         RETURNING ${RECORD_COLUMNS}, input, lease_owner`,
      ),
      renew: db.prepare(
        `UPDATE requests SET lease_expires_at = ? WHERE id = ? AND status = 'in_progress' AND lease_owner = ?`,
      ),
      progress: db.prepare(
        `UPDATE requests SET progress = ? WHERE id = ? AND status = 'in_progress' AND lease_owner = ?`,
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
      heartbeat: db.prepare(
        `INSERT INTO workers (id, info, heartbeat_at) VALUES (?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET info = excluded.info, heartbeat_at = excluded.heartbeat_at`,
      ),
      removeWorker: db.prepare(`DELETE FROM workers WHERE id = ?`),
      liveWorkers: db.prepare(`SELECT id, info FROM workers WHERE heartbeat_at >= ?`),
      ping: db.prepare('SELECT 1').pluck(),
    };
  }

  private readonly enqueueTx = (request: NewRequest, maxQueue: number): RequestRecord => {
    const queued = this.sql.queued.get() as number;
    if (queued >= maxQueue) throw new QueueFullError(DEFAULT_RETRY_AFTER_SECONDS);
    const row = this.sql.insert.get(
      request.id,
      request.accountId,
      request.modelId,
      JSON.stringify(request.input),
      request.createdAt,
      request.expiresAt,
    ) as Row & { seq: number };
    // The count includes this request: everything queued before the insert is ahead of it,
    // except requests with a larger seq, which cannot exist yet.
    return toRecord({ ...row, queue_position: queued });
  };

  async enqueue(request: NewRequest, limits: { maxQueue: number }): Promise<RequestRecord> {
    // IMMEDIATE takes the write lock first, so the count and the insert see the same queue.
    return this.db.transaction(this.enqueueTx).immediate(request, limits.maxQueue);
  }

  async get(id: string): Promise<RequestRecord | undefined> {
    const row = this.sql.get.get(id) as Row | undefined;
    return row && toRecord(row);
  }

  async cancel(id: string, now: number): Promise<CancelOutcome> {
    const row = this.sql.cancel.get(now, id) as Row | undefined;
    if (row) return { outcome: 'cancelled', record: toRecord(row) };
    const current = await this.get(id);
    if (!current) return { outcome: 'not_found' };
    return current.status === 'cancelled'
      ? { outcome: 'already_cancelled', record: current }
      : { outcome: 'not_cancellable', record: current };
  }

  async claim(owner: string, leaseMs: number, now: number): Promise<ClaimedRequest | undefined> {
    const row = this.sql.claim.get(owner, now + leaseMs, now) as (Row & { input: string; lease_owner: string }) | undefined;
    if (!row) return undefined;
    return { ...toRecord(row), input: JSON.parse(row.input), leaseOwner: row.lease_owner };
  }

  async renewLease(id: string, owner: string, leaseMs: number, now: number): Promise<boolean> {
    return this.sql.renew.run(now + leaseMs, id, owner).changes === 1;
  }

  async setProgress(id: string, owner: string, progress: number): Promise<boolean> {
    return this.sql.progress.run(Math.min(1, Math.max(0, progress)), id, owner).changes === 1;
  }

  async complete(id: string, owner: string, result: RequestResult, now: number): Promise<boolean> {
    return this.sql.complete.run(JSON.stringify(result), now, id, owner).changes === 1;
  }

  async fail(id: string, owner: string, error: RequestError, now: number): Promise<boolean> {
    return this.sql.fail.run(JSON.stringify(error), now, id, owner).changes === 1;
  }

  async release(id: string, owner: string): Promise<boolean> {
    return this.sql.release.run(id, owner).changes === 1;
  }

  async recoverExpiredLeases(now: number, maxAttempts: number): Promise<ExpiredLeases> {
    return this.db.transaction((): ExpiredLeases => {
      const error: RequestError = {
        code: 'worker_lost',
        message: `The request was started ${maxAttempts} times and its worker stopped each time; it will not be retried.`,
      };
      const failed = this.sql.failExhausted.all(JSON.stringify(error), now, now, maxAttempts) as string[];
      const requeued = this.sql.requeueExpired.all(now, maxAttempts) as string[];
      return { requeued, failed };
    }).immediate();
  }

  async deleteExpired(now: number, limit: number): Promise<string[]> {
    return this.sql.expired.all(now, limit) as string[];
  }

  async countByStatus(): Promise<Record<RequestStatus, number>> {
    const out = { in_queue: 0, in_progress: 0, completed: 0, failed: 0, cancelled: 0 };
    for (const row of this.sql.counts.all() as { status: RequestStatus; n: number }[]) out[row.status] = row.n;
    return out;
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

  async ping(): Promise<void> {
    this.sql.ping.get();
  }

  async close(): Promise<void> {
    // The database handle is shared with other stores; whoever opened it closes it.
  }
}
