/**
 * Every schema rule of the seed, checked at submit: 422001 with one detail entry per broken rule,
 * naming the field and the rule; nothing is queued; the server keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataUri } from '../helpers/paths.js';
import { MODEL_PATH, startServer, type TestServer } from '../helpers/server.js';

const IMG = 'https://images.example.test/a.jpg';
const VALID = { image_urls: [IMG], prompt: 'make it brighter' };

describe('submit-time validation (422001)', () => {
  let server: TestServer;
  // No worker: nothing here should ever be queued, and nothing should be fetched.
  beforeAll(async () => {
    server = await startServer({ worker: false });
  });
  afterAll(async () => server.close());

  async function refused(body: unknown) {
    const res = await server.submit(body);
    expect(res.status).toBe(422);
    const json = await res.json();
    expect(json.error_code).toBe(422001);
    expect(json.detail.length).toBeGreaterThan(0);
    for (const d of json.detail) {
      expect(d.loc[0]).toBe('body');
      expect(typeof d.msg).toBe('string');
    }
    return json as { error_code: number; message: string; detail: { loc: (string | number)[]; msg: string }[] };
  }

  const cases: [string, unknown, (string | number)[], RegExp][] = [
    ['image_urls missing', { prompt: 'p' }, ['body', 'image_urls'], /image_urls is required/],
    ['prompt missing', { image_urls: [IMG] }, ['body', 'prompt'], /prompt is required/],
    ['image_urls empty', { ...VALID, image_urls: [] }, ['body', 'image_urls'], /image_urls: Supports 1–10 images \(got 0\)/],
    ['eleven images', { ...VALID, image_urls: Array(11).fill(IMG) }, ['body', 'image_urls'], /Supports 1–10 images \(got 11\)/],
    ['image_urls not an array', { ...VALID, image_urls: IMG }, ['body', 'image_urls'], /must be an array/],
    ['an image URL that is a number', { ...VALID, image_urls: [IMG, 3] }, ['body', 'image_urls', 1], /image_urls\[1\] must be a string/],
    ['prompt of 801 characters', { ...VALID, prompt: 'a'.repeat(801) }, ['body', 'prompt'], /prompt must be at most 800 characters \(got 801\)/],
    ['prompt not a string', { ...VALID, prompt: 42 }, ['body', 'prompt'], /prompt must be a string/],
    ['size not one of the 11', { ...VALID, 'width×height': '1920x1080(16:9)' }, ['body', 'width×height'], /width×height must be one of 1024x1024\(1:1\), 2048x2048\(1:1\).*6198x2656\(21:9\)/],
    ['size given as a number', { ...VALID, 'width×height': 2048 }, ['body', 'width×height'], /must be a string|must be one of/],
    ['scale above 1', { ...VALID, scale: 1.5 }, ['body', 'scale'], /scale must be between 0 and 1 \(got 1.5\)/],
    ['scale below 0', { ...VALID, scale: -0.1 }, ['body', 'scale'], /scale must be between 0 and 1 \(got -0.1\)/],
    ['scale as a string', { ...VALID, scale: '0.5' }, ['body', 'scale'], /scale must be a number/],
    ['force_single as a string', { ...VALID, force_single: 'true' }, ['body', 'force_single'], /force_single must be true or false/],
    ['an ftp URL', { ...VALID, image_urls: ['ftp://example.test/a.jpg'] }, ['body', 'image_urls', 0], /http\(s\) URL or a data: URI \(got a ftp: URL\)/],
    ['a file URL', { ...VALID, image_urls: ['file:///etc/passwd'] }, ['body', 'image_urls', 0], /got a file: URL/],
    ['a javascript URL', { ...VALID, image_urls: ['javascript:alert(1)'] }, ['body', 'image_urls', 0], /got a javascript: URL/],
    ['not a URL', { ...VALID, image_urls: ['cat.jpg'] }, ['body', 'image_urls', 0], /absolute http\(s\) URL/],
    ['credentials in the URL', { ...VALID, image_urls: ['https://user:secret@example.test/a.jpg'] }, ['body', 'image_urls', 0], /must not contain a user name or password/],
    ['a 5,000-character URL', { ...VALID, image_urls: [`https://example.test/${'a'.repeat(5000)}.jpg`] }, ['body', 'image_urls', 0], /at most 4096 characters long \(got 5025\)/],
    ['a data URI that is not base64 image data', { ...VALID, image_urls: ['data:text/html,<script>alert(1)</script>'] }, ['body', 'image_urls', 0], /base64 data URI of an image/],
    ['a body that is not an object', [1, 2], ['body'], /must be an object/],
  ];

  it.each(cases)('%s', async (_name, body, loc, msg) => {
    const json = await refused(body);
    const entry = json.detail.find((d) => JSON.stringify(d.loc) === JSON.stringify(loc));
    expect(entry, JSON.stringify(json.detail)).toBeDefined();
    expect(entry!.msg).toMatch(msg);
  });

  it('reports every broken rule, one detail entry each', async () => {
    const json = await refused({ image_urls: [], prompt: 'a'.repeat(900), scale: 2, force_single: 1, 'width×height': 'big' });
    expect(json.detail.map((d) => d.loc.join('.')).sort()).toEqual(
      ['body.force_single', 'body.image_urls', 'body.prompt', 'body.scale', 'body.width×height'].sort(),
    );
    expect(json.message).toContain('prompt must be at most 800 characters (got 900)');
  });

  it('never echoes a data URI or credentials back', async () => {
    const secretish = `data:text/plain;base64,${Buffer.from('TOP-SECRET-PAYLOAD'.repeat(100)).toString('base64')}`;
    const text = await (await server.submit({ ...VALID, image_urls: [secretish, 'https://alice:hunter2@example.test/x.jpg'] })).text();
    expect(text).not.toContain(secretish.slice(30, 80));
    expect(text).not.toContain('hunter2');
  });

  it('counts characters, not bytes: 800 emoji are a valid prompt', async () => {
    const res = await server.submit({ ...VALID, prompt: '😀'.repeat(800) });
    // JSON Schema maxLength counts code points.
    expect(res.status).toBe(200);
  });

  it('accepts the boundaries: 10 images, 800 characters, scale 0 and 1, every size, data URIs', async () => {
    for (const body of [
      { ...VALID, image_urls: Array(10).fill(IMG) },
      { ...VALID, prompt: 'x'.repeat(800) },
      { ...VALID, scale: 0 },
      { ...VALID, scale: 1, force_single: true },
      { ...VALID, image_urls: [dataUri('chelsea.png')] },
      { ...VALID, 'width×height': '6198x2656(21:9)' },
    ]) {
      const res = await server.submit(body);
      expect(res.status, await res.clone().text()).toBe(200);
    }
  });

  it('nothing refused was queued, and the server still answers', async () => {
    const counts = await server.runtime.store.countByStatus();
    // Only the accepted submits of the two tests above.
    expect(counts.in_queue).toBe(7);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('a request body over the limit is 413 in the envelope', async () => {
    const small = await startServer({ worker: false, settings: { bodyLimit: '1kb' } });
    try {
      const res = await small.submit({ ...VALID, image_urls: [dataUri('chelsea.png')] });
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ error_code: 413001 });
    } finally {
      await small.close();
    }
  });
});

describe('queue limit (429001)', () => {
  it('refuses submits with Retry-After once max-queue requests wait, and accepts again after a cancel', async () => {
    const server = await startServer({ worker: false, settings: { maxQueue: '2' } });
    try {
      const a = await (await server.submit(VALID)).json();
      await server.submit(VALID);
      const res = await server.submit(VALID);
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await res.json()).toMatchObject({ error_code: 429001 });
      await server.api(`/v1/requests/${a.request_id}/cancel`, { method: 'POST' });
      expect((await server.submit(VALID)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

void MODEL_PATH;
