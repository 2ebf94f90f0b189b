/**
 * Every SQL statement of the PostgreSQL request store, in one place (as River keeps one file of SQL
 * per driver). Each is a named statement, so each connection parses it once. A transition is one
 * UPDATE guarded by the status it leaves and, for a running request, by the lease owner: two nodes
 * racing for the same request can never both win, and a worker whose lease was taken back gets
 * "0 rows" instead of overwriting anything (the lesson of River #1302).
 */
const q = (name: string, text: string) => ({ name: `requests_${name}`, text });

const RECORD = `r.id, r.account_id, r.model_id, r.status, r.progress, r.attempts, r.created_at, r.started_at,
  r.finished_at, r.expires_at, r.result, r.error`;

/** Requests ahead of r in the queue: an index-only count on the partial index requests_queued. */
const POSITION = `CASE WHEN r.status = 'in_queue'
  THEN (SELECT count(*) FROM requests a WHERE a.status = 'in_queue' AND a.seq < r.seq) END AS queue_position`;

/**
 * Advisory-lock keys (any constants, distinct from db/postgres/migrate.ts's). Enqueues hold
 * 7_324_110_601 (written in retouch_enqueue, migrations.ts) until they commit.
 */
export const LOCKS = {
  /** Only one node at a time looks for expired leases; the others skip that round. */
  recovery: 7_324_110_602,
};

