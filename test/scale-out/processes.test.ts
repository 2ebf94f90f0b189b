/**
 * The deployment the README describes, as real processes: two `retouch api` behind a load balancer
 * and `retouch worker`s, all on one PostgreSQL and one S3 bucket, each with a data dir of its own
 * that must stay empty. Submits spread over both API nodes, a stream on one node follows a request
 * a worker runs elsewhere, a cancel goes through the other node, a worker is killed with SIGKILL in
 * the middle of a run, and PostgreSQL is crashed and restarted under load: nothing is lost, nothing
 * completes twice.
 */
import fs from 'node:fs';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBalancer, type Balancer } from '../helpers/balancer.js';
import { dataUri, photo, tempDir } from '../helpers/paths.js';
import { startPhotoServer, type PhotoServer } from '../helpers/photo-server.js';
import { retouch, startRetouch, type ServeProcess } from '../helpers/process.js';
import { MODEL_PATH } from '../helpers/server.js';
import { freshBucket, privateCluster, useServices, type Cluster, type TestBucket } from '../helpers/services.js';
import { readEvents } from '../helpers/sse.js';

useServices();

/** Short enough that a killed worker's request comes back in seconds, longer than a database restart. */
const LEASE = '6s';
const FAST = { image_urls: [dataUri('coffee.png')], prompt: 'make it brighter', 'width×height': '1024x1024(1:1)' };

let cluster: Cluster;
let bucket: TestBucket;
let lb: Balancer;
let photos: PhotoServer;
let env: Record<string, string>;
let key: string;
const apis: ServeProcess[] = [];
const workers: ServeProcess[] = [];
const dataDirs: string[] = [];

function node(command: 'api' | 'worker'): Promise<ServeProcess> {
  const dir = tempDir();
  dataDirs.push(dir);
  const args = command === 'api' ? ['--port', '0', '--data-dir', dir] : ['--data-dir', dir, '--allow-private-urls', '--lease', LEASE, '--concurrency', '1'];
  return startRetouch(command, args, env);
}

