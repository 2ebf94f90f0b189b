/**
 * The PostgreSQL tables of the request store, as numbered migrations (db/postgres/migrate.ts applies
 * them under an advisory lock). Times are milliseconds since the epoch (bigint), as the store's
 * interface speaks them; JSON bodies are kept as the text the program wrote, never parsed in SQL,
 * so that any string a client may send (a NUL, a lone surrogate) is stored exactly as SQLite does.
 */
import type { PgMigrations } from '../../db/postgres/migrate.js';

export const requestMigrations: PgMigrations = {
  module: 'requests',
  steps: [
    {
      version: 1,
      name: 'requests and the queue, status events, the webhook outbox, worker heartbeats, the usage ledger, account limits',
      sql: `
      CREATE TABLE requests (
        -- The queue order. Enqueues are serialised (store.ts), so it is also the commit order.
        seq bigserial PRIMARY KEY,
        id text NOT NULL UNIQUE,
        account_id text NOT NULL,
        model_id text NOT NULL,
        input text NOT NULL,
        -- What lists show, taken from the input when it is stored.
        prompt text,
        image_count integer NOT NULL DEFAULT 0,
        status text NOT NULL CHECK (status IN ('in_queue', 'in_progress', 'completed', 'failed', 'cancelled')),
        progress double precision NOT NULL DEFAULT 0,
        attempts integer NOT NULL DEFAULT 0,
        lease_owner text,
        lease_expires_at bigint,
        created_at bigint NOT NULL,
        started_at bigint,
        finished_at bigint,
        expires_at bigint NOT NULL,
        result text,
        error text,
        -- What the usage ledger records when the request ends, set by complete (never parsed from
        -- the JSON in SQL: PostgreSQL's JSON functions refuse some strings a client may send).
        output_images integer NOT NULL DEFAULT 0,
        output_pixels bigint NOT NULL DEFAULT 0,
        engine text,
        upstream text,
        -- An engine's checkpoint (an upstream job's handle), for the next attempt; never shown.
        engine_state text,
        webhook_url text,
        -- Statuses besides the final ones that also trigger the webhook ('in_progress').
        webhook_events text[] NOT NULL DEFAULT '{}',
        idempotency_key text
      ) WITH (
        -- Progress and lease renewals rewrite rows every few hundred ms: room in each page keeps
        -- them HOT updates, and a vacuum that starts early keeps claims from wading through dead rows.
        fillfactor = 80,
        autovacuum_vacuum_scale_factor = 0.01,
        autovacuum_vacuum_threshold = 1000
      );
      -- Claims take the smallest seq; queue positions count the queued seqs below one's own
      -- (an index-only scan of this small index).
      CREATE INDEX requests_queued ON requests (seq) WHERE status = 'in_queue';
      CREATE INDEX requests_leased ON requests (lease_expires_at) WHERE status = 'in_progress';
      CREATE INDEX requests_expiry ON requests (expires_at);
      CREATE INDEX requests_by_account ON requests (account_id, seq);
      -- What the account limits count: recent submits, and requests queued or running.
      CREATE INDEX requests_by_account_time ON requests (account_id, created_at);
      CREATE INDEX requests_active_by_account ON requests (account_id) WHERE status IN ('in_queue', 'in_progress');
      CREATE INDEX requests_recently_completed ON requests (finished_at) WHERE status = 'completed';
      CREATE UNIQUE INDEX requests_idempotency ON requests (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

      -- Every status a request enters, written by the triggers below in the transaction of the
      -- transition. A request's transitions are serialised by its row lock, so its event ids grow
      -- in commit order: "events after id N" of one request misses none and repeats none.
      CREATE TABLE request_events (
        id bigserial PRIMARY KEY,
        request_id text NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
        status text NOT NULL,
        at bigint NOT NULL
      );
      CREATE INDEX request_events_by_request ON request_events (request_id, id);

      -- Webhook messages, queued by the same transitions (the outbox): a crash between the
      -- transition and the delivery loses nothing.
      CREATE TABLE webhook_deliveries (
        id text PRIMARY KEY,
        n bigserial NOT NULL,
        request_id text NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
        account_id text NOT NULL,
        url text NOT NULL,
        status text NOT NULL,
        state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        created_at bigint NOT NULL,
        next_attempt_at bigint NOT NULL,
        last_error text,
        delivered_at bigint
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
      CREATE INDEX webhook_deliveries_by_request ON webhook_deliveries (request_id);

      -- One row per ended request, written by the final transition itself (the trigger below) and
      -- kept when retention deletes the request. Ids compare bytewise, as the pages' cursor expects.
      CREATE TABLE usage_ledger (
        request_id text COLLATE "C" PRIMARY KEY,
        account_id text NOT NULL,
        model_id text NOT NULL,
        status text NOT NULL,
        created_at bigint NOT NULL,
        finished_at bigint NOT NULL,
        images integer NOT NULL,
        megapixels double precision NOT NULL,
        compute_seconds double precision NOT NULL,
        engine text,
        -- JSON: the figures the engine's upstream reported (tokens, cost).
        upstream text
      );
      CREATE INDEX usage_by_account ON usage_ledger (account_id, finished_at);
      CREATE INDEX usage_by_time ON usage_ledger (finished_at, request_id);

      -- An operator's overrides of the configured default limits: a number, or -1 for no limit.
      CREATE TABLE account_limits (
        account_id text PRIMARY KEY,
        rpm integer,
        concurrent integer,
        daily_images integer
      );

      CREATE TABLE workers (
        id text PRIMARY KEY,
        info text NOT NULL,
        heartbeat_at bigint NOT NULL
      );

      CREATE FUNCTION retouch_now_ms() RETURNS bigint LANGUAGE sql VOLATILE
        AS $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint $$;

      -- NOTIFY is delivered at commit, only if the transaction commits, once per distinct payload.
      CREATE FUNCTION requests_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO request_events (request_id, status, at) VALUES (NEW.id, NEW.status, NEW.created_at);
        PERFORM pg_notify('retouch_queued', '');
        RETURN NULL;
      END $$;
      CREATE TRIGGER requests_inserted AFTER INSERT ON requests
        FOR EACH ROW EXECUTE FUNCTION requests_inserted();

      CREATE FUNCTION requests_status_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        now_ms bigint := retouch_now_ms();
      BEGIN
        INSERT INTO request_events (request_id, status, at) VALUES (NEW.id, NEW.status, now_ms);
        IF NEW.webhook_url IS NOT NULL
           AND (NEW.status IN ('completed', 'failed', 'cancelled') OR NEW.status = ANY (NEW.webhook_events)) THEN
          INSERT INTO webhook_deliveries (id, request_id, account_id, url, status, created_at, next_attempt_at)
          VALUES ('msg_' || left(md5(gen_random_uuid()::text), 24), NEW.id, NEW.account_id, NEW.webhook_url, NEW.status, now_ms, now_ms);
        END IF;
        IF NEW.status IN ('completed', 'failed', 'cancelled') THEN
          INSERT INTO usage_ledger (request_id, account_id, model_id, status, created_at, finished_at, images, megapixels,
            compute_seconds, engine, upstream)
          VALUES (NEW.id, NEW.account_id, NEW.model_id, NEW.status, NEW.created_at, coalesce(NEW.finished_at, NEW.created_at),
            NEW.output_images, NEW.output_pixels / 1e6,
            CASE WHEN NEW.started_at IS NOT NULL AND NEW.finished_at IS NOT NULL AND NEW.status IN ('completed', 'failed')
              THEN (NEW.finished_at - NEW.started_at) / 1000.0 ELSE 0 END,
            NEW.engine, NEW.upstream)
          ON CONFLICT (request_id) DO NOTHING;
        END IF;
        IF NEW.status = 'in_queue' THEN
          PERFORM pg_notify('retouch_queued', '');
        END IF;
        PERFORM pg_notify('retouch_events', NEW.id);
        RETURN NULL;
      END $$;
      CREATE TRIGGER requests_status_changed AFTER UPDATE OF status ON requests
        FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION requests_status_changed();

      -- A submit in one round trip (the lock is held from here to the commit, so the shorter the
      -- better): one enqueue at a time, so that the account's limits, the max-queue count and the
      -- place in the queue are exact; an earlier request with the same idempotency key is returned
      -- instead within the window (a replay is free of limits). Each statement of a volatile
      -- function sees what committed before it, the lock's previous holder's insert included.
      -- The account's limits (NULL: none) come from the caller, which applies its overrides.
      -- Outcome: 'created' (with the request and the queue ahead of it), 'replayed' (the earlier
      -- request's id), 'full', or the limit reached ('rpm' with the oldest submit of the window,
      -- 'concurrent', 'daily_images').
      CREATE FUNCTION retouch_enqueue(
        p_id text, p_account_id text, p_model_id text, p_input text, p_prompt text, p_image_count integer,
        p_created_at bigint, p_expires_at bigint, p_webhook_url text, p_webhook_events text[],
        p_idempotency_key text, p_max_queue bigint, p_idempotency_window_ms bigint,
        p_rpm integer, p_rate_since bigint, p_concurrent integer, p_daily_images integer, p_day_start bigint
      ) RETURNS TABLE (outcome text, queued bigint, oldest bigint, id text, account_id text, model_id text, status text,
        progress double precision, attempts integer, created_at bigint, started_at bigint, finished_at bigint,
        expires_at bigint, result text, error text)
      LANGUAGE plpgsql VOLATILE AS $$
      #variable_conflict use_column
      DECLARE
        earlier record;
        ahead bigint;
        n bigint;
        first_in_window bigint;
      BEGIN
        PERFORM pg_advisory_xact_lock(7324110601);
        IF p_idempotency_key IS NOT NULL THEN
          SELECT r.id, r.created_at INTO earlier FROM requests r
            WHERE r.account_id = p_account_id AND r.idempotency_key = p_idempotency_key;
          IF FOUND THEN
            IF earlier.created_at > p_created_at - p_idempotency_window_ms THEN
              RETURN QUERY SELECT 'replayed', NULL::bigint, NULL::bigint, earlier.id, NULL, NULL, NULL, NULL::double precision,
                NULL::integer, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL, NULL;
              RETURN;
            END IF;
            -- Past the window the key is free again.
            UPDATE requests SET idempotency_key = NULL WHERE requests.id = earlier.id;
          END IF;
        END IF;
        IF p_rpm IS NOT NULL THEN
          SELECT count(*), min(r.created_at) INTO n, first_in_window FROM requests r
            WHERE r.account_id = p_account_id AND r.created_at > p_rate_since;
          IF n >= p_rpm THEN
            RETURN QUERY SELECT 'rpm', n, first_in_window, NULL, NULL, NULL, NULL, NULL::double precision, NULL::integer,
              NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL, NULL;
            RETURN;
          END IF;
        END IF;
        IF p_concurrent IS NOT NULL THEN
          SELECT count(*) INTO n FROM requests r WHERE r.account_id = p_account_id AND r.status IN ('in_queue', 'in_progress');
          IF n >= p_concurrent THEN
            RETURN QUERY SELECT 'concurrent', n, NULL::bigint, NULL, NULL, NULL, NULL, NULL::double precision, NULL::integer,
              NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL, NULL;
            RETURN;
          END IF;
        END IF;
        IF p_daily_images IS NOT NULL THEN
          SELECT coalesce(sum(u.images), 0) INTO n FROM usage_ledger u WHERE u.account_id = p_account_id AND u.finished_at >= p_day_start;
          IF n >= p_daily_images THEN
            RETURN QUERY SELECT 'daily_images', n, NULL::bigint, NULL, NULL, NULL, NULL, NULL::double precision, NULL::integer,
              NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL, NULL;
            RETURN;
          END IF;
        END IF;
        -- Counted no further than the limit: the cost is bounded by --max-queue.
        SELECT count(*) INTO ahead FROM (SELECT 1 FROM requests WHERE status = 'in_queue' LIMIT p_max_queue) q;
        IF ahead >= p_max_queue THEN
          RETURN QUERY SELECT 'full', ahead, NULL::bigint, NULL, NULL, NULL, NULL, NULL::double precision, NULL::integer,
            NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL, NULL;
          RETURN;
        END IF;
        RETURN QUERY
          INSERT INTO requests AS r (id, account_id, model_id, input, prompt, image_count, status, created_at,
            expires_at, webhook_url, webhook_events, idempotency_key)
          VALUES (p_id, p_account_id, p_model_id, p_input, p_prompt, p_image_count, 'in_queue', p_created_at,
            p_expires_at, p_webhook_url, p_webhook_events, p_idempotency_key)
          RETURNING 'created'::text, ahead, NULL::bigint, r.id, r.account_id, r.model_id, r.status, r.progress, r.attempts,
            r.created_at, r.started_at, r.finished_at, r.expires_at, r.result, r.error;
      END $$;

      -- Progress is not an event, but followers on other nodes want to hear of it.
      CREATE FUNCTION requests_progressed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('retouch_events', NEW.id);
        RETURN NULL;
      END $$;
      CREATE TRIGGER requests_progressed AFTER UPDATE OF progress ON requests
        FOR EACH ROW WHEN (OLD.status = NEW.status AND OLD.progress IS DISTINCT FROM NEW.progress)
        EXECUTE FUNCTION requests_progressed();
      `,
    },
  ],
};
