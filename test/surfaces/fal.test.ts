/**
 * The official `@fal-ai/client`, pointed at a real retouch server (by a request middleware, as an
 * app outside a browser does, and by `proxyUrl`, as a browser app does): subscribe with queue
 * updates and logs, the low-level queue calls, Blob inputs through fal's storage upload, the
 * streaming status, the synchronous run, and failures raised as the client's errors.
 */
import { ApiError, createFalClient, ValidationError } from '@fal-ai/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataUri, photo } from '../helpers/paths.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { busyServer, dimensions, download, falFor } from './helpers.js';

const ENDPOINT = 'fal-ai/bytedance/seedream/v4/edit';

describe('the fal client against retouch', () => {
  let server: TestServer;
  let fal: ReturnType<typeof falFor>;
  beforeAll(async () => {
    server = await startServer();
    fal = falFor(server);
  });
  afterAll(async () => server.close());

  it('subscribes: queue updates with logs, then the result in fal\'s output shape', async () => {
    const updates: any[] = [];
    let enqueued = '';
    const result = await fal.subscribe(ENDPOINT, {
      input: { prompt: 'make it brighter', image_urls: [dataUri('horse.png')], image_size: 'square_hd', seed: 42 },
      logs: true,
      pollInterval: 50,
      onEnqueue: (id) => (enqueued = id),
      onQueueUpdate: (u) => updates.push(u),
    });
    expect(result.requestId).toBe(enqueued);
    expect(updates.at(-1)).toMatchObject({ status: 'COMPLETED', request_id: enqueued });
    const messages = updates.at(-1).logs.map((l: any) => l.message);
    expect(messages).toContain('Applied brightness ("brighter")');
    expect(messages.some((m: string) => m.startsWith('seed 42 is reported back but not used'))).toBe(true);
    expect(updates.at(-1).logs[0]).toMatchObject({ level: expect.any(String), source: 'user', timestamp: expect.any(String) });

    const data = result.data as any;
    expect(data.seed).toBe(42);
    expect(data.images).toHaveLength(1);
    expect(data.images[0]).toMatchObject({ content_type: 'image/jpeg', width: 1024, height: 1024 });
    expect(await dimensions(await download(data.images[0].url))).toMatchObject({ width: 1024, height: 1024 });

    // The same request in retouch's own API and library.
    expect((await (await server.api(`/v1/requests/${enqueued}/result`)).json()).output.images).toEqual([data.images[0].url]);
    const library = await (await server.api('/v1/requests')).json();
    expect(library.requests.find((r: any) => r.request_id === enqueued)).toMatchObject({ prompt: 'make it brighter' });
    // Its native event stream replays its statuses, and the account's usage counts it.
    const events = await (await server.api(`/v1/requests/${enqueued}/status/stream`)).text();
    expect(events).toMatch(/event: status\ndata: \{"request_id":"[^"]+","status":"completed"/);
    const usage = await (await server.api('/v1/usage')).json();
    expect(usage.days.reduce((n: number, d: any) => n + d.completed, 0)).toBeGreaterThanOrEqual(1);
  });

  it('uploads a Blob input through fal storage (initiate, then the bare PUT) and edits it', async () => {
    const result = await fal.subscribe(ENDPOINT, {
      input: { prompt: 'make it warmer', image_urls: [new Blob([photo('coffee.png')], { type: 'image/png' }) as never], image_size: 'portrait_16_9' },
      pollInterval: 50,
    });
    // fal's 576x1024 preset, scaled up to the edit endpoint's 921600-pixel minimum.
    expect((result.data as any).images[0]).toMatchObject({ width: 720, height: 1280 });

    // The file URL works for whoever holds it, like fal's CDN, and only with its signature.
    const fileUrl = await fal.storage.upload(new Blob([photo('horse.png')]));
    const file = await fetch(fileUrl);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect((await fetch(fileUrl.replace(/signature=[^&]+/, 'signature=AAAA'))).status).toBe(403);
  });

  it('follows the status as a stream when subscribed in streaming mode', async () => {
    const updates: any[] = [];
    const result = await fal.subscribe(ENDPOINT, {
      input: { prompt: 'make it brighter', image_urls: [dataUri('horse.png')], image_size: 'square_hd' },
      mode: 'streaming',
      logs: true,
      onQueueUpdate: (u) => updates.push(u),
    });
    expect(updates.at(-1).status).toBe('COMPLETED');
    expect((result.data as any).images).toHaveLength(1);
    expect(server.logs.some((l) => l.includes(`/requests/${result.requestId}/status/stream`))).toBe(true);
  });

  it('runs synchronously with fal.run', async () => {
    const result = await fal.run(ENDPOINT, { input: { prompt: 'make it cooler', image_urls: [dataUri('horse.png')], image_size: { width: 1200, height: 900 } } });
    expect((result.data as any).images[0]).toMatchObject({ width: 1200, height: 900 });
    expect(result.requestId).toBeTruthy();
  });

  it('answers the images as data URIs with sync_mode', async () => {
    const { request_id } = await fal.queue.submit(ENDPOINT, { input: { prompt: 'p', image_urls: [dataUri('horse.png')], image_size: 'square_hd', sync_mode: true } });
    await server.waitForResult(request_id);
    const result = await fal.queue.result(ENDPOINT, { requestId: request_id });
    const url = (result.data as any).images[0].url as string;
    expect(url.startsWith('data:image/jpeg;base64,')).toBe(true);
    expect(await dimensions(Buffer.from(url.split(',')[1]!, 'base64'))).toMatchObject({ width: 1024, height: 1024 });
  });

  it('raises a failed request as the client\'s ValidationError, with fal\'s detail', async () => {
    const truncated = `data:image/jpeg;base64,${photo('truncated.jpg').toString('base64')}`;
    const error = await fal.subscribe(ENDPOINT, { input: { prompt: 'p', image_urls: [truncated] }, pollInterval: 50 }).catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.status).toBe(422);
    expect(error.body.detail[0]).toMatchObject({ loc: ['body', 'image_urls', 0], type: 'image_load_error' });
  });

  it('refuses invalid input at submit with 422 detail entries, and a bad key with 401', async () => {
    const long = await fal.queue.submit(ENDPOINT, { input: { prompt: 'x'.repeat(801), image_urls: [dataUri('horse.png')] } }).catch((e) => e);
    expect(long).toBeInstanceOf(ValidationError);
    expect(long.getFieldErrors('prompt')[0]).toMatchObject({ loc: ['body', 'prompt'], type: 'string_too_long' });
    const many = await fal.queue.submit(ENDPOINT, { input: { prompt: 'p', image_urls: [dataUri('horse.png')], num_images: 2 } }).catch((e) => e);
    expect(many.getFieldErrors('num_images')[0]).toMatchObject({ type: 'less_than_equal' });
    const other = await fal.queue.submit('fal-ai/flux/dev', { input: { prompt: 'p' } }).catch((e) => e);
    expect(other).toBeInstanceOf(ApiError);
    expect(other.status).toBe(404);
    const stranger = await falFor(server, 'rt_not-a-key').queue.submit(ENDPOINT, { input: { prompt: 'p', image_urls: [dataUri('horse.png')] } }).catch((e) => e);
    expect(stranger.status).toBe(401);
  });
});