beforeAll(async () => {
  [cluster, bucket, lb, photos] = await Promise.all([privateCluster(), freshBucket(), startBalancer(), startPhotoServer()]);
  env = {
    RETOUCH_DATABASE_URL: cluster.url,
    ...bucket.env,
    RETOUCH_PUBLIC_URL: lb.url,
    RETOUCH_LOG_LEVEL: 'info',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const migrated = retouch(['migrate'], env);
  expect(migrated.status, migrated.stderr).toBe(0);
  expect(migrated.stdout).toMatch(/^keys: applied 1 \(.+\)\nrequests: applied 1 \(.+\)\nrequests: applied 2 \(.+\)\n$/);
  expect(retouch(['migrate'], env).stdout).toBe('keys: up to date at 1\nrequests: up to date at 2\n');
  const created = retouch(['keys', 'create', '--name', 'cluster', '--json'], env);
  expect(created.status, created.stderr).toBe(0);
  key = JSON.parse(created.stdout).key;

  apis.push(...(await Promise.all([node('api'), node('api')])));
  lb.backends.push(...apis.map((a) => a.url));
  workers.push(...(await Promise.all([node('worker'), node('worker')])));
}, 120_000);

afterAll(async () => {
  for (const p of [...apis, ...workers]) p.child.kill('SIGTERM');
  await Promise.all([...apis, ...workers].map((p) => Promise.race([p.exited, new Promise((r) => setTimeout(r, 10_000))])));
  for (const p of [...apis, ...workers]) p.child.kill('SIGKILL');
  await lb?.close();
  await photos?.close();
});

const call = (base: string, path: string, init: RequestInit = {}) =>
  fetch(base + path, {
    ...init,
    headers: { authorization: `Bearer ${key}`, ...(typeof init.body === 'string' ? { 'content-type': 'application/json' } : {}), ...init.headers },
  });
const submit = async (base: string, body: unknown): Promise<string> => {
  const res = await call(base, MODEL_PATH, { method: 'POST', body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()).request_id;
};

async function result(id: string, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await call(lb.url, `/v1/requests/${id}/result`).catch(() => undefined);
    const body = res?.status === 200 ? await res.json() : undefined;
    if (body && ['completed', 'failed', 'cancelled'].includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`${id} did not finish: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const allWorkerLogs = () => workers.map((w) => w.stdout()).join('\n');
const lines = (logs: string, message: string, id: string) => logs.split('\n').filter((l) => l.includes(`"${message}"`) && l.includes(id)).length;

async function attemptsOf(id: string): Promise<number> {
  const client = new pg.Client({ connectionString: cluster.url });
  await client.connect();
  try {
    return (await client.query('SELECT attempts FROM requests WHERE id = $1', [id])).rows[0].attempts;
  } finally {
    await client.end();
  }
}

describe('two API nodes and two workers on one database and one bucket', () => {
  it('submits spread over both API nodes all complete, with outputs and uploads in the bucket, downloaded through the result URLs', async () => {
    const upload = await call(apis[0]!.url, '/v1/files', { method: 'POST', body: photo('chelsea.png'), headers: { 'content-type': 'image/png' } });
    expect(upload.status).toBe(200);
    const uploaded = (await upload.json()).url as string;
    expect(uploaded.startsWith(`${lb.url}/files/uploads/`)).toBe(true);

    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await submit(apis[i % 2]!.url, i % 3 === 0 ? { ...FAST, image_urls: [uploaded] } : FAST));
    const results = await Promise.all(ids.map((id) => result(id)));
    for (const r of results) expect(r.status, JSON.stringify(r.error)).toBe('completed');

    for (const r of results) {
      expect(r.output.image.startsWith(`${lb.url}/files/outputs/${r.request_id}/0.jpg?`)).toBe(true);
      const file = await fetch(r.output.image);
      expect(file.status).toBe(200);
      expect(file.url.startsWith(`${bucket.endpoint}/${bucket.bucket}/outputs/`)).toBe(true);
      expect(Buffer.from(await file.arrayBuffer()).subarray(0, 3).toString('hex')).toBe('ffd8ff');
    }
    const listed = await bucket.client.send(new ListObjectsV2Command({ Bucket: bucket.bucket }));
    const keys = (listed.Contents ?? []).map((o) => o.Key!);
    for (const id of ids) expect(keys).toContain(`outputs/${id}/0.jpg`);
    expect(keys.filter((k) => k.startsWith('uploads/'))).toHaveLength(1);
    // Both workers took some.
    for (const w of workers) expect(w.stdout()).toContain('"request completed"');
  }, 120_000);

  it('a stream on one node follows a request run elsewhere; a queued request is cancelled through the other node', async () => {
    photos.set('slow.png', photo('coffee.png'), 'image/png', 2_500);
    const slow = { ...FAST, image_urls: [`${photos.url}/slow.png`] };
    const followed = await submit(apis[0]!.url, slow);
    const other = await submit(apis[1]!.url, slow);
    // Both workers busy: the next request waits in the queue.
    await expect
      .poll(async () => Promise.all([followed, other].map(async (id) => (await (await call(lb.url, `/v1/requests/${id}/status`)).json()).status)), { timeout: 10_000 })
      .toEqual(['in_progress', 'in_progress']);
    const queued = await submit(apis[0]!.url, FAST);

    const stream = readEvents(await call(apis[1]!.url, `/v1/requests/${followed}/status/stream`));
    const cancel = await call(apis[1]!.url, `/v1/requests/${queued}/cancel`, { method: 'POST' });
    expect(await cancel.json()).toEqual({ request_id: queued, status: 'cancelled' });
    expect((await (await call(apis[0]!.url, `/v1/requests/${queued}/status`)).json()).status).toBe('cancelled');

    const statuses = (await stream).filter((e) => e.event === 'status').map((e) => e.data.status);
    expect(statuses).toEqual(['in_queue', 'in_progress', 'completed']);
    expect((await result(other)).status).toBe('completed');
    expect(lines(allWorkerLogs(), 'request started', queued)).toBe(0);
  }, 60_000);

  it('a worker killed with SIGKILL mid-run: its request completes on another worker, once', async () => {
    photos.set('slower.png', photo('coffee.png'), 'image/png', 3_000);
    const victim = await submit(apis[0]!.url, { ...FAST, image_urls: [`${photos.url}/slower.png`] });
    await expect.poll(() => lines(allWorkerLogs(), 'request started', victim), { timeout: 10_000 }).toBe(1);
    const holder = workers.find((w) => lines(w.stdout(), 'request started', victim) === 1)!;
    holder.child.kill('SIGKILL');
    expect(await holder.exited).toBe('SIGKILL');

    const done = await result(victim, 60_000);
    expect(done.status).toBe('completed');
    expect(await attemptsOf(victim)).toBe(2);
    expect(lines(allWorkerLogs(), 'request completed', victim)).toBe(1);
    expect(lines(allWorkerLogs(), 'requests of a stopped worker returned to the queue', victim)).toBe(1);

    workers.splice(workers.indexOf(holder), 1);
    workers.push(await node('worker'));
    // Its log stays in the record of what ran where.
    workers.push({ ...holder, stdout: holder.stdout });
  }, 90_000);

  it('PostgreSQL crashed and restarted under load: accepted submits all complete, each once; the API answers 503 meanwhile', async () => {
    const submitted: string[] = [];
    photos.set('slow.png', photo('coffee.png'), 'image/png', 2_500);
    const slow = { ...FAST, image_urls: [`${photos.url}/slow.png`] };
    // A client that retries with an Idempotency-Key, as it should on 503 (or a connection error).
    const submitRetrying = async (n: number) => {
      for (;;) {
        const body = JSON.stringify(n < 4 ? slow : FAST);
        const res = await call(lb.url, MODEL_PATH, { method: 'POST', body, headers: { 'idempotency-key': `restart-${n}` } }).catch(() => undefined);
        if (res?.status === 200) return (await res.json()).request_id as string;
        if (res) expect(res.status).toBe(503);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    for (let n = 0; n < 4; n++) submitted.push(await submitRetrying(n));
    // Both workers in the middle of a run when the database goes.
    const status = async (id: string) => (await (await call(lb.url, `/v1/requests/${id}/status`)).json()).status;
    await expect.poll(async () => (await Promise.all(submitted.map(status))).filter((st) => st === 'in_progress').length, { timeout: 10_000 }).toBe(2);

    cluster.stopServer('immediate');
    const refused = await call(apis[0]!.url, MODEL_PATH, { method: 'POST', body: JSON.stringify(FAST) });
    expect(refused.status).toBe(503);
    expect((await refused.json()).error_code).toBe(503001);
    expect((await fetch(`${apis[1]!.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${apis[1]!.url}/readyz`)).status).toBe(503);
    const during = [4, 5, 6, 7].map((n) => submitRetrying(n));
    await new Promise((r) => setTimeout(r, 1_000));
    cluster.start();
    submitted.push(...(await Promise.all(during)));

    const results = await Promise.all(submitted.map((id) => result(id, 90_000)));
    expect(results.map((r) => r.status)).toEqual(submitted.map(() => 'completed'));
    expect(new Set(submitted).size).toBe(8);
    const logs = allWorkerLogs();
    for (const id of submitted) {
      expect(lines(logs, 'request completed', id), id).toBe(1);
      expect(lines(logs, 'request started', id), id).toBe(1);
    }
    await expect.poll(async () => (await fetch(`${apis[0]!.url}/readyz`)).status, { timeout: 15_000 }).toBe(200);
  }, 150_000);

  it('every node is still up: none crashed or gave up on the way', () => {
    for (const p of [...apis, ...workers]) if (p.child.signalCode !== 'SIGKILL') expect({ pid: p.child.pid, exit: p.child.exitCode ?? p.child.signalCode }).toEqual({ pid: p.child.pid, exit: null });
  });

  it('nothing is written to any node\'s data dir, and no log line holds the database URL or the key', () => {
    for (const dir of dataDirs) expect(fs.readdirSync(dir), dir).toEqual([]);
    const everything = [...apis, ...workers].map((p) => p.stdout() + p.stderr()).join('\n');
    expect(everything).not.toContain(cluster.url);
    expect(everything).not.toContain(key);
  });
});
