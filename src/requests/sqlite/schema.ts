import type { Migrations } from '../../db/sqlite.js';

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
  ],
};