describe('the fal client with proxyUrl', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server.close());

  it('works with nothing but the proxy URL and the key: uploads, queue calls and the result go through /fal/proxy', async () => {
    const fal = createFalClient({ credentials: server.key, proxyUrl: { url: `${server.url}/fal/proxy`, when: 'always' } });
    const result = await fal.subscribe(ENDPOINT, {
      input: { prompt: 'make it brighter', image_urls: [new Blob([photo('horse.png')], { type: 'image/png' }) as never], image_size: 'square_hd' },
      logs: true,
      pollInterval: 50,
    });
    expect((result.data as any).images[0]).toMatchObject({ width: 1024, height: 1024 });
    const streamed = await fal.subscribe(ENDPOINT, { input: { prompt: 'p', image_urls: [dataUri('horse.png')], image_size: 'square_hd' }, mode: 'streaming' });
    expect((streamed.data as any).images).toHaveLength(1);
    // Every call but the bare PUT of the bytes came through the proxy.
    const paths = server.logs.map((l) => JSON.parse(l).path).filter((p): p is string => typeof p === 'string' && p.startsWith('/fal/'));
    expect(new Set(paths.map((p) => p.split('/').slice(0, 3).join('/')))).toEqual(new Set(['/fal/proxy', '/fal/upload']));
  });

  it('takes only the fal calls it serves, and fetches nothing itself', async () => {
    const proxy = (target?: string) =>
      fetch(`${server.url}/fal/proxy`, {
        method: 'POST',
        headers: { authorization: `Key ${server.key}`, 'content-type': 'application/json', ...(target ? { 'x-fal-target-url': target } : {}) },
        body: JSON.stringify({ prompt: 'p' }),
      });
    const missing = await proxy();
    expect(missing.status).toBe(400);
    expect((await missing.json()).detail).toContain('x-fal-target-url');
    // Never dialled: the target only selects one of retouch's own handlers.
    for (const target of ['http://169.254.169.254/latest/meta-data', 'https://evil.example/fal-ai/x', 'https://rest.fal.ai/admin']) {
      expect((await proxy(target)).status).toBe(400);
    }
  });

  it('regression: a target URL whose path is malformed percent-encoding (%zz) is a 400 in fal\'s shape, not a 500', async () => {
    const errorsBefore = server.logs.filter((l) => JSON.parse(l).level >= 50).length;
    for (const target of [`https://queue.fal.run/${ENDPOINT}/requests/%zz/status`, 'https://fal.run/fal-ai/%E0%A4%A', 'https://rest.fal.ai/storage/upload/%zz']) {
      const res = await fetch(`${server.url}/fal/proxy`, { method: 'GET', headers: { authorization: `Key ${server.key}`, 'x-fal-target-url': target } });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ detail: 'Invalid request: the path of the x-fal-target-url header is not valid percent-encoding.' });
    }
    // Nothing logged as an error, and the server goes on serving.
    expect(server.logs.filter((l) => JSON.parse(l).level >= 50)).toHaveLength(errorsBefore);
    const status = await fetch(`${server.url}/fal/proxy`, { headers: { authorization: `Key ${server.key}`, 'x-fal-target-url': `https://queue.fal.run/${ENDPOINT}/requests/unknown/status` } });
    expect(status.status).toBe(404);
  });
});

