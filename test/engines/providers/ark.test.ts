/**
 * The ark engine through the real server, against a fake that speaks Ark's image API and event
 * stream: references, sizes, sets and force_single mapped; a 429 retried; a moderation refusal
 * failed at once; a down provider falling back; expired output links failing clearly.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPhotoServer, type PhotoServer } from '../../helpers/photo-server.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { startArkFake } from '../../fakes/ark/server.js';
import { downUrl, expectNoUpstreamLinks, QUICK, outputSizes, routedTo, submitAndWait, TWO_REFERENCES } from './helpers.js';

describe('ark engine', () => {
  let ark: Awaited<ReturnType<typeof startArkFake>>;
  let photos: PhotoServer;
  let server: TestServer | undefined;
  beforeAll(async () => {
    ark = await startArkFake();
    photos = await startPhotoServer();
    process.env.ARK_TEST_KEY = ark.key;
  });
  afterAll(async () => {
    await ark.close();
    await photos.close();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    ark.calls.length = 0;
    ark.failures.length = 0;
  });
  const start = (options: Record<string, unknown> = {}) =>
    startServer({ configure: routedTo('ark', { base_url: ark.url, api_key_env: 'ARK_TEST_KEY', ...options }) });

  it('a two-reference request completes with Ark outputs at the exact size, streamed, without watermark', async () => {
    server = await start();
    const result = await submitAndWait(server, { ...TWO_REFERENCES, image_urls: [`${photos.url}/coffee.png`, TWO_REFERENCES.image_urls[1]], scale: 0.8 });
    expect(result).toMatchObject({ status: 'completed', engine: 'provider' });
    expect(await outputSizes(result)).toEqual(['1024x1024']);
    const sent = ark.calls[0]!.body;
    expect(sent).toMatchObject({ model: 'seedream-4-0-250828', size: '1024x1024', stream: true, watermark: false, response_format: 'url', sequential_image_generation: 'auto' });
    expect(sent.sequential_image_generation_options).toEqual({ max_images: 13 });
    // The public URL went as it was; the data URI as a data URI.
    expect(sent.image[0]).toBe(`${photos.url}/coffee.png`);
    expect(sent.image[1]).toMatch(/^data:image\/png;base64,/);
    expect(result.warnings).toEqual([expect.stringContaining('Ark has no equivalent of scale, so scale 0.8 was not applied')]);
    expectNoUpstreamLinks(result, ark.url);

    const stored = server.runtime.db!.prepare('SELECT result FROM requests WHERE id = ?').pluck().get(result.request_id) as string;
    const kept = JSON.parse(stored);
    expect(kept.usage).toMatchObject({ provider: 'ark', images: 1, generated_images: 1, output_tokens: 4096 });
    expect(kept.metadata.outputs[0]).toMatch(/\/cdn\/out-\d+-\w+\.jpg\?…$/);
    const usage = await (await server.api('/v1/usage?days=1')).json();
    expect(usage.days[0]).toMatchObject({ upstream_images: 1 });
  });

  it('force_single asks for one image; a set comes back as every image, one refused with a warning', async () => {
    server = await start();
    const single = await submitAndWait(server, { ...TWO_REFERENCES, prompt: 'make 3 images of the horse', force_single: true });
    expect(single.output.images).toHaveLength(1);
    expect(ark.calls[0]!.body.sequential_image_generation).toBe('disabled');
    expect(ark.calls[0]!.body.sequential_image_generation_options).toBeUndefined();

    const set = await submitAndWait(server, { ...TWO_REFERENCES, prompt: 'make 3 images of the horse, blocked second', 'width×height': '2304x1728(4:3)' });
    expect(set.status).toBe('completed');
    expect(await outputSizes(set)).toEqual(['2304x1728', '2304x1728']);
    expect(set.warnings).toContainEqual(expect.stringMatching(/^Ark did not deliver image 2 of the set: .*OutputImageSensitiveContentDetected/));
  });

  it('Seedream 4.5 makes no 1024x1024: it is made at 1920x1920 and scaled, with one warning', async () => {
    server = await start({ model: 'seedream-4-5-251128' });
    const result = await submitAndWait(server, { ...TWO_REFERENCES, force_single: true });
    expect(ark.calls[0]!.body.size).toBe('1920x1920');
    expect(await outputSizes(result)).toEqual(['1024x1024']);
    expect(result.warnings).toEqual([
      "Ark's seedream-4-5-251128 makes no image as small as 1024x1024, so it made 1920x1920 and retouch scaled it to the requested size.",
    ]);
  });

  it('a 429 is tried again, then succeeds', async () => {
    server = await start();
    ark.failures.push({ status: 429, body: { error: { code: 'RateLimitExceeded.EndpointRPMExceeded', message: 'Request rate limit exceeded', type: 'TooManyRequests' } } });
    const result = await submitAndWait(server, TWO_REFERENCES);
    expect(result).toMatchObject({ status: 'completed', engine: 'provider' });
    expect(ark.failures).toHaveLength(0);
    expect(ark.calls).toHaveLength(1);
  });

  it('a moderation refusal fails the request at once, with Ark\'s reason and the content_policy code', async () => {
    server = await start();
    const result = await submitAndWait(server, { ...TWO_REFERENCES, prompt: 'something forbidden' });
    expect(result.status).toBe('failed');
    expect(result.error.code).toBe('content_policy');
    expect(result.error.message).toBe(
      'Ark refused the request under its content policy: The request failed because the input text may contain sensitive information (InputTextSensitiveContentDetected).',
    );
    expect(ark.calls).toHaveLength(0);
  });

  it('a refused key or a provider that is down makes builtin serve, saying so', async () => {
    process.env.ARK_WRONG_KEY = 'not-the-key';
    server = await start({ api_key_env: 'ARK_WRONG_KEY' });
    let result = await submitAndWait(server, QUICK);
    expect(result).toMatchObject({ status: 'completed', engine: 'builtin' });
    expect(result.warnings[0]).toMatch(/^The engine "provider" could not run this request \(Ark refused this engine: .*AuthenticationError.*\), so "builtin" did\.$/);
    expect(server.logs.some((l) => l.includes('refused this engine') && l.includes('"level":50'))).toBe(true);
    expect(server.logs.join('\n')).not.toContain('not-the-key');
    await server.close();

    server = await startServer({ configure: routedTo('ark', { base_url: await downUrl('/api/v3'), api_key_env: 'ARK_TEST_KEY', max_retries: 1 }) });
    result = await submitAndWait(server, QUICK);
    expect(result).toMatchObject({ status: 'completed', engine: 'builtin' });
    expect(result.warnings[0]).toContain('Ark could not be reached (connection refused)');
  });

  it('output links that expired before the download fail the request clearly', async () => {
    server = await start();
    ark.outputs.ttlMs = 0;
    try {
      const result = await submitAndWait(server, TWO_REFERENCES);
      expect(result.status).toBe('failed');
      expect(result.error).toEqual({
        code: 'output_expired',
        message: "Ark made the image, but its link had expired or been removed (HTTP 403) before retouch could download output 1. The provider's job was not run again.",
      });
    } finally {
      ark.outputs.ttlMs = 3_600_000;
    }
  });
});
