/**
 * Two retouch nodes on one PostgreSQL database and one S3 bucket, in this process: an API-only
 * node and a node that also runs the worker. Whatever node a client talks to, it sees the same
 * requests, events, keys and files; nothing is written to either node's data dir.
 */
import fs from 'node:fs';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatedEngine } from '../helpers/engines.js';
import { dataUri, photo, tempDir } from '../helpers/paths.js';
import { MODEL_PATH, startServer, type TestServer } from '../helpers/server.js';
import { freshBucket, freshDatabase, useServices, type TestBucket } from '../helpers/services.js';
import { readEvents } from '../helpers/sse.js';

useServices();

const BODY = { image_urls: [dataUri('coffee.png')], prompt: 'make it brighter', 'width×height': '1024x1024(1:1)' };

let bucket: TestBucket;
let api: TestServer;
let worker: TestServer;
let engine: GatedEngine;
const dirs = { api: tempDir(), worker: tempDir() };

beforeAll(async () => {
  bucket = await freshBucket('deploy');
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: bucket.accessKeyId, AWS_SECRET_ACCESS_KEY: bucket.secretAccessKey });
  const settings = { databaseUrl: await freshDatabase(), storage: bucket.storage, concurrency: '1' };
  engine = new GatedEngine();
  engine.release();
  api = await startServer({ settings, worker: false, dataDir: dirs.api });
  worker = await startServer({ settings: { ...settings, storageDownloads: 'stream' }, engine, dataDir: dirs.worker });
});
afterAll(async () => {
  engine.release();
  await api?.close();
  await worker?.close();
});

/** Calls the other node with the first node's key: the key store is shared. */
const onWorkerNode = (path: string, init: RequestInit & { json?: unknown } = {}) => worker.api(path, { ...init, key: api.key });