describe('the fal queue on a busy server', () => {
  it('reports IN_QUEUE with a position, cancels a queued request (its result is then the error), refuses to cancel a running one', async () => {
    const { server, release } = await busyServer();
    try {
      const fal = falFor(server);
      const input = { prompt: 'p', image_urls: [dataUri('horse.png')], image_size: 'square_hd' as const };
      const running = await fal.queue.submit(ENDPOINT, { input, webhookUrl: undefined });
      await expect.poll(async () => (await fal.queue.status(ENDPOINT, { requestId: running.request_id, logs: true })).status).toBe('IN_PROGRESS');
      const queued = await fal.queue.submit(ENDPOINT, { input, priority: 'low' });
      const status = (await fal.queue.status(ENDPOINT, { requestId: queued.request_id, logs: true })) as any;
      expect(status).toMatchObject({ status: 'IN_QUEUE', queue_position: 0 });
      expect(status.logs.map((l: any) => l.message)).toContain("X-Fal-Queue-Priority low: retouch's queue is first in, first out.");

      await fal.queue.cancel(ENDPOINT, { requestId: queued.request_id });
      expect(await fal.queue.status(ENDPOINT, { requestId: queued.request_id })).toMatchObject({ status: 'COMPLETED', error_type: 'client_cancelled' });
      const cancelled = await fal.queue.result(ENDPOINT, { requestId: queued.request_id }).catch((e) => e);
      expect(cancelled).toBeInstanceOf(ApiError);
      expect(cancelled.status).toBe(499);

      const refused = await fal.queue.cancel(ENDPOINT, { requestId: running.request_id }).catch((e) => e);
      expect(refused.status).toBe(400);
      expect(refused.body.status).toBe('IN_PROGRESS');

      // The same requests through retouch's own routes: followed, and cancelled there too.
      const third = await fal.queue.submit(ENDPOINT, { input });
      expect((await (await server.api(`/v1/requests/${third.request_id}/status`)).json()).status).toBe('in_queue');
      expect((await server.api(`/v1/requests/${third.request_id}/cancel`, { method: 'POST' })).status).toBe(200);
      expect((await fal.queue.status(ENDPOINT, { requestId: third.request_id })).status).toBe('COMPLETED');

      release();
      const done = await fal.queue.subscribeToStatus(ENDPOINT, { requestId: running.request_id, pollInterval: 50 });
      expect(done.status).toBe('COMPLETED');
      expect(((await fal.queue.result(ENDPOINT, { requestId: running.request_id })).data as any).images).toHaveLength(1);
    } finally {
      release();
      await server.close();
    }
  });
});

