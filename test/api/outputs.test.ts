/** Output files: signed, expiring, right type, no path out of the folder; and many requests at once. */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataUri } from '../helpers/paths.js';
import { startServer, type TestServer } from '../helpers/server.js';

describe('signed output URLs', () => {
  let server: TestServer;
  let url: URL;
  beforeAll(async () => {
    server = await startServer();
    const submitted = await (await server.submit({ image_urls: [dataUri('horse.png')], prompt: 'p', 'width×height': '1024x1024(1:1)' })).json();
    url = new URL((await server.waitForResult(submitted.request_id)).output.image);
  });
  afterAll(async () => server.close());

  it('downloads without a token, with the right headers', async () => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Number(res.headers.get('content-length'))).toBeGreaterThan(1000);
    expect((await sharp(Buffer.from(await res.arrayBuffer())).metadata()).width).toBe(1024);
  });

  it('refuses a changed signature, a changed expiry, a missing signature: 403002', async () => {
    const bad = new URL(url);
    bad.searchParams.set('signature', `${url.searchParams.get('signature')!.slice(0, -2)}AA`);
    const later = new URL(url);
    later.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 1));
    const bare = new URL(url.origin + url.pathname);
    for (const u of [bad, later, bare]) {
      const res = await fetch(u);
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error_code: 403002 });
    }
  });

  it('refuses an expired URL even with a valid signature', async () => {
    const key = url.pathname.slice('/files/'.length);
    const expired = server.runtime.storage.signedUrl(key, Date.now() - 1000);
    expect((await fetch(expired)).status).toBe(403);
  });

  it('a signed URL for another file of the same request does not open it', async () => {
    const other = new URL(url.href.replace('/0.jpg', '/1.jpg'));
    expect((await fetch(other)).status).toBe(403);
  });

  it('no path leaves the files folder', async () => {
    for (const path of [
      '/files/outputs/..%2F..%2F/retouch.db',
      '/files/outputs/../../secret',
      '/files/..%2F..%2Fsecret/x/y.jpg',
      '/files/outputs/%2e%2e/secret.jpg',
      '/files/uploads/a/..%2f..%2fsecret.png',
    ]) {
      const res = await fetch(`${server.url}${path}?expires=9999999999&signature=x`);
      expect([403, 404]).toContain(res.status);
      expect(await res.text()).not.toMatch(/[0-9a-f]{64}/);
    }
  });

  it('a valid signature for a file that was deleted is 404003', async () => {
    const key = 'outputs/00000000-0000-4000-8000-000000000000/0.jpg';
    const res = await fetch(server.runtime.storage.signedUrl(key, Date.now() + 60_000));
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error_code: 404003 });
  });
});

describe('load', () => {
  it('200 concurrent submits are all accepted and all complete', async () => {
    const server = await startServer({ settings: { maxQueue: '1000' } });
    try {
      const body = { image_urls: [dataUri('brick.png')], prompt: 'p', 'width×height': '1024x1024(1:1)' };
      const responses = await Promise.all(Array.from({ length: 200 }, () => server.submit(body)));
      expect(responses.map((r) => r.status)).toEqual(Array(200).fill(200));
      const ids = await Promise.all(responses.map(async (r) => (await r.json()).request_id as string));
      expect(new Set(ids).size).toBe(200);
      const results = await Promise.all(ids.map((id) => server.waitForResult(id, 120_000)));
      expect(results.every((r) => r.status === 'completed')).toBe(true);
      expect(await server.runtime.store.countByStatus()).toMatchObject({ completed: 200, in_queue: 0, in_progress: 0, failed: 0 });
    } finally {
      await server.close();
    }
  }, 150_000);
});
