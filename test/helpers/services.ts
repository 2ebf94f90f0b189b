/**
 * PostgreSQL and S3 for tests. `npm test` starts one throwaway server of each for the whole run and
 * names them in RETOUCH_TEST_DATABASE_URL and RETOUCH_TEST_S3_ENDPOINT (scripts/test.mjs); a file
 * run on its own (`npx vitest run test/scale-out`) starts its own here and stops them after its
 * tests. Either way every test gets a database and a bucket of its own, made fresh: nothing depends
 * on what another test or an earlier run left behind.
 */
import crypto from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { openStores, type Stores } from '../../src/stores.js';
import { tempDir } from './paths.js';
// @ts-expect-error: a plain ESM script shared with scripts/test.mjs.
import { startPostgres, startS3 } from '../../scripts/test-services.mjs';

export interface Cluster {
  url: string;
  port: number;
  dir: string;
  start(): void;
  stopServer(mode?: 'fast' | 'immediate' | 'smart'): void;
  stop(): Promise<void>;
}

let cluster: Promise<{ url: string; stop?: () => Promise<void> }> | undefined;
let s3: Promise<{ endpoint: string; accessKeyId: string; secretAccessKey: string; stop?: () => Promise<void> }> | undefined;

/** The URL of a superuser connection to the test run's PostgreSQL (started for this file if need be). */
async function adminUrl(): Promise<string> {
  cluster ??= process.env.RETOUCH_TEST_DATABASE_URL
    ? Promise.resolve({ url: process.env.RETOUCH_TEST_DATABASE_URL })
    : (startPostgres() as Promise<Cluster>);
  return (await cluster).url;
}

/**
 * Call at the top of a file that uses PostgreSQL or S3, so that a server started for the file is
 * stopped after its tests (afterAll must be registered while the file is being collected).
 */
export function useServices(): void {
  afterAll(async () => {
    const c = cluster && (await cluster);
    const s = s3 && (await s3);
    cluster = undefined;
    s3 = undefined;
    await c?.stop?.();
    await s?.stop?.();
    for (const p of owned.splice(0)) await p.stop();
  });
}

const owned: Cluster[] = [];

/** A new, empty database on the test cluster; returns its URL. */
export async function freshDatabase(): Promise<string> {
  const url = await adminUrl();
  const name = `t_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.href;
}

/**
 * A throwaway cluster of the test's own, for tests that stop and restart PostgreSQL (which would
 * disturb every other file on the shared one). Stopped after the file (useServices).
 */
export async function privateCluster(): Promise<Cluster> {
  const c = (await startPostgres()) as Cluster;
  owned.push(c);
  return c;
}

export interface TestBucket {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** RETOUCH_STORAGE for this bucket. */
  storage: string;
  /** The environment a retouch process needs to use it. */
  env: Record<string, string>;
  client: S3Client;
}

export async function s3Server(): Promise<{ endpoint: string; accessKeyId: string; secretAccessKey: string }> {
  s3 ??= process.env.RETOUCH_TEST_S3_ENDPOINT
    ? Promise.resolve({ endpoint: process.env.RETOUCH_TEST_S3_ENDPOINT, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' })
    : startS3();
  return (await s3)!;
}

/** A new, empty bucket on the test S3 server. */
export async function freshBucket(prefix = ''): Promise<TestBucket> {
  const server = await s3Server();
  const bucket = `t-${crypto.randomBytes(6).toString('hex')}`;
  const client = new S3Client({
    endpoint: server.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  const storage = `s3://${bucket}${prefix ? `/${prefix}` : ''}?endpoint=${encodeURIComponent(server.endpoint)}&region=us-east-1&path_style=true`;
  return {
    ...server,
    bucket,
    storage,
    client,
    env: { RETOUCH_STORAGE: storage, AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey },
  };
}

/** The stores a retouch process opens with --database-url (the real composition, migrations included). */
export async function postgresStores(url: string, options: { listen?: boolean; envKey?: string; pool?: number } = {}): Promise<Stores> {
  const config = resolveConfig({ databaseUrl: url, databasePool: String(options.pool ?? 4), dataDir: tempDir(), ...(options.envKey ? { apiKey: options.envKey } : {}) }, {});
  return openStores(config, { log: createLogger('silent'), role: 'test', listen: options.listen ?? false });
}
