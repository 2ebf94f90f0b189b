import type { Migrations } from '../../db/sqlite.js';

/** Ledger rows for the ended requests `r` that the condition written after it picks (the trigger's one, or every one when the ledger was made). */
const LEDGER_ROWS = `INSERT OR IGNORE INTO usage_ledger
      (request_id, account_id, model_id, status, created_at, finished_at, images, megapixels, compute_seconds, engine, upstream)
    SELECT r.id, r.account_id, r.model_id, r.status, r.created_at, coalesce(r.finished_at, r.created_at),
      coalesce(json_array_length(r.result, '$.files'), 0),
      coalesce((SELECT sum(json_extract(f.value, '$.width') * json_extract(f.value, '$.height')) FROM json_each(r.result, '$.files') f), 0) / 1e6,
      CASE WHEN r.started_at IS NOT NULL AND r.finished_at IS NOT NULL AND r.status IN ('completed', 'failed')
        THEN (r.finished_at - r.started_at) / 1000.0 ELSE 0 END,
      json_extract(r.result, '$.engine'),
      json_extract(r.result, '$.usage') FROM requests r WHERE`;

export const requestMigrations: Migrations = {
  module: 'requests',
  steps: [
    `
    CREATE TABLE requests (
      -- The queue order; also the rowid, so the partial index below is tiny.
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      account_id TEXT NOT NULL,
      model_id TEXT NOT NULL,
      input TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('in_queue', 'in_progress', 'completed', 'failed', 'cancelled')),
      progress REAL NOT NULL DEFAULT 0,
      attempts INTEGER NOT NULL DEFAULT 0,
      lease_owner TEXT,
      lease_expires_at INTEGER,
      created_at INTEGER NOT NULL,
      started_at INTEGER,
      finished_at INTEGER,
      expires_at INTEGER NOT NULL,
      result TEXT,
      error TEXT
    );
    -- Claims take the smallest seq; queue positions count the queued seqs below one's own.
    CREATE INDEX requests_queued ON requests (seq) WHERE status = 'in_queue';
    CREATE INDEX requests_leased ON requests (lease_expires_at) WHERE status = 'in_progress';
    CREATE INDEX requests_expiry ON requests (expires_at);
    CREATE INDEX requests_by_account ON requests (account_id, seq);

    -- Kept by triggers so that the max-queue check on every submit is one row read, not a count.
    CREATE TABLE request_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL);
    INSERT INTO request_counts (status, n) VALUES
      ('in_queue', 0), ('in_progress', 0), ('completed', 0), ('failed', 0), ('cancelled', 0);
    CREATE TRIGGER requests_counted_insert AFTER INSERT ON requests BEGIN
      UPDATE request_counts SET n = n + 1 WHERE status = NEW.status;
    END;
    CREATE TRIGGER requests_counted_update AFTER UPDATE OF status ON requests WHEN OLD.status <> NEW.status BEGIN
      UPDATE request_counts SET n = n - 1 WHERE status = OLD.status;
      UPDATE request_counts SET n = n + 1 WHERE status = NEW.status;
    END;
    CREATE TRIGGER requests_counted_delete AFTER DELETE ON requests BEGIN
      UPDATE request_counts SET n = n - 1 WHERE status = OLD.status;
    END;

    CREATE TABLE workers (
      id TEXT PRIMARY KEY,
      info TEXT NOT NULL,
      heartbeat_at INTEGER NOT NULL
    );
    `,
    // Following a request: its status history (for server-sent events), webhooks and idempotent submits.
    `
    ALTER TABLE requests ADD COLUMN webhook_url TEXT;
    -- Comma-separated statuses besides the final ones that also trigger the webhook ("in_progress").
    ALTER TABLE requests ADD COLUMN webhook_events TEXT NOT NULL DEFAULT '';
    ALTER TABLE requests ADD COLUMN idempotency_key TEXT;
    CREATE UNIQUE INDEX requests_idempotency ON requests (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

    -- Every status a request enters, written by triggers in the transaction of the transition itself,
    -- so that a stream resuming from an event id misses none and repeats none.
    CREATE TABLE request_events (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      request_id TEXT NOT NULL,
      status TEXT NOT NULL,
      at INTEGER NOT NULL
    );
    CREATE INDEX request_events_by_request ON request_events (request_id, id);
    CREATE TRIGGER request_events_on_insert AFTER INSERT ON requests BEGIN
      INSERT INTO request_events (request_id, status, at) VALUES (NEW.id, NEW.status, NEW.created_at);
    END;
    CREATE TRIGGER request_events_on_update AFTER UPDATE OF status ON requests WHEN OLD.status <> NEW.status BEGIN
      INSERT INTO request_events (request_id, status, at)
      VALUES (NEW.id, NEW.status, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
    END;

    -- Webhook deliveries, queued by the same transitions: a crash between the transition and the
    -- delivery loses nothing, and the dispatcher retries until it gets a 2xx or gives up.
    CREATE TABLE webhook_deliveries (
      id TEXT PRIMARY KEY,
      request_id TEXT NOT NULL,
      account_id TEXT NOT NULL,
      url TEXT NOT NULL,
      status TEXT NOT NULL,
      state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
      attempts INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      next_attempt_at INTEGER NOT NULL,
      last_error TEXT,
      delivered_at INTEGER
    );
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
    CREATE INDEX webhook_deliveries_by_request ON webhook_deliveries (request_id);
    CREATE TRIGGER webhook_on_status AFTER UPDATE OF status ON requests
      WHEN NEW.webhook_url IS NOT NULL AND OLD.status <> NEW.status
        AND (NEW.status IN ('completed', 'failed', 'cancelled')
             OR instr(',' || NEW.webhook_events || ',', ',' || NEW.status || ',') > 0)
    BEGIN
      INSERT INTO webhook_deliveries (id, request_id, account_id, url, status, created_at, next_attempt_at)
      VALUES ('msg_' || lower(hex(randomblob(12))), NEW.id, NEW.account_id, NEW.webhook_url, NEW.status,
              CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER),
              CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
    END;

    -- What retention deletes goes with its history.
    CREATE TRIGGER requests_cleanup AFTER DELETE ON requests BEGIN
      DELETE FROM request_events WHERE request_id = OLD.id;
      DELETE FROM webhook_deliveries WHERE request_id = OLD.id;
    END;
    `,
    // Engines that wait on an upstream job keep its handle here, so that the next attempt follows it.
    `
    ALTER TABLE requests ADD COLUMN engine_state TEXT;
    `,
    // The usage ledger and the per-account limits. The ledger is written by the final transition
    // itself (a trigger, in its transaction), and retention of requests never touches it.
    `
    CREATE TABLE usage_ledger (
      request_id TEXT PRIMARY KEY,
      account_id TEXT NOT NULL,
      model_id TEXT NOT NULL,
      status TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      finished_at INTEGER NOT NULL,
      images INTEGER NOT NULL,
      megapixels REAL NOT NULL,
      compute_seconds REAL NOT NULL,
      engine TEXT,
      -- JSON: the figures the engine's upstream reported (tokens, cost).
      upstream TEXT
    );
    CREATE INDEX usage_by_account ON usage_ledger (account_id, finished_at);
    CREATE INDEX usage_by_time ON usage_ledger (finished_at, request_id);
    CREATE TRIGGER usage_on_end AFTER UPDATE OF status ON requests
      WHEN OLD.status <> NEW.status AND NEW.status IN ('completed', 'failed', 'cancelled')
    BEGIN
      ${LEDGER_ROWS} r.id = NEW.id;
    END;
    -- Requests that ended before the ledger existed.
    ${LEDGER_ROWS} r.status IN ('completed', 'failed', 'cancelled');

    -- An operator's overrides of the configuration's default limits: a number, or -1 for no limit.
    CREATE TABLE account_limits (
      account_id TEXT PRIMARY KEY,
      rpm INTEGER,
      concurrent INTEGER,
      daily_images INTEGER
    );
    -- What the limits count: an account's recent submits, and its queued or running requests.
    CREATE INDEX requests_by_account_time ON requests (account_id, created_at);
    CREATE INDEX requests_active_by_account ON requests (account_id) WHERE status IN ('in_queue', 'in_progress');
    `,
    // The submits that rpm counts, apart from the requests: deleting a finished request must not
    // give its place in the minute back. Written only while an rpm limit is in force; kept a minute.
    `
    CREATE TABLE account_submits (account_id TEXT NOT NULL, at INTEGER NOT NULL);
    CREATE INDEX account_submits_by_account ON account_submits (account_id, at);
    CREATE INDEX account_submits_by_time ON account_submits (at);
    `,
    // The input (its data URIs can weigh megabytes) apart from the request's row: SQLite rewrites a
    // whole row when one of its values changes size, so every claim, progress write, lease renewal
    // and checkpoint rewrote the input too (7 ms each for 540 kB, against 0.03 ms without it).
    `
    CREATE TABLE request_inputs (seq INTEGER PRIMARY KEY, input TEXT NOT NULL);
    INSERT INTO request_inputs (seq, input) SELECT seq, input FROM requests;
    ALTER TABLE requests DROP COLUMN input;
    CREATE TRIGGER request_inputs_cleanup AFTER DELETE ON requests BEGIN
      DELETE FROM request_inputs WHERE seq = OLD.seq;
    END;
    `,
  ],
};