export const SQL = {
  /** The whole submit in one round trip: see retouch_enqueue in migrations.ts. */
  enqueue: q('enqueue', `SELECT * FROM retouch_enqueue($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`),
  recentRuns: q(
    'recent_runs',
    `SELECT (SELECT avg(finished_at - started_at)::float8 FROM
               (SELECT finished_at, started_at FROM requests WHERE status = 'completed' ORDER BY finished_at DESC LIMIT 20) c) AS avg,
            (SELECT count(*) FROM requests WHERE status = 'in_progress') AS running`,
  ),

  get: q('get', `SELECT ${RECORD}, ${POSITION} FROM requests r WHERE r.id = $1`),
  events: q('events', `SELECT id, status, at FROM request_events WHERE request_id = $1 AND id > $2 ORDER BY id`),
  input: q('input', `SELECT input FROM requests WHERE id = $1`),
  page: q(
    'page',
    `SELECT ${RECORD}, r.seq, r.prompt, r.image_count, ${POSITION}
     FROM requests r WHERE r.account_id = $1 AND r.seq < $2 ORDER BY r.seq DESC LIMIT $3`,
  ),
  deleteFinished: q('delete_finished', `DELETE FROM requests WHERE id = $1 AND status IN ('completed', 'failed', 'cancelled')`),
  usage: q(
    'usage',
    `SELECT to_char(to_timestamp(finished_at / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*) AS requests,
            count(*) FILTER (WHERE status = 'completed') AS completed, count(*) FILTER (WHERE status = 'failed') AS failed,
            count(*) FILTER (WHERE status = 'cancelled') AS cancelled, coalesce(sum(images), 0)::float8 AS images,
            coalesce(sum(megapixels), 0) AS mp, coalesce(sum(compute_seconds), 0) AS compute
     FROM usage_ledger WHERE account_id = $1 AND finished_at >= $2 GROUP BY day ORDER BY day`,
  ),
  usageEngines: q(
    'usage_engines',
    `SELECT to_char(to_timestamp(finished_at / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, engine, count(*) AS n
     FROM usage_ledger WHERE account_id = $1 AND finished_at >= $2 AND status = 'completed' AND engine IS NOT NULL
     GROUP BY day, engine`,
  ),
  /** The upstream text is written by complete() from sanitised strings, so it always parses. */
  usageUpstream: q(
    'usage_upstream',
    `SELECT to_char(to_timestamp(finished_at / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, u.key AS name,
            sum(u.value::text::float8) AS total
     FROM usage_ledger, json_each(usage_ledger.upstream::json) u
     WHERE account_id = $1 AND finished_at >= $2 AND upstream IS NOT NULL AND json_typeof(u.value) = 'number'
     GROUP BY day, name`,
  ),
  usageEntries: q(
    'usage_entries',
    `SELECT * FROM usage_ledger
     WHERE finished_at >= $1 AND finished_at < $2 AND ($3::text IS NULL OR account_id = $3)
       AND (finished_at, request_id) > ($4, $5)
     ORDER BY finished_at, request_id LIMIT $6`,
  ),
  ledgerPosition: q('ledger_position', `SELECT finished_at FROM usage_ledger WHERE request_id = $1`),
  deleteUsage: q('delete_usage', `DELETE FROM usage_ledger WHERE finished_at < $1`),
  overrides: q('overrides', `SELECT rpm, concurrent, daily_images FROM account_limits WHERE account_id = $1`),
  setOverrides: q(
    'set_overrides',
    `INSERT INTO account_limits (account_id, rpm, concurrent, daily_images) VALUES ($1, $2, $3, $4)
     ON CONFLICT (account_id) DO UPDATE SET rpm = excluded.rpm, concurrent = excluded.concurrent, daily_images = excluded.daily_images`,
  ),
  clearOverrides: q('clear_overrides', `DELETE FROM account_limits WHERE account_id = $1`),
  counts: q('counts', `SELECT status, count(*) AS n FROM requests GROUP BY status`),
  oldestQueued: q('oldest_queued', `SELECT created_at FROM requests WHERE status = 'in_queue' ORDER BY seq LIMIT 1`),

  cancel: q(
    'cancel',
    `UPDATE requests r SET status = 'cancelled', finished_at = $1 WHERE r.id = $2 AND r.status = 'in_queue' RETURNING ${RECORD}, r.engine_state`,
  ),
  /**
   * SKIP LOCKED: claimers never wait for each other, each takes the oldest row nobody else is
   * taking. MATERIALIZED keeps the planner from re-running the LIMIT subquery per row (Oban, pg-boss).
   */
  claim: q(
    'claim',
    `WITH next AS MATERIALIZED (
       SELECT seq FROM requests WHERE status = 'in_queue' ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED
     )
     UPDATE requests r
       SET status = 'in_progress', lease_owner = $1, lease_expires_at = $2, attempts = r.attempts + 1,
           progress = 0, started_at = coalesce(r.started_at, $3)
     FROM next WHERE r.seq = next.seq AND r.status = 'in_queue'
     RETURNING ${RECORD}, r.input, r.lease_owner, r.engine_state`,
  ),
  renew: q('renew', `UPDATE requests SET lease_expires_at = $1 WHERE id = $2 AND status = 'in_progress' AND lease_owner = $3`),
  progress: q('progress', `UPDATE requests SET progress = $1 WHERE id = $2 AND status = 'in_progress' AND lease_owner = $3`),
  engineState: q('engine_state', `UPDATE requests SET engine_state = $1 WHERE id = $2 AND status = 'in_progress' AND lease_owner = $3`),
  complete: q(
    'complete',
    `UPDATE requests SET status = 'completed', progress = 1, result = $1, output_images = $2, output_pixels = $3, engine = $4,
       upstream = $5, finished_at = $6, lease_owner = NULL, lease_expires_at = NULL
     WHERE id = $7 AND status = 'in_progress' AND lease_owner = $8`,
  ),
  fail: q(
    'fail',
    `UPDATE requests SET status = 'failed', error = $1, finished_at = $2, lease_owner = NULL, lease_expires_at = NULL
     WHERE id = $3 AND status = 'in_progress' AND lease_owner = $4`,
  ),
  release: q(
    'release',
    `UPDATE requests SET status = 'in_queue', progress = 0, attempts = greatest(attempts - 1, 0),
       lease_owner = NULL, lease_expires_at = NULL
     WHERE id = $1 AND status = 'in_progress' AND lease_owner = $2`,
  ),
  tryLockRecovery: q('try_lock_recovery', `SELECT pg_try_advisory_xact_lock(${LOCKS.recovery}) AS locked`),
  failExhausted: q(
    'fail_exhausted',
    `UPDATE requests SET status = 'failed', error = $1, finished_at = $2, lease_owner = NULL, lease_expires_at = NULL
     WHERE status = 'in_progress' AND lease_expires_at < $3 AND attempts >= $4 RETURNING id`,
  ),
  requeueExpired: q(
    'requeue_expired',
    `UPDATE requests SET status = 'in_queue', progress = 0, lease_owner = NULL, lease_expires_at = NULL
     WHERE status = 'in_progress' AND lease_expires_at < $1 AND attempts < $2 RETURNING id`,
  ),
  /** Nodes deleting at once take different rows. */
  deleteExpired: q(
    'delete_expired',
    `DELETE FROM requests WHERE seq IN (
       SELECT seq FROM requests WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
     ) RETURNING id`,
  ),

  claimDueDeliveries: q(
    'claim_due_deliveries',
    `WITH due AS MATERIALIZED (
       SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $2
       ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED
     )
     UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = $1
     FROM due WHERE d.id = due.id
     RETURNING d.id, d.request_id, d.account_id, d.url, d.status, d.attempts, d.created_at`,
  ),
  delivered: q('delivered', `UPDATE webhook_deliveries SET state = 'delivered', delivered_at = $1, last_error = NULL WHERE id = $2`),
  retryDelivery: q('retry_delivery', `UPDATE webhook_deliveries SET next_attempt_at = $1, last_error = $2 WHERE id = $3 AND state = 'pending'`),
  failDelivery: q('fail_delivery', `UPDATE webhook_deliveries SET state = 'failed', last_error = $1 WHERE id = $2 AND state = 'pending'`),
  deliveriesOf: q(
    'deliveries_of',
    `SELECT id, request_id, account_id, url, status, attempts, created_at, state, last_error, delivered_at
     FROM webhook_deliveries WHERE request_id = $1 ORDER BY created_at, n`,
  ),

  heartbeat: q(
    'heartbeat',
    `INSERT INTO workers (id, info, heartbeat_at) VALUES ($1, $2, $3)
     ON CONFLICT (id) DO UPDATE SET info = excluded.info, heartbeat_at = excluded.heartbeat_at`,
  ),
  removeWorker: q('remove_worker', `DELETE FROM workers WHERE id = $1`),
  liveWorkers: q('live_workers', `SELECT id, info FROM workers WHERE heartbeat_at >= $1 ORDER BY id`),
  ping: q('ping', 'SELECT 1'),
};
