/**
 * The account's limits hold whichever API a request comes through: an app on Replicate's, fal's or
 * OpenAI's surface is refused with 429 and Retry-After in its provider's shape, and the refusal
 * counts nothing.
 */
import OpenAI, { RateLimitError, toFile } from 'openai';
import Replicate from 'replicate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { dataUri, photo } from '../helpers/paths.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { falFor } from './helpers.js';

describe('account limits through the surfaces', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ configure: (config: Config) => void (config.limits = { rpm: 1 }), worker: false });
  });
  afterAll(async () => server.close());

  it('refuses the second submit of the minute on every surface, as each provider refuses', async () => {
    const replicate = new Replicate({ auth: server.key, baseUrl: `${server.url}/replicate/v1` });
    await replicate.predictions.create({ model: 'bytedance/seedream-4', input: { prompt: 'p', image_input: [dataUri('horse.png')] } });

    const again = await fetch(`${server.url}/replicate/v1/models/bytedance/seedream-4/predictions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input: { prompt: 'p', image_input: [dataUri('horse.png')] } }),
    });
    expect(again.status).toBe(429);
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await again.json()).toMatchObject({ status: 429, detail: expect.stringContaining('limit rpm') });

    const fal = await falFor(server).queue.submit('fal-ai/bytedance/seedream/v4/edit', { input: { prompt: 'p', image_urls: [dataUri('horse.png')] } }).catch((e) => e);
    expect(fal.status).toBe(429);

    const openai = new OpenAI({ apiKey: server.key, baseURL: `${server.url}/openai/v1`, maxRetries: 0 });
    const refused = await openai.images.edit({ image: await toFile(photo('horse.png'), 'horse.png'), prompt: 'p' }).catch((e) => e);
    expect(refused).toBeInstanceOf(RateLimitError);
    expect(refused.headers.get('retry-after')).toBeTruthy();

    // Only the first was stored.
    expect((await (await server.api('/v1/requests')).json()).requests).toHaveLength(1);
  });
});
