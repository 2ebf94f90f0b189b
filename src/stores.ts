/**
 * The stores of a process, from its configuration: the embedded SQLite file in the data dir
 * (requests, queue, keys) with the URL signing secret beside it, or, with --database-url, PostgreSQL
 * for all of it, shared by every node.
 */
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { PgListener } from './db/postgres/listener.js';
import { migrate, type MigrationReport } from './db/postgres/migrate.js';
import { openPool, type Pool } from './db/postgres/pool.js';
import { openDatabase, type SqliteDatabase } from './db/sqlite.js';
import { keyMigrations } from './keys/postgres/migrations.js';
import { PostgresKeyStore } from './keys/postgres/store.js';
import { SqliteKeyStore } from './keys/sqlite/store.js';
import type { KeyStore } from './keys/types.js';
import { requestMigrations } from './requests/postgres/migrations.js';
import { PostgresRequestStore } from './requests/postgres/store.js';
import { SqliteRequestStore } from './requests/sqlite/store.js';
import type { RequestStore } from './requests/types.js';
import { fileSecret, type SecretSource } from './secrets.js';
import { UrlSigner } from './storage/signer.js';

export interface Stores {
  store: RequestStore;
  keys: KeyStore;
  /** The secret that signs file URLs; made on first use. */
  signer(): Promise<UrlSigner>;
  /** A secret every process of the deployment shares (src/secrets.ts). */
  secret: SecretSource;
  /** The embedded database, when there is one (tests read it directly). */
  db?: SqliteDatabase;
  close(): Promise<void>;
}

/** Every PostgreSQL module's migrations, in the order they are applied. */
export const POSTGRES_MIGRATIONS = [keyMigrations, requestMigrations];

export interface OpenOptions {
  log: Logger;
  /** Shown in pg_stat_activity, e.g. "api", "worker", "keys". */
  role: string;
  /**
   * Hold a LISTEN connection for notifications (new work, request changes, revoked keys). Long-
   * running processes do; one-shot commands (keys, migrate) don't need it.
   */
  listen: boolean;
}

export async function openStores(config: Config, options: OpenOptions): Promise<Stores> {
  if (config.databaseUrl) return openPostgres(config, config.databaseUrl, options);
  const db = openDatabase(path.join(config.dataDir, 'retouch.db'));
  let signer: UrlSigner | undefined;
  const secret: SecretSource = async (name) => fileSecret(config.dataDir, name);
  return {
    db,
    store: new SqliteRequestStore(db),
    keys: new SqliteKeyStore(db, { envKey: config.apiKey }),
    signer: async () => (signer ??= new UrlSigner(await secret('url_signing'))),
    secret,
    close: async () => {
      db.close();
    },
  };
}

async function openPostgres(config: Config, url: string, options: OpenOptions): Promise<Stores> {
  const pg = { url, poolSize: config.databasePool, applicationName: `retouch ${options.role} ${os.hostname()} ${process.pid}` };
  const pool = openPool(pg, options.log);
  let listener: PgListener | undefined;
  try {
    // Every node migrates at start; the advisory lock makes simultaneous starts safe.
    logMigrations(await migrate(pool, POSTGRES_MIGRATIONS), options.log);
    if (options.listen) {
      listener = new PgListener(pg, options.log);
      await listener.start();
    }
    const keys = await PostgresKeyStore.open(pool, listener, { envKey: config.apiKey });
    let signer: UrlSigner | undefined;
    const secret: SecretSource = (name) => keys.sharedSecret(name);
    return {
      store: new PostgresRequestStore(pool, listener),
      keys,
      signer: async () => (signer ??= new UrlSigner(await secret('url_signing'))),
      secret,
      close: async () => {
        await listener?.close();
        await pool.end();
      },
    };
  } catch (err) {
    await listener?.close();
    await pool.end().catch(() => undefined);
    throw err;
  }
}

/** Applies the PostgreSQL migrations (`retouch migrate`); reports each module's versions. */
export async function migratePostgres(url: string, log: Logger): Promise<MigrationReport[]> {
  const pool: Pool = openPool({ url, poolSize: 1, applicationName: `retouch migrate ${os.hostname()} ${process.pid}` }, log);
  try {
    return await migrate(pool, POSTGRES_MIGRATIONS);
  } finally {
    await pool.end();
  }
}

function logMigrations(reports: MigrationReport[], log: Logger): void {
  for (const r of reports) {
    if (r.to > r.from) log.info({ module: r.module, from: r.from, to: r.to }, 'database migrated');
    if (r.ahead) log.warn({ module: r.module, version: r.from }, 'the database was migrated by a newer retouch; this one may lack features it uses');
  }
}
