/**
 * The seed's contract end to end on a real server (127.0.0.1, a real SQLite file, real images from
 * a local image host): submit, status, result, cancel, auth, ownership, the error envelope.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatedEngine } from '../helpers/engines.js';
import { startPhotoServer, type PhotoServer } from '../helpers/photo-server.js';
import { dataUri } from '../helpers/paths.js';
import { MODEL_PATH, startServer, type TestServer } from '../helpers/server.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('the seed contract, with the built-in engine', () => {
  let server: TestServer;
  let photos: PhotoServer;
  beforeAll(async () => {
    photos = await startPhotoServer();
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
    await photos.close();
  });

  it('submit answers 200 with the request id and absolute status, result and cancel URLs', async () => {
    const res = await server.submit({ image_urls: [`${photos.url}/chelsea.png`], prompt: 'A beautiful girl is sitting on the boat' });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(Object.keys(body).sort()).toEqual(['cancel_url', 'request_id', 'result_url', 'status', 'status_url']);
    expect(body.request_id).toMatch(UUID);
    expect(body.status).toBe('in_queue');
    const base = `${server.url}/v1/requests/${body.request_id}`;
    expect(body).toMatchObject({ status_url: `${base}/status`, result_url: `${base}/result`, cancel_url: `${base}/cancel` });
    await server.waitForResult(body.request_id);
  });

  it('a request runs to completed and its image is the default 2048x2048, downloadable without the key', async () => {
    const submitted = await (await server.submit({ image_urls: [`${photos.url}/coffee.png`], prompt: 'make it warmer' })).json();
    const result = await server.waitForResult(submitted.request_id);
    expect(result).toMatchObject({ request_id: submitted.request_id, status: 'completed' });
    expect(result.output.images).toHaveLength(1);
    expect(result.output.image).toBe(result.output.images[0]);
    expect(Date.parse(result.finished_at)).toBeGreaterThanOrEqual(Date.parse(result.started_at));
    expect(Date.parse(result.started_at)).toBeGreaterThanOrEqual(Date.parse(result.created_at));

    const download = await fetch(result.output.image);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/jpeg');
    const meta = await sharp(Buffer.from(await download.arrayBuffer())).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 2048, height: 2048 });

    const status = await (await server.api(`/v1/requests/${submitted.request_id}/status`)).json();
    expect(status).toMatchObject({ request_id: submitted.request_id, status: 'completed', created_at: result.created_at });
    expect(status.queue_position).toBeUndefined();
  });

  it('the status and result bodies say what the engine applied, with the prompt spans, and what it could not do', async () => {
    const prompt = 'make her smile, then make it brighter';
    const submitted = await (await server.submit({ image_urls: [dataUri('astronaut.png')], prompt, 'width×height': '1024x1024(1:1)' })).json();
    const result = await server.waitForResult(submitted.request_id);
    const brightness = result.edits.find((e: { kind: string }) => e.kind === 'brightness');
    expect(prompt.slice(brightness.span[0], brightness.span[1])).toContain('brighter');
    expect(result.warnings).toEqual(["the built-in engine cannot generate new content: 'make her smile' was not applied"]);
    const status = await (await server.api(`/v1/requests/${submitted.request_id}/status`)).json();
    expect(status.edits).toEqual(result.edits);
    expect(status.warnings).toEqual(result.warnings);
    // Without a configuration file, the built-in engine serves every model, and says so.
    expect(result.engine).toBe('builtin');
    expect(status.engine).toBe('builtin');
  });

  it('the same result always shows the same URLs', async () => {
    const submitted = await (await server.submit({ image_urls: [dataUri('horse.png')], prompt: 'x' })).json();
    const a = await server.waitForResult(submitted.request_id);
    const b = await (await server.api(`/v1/requests/${submitted.request_id}/result`)).json();
    expect(b.output).toEqual(a.output);
  });

  it('applies the seed defaults and drops unknown fields', async () => {
    const submitted = await (
      await server.submit({ image_urls: [dataUri('astronaut.png')], prompt: 'p', surprise: 'ignored' })
    ).json();
    const claimed = await server.runtime.store.get(submitted.request_id);
    expect(claimed).toBeDefined();
    expect(await server.runtime.store.inputOf(submitted.request_id)).toEqual({
      image_urls: [dataUri('astronaut.png')],
      prompt: 'p',
      'width×height': '2048x2048(1:1)',
      scale: 0.5,
      force_single: false,
    });
    await server.waitForResult(submitted.request_id);
  });

  it('a failed image rule ends the request failed with the seed message and the index of the image', async () => {
    const wide = await sharp({ create: { width: 3900, height: 1000, channels: 3, background: '#888' } }).jpeg().toBuffer();
    photos.set('wide.jpg', wide);
    const submitted = await (
      await server.submit({ image_urls: [`${photos.url}/chelsea.png`, `${photos.url}/wide.jpg`], prompt: 'p' })
    ).json();
    const result = await server.waitForResult(submitted.request_id);
    expect(result.status).toBe('failed');
    expect(result.output).toBeUndefined();
    expect(result.error.message).toContain('image_urls[1]');
    expect(result.error.message).toContain('The input image aspect ratio must be within [1/3, 3].');
    expect(result.error.message).toContain('3900x1000');
  });

  it('GET /v1/models lists the model with its input schema, including the seed property names', async () => {
    const res = await server.api('/v1/models', { key: null });
    expect(res.status).toBe(200);
    const { models } = await res.json();
    expect(models.map((m: { id: string }) => m.id)).toEqual(['bytedance/dreamina-4-0/edit']);
    const schema = models[0].input_schema;
    expect(Object.keys(schema.properties)).toEqual(['image_urls', 'prompt', 'width×height', 'scale', 'force_single']);
    expect(schema.required).toEqual(['image_urls', 'prompt']);
    expect(schema.properties['width×height'].enum).toHaveLength(11);
    expect(schema.properties.image_urls.validations[0].validation_error).toBe('Each image file must be ≤ 15 MB.');
  });

  it('answers the catalogue calls of the hosted service\'s own clients: categories, search, paging, schema on request', async () => {
    const get = async (path: string) => {
      const res = await server.api(path, { key: null });
      expect(res.status).toBe(200);
      return res.json();
    };
    expect(await get('/v1/models/categories')).toEqual({ categories: ['image-to-image'] });
    const page = await get('/v1/models?limit=10&offset=0&search=dreamina%20edit');
    expect(page).toMatchObject({ total: 1, limit: 10, offset: 0 });
    expect(page.models[0]).toMatchObject({ model_id: 'bytedance/dreamina-4-0/edit', display_name: 'Dreamina 4.0 Edit', categories: ['image-to-image'] });
    expect((await get('/v1/models?search=video')).models).toEqual([]);
    expect((await get('/v1/models?category=image-to-image')).total).toBe(1);
    expect((await get('/v1/models?offset=1')).models).toEqual([]);
    expect((await get('/v1/models?include_schema=false')).models[0].input_schema).toBeUndefined();
    const bad = await server.api('/v1/models?limit=0', { key: null });
    expect(bad.status).toBe(422);
    expect((await bad.json()).detail[0].loc).toEqual(['querystring', 'limit']);
  });

  it('an unknown model is 400001', async () => {
    const res = await server.api('/v1/models/bytedance/dreamina-9/edit', { method: 'POST', json: { prompt: 'p', image_urls: ['https://a.test/x.jpg'] } });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body).toMatchObject({ error_code: 400001 });
    expect(body.message).toContain('bytedance/dreamina-9/edit');
    expect(body.message).toContain('bytedance/dreamina-4-0/edit');
  });

  it('an unknown request id is 404001 on status, result and cancel', async () => {
    for (const [method, path] of [
      ['GET', 'status'],
      ['GET', 'result'],
      ['POST', 'cancel'],
    ]) {
      const res = await server.api(`/v1/requests/00000000-0000-4000-8000-000000000000/${path}`, { method });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error_code: 404001, detail: [] });
    }
  });

  it('auth: no key, a malformed header, a wrong key, a revoked key are 401001; another account\'s request is 403001', async () => {
    const submitted = await (await server.submit({ image_urls: [dataUri('chelsea.png')], prompt: 'p' })).json();
    const statusPath = `/v1/requests/${submitted.request_id}/status`;

    const none = await server.api(statusPath, { key: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(await none.json()).toMatchObject({ error_code: 401001 });

    const malformed = await fetch(server.url + statusPath, { headers: { authorization: 'Basic abc' } });
    expect((await malformed.json()).error_code).toBe(401001);
    expect((await server.api(statusPath, { key: 'rt_not-a-real-key' })).status).toBe(401);

    const { key: revokedKey, token: revoked } = await server.runtime.keys.create({ name: 'soon revoked' });
    expect((await server.api('/v1/models/nope', { method: 'POST', key: revoked, json: {} })).status).toBe(400);
    await server.runtime.keys.revoke(revokedKey.id);
    const afterRevoke = await server.api(statusPath, { key: revoked });
    expect(afterRevoke.status).toBe(401);
    expect((await afterRevoke.json()).message).toMatch(/revoked/);

    const { token: stranger } = await server.runtime.keys.create({ name: 'another account' });
    for (const [method, path] of [
      ['GET', 'status'],
      ['GET', 'result'],
      ['POST', 'cancel'],
    ]) {
      const res = await server.api(`/v1/requests/${submitted.request_id}/${path}`, { method, key: stranger });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error_code: 403001 });
    }
    // A second key of the same account sees the account's requests.
    const { token: sibling } = await server.runtime.keys.create({ name: 'sibling', accountId: (await server.runtime.store.get(submitted.request_id))!.accountId });
    expect((await server.api(statusPath, { key: sibling })).status).toBe(200);
    await server.waitForResult(submitted.request_id);
  });

  it('unknown routes get the envelope too', async () => {
    const res = await server.api('/v2/nothing');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error_code: 404002 });
  });

  it('malformed JSON is 400, a body over the limit is 413, both in the envelope', async () => {
    const bad = await server.api(MODEL_PATH, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"prompt": ' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error_code: 400002 });
  });

  it('serves the OpenAPI document and a readable reference, from the same schemas', async () => {
    const doc = await (await fetch(`${server.url}/openapi.json`)).json();
    expect(doc.openapi).toBe('3.1.0');
    const submit = doc.paths['/v1/models/bytedance/dreamina-4-0/edit'].post;
    expect(submit.requestBody.content['application/json'].schema.properties['width×height'].enum).toHaveLength(11);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/requests/{request_id}/status', '/v1/requests/{request_id}/result', '/v1/requests/{request_id}/cancel']),
    );
    const page = await fetch(`${server.url}/docs/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger');
  });

  it('healthz and readyz', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { store: true, workers: true },
      engines: { builtin: { ready: true, type: 'builtin', running: 0, max_concurrency: server.config.concurrency } },
      models: { 'bytedance/dreamina-4-0/edit': { engines: ['builtin'], ready: true } },
    });
  });
});

describe('cancel, queue position and progress, with requests held in progress', () => {
  let server: TestServer;
  let engine: GatedEngine;
  beforeAll(async () => {
    engine = new GatedEngine();
    server = await startServer({ engine, settings: { concurrency: '1' } });
  });
  afterAll(async () => {
    engine.release();
    await server.close();
  });

  it('positions count the requests ahead; a queued request cancels, a running one is 409 and stays as it was', async () => {
    const body = { image_urls: [dataUri('chelsea.png')], prompt: 'p', 'width×height': '1024x1024(1:1)' };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await (await server.submit(body)).json()).request_id);
    await expect.poll(() => engine.started, { timeout: 10_000 }).toBe(1);

    const running = await (await server.api(`/v1/requests/${ids[0]}/status`)).json();
    expect(running).toMatchObject({ status: 'in_progress' });
    expect(running.progress).toBeGreaterThanOrEqual(0);
    expect(running.started_at).not.toBeNull();
    expect((await (await server.api(`/v1/requests/${ids[1]}/status`)).json()).queue_position).toBe(0);
    expect((await (await server.api(`/v1/requests/${ids[2]}/status`)).json()).queue_position).toBe(1);
    // The result of an unfinished request is its status body, so that clients keep polling.
    const pending = await (await server.api(`/v1/requests/${ids[2]}/result`)).json();
    expect(pending).toMatchObject({ status: 'in_queue', queue_position: 1 });
    expect(pending.output).toBeUndefined();

    const refused = await server.api(`/v1/requests/${ids[0]}/cancel`, { method: 'POST' });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ error_code: 409001 });
    expect((await (await server.api(`/v1/requests/${ids[0]}/status`)).json()).status).toBe('in_progress');

    const cancel = await server.api(`/v1/requests/${ids[1]}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(200);
    expect(await cancel.json()).toEqual({ request_id: ids[1], status: 'cancelled' });
    const again = await server.api(`/v1/requests/${ids[1]}/cancel`, { method: 'POST' });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ request_id: ids[1], status: 'cancelled' });
    expect((await (await server.api(`/v1/requests/${ids[2]}/status`)).json()).queue_position).toBe(0);

    engine.release();
    expect((await server.waitForResult(ids[0]!)).status).toBe('completed');
    expect(await server.waitForResult(ids[1]!)).toMatchObject({ request_id: ids[1], status: 'cancelled' });
    expect((await server.waitForResult(ids[2]!)).status).toBe('completed');
    // The cancelled one never ran: two engine runs in all.
    expect(engine.started).toBe(2);
    const finished = await (await server.api(`/v1/requests/${ids[0]}/cancel`, { method: 'POST' })).json();
    expect(finished.error_code).toBe(409001);
  });
});
