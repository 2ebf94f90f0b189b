/** Uploads: checked like image URLs, owned by the account, usable in image_urls, expiring. */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { photo } from '../helpers/paths.js';
import { startServer, type TestServer } from '../helpers/server.js';

describe('POST /v1/files', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Private URLs refused, as in production: an upload URL must still work, read from storage.
    server = await startServer({ settings: { allowPrivateUrls: 'false' } });
  });
  afterAll(async () => server.close());

  const multipart = (data: Buffer, name = 'file', filename = 'photo.png') => {
    const form = new FormData();
    form.append(name, new Blob([data]), filename);
    return form;
  };

  it('accepts a multipart upload and answers a URL that works in image_urls', async () => {
    const res = await server.api('/v1/files', { method: 'POST', body: multipart(photo('chelsea.png')) });
    expect(res.status).toBe(200);
    const file = await res.json();
    expect(file).toMatchObject({ content_type: 'image/png', width: 451, height: 300, bytes: photo('chelsea.png').length });
    expect(file.url).toContain('/files/uploads/');
    expect((await fetch(file.url)).status).toBe(200);
    const submitted = await (await server.submit({ image_urls: [file.url], prompt: 'p', 'width×height': '1024x1024(1:1)' })).json();
    const result = await server.waitForResult(submitted.request_id);
    expect(result.status).toBe('completed');
  });

  it('accepts the raw bytes, whatever type they are declared as', async () => {
    const jpeg = await sharp(photo('coffee.png')).jpeg().toBuffer();
    const res = await server.api('/v1/files', { method: 'POST', body: jpeg, headers: { 'content-type': 'application/octet-stream' } });
    expect(await res.json()).toMatchObject({ content_type: 'image/jpeg', width: 600, height: 400 });
    const lying = await server.api('/v1/files', { method: 'POST', body: jpeg, headers: { 'content-type': 'image/png' } });
    expect((await lying.json()).content_type).toBe('image/jpeg');
  });

  it('refuses what breaks the rules, in the seed\'s words, at loc body.file', async () => {
    const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
    const wide = await sharp({ create: { width: 1300, height: 400, channels: 3, background: '#777' } }).png().toBuffer();
    const cases: [Buffer, RegExp][] = [
      [gif, /Only JPEG and PNG formats are supported/],
      [wide, /The input image aspect ratio must be within \[1\/3, 3\]\. \(found 1300x400\)/],
      [photo('truncated.jpg'), /complete, readable JPEG or PNG/],
    ];
    for (const [data, message] of cases) {
      const res = await server.api('/v1/files', { method: 'POST', body: multipart(data) });
      expect(res.status).toBe(422);
      const body = await res.json();
      expect(body.error_code).toBe(422001);
      expect(body.detail[0].loc).toEqual(['body', 'file']);
      expect(body.message).toMatch(message);
    }
  });

  it('regression: a multipart part under another name was never read, and shutdown waited for it forever', async () => {
    const own = await startServer({ worker: false });
    const misnamed = await own.api('/v1/files', { method: 'POST', body: multipart(photo('chelsea.png'), 'image') });
    expect(misnamed.status).toBe(422);
    expect((await misnamed.json()).message).toContain('named "file"');
    const closed = own.close().then(() => 'closed');
    expect(await Promise.race([closed, new Promise((r) => setTimeout(() => r('still waiting'), 5_000))])).toBe('closed');
  });

  it('regression: a 16 MB multipart file was cut at 15 MB and accepted (a PNG decodes with its tail cut off)', async () => {
    const big = Buffer.alloc(16 * 1024 * 1024, 1);
    photo('chelsea.png').copy(big);
    const res = await server.api('/v1/files', { method: 'POST', body: multipart(big) });
    expect(res.status).toBe(422);
    expect((await res.json()).message).toContain('Each image file must be ≤ 15 MB.');
    const raw = await server.api('/v1/files', { method: 'POST', body: big, headers: { 'content-type': 'image/png' } });
    expect(raw.status).toBe(413);
    const dir = path.join(server.config.dataDir, 'files/uploads');
    const kept = fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).filter((f) => String(f).includes('.')) : [];
    expect(kept.every((f) => fs.statSync(path.join(dir, String(f))).size < 15 * 1024 * 1024)).toBe(true);
  });

  it('needs a key, and expires: after the TTL the file is gone', async () => {
    expect((await server.api('/v1/files', { method: 'POST', body: multipart(photo('chelsea.png')), key: null })).status).toBe(401);
    const file = await (await server.api('/v1/files', { method: 'POST', body: multipart(photo('horse.png')) })).json();
    await server.runtime.maintenance!.deleteExpired(Date.now() + 25 * 3_600_000);
    expect((await fetch(file.url)).status).toBe(404);
  });
});
