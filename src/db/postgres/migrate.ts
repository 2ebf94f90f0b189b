/**
 * Brings each module's tables up to date (requests/postgres/migrations.ts, keys/postgres/migrations.ts).
 * Every node runs this at start, and `retouch migrate` runs it by hand; several nodes starting at once
 * are safe because the whole run holds one transaction-scoped advisory lock: the first applies what is
 * missing, the others wait for it and then find nothing to do.
 */
import type { Pool } from './pool.js';
import { inTransaction } from './pool.js';

export interface Migration {
  /** 1, 2, 3…: applied in order, each once. Append; never edit one that was released. */
  version: number;
  /** What it adds, for `retouch migrate`'s output. */
  name: string;
  sql: string;
}

export interface PgMigrations {
  /** Namespace of the versions, e.g. "requests". */
  module: string;
  steps: Migration[];
}

export interface MigrationReport {
  module: string;
  /** The version before this run, and after. */
  from: number;
  to: number;
  /** Versions the database has that this program does not know (a newer node migrated it). */
  ahead: boolean;
}

/** Any constant: the key of the advisory lock every migrating node takes. */
const MIGRATION_LOCK = 7_324_110_512;

export async function migrate(pool: Pool, modules: PgMigrations[]): Promise<MigrationReport[]> {
  for (const m of modules) checkNumbering(m);
  return inTransaction(pool, async (client) => {
    // First the lock, then even the bookkeeping table: two nodes creating it at once would collide.
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (module text PRIMARY KEY, version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const reports: MigrationReport[] = [];
    for (const m of modules) {
      const row = (await client.query<{ version: number }>('SELECT version FROM schema_migrations WHERE module = $1', [m.module])).rows[0];
      const from = row?.version ?? 0;
      for (const step of m.steps) if (step.version > from) await client.query(step.sql);
      const to = Math.max(from, m.steps.length);
      if (to > from) {
        await client.query(
          `INSERT INTO schema_migrations (module, version) VALUES ($1, $2)
           ON CONFLICT (module) DO UPDATE SET version = excluded.version, applied_at = now()`,
          [m.module, to],
        );
      }
      reports.push({ module: m.module, from, to, ahead: from > m.steps.length });
    }
    return reports;
  });
}

function checkNumbering(m: PgMigrations): void {
  m.steps.forEach((step, i) => {
    if (step.version !== i + 1) throw new Error(`${m.module} migration ${i + 1} is numbered ${step.version}`);
  });
}
