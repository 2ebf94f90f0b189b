/**
 * @retouch/client against a real server on 127.0.0.1: every call, every error class provoked for
 * real, and uploads of each kind of source.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  BadRequestError,
  ConflictError,
  ConnectionError,
  errorFromResponse,
  NotFoundError,
  PermissionError,
  RateLimitError,
  RequestFailedError,
  RetouchClient,
  RetouchError,
  ServerError,
  ValidationError,
  type Dreamina40EditInput,
} from '@retouch/client';
import { dataUri, photo, PHOTOS, tempDir } from '../helpers/paths.js';
import { startServer, type TestServer } from '../helpers/server.js';

const MODEL = 'bytedance/dreamina-4-0/edit';
const input = (name = 'coffee.png'): Dreamina40EditInput => ({ image_urls: [dataUri(name)], prompt: 'make it warmer', 'width×height': '1024x1024(1:1)' });

/** Resolves with what a promise rejected with (and fails the test if it did not reject). */
async function rejection(promise: Promise<unknown>): Promise<RetouchError> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(RetouchError);
  return outcome.error as RetouchError;
}

describe('RetouchClient', () => {
  let server: TestServer;
  let client: RetouchClient;
  beforeAll(async () => {
    server = await startServer();
    client = new RetouchClient({ baseUrl: server.url, apiKey: server.key });
  });
  afterAll(async () => server.close());

  it('submit, status, subscribe and result follow one request to its outputs', async () => {
    const submitted = await client.submit(MODEL, input());
    expect(submitted).toMatchObject({ status: 'in_queue', status_url: `${server.url}/v1/requests/${submitted.request_id}/status` });
    const status = await client.status(submitted.request_id);
    expect(status.request_id).toBe(submitted.request_id);
    const final = await client.subscribe(submitted.request_id);
    expect(final.status).toBe('completed');
    const result = await client.result(submitted.request_id);
    expect(result.output!.images).toHaveLength(1);
    // Signed: the output downloads without the key, at the requested size.
    const image = await fetch(result.output!.image!);
    expect(image.status).toBe(200);
    expect(await sharp(Buffer.from(await image.arrayBuffer())).metadata()).toMatchObject({ width: 1024, height: 1024 });
  });

  it('run submits, follows and returns a completed result', async () => {
    const updates: string[] = [];
    const result = await client.run(MODEL, input('horse.png'), { onQueueUpdate: (u) => updates.push(u.status) });
    expect(result.status).toBe('completed');
    expect(result.output.images[0]).toContain('/files/outputs/');
    expect(updates).toContain('in_queue');
  });

  it('submit with wait answers the result body; with an idempotency key, a second submit returns the first request', async () => {
    const waited = await client.submit(MODEL, input('chelsea.png'), { wait: 30 });
    expect(waited.status).toBe('completed');
    expect('output' in waited && waited.output?.images.length).toBe(1);

    const key = `order-${Date.now()}`;
    const first = await client.submit(MODEL, input(), { idempotencyKey: key });
    const again = await client.submit(MODEL, input(), { idempotencyKey: key });
    expect(again.request_id).toBe(first.request_id);
    await client.subscribe(first.request_id);
  });

  it('run throws RequestFailedError with the failure code when the request fails', async () => {
    const wide = await sharp({ create: { width: 1300, height: 400, channels: 3, background: '#777' } }).png().toBuffer();
    const err = await rejection(client.run(MODEL, { image_urls: [`data:image/png;base64,${wide.toString('base64')}`], prompt: 'p' }));
    expect(err).toBeInstanceOf(RequestFailedError);
    expect((err as RequestFailedError).code).toBe('aspect_ratio');
    expect(err.message).toContain('The input image aspect ratio must be within [1/3, 3].');
    expect((err as RequestFailedError).result.status).toBe('failed');
  });

  describe('errors, each provoked for real', () => {
    it('a bad key: AuthenticationError 401001', async () => {
      const err = await rejection(new RetouchClient({ baseUrl: server.url, apiKey: 'rt_not-a-real-key' }).status('x'));
      expect(err).toBeInstanceOf(AuthenticationError);
      expect(err).toMatchObject({ status: 401, errorCode: 401001, message: 'Invalid or revoked API key.' });
    });

    it("another account's request: PermissionError 403001", async () => {
      const { request_id } = await client.submit(MODEL, input());
      const stranger = new RetouchClient({ baseUrl: server.url, apiKey: (await server.runtime.keys.create({ name: 'stranger' })).token });
      for (const call of [stranger.status(request_id), stranger.result(request_id), stranger.cancel(request_id)]) {
        const err = await rejection(call);
        expect(err).toBeInstanceOf(PermissionError);
        expect(err).toMatchObject({ status: 403, errorCode: 403001 });
      }
      await client.subscribe(request_id);
    });

    it('an unknown id: NotFoundError 404001', async () => {
      const err = await rejection(client.result('no-such-request'));
      expect(err).toBeInstanceOf(NotFoundError);
      expect(err).toMatchObject({ status: 404, errorCode: 404001 });
      expect(err.message).toContain('no-such-request');
    });

    it('cancel of a finished request: ConflictError 409001', async () => {
      const { request_id } = await client.submit(MODEL, input());
      await client.subscribe(request_id);
      const err = await rejection(client.cancel(request_id));
      expect(err).toBeInstanceOf(ConflictError);
      expect(err).toMatchObject({ status: 409, errorCode: 409001 });
      expect(err.message).toContain('completed');
    });

    it('a schema error: ValidationError 422001 with one detail per rule', async () => {
      const err = await rejection(client.submit(MODEL, { image_urls: [], prompt: 'x'.repeat(801) }));
      expect(err).toBeInstanceOf(ValidationError);
      expect(err).toMatchObject({ status: 422, errorCode: 422001 });
      expect(err.detail.map((d) => d.loc.join('.')).sort()).toEqual(['body.image_urls', 'body.prompt']);
      expect(err.message).toContain('prompt must be at most 800 characters (got 801)');
    });

    it('an unknown model: BadRequestError 400001', async () => {
      const err = await rejection(client.submit('acme/no-such-model', { prompt: 'p' }));
      expect(err).toBeInstanceOf(BadRequestError);
      expect(err).toMatchObject({ status: 400, errorCode: 400001 });
    });

    it('a full queue: RateLimitError 429001 with retryAfter', async () => {
      const full = await startServer({ worker: false, settings: { maxQueue: '1' } });
      try {
        const own = new RetouchClient({ baseUrl: full.url, apiKey: full.key });
        await own.submit(MODEL, input());
        const err = await rejection(own.submit(MODEL, input()));
        expect(err).toBeInstanceOf(RateLimitError);
        expect(err).toMatchObject({ status: 429, errorCode: 429001 });
        expect((err as RateLimitError).retryAfter).toBeGreaterThan(0);
      } finally {
        await full.close();
      }
    });

    it('a closed port: ConnectionError, with no status or code', async () => {
      const probe = net.createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const port = (probe.address() as net.AddressInfo).port;
      await new Promise((resolve) => probe.close(resolve));
      const err = await rejection(new RetouchClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: 'k' }).status('x'));
      expect(err).toBeInstanceOf(ConnectionError);
      expect(err).toMatchObject({ status: undefined, errorCode: undefined });
      expect(err.message).toContain('ECONNREFUSED');
    });

    it('5xx answers become ServerError with the request id of the log line', async () => {
      const body = { error_code: 500001, message: 'Internal error. Quote request id req-7 when reporting it.', detail: [], request_id: 'req-7' };
      const err = await errorFromResponse(new Response(JSON.stringify(body), { status: 500, headers: { 'content-type': 'application/json' } }));
      expect(err).toBeInstanceOf(ServerError);
      expect(err).toMatchObject({ status: 500, errorCode: 500001, requestId: 'req-7' });
      const page = await errorFromResponse(new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
      expect(page).toBeInstanceOf(ServerError);
      expect(page.message).toBe('HTTP 502 Bad Gateway');
    });
  });

  describe('upload', () => {
    it('a Buffer, a Blob and a file path each become a URL that works in image_urls', async () => {
      const jpeg = await sharp(photo('chelsea.png')).jpeg().toBuffer();
      const fromBuffer = await client.upload(jpeg);
      expect(fromBuffer).toMatchObject({ content_type: 'image/jpeg', width: 451, height: 300, bytes: jpeg.length });
      const fromBlob = await client.upload(new Blob([photo('horse.png')], { type: 'image/png' }));
      expect(fromBlob).toMatchObject({ content_type: 'image/png', bytes: photo('horse.png').length });
      const fromPath = await client.upload(path.join(PHOTOS, 'coffee.png'));
      expect(fromPath).toMatchObject({ content_type: 'image/png', width: 600, height: 400 });
      for (const file of [fromBuffer, fromBlob, fromPath]) {
        expect(file.url).toContain('/files/uploads/');
        expect((await fetch(file.url)).status).toBe(200);
      }
      const result = await client.run(MODEL, { image_urls: [fromBuffer.url], prompt: 'p', 'width×height': '1024x1024(1:1)' });
      expect(result.status).toBe('completed');
    });

    it('a file the rules refuse: ValidationError at body.file; a missing path: the fs error', async () => {
      const dir = tempDir();
      fs.writeFileSync(path.join(dir, 'note.txt'), 'not an image');
      const err = await rejection(client.upload(path.join(dir, 'note.txt')));
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.detail[0]!.loc).toEqual(['body', 'file']);
      await expect(client.upload(path.join(dir, 'missing.jpg'))).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });
});
