import type { Migrations } from '../../db/sqlite.js';

export const keyMigrations: Migrations = {
  module: 'keys',
  steps: [
    `
    CREATE TABLE accounts (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      created_at INTEGER NOT NULL
    );
    CREATE TABLE api_keys (
      id TEXT PRIMARY KEY,
      account_id TEXT NOT NULL REFERENCES accounts (id),
      name TEXT NOT NULL,
      -- The first characters of the key, to recognise it in a list; the key itself is never stored.
      prefix TEXT NOT NULL,
      hash TEXT NOT NULL UNIQUE,
      created_at INTEGER NOT NULL,
      revoked_at INTEGER
    );
    `,
    // The Standard Webhooks signing secret of each account (made on first use for older accounts).
    `ALTER TABLE accounts ADD COLUMN webhook_secret TEXT;`,
  ],
};
