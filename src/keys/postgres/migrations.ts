/** The PostgreSQL tables of the key store, as numbered migrations (db/postgres/migrate.ts). */
import type { PgMigrations } from '../../db/postgres/migrate.js';

export const keyMigrations: PgMigrations = {
  module: 'keys',
  steps: [
    {
      version: 1,
      name: 'accounts, API keys, server secrets',
      sql: `
      CREATE TABLE accounts (
        id text PRIMARY KEY,
        name text NOT NULL,
        created_at bigint NOT NULL,
        -- The Standard Webhooks signing secret of the account.
        webhook_secret text
      );
      CREATE TABLE api_keys (
        id text PRIMARY KEY,
        account_id text NOT NULL REFERENCES accounts (id),
        name text NOT NULL,
        -- The first characters of the key, to recognise it in a list; the key itself is never stored.
        prefix text NOT NULL,
        hash text NOT NULL UNIQUE,
        created_at bigint NOT NULL,
        revoked_at bigint
      );
      CREATE INDEX api_keys_by_account ON api_keys (account_id, created_at);
      -- Secrets every node must share, made by the first node that needs one (src/secrets.ts):
      -- 'url_signing' signs the file and link URLs, so that any API node accepts a URL that another
      -- one handed out; 'fal_webhook' seeds the key that signs fal-style webhooks.
      CREATE TABLE secrets (
        name text PRIMARY KEY,
        value text NOT NULL,
        created_at bigint NOT NULL
      );
      `,
    },
  ],
};
