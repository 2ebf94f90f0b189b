/**
 * Connections to PostgreSQL: one pool per process for queries (the LISTEN connection is separate,
 * listener.ts), transactions that never stay open across anything but their own statements, and
 * the line between "the database is unreachable" (a 503, retried) and every other error.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { DatabaseUnavailableError } from '../errors.js';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
export type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient | pg.Client;

export interface PostgresOptions {
  url: string;
  /** Connections this process may open for queries; the LISTEN connection is one more. */
  poolSize: number;
  /** Shown in pg_stat_activity: which node and role a connection belongs to. */
  applicationName: string;
}

/**
 * Every int8 we read is a count, a sequence number or milliseconds since the epoch: all far below
 * 2^53, so they are numbers here rather than pg's default strings.
 */
const INT8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** Settings shared by the pool and the listener's connection. */
export function clientConfig(options: PostgresOptions): pg.ClientConfig {
  return {
    connectionString: options.url,
    application_name: options.applicationName.slice(0, 63),
    // An unreachable host must fail a request in seconds, not hang it (pg's default is forever).
    connectionTimeoutMillis: 5_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    types,
  };
}

/**
 * No statement of ours runs for long: one that does is stuck, and holds locks and old rows. A
 * transaction left open (a crashed handler) must not pin old row versions or locks either.
 */
const SESSION_SETTINGS = 'SET statement_timeout = 30000; SET idle_in_transaction_session_timeout = 15000';

export function openPool(options: PostgresOptions, log: Logger): Pool {
  const pool = new pg.Pool({
    ...clientConfig(options),
    max: options.poolSize,
    idleTimeoutMillis: 30_000,
    // Set per session rather than as startup parameters, which poolers such as PgBouncer refuse;
    // the pool waits for it before handing the connection out.
    onConnect: async (client) => {
      await client.query(SESSION_SETTINGS);
    },
  });
  // An idle connection that the server closes (a restart) reports here; without a listener the
  // process would exit. The pool drops it and opens a new one when needed.
  pool.on('error', (err) => log.warn({ err: describe(err) }, 'an idle database connection was closed'));
  return pool;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // admin_shutdown, crash_shutdown, cannot_connect_now (starting up or shutting down)
  '57P01',
  '57P02',
  '57P03',
  // too_many_connections: the server is there but has no room for us right now.
  '53300',
]);

/** True when the error says the database could not be reached or the connection broke. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  if (!e) return false;
  if (typeof e.code === 'string' && (CONNECTION_CODES.has(e.code) || e.code.startsWith('08'))) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|connection error|Client was closed|not queryable|Connection ended/i.test(message);
}

/** What a log may say about a database error: its code and message, never a query's parameters. */
export function describe(err: unknown): { code?: string; message: string } {
  const e = err as { code?: string; message?: string };
  return { code: e?.code, message: String(e?.message ?? err).slice(0, 300) };
}

/** Runs one store operation, turning an unreachable database into DatabaseUnavailableError. */
export async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isConnectionError(err)) throw new DatabaseUnavailableError(err);
    throw err;
  }
}

/**
 * Runs `work` in one transaction on one connection. The work must only talk to the database: no
 * network calls, no waiting on anything else, so that a transaction lasts a few round trips.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  return guarded(async () => {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const out = await work(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      broken = err as Error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      // A connection that failed mid-transaction is destroyed rather than reused.
      client.release(broken && isConnectionError(broken) ? broken : undefined);
    }
  });
}
