// Scale-out benchmarks for `npm run bench`: PostgreSQL next to SQLite on the same machine in the
// same run, and worker processes against each other. A throwaway PostgreSQL (fsync off, as SQLite's
// WAL mode does not sync each commit either) and s3rver are started here and stopped at the end.
//
//   submits/s            `retouch api` under wrk, SQLite data dir vs --database-url
//   claims+completes/s   the stores themselves: 8 loops claiming and completing a pre-filled queue
//   submit→claim         one node submits, another (LISTEN) claims: the wake-up path, p50/p99
//   worker scaling       1, 2, 4 worker processes on a fixed-time engine, completed requests/s
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import sharp from 'sharp';
import { resolveConfig } from '../dist/config.js';
import { createLogger } from '../dist/log.js';
import { openStores } from '../dist/stores.js';
import { startPostgres, startS3 } from '../scripts/test-services.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ENGINE_MS = 500;
/** An input that costs next to nothing to fetch and check: the engine's time is the point. */
const TINY_PNG = `data:image/png;base64,${(await sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } }).png().toBuffer()).toString('base64')}`;

async function freshDatabase(adminUrl) {
  const name = `bench_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.href;
}

function stores(settings) {
  const config = resolveConfig({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'retouch-bench-')), ...settings }, {});
  return openStores(config, { log: createLogger('silent'), role: 'bench', listen: Boolean(settings.databaseUrl) });
}

const newRequest = () => ({
  id: crypto.randomUUID(),
  accountId: 'acct_bench',
  modelId: 'bytedance/dreamina-4-0/edit',
  input: { image_urls: ['https://images.example.com/a.jpg'], prompt: 'make it brighter' },
  createdAt: Date.now(),
  expiresAt: Date.now() + 86_400_000,
});

/** Claims and completes a pre-filled queue with `loops` concurrent workers; requests per second. */
async function claimsAndCompletes(store, count, loops = 8) {
  for (let i = 0; i < count; i++) await store.enqueue(newRequest(), { maxQueue: 10_000_000 });
  const started = performance.now();
  let done = 0;
  await Promise.all(
    Array.from({ length: loops }, async (_, n) => {
      for (;;) {
        const c = await store.claim(`bench-${n}`, 60_000, Date.now());
        if (!c) return;
        await store.complete(c.id, `bench-${n}`, { files: [], edits: [], warnings: [] }, Date.now());
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

/** One node submits a request every few ms, another node (woken by NOTIFY) claims it: ms from the submit call to the claim. */
async function submitToClaim(url, samples = 300) {
  const submitter = await stores({ databaseUrl: url });
  const worker = await stores({ databaseUrl: url });
  const submittedAt = new Map();
  const latencies = [];
  let claiming = false;
  const claimAll = async () => {
    if (claiming) return;
    claiming = true;
    for (let c = await worker.store.claim('w', 60_000, Date.now()); c; c = await worker.store.claim('w', 60_000, Date.now())) {
      const t = submittedAt.get(c.id);
      if (t !== undefined) latencies.push(performance.now() - t);
    }
    claiming = false;
  };
  worker.store.changes.onQueued(() => void claimAll());
  for (let i = 0; i < samples; i++) {
    const r = newRequest();
    // From the submit call: the claim may well land before the submitter hears its commit back.
    submittedAt.set(r.id, performance.now());
    await submitter.store.enqueue(r, { maxQueue: 10_000_000 });
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  await submitter.close();
  await worker.close();
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { p50: at(0.5), p99: at(0.99), n: latencies.length };
}

/** Completed requests per second with `n` worker processes, each running one request at a time. */
async function workerScaling(startProcess, adminUrl, s3, n, count) {
  const url = await freshDatabase(adminUrl);
  const bucket = `bench-${crypto.randomBytes(4).toString('hex')}`;
  const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  const env = {
    RETOUCH_DATABASE_URL: url,
    RETOUCH_STORAGE: `s3://${bucket}?endpoint=${encodeURIComponent(s3.endpoint)}&region=us-east-1&path_style=true`,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    RETOUCH_LOG_LEVEL: 'info',
    RETOUCH_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'retouch-bench-')),
    BENCH_ENGINE_MS: String(ENGINE_MS),
  };
  const workers = await Promise.all(Array.from({ length: n }, async () => (await startProcess([path.join(ROOT, 'bench/fixed-worker.mjs')], env, '"worker started"')).child));
  const { store, close } = await stores({ databaseUrl: url });
  const input = { image_urls: [TINY_PNG], prompt: 'make it brighter', 'width×height': '1024x1024(1:1)' };
  const run = async (k) => {
    const before = (await store.countByStatus()).completed;
    const started = performance.now();
    for (let i = 0; i < k; i++) await store.enqueue({ ...newRequest(), input }, { maxQueue: 10_000_000 });
    for (;;) {
      const counts = await store.countByStatus();
      if (counts.failed) throw new Error('a bench request failed');
      if (counts.completed - before >= k) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return k / ((performance.now() - started) / 1000);
  };
  try {
    await run(2 * n); // warm-up: first runs pay for sharp, connections, JIT
    return await run(count);
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await close();
  }
}

export async function scaleOutBenchmarks({ wrk, startProcess, newKey }) {
  const postgres = await startPostgres();
  const s3 = await startS3();
  try {
    // Submits through the API, SQLite then PostgreSQL.
    const submits = {};
    for (const kind of ['sqlite', 'postgres']) {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'retouch-bench-'));
      const db = kind === 'postgres' ? ['--database-url', await freshDatabase(postgres.url)] : [];
      const key = newKey(['--data-dir', dataDir, ...db]);
      const api = await startProcess(
        [path.join(ROOT, 'bin/retouch.js'), 'api', '--port', '0', '--data-dir', dataDir, '--max-queue', '10000000', ...db, ...(db.length ? ['--database-pool', '16'] : [])],
        { RETOUCH_LOG_LEVEL: 'info' },
      );
      api.child.stdout.resume();
      try {
        const body = JSON.stringify({ image_urls: ['https://images.example.com/a.jpg'], prompt: 'make it brighter and warmer' });
        const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
        const target = `${api.url}/v1/models/bytedance/dreamina-4-0/edit`;
        wrk(target, { method: 'POST', body, headers, seconds: 1 }); // warm-up
        submits[kind] = wrk(target, { method: 'POST', body, headers });
      } finally {
        api.child.kill();
      }
    }

    const sqlite = await stores({});
    const pgStores = await stores({ databaseUrl: await freshDatabase(postgres.url), databasePool: '10' });
    const claims = { sqlite: await claimsAndCompletes(sqlite.store, 3000), postgres: await claimsAndCompletes(pgStores.store, 3000) };
    await sqlite.close();
    await pgStores.close();

    const latency = await submitToClaim(await freshDatabase(postgres.url));

    const scaling = {};
    for (const n of [1, 2, 4]) scaling[n] = await workerScaling(startProcess, postgres.url, s3, n, 32);
    return { submits, claims, latency, scaling, engineMs: ENGINE_MS };
  } finally {
    await postgres.stop();
    await s3.stop();
  }
}