describe('fal.run on a busy server', () => {
  it('answers 504 request_timeout after --sync-timeout, cancelling a request still queued, without the client sending it again', async () => {
    const { server, release } = await busyServer({ syncTimeout: '1s' });
    try {
      const fal = falFor(server);
      const input = { prompt: 'p', image_urls: [dataUri('horse.png')], image_size: 'square_hd' as const };
      // Holds the only worker: the run below waits in the queue.
      await fal.queue.submit(ENDPOINT, { input });
      const error = await fal.run(ENDPOINT, { input }).catch((e) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect(error.status).toBe(504);
      expect(error.body).toMatchObject({ error_type: 'request_timeout', detail: expect.stringContaining('was cancelled') });
      const { requests } = await (await server.api('/v1/requests')).json();
      // Two requests, not five: the client's retries of 504 stop at a user timeout.
      expect(requests.map((r: any) => r.status).sort()).toEqual(['cancelled', 'in_progress']);
    } finally {
      release();
      await server.close();
    }
  });
});

describe('fal storage and CORS', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ settings: { corsOrigins: 'https://app.example' } });
  });
  afterAll(async () => server.close());

  it('takes the bare PUT of an upload only at its signed URL, and only an image', async () => {
    const initiate = await fetch(`${server.url}/fal/rest/storage/upload/initiate?storage_type=fal-cdn-v3`, {
      method: 'POST',
      headers: { authorization: `Key ${server.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content_type: 'image/png', file_name: 'a.png' }),
    });
    const { upload_url: uploadUrl, file_url: fileUrl } = await initiate.json();
    const put = (url: string, body: Buffer) => fetch(url, { method: 'PUT', body, headers: { 'content-type': 'image/png' } });
    expect((await put(uploadUrl.replace(/signature=[^&]+/, 'signature=AAAA'), photo('horse.png'))).status).toBe(403);
    // Another account's path with this signature is refused too.
    expect((await put(uploadUrl.replace(/\/upload\/[^/]+\//, '/upload/acct_other/'), photo('horse.png'))).status).toBe(403);
    const text = await put(uploadUrl, Buffer.from('not an image'));
    expect(text.status).toBe(422);
    expect((await fetch(fileUrl)).status).toBe(404);
    expect((await put(uploadUrl, photo('horse.png'))).status).toBe(200);
    expect((await fetch(fileUrl)).status).toBe(200);
  });

  it('lets a page on an allowed origin call the proxy with fal\'s headers', async () => {
    const preflight = await fetch(`${server.url}/fal/proxy`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization,content-type,x-fal-target-url,x-fal-queue-priority' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('x-fal-target-url');
  });
});
