/** The account's library, keys and usage over HTTP: what the playground builds on. */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatedEngine } from '../helpers/engines.js';
import { dataUri } from '../helpers/paths.js';
import { startServer, type TestServer } from '../helpers/server.js';

const body = (prompt: string) => ({ image_urls: [dataUri('chelsea.png')], prompt, 'width×height': '1024x1024(1:1)' });

describe('library', () => {
  let server: TestServer;
  const ids: string[] = [];
  beforeAll(async () => {
    server = await startServer();
    for (const p of ['first', 'second', 'third']) ids.push((await (await server.submit(body(p))).json()).request_id);
    for (const id of ids) await server.waitForResult(id);
  });
  afterAll(async () => server.close());

  it('lists the account\'s requests newest first, paged, with prompt, status and a thumbnail', async () => {
    const page1 = await (await server.api('/v1/requests?limit=2')).json();
    expect(page1.requests.map((r: any) => r.prompt)).toEqual(['third', 'second']);
    expect(page1.requests[0]).toMatchObject({ request_id: ids[2], status: 'completed', model_id: 'bytedance/dreamina-4-0/edit', image_count: 1 });
    const thumb = await fetch(page1.requests[0].thumbnail_url);
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBe(384);
    expect(page1.next_cursor).toEqual(expect.any(String));
    const page2 = await (await server.api(`/v1/requests?limit=2&before=${page1.next_cursor}`)).json();
    expect(page2.requests.map((r: any) => r.prompt)).toEqual(['first']);
    expect(page2.next_cursor).toBeNull();
    const { token } = await server.runtime.keys.create({ name: 'other account' });
    expect((await (await server.api('/v1/requests', { key: token })).json()).requests).toEqual([]);
  });

  it('shows one request with its input, to run it again', async () => {
    const one = await (await server.api(`/v1/requests/${ids[0]}`)).json();
    expect(one).toMatchObject({ request_id: ids[0], status: 'completed', model_id: 'bytedance/dreamina-4-0/edit' });
    expect(one.input).toMatchObject({ prompt: 'first', scale: 0.5, force_single: false });
    const again = await server.submit(one.input);
    expect(again.status).toBe(200);
    await server.waitForResult((await again.json()).request_id);
  });

  it('deletes a finished request with its files; the id then answers 404001', async () => {
    const id = ids[1]!;
    const folder = path.join(server.config.dataDir, 'files/outputs', id);
    expect(fs.existsSync(folder)).toBe(true);
    const { token } = await server.runtime.keys.create({ name: 'other account' });
    expect((await server.api(`/v1/requests/${id}`, { method: 'DELETE', key: token })).status).toBe(403);
    const res = await server.api(`/v1/requests/${id}`, { method: 'DELETE' });
    expect(await res.json()).toEqual({ request_id: id, deleted: true });
    expect(fs.existsSync(folder)).toBe(false);
    expect((await server.api(`/v1/requests/${id}/status`)).status).toBe(404);
  });
});

describe('deleting what is not finished', () => {
  it('is refused with 409002 until it is cancelled', async () => {
    const engine = new GatedEngine();
    const server = await startServer({ engine, settings: { concurrency: '1' } });
    try {
      const running = (await (await server.submit(body('a'))).json()).request_id;
      const queued = (await (await server.submit(body('b'))).json()).request_id;
      await expect.poll(() => engine.started).toBe(1);
      for (const id of [running, queued]) {
        const res = await server.api(`/v1/requests/${id}`, { method: 'DELETE' });
        expect(res.status).toBe(409);
        expect((await res.json()).error_code).toBe(409002);
      }
      await server.api(`/v1/requests/${queued}/cancel`, { method: 'POST' });
      expect((await server.api(`/v1/requests/${queued}`, { method: 'DELETE' })).status).toBe(200);
    } finally {
      engine.release();
      await server.close();
    }
  });
});

describe('keys and usage of the account', () => {
  it('creates a key shown once, lists the account\'s keys with the current one marked, revokes one', async () => {
    const server = await startServer({ worker: false });
    try {
      const created = await (await server.api('/v1/keys', { method: 'POST', json: { name: 'playground' } })).json();
      expect(created.key).toMatch(/^rt_/);
      const list = await (await server.api('/v1/keys')).json();
      expect(list.keys.map((k: any) => k.name).sort()).toEqual(['playground', 'test']);
      expect(list.keys.find((k: any) => k.current).name).toBe('test');
      expect(JSON.stringify(list)).not.toContain(created.key);
      // Another account sees neither, and cannot revoke them.
      const { token: stranger } = await server.runtime.keys.create({ name: 'stranger' });
      expect((await (await server.api('/v1/keys', { key: stranger })).json()).keys).toHaveLength(1);
      const foreign = await server.api(`/v1/keys/${created.id}`, { method: 'DELETE', key: stranger });
      expect(foreign.status).toBe(404);
      expect((await foreign.json()).error_code).toBe(404004);
      // Revoking the new key makes it useless at once.
      expect((await server.api('/v1/keys', { key: created.key })).status).toBe(200);
      expect((await server.api(`/v1/keys/${created.id}`, { method: 'DELETE' })).status).toBe(200);
      expect((await server.api('/v1/keys', { key: created.key })).status).toBe(401);
    } finally {
      await server.close();
    }
  });

  it('counts requests, output megapixels and compute seconds per day', async () => {
    const server = await startServer();
    try {
      for (const p of ['a', 'b']) await server.waitForResult((await (await server.submit(body(p))).json()).request_id);
      const usage = await (await server.api('/v1/usage?days=7')).json();
      expect(usage.days).toHaveLength(1);
      expect(usage.days[0]).toMatchObject({ day: new Date().toISOString().slice(0, 10), requests: 2, completed: 2, failed: 0, images: 2, engines: { builtin: 2 } });
      expect(usage.limits).toEqual({});
      expect(usage.days[0].output_megapixels).toBeCloseTo((2 * 1024 * 1024) / 1e6, 2);
      expect(usage.days[0].compute_seconds).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });
});