describe('two nodes on one database and one bucket', () => {
  it('a request submitted to the API node runs on the other, and its output downloads through a redirect to the bucket', async () => {
    const { request_id } = await (await api.submit(BODY)).json();
    const result = await api.waitForResult(request_id);
    expect(result).toMatchObject({ status: 'completed', output: { image: expect.stringMatching(new RegExp(`^${api.url}/files/outputs/${request_id}/0\\.jpg\\?`)) } });

    const hop = await fetch(result.output.image, { redirect: 'manual' });
    expect(hop.status).toBe(302);
    const target = hop.headers.get('location')!;
    expect(target.startsWith(`${bucket.endpoint}/${bucket.bucket}/deploy/outputs/${request_id}/0.jpg?`)).toBe(true);
    expect(new URL(target).searchParams.get('X-Amz-Expires')).toBe('300');
    const image = Buffer.from(await (await fetch(target)).arrayBuffer());
    expect(await sharp(image).metadata()).toMatchObject({ format: 'jpeg', width: 1024, height: 1024 });

    // The other node relays the same file (--storage-downloads stream), from the same signed URL shape.
    const relayed = await fetch(result.output.image.replace(api.url, worker.url), { redirect: 'manual' });
    expect(relayed.status).toBe(200);
    expect(Buffer.from(await relayed.arrayBuffer()).equals(image)).toBe(true);

    const objects = await bucket.client.send(new ListObjectsV2Command({ Bucket: bucket.bucket, Prefix: `deploy/outputs/${request_id}/` }));
    expect((objects.Contents ?? []).map((o) => o.Key).sort()).toEqual([`deploy/outputs/${request_id}/0.jpg`, `deploy/outputs/${request_id}/thumb.jpg`]);
    // A tampered signature is refused before the bucket is asked.
    expect((await fetch(result.output.image.replace(/signature=./, 'signature=A'), { redirect: 'manual' })).status).toBe(403);
  });

  it('an upload to one node is used by a request submitted to the other', async () => {
    const upload = await api.api('/v1/files', { method: 'POST', body: photo('chelsea.png'), headers: { 'content-type': 'image/png' } });
    expect(upload.status).toBe(200);
    const { url } = await upload.json();
    const objects = await bucket.client.send(new ListObjectsV2Command({ Bucket: bucket.bucket, Prefix: 'deploy/uploads/' }));
    expect(objects.Contents).toHaveLength(1);
    const submitted = await onWorkerNode(MODEL_PATH, { method: 'POST', json: { ...BODY, image_urls: [url] } });
    const { request_id } = await submitted.json();
    expect((await api.waitForResult(request_id)).status).toBe('completed');
  });

  it('the event stream on the API node follows a request run by the other node, resumable from any event', async () => {
    // Hold the worker: the next request waits in the engine until released.
    engine.hold();
    engine.started = 0;
    const gate = engine;
    try {
      const { request_id } = await (await api.submit(BODY)).json();
      const res = await api.api(`/v1/requests/${request_id}/status/stream`);
      const seen: string[] = [];
      const events = readEvents(res, (e) => {
        for (const x of e) if (x.event === 'status' && !seen.includes(x.data.status)) seen.push(x.data.status);
        return seen.includes('completed');
      });
      await expect.poll(() => gate.started, { timeout: 10_000 }).toBe(1);
      gate.release();
      const all = await events;
      const statuses = all.filter((e) => e.event === 'status');
      expect(statuses.map((e) => e.data.status)).toEqual(['in_queue', 'in_progress', 'completed']);

      // Resume after the first status, on the other node: exactly the rest, in order.
      const resumed = await readEvents(await onWorkerNode(`/v1/requests/${request_id}/status/stream`, { headers: { 'last-event-id': statuses[0]!.id! } }));
      expect(resumed.filter((e) => e.event === 'status').map((e) => [e.id, e.data.status])).toEqual(statuses.slice(1).map((e) => [e.id, e.data.status]));
    } finally {
      engine.release();
    }
  });

  it('Prefer: wait on the API node answers as soon as the other node completes the request', async () => {
    const started = Date.now();
    const res = await api.api(MODEL_PATH, { method: 'POST', json: BODY, headers: { prefer: 'wait=30' } });
    const body = await res.json();
    expect(body.status).toBe('completed');
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('a request queued on one node is cancelled through the other; a key revoked on one is refused by the other', async () => {
    engine.hold();
    engine.started = 0;
    const gate = engine;
    try {
      const running = (await (await api.submit(BODY)).json()).request_id;
      await expect.poll(() => gate.started, { timeout: 10_000 }).toBe(1);
      const queued = (await (await api.submit(BODY)).json()).request_id;
      expect((await (await api.api(`/v1/requests/${queued}/status`)).json()).queue_position).toBe(0);
      const cancel = await onWorkerNode(`/v1/requests/${queued}/cancel`, { method: 'POST' });
      expect(await cancel.json()).toMatchObject({ request_id: queued, status: 'cancelled' });
      expect((await (await api.api(`/v1/requests/${queued}/status`)).json()).status).toBe('cancelled');
      gate.release();
      expect((await api.waitForResult(running)).status).toBe('completed');
    } finally {
      engine.release();
    }

    const created = await (await api.api('/v1/keys', { method: 'POST', json: { name: 'short-lived' } })).json();
    expect((await worker.api('/v1/requests', { key: created.key })).status).toBe(200);
    expect((await api.api(`/v1/keys/${created.id}`, { method: 'DELETE' })).status).toBe(200);
    await expect.poll(async () => (await worker.api('/v1/requests', { key: created.key })).status, { timeout: 2_000, interval: 20 }).toBe(401);
  });

  it('the library and usage are the same on both nodes', async () => {
    const a = await (await api.api('/v1/requests?limit=50')).json();
    const b = await (await onWorkerNode('/v1/requests?limit=50')).json();
    expect(b.requests.map((r: any) => r.request_id)).toEqual(a.requests.map((r: any) => r.request_id));
    expect(a.requests.length).toBeGreaterThanOrEqual(5);
    expect(a.requests[a.requests.length - 1].thumbnail_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\/outputs\//);
    const usage = await (await onWorkerNode('/v1/usage')).json();
    expect(usage.days[0]).toMatchObject({ completed: expect.any(Number), output_megapixels: expect.any(Number) });
    expect(usage.days[0].completed).toBeGreaterThanOrEqual(4);
  });

  it('retention deletes the requests with their objects in the bucket, and old uploads', async () => {
    const { request_id } = await (await api.submit(BODY)).json();
    expect((await api.waitForResult(request_id)).status).toBe('completed');
    const listed = async (prefix: string) => (await bucket.client.send(new ListObjectsV2Command({ Bucket: bucket.bucket, Prefix: prefix }))).Contents ?? [];
    expect(await listed(`deploy/outputs/${request_id}/`)).toHaveLength(2);
    expect((await listed('deploy/uploads/')).length).toBeGreaterThan(0);
    // As if a week had passed.
    const deleted = await worker.runtime.maintenance!.deleteExpired(Date.now() + 8 * 86_400_000);
    expect(deleted).toBeGreaterThanOrEqual(1);
    expect(await listed('deploy/outputs/')).toEqual([]);
    expect(await listed('deploy/uploads/')).toEqual([]);
    expect((await api.api(`/v1/requests/${request_id}/status`)).status).toBe(404);
  });

  it('writes nothing to either node\'s data dir', () => {
    expect(fs.readdirSync(dirs.api)).toEqual([]);
    expect(fs.readdirSync(dirs.worker)).toEqual([]);
  });
});
