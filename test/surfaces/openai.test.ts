/**
 * The official `openai` client, pointed at a real retouch server by its `baseURL` only:
 * `images.edit` with one image, with an image array, with a file stream, answered as `b64_json`
 * and as `url`; and what the model cannot do refused in OpenAI's error envelope.
 */
import fs from 'node:fs';
import path from 'node:path';
import OpenAI, { AuthenticationError, BadRequestError, InternalServerError, toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokenEngine } from '../helpers/engines.js';
import { busyServer } from './helpers.js';
import { PHOTOS, photo } from '../helpers/paths.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { dimensions, download } from './helpers.js';

const MODEL = 'bytedance/dreamina-4-0/edit';

function client(server: TestServer, apiKey = server.key) {
  return new OpenAI({ apiKey, baseURL: `${server.url}/openai/v1`, maxRetries: 0 });
}

describe('the openai client against retouch', () => {
  let server: TestServer;
  let openai: OpenAI;
  beforeAll(async () => {
    server = await startServer();
    openai = client(server);
  });
  afterAll(async () => server.close());

  it('edits one image, answering base64 in the asked format, and the request is in the library', async () => {
    const result = await openai.images.edit({
      model: MODEL,
      image: await toFile(photo('coffee.png'), 'coffee.png', { type: 'image/png' }),
      prompt: 'make it brighter',
      size: '1536x1024',
      output_format: 'webp',
    });
    expect(result.created).toBeGreaterThan(0);
    expect(result.data).toHaveLength(1);
    const image = Buffer.from(result.data![0]!.b64_json!, 'base64');
    // An exact size the model does not list, made through the engine's fit.
    expect(await dimensions(image)).toEqual({ width: 1536, height: 1024, format: 'webp' });
    expect(result).toMatchObject({ size: '1536x1024', output_format: 'webp', background: 'opaque' });
    expect(result.usage).toMatchObject({ output_tokens: (1536 * 1024) / 256, total_tokens: (1536 * 1024) / 256 });

    const library = await (await server.api('/v1/requests')).json();
    const item = library.requests.find((r: any) => r.prompt === 'make it brighter');
    expect(item).toMatchObject({ status: 'completed', image_count: 1 });
    const stored = await (await server.api(`/v1/requests/${item.request_id}`)).json();
    expect(stored.input).toMatchObject({ output_size: '1536x1024', surface: { name: 'openai', endpoint: MODEL } });
  });

  it('edits an image array (image[]) and answers a URL when asked, by the alias seedream-4', async () => {
    const result = await openai.images.edit({
      model: 'seedream-4',
      image: [await toFile(photo('horse.png'), 'horse.png', { type: 'image/png' }), await toFile(photo('grass.png'), 'grass.png', { type: 'image/png' })],
      prompt: 'make them a bit darker',
      size: '1024x1024',
      response_format: 'url',
    });
    const url = result.data![0]!.url!;
    expect(url).toContain('/files/outputs/');
    expect(await dimensions(await download(url))).toMatchObject({ width: 1024, height: 1024 });
    const library = await (await server.api('/v1/requests')).json();
    expect(library.requests.find((r: any) => r.prompt === 'make them a bit darker')).toMatchObject({ image_count: 2 });
  });

  it('edits a file stream (the client\'s streaming multipart), sized to match it with size auto', async () => {
    const result = await openai.images.edit({
      model: MODEL,
      image: fs.createReadStream(path.join(PHOTOS, 'chelsea.png')),
      prompt: 'make it warmer',
    });
    // chelsea.png is 451x300: of auto's three sizes, 1536x1024 is nearest its ratio. PNG by default.
    expect(await dimensions(Buffer.from(result.data![0]!.b64_json!, 'base64'))).toEqual({ width: 1536, height: 1024, format: 'png' });
  });

  it('refuses what the model cannot do, naming the parameter, in OpenAI\'s envelope', async () => {
    const image = await toFile(photo('horse.png'), 'horse.png', { type: 'image/png' });
    const cases: [Record<string, unknown>, string][] = [
      [{ mask: await toFile(photo('horse.png'), 'mask.png', { type: 'image/png' }) }, 'mask'],
      [{ n: 2 }, 'n'],
      [{ model: 'gpt-image-1' }, 'model'],
      [{ background: 'transparent' }, 'background'],
      [{ size: '99999x2' }, 'size'],
      [{ prompt: 'x'.repeat(801) }, 'prompt'],
    ];
    for (const [extra, param] of cases) {
      const error = await openai.images.edit({ model: MODEL, image, prompt: 'p', ...extra } as never).catch((e) => e);
      expect(error, param).toBeInstanceOf(BadRequestError);
      expect(error.param, param).toBe(param);
      expect(error.type).toBe('invalid_request_error');
    }
    const notImage = await openai.images.edit({ model: MODEL, image: await toFile(Buffer.from('plain text'), 'a.png'), prompt: 'p' }).catch((e) => e);
    expect(notImage).toBeInstanceOf(BadRequestError);
    expect(notImage).toMatchObject({ param: 'image[0]', code: 'invalid_image' });
    await expect(client(server, 'rt_not-a-key').images.edit({ model: MODEL, image, prompt: 'p' })).rejects.toBeInstanceOf(AuthenticationError);
  });
});

describe('the openai client and a failing engine', () => {
  it('answers a failed edit as a server error the client is told not to retry', async () => {
    const server = await startServer({ engine: new BrokenEngine() });
    try {
      const openai = new OpenAI({ apiKey: server.key, baseURL: `${server.url}/openai/v1`, maxRetries: 2 });
      const error = await openai.images.edit({ model: MODEL, image: await toFile(photo('horse.png'), 'horse.png'), prompt: 'p' }).catch((e) => e);
      expect(error).toBeInstanceOf(InternalServerError);
      expect(error.headers.get('x-should-retry')).toBe('false');
      expect(error.message).not.toContain('segfault');
      // One request, not three: the client did not retry.
      expect((await (await server.api('/v1/requests')).json()).requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});

describe('the openai client and a slow edit', () => {
  it('answers 504 after --sync-timeout, naming the request to follow, and the client does not send it again', async () => {
    const { server, release } = await busyServer({ syncTimeout: '1s' });
    try {
      const openai = new OpenAI({ apiKey: server.key, baseURL: `${server.url}/openai/v1`, maxRetries: 2 });
      const error = await openai.images.edit({ model: MODEL, image: await toFile(photo('horse.png'), 'horse.png'), prompt: 'p' }).catch((e) => e);
      expect(error.status).toBe(504);
      expect(error.headers.get('x-should-retry')).toBe('false');
      const [request] = (await (await server.api('/v1/requests')).json()).requests;
      expect(error.message).toContain(request.request_id);
      expect(request.status).toBe('in_progress');
    } finally {
      release();
      await server.close();
    }
  });
});
