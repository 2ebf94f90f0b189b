/**
 * The replicate engine through the real server, against a fake of Replicate's predictions API;
 * the fake itself is checked with Replicate's official client.
 */
import Replicate from 'replicate';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../../helpers/server.js';
import { startReplicateFake } from '../../fakes/replicate/server.js';
import { downUrl, expectNoUpstreamLinks, outputSizes, QUICK, routedTo, submitAndWait, TWO_REFERENCES } from './helpers.js';

describe('replicate engine', () => {
  let rep: Awaited<ReturnType<typeof startReplicateFake>>;
  let server: TestServer | undefined;
  beforeAll(async () => {
    rep = await startReplicateFake();
    process.env.REPLICATE_TEST_TOKEN = rep.token;
  });
  afterAll(() => rep.close());
  afterEach(async () => {
    await server?.close();
    server = undefined;
    rep.creates.length = 0;
  });
  const start = (options: Record<string, unknown> = {}) =>
    startServer({ configure: routedTo('replicate', { base_url: rep.url, api_key_env: 'REPLICATE_TEST_TOKEN', wait: 1, ...options }) });

  it('the fake answers Replicate\'s own client (create with wait, get, cancel)', async () => {
    const client = new Replicate({ auth: rep.token, baseUrl: rep.url });
    const created = await client.predictions.create({
      model: 'bytedance/seedream-4',
      input: { prompt: 'p', image_input: [], size: 'custom', width: 1024, height: 1024, max_images: 1 },
      wait: 1,
    } as never);
    expect(['processing', 'succeeded']).toContain(created.status);
    const got = await client.predictions.get(created.id);
    expect(got.id).toBe(created.id);
    const cancelled = await client.predictions.cancel(created.id);
    expect(['canceled', 'succeeded']).toContain(cancelled.status);
  });

  it('a two-reference request completes at the exact size; force_single and sets map; 4K+ sizes are made at 4K and scaled', async () => {
    server = await start();
    const result = await submitAndWait(server, TWO_REFERENCES);
    expect(result).toMatchObject({ status: 'completed', engine: 'provider', warnings: [] });
    expect(await outputSizes(result)).toEqual(['1024x1024']);
    expect(rep.creates[0]!.prefer).toBe('wait=1');
    expect(rep.creates[0]!.input).toMatchObject({ size: 'custom', width: 1024, height: 1024, sequential_image_generation: 'auto', max_images: 13, enhance_prompt: false });
    expect(rep.creates[0]!.input.image_input).toHaveLength(2);
    expectNoUpstreamLinks(result, rep.url);

    const set = await submitAndWait(server, { ...TWO_REFERENCES, prompt: 'make two images of it' });
    expect(set.output.images).toHaveLength(2);
    const single = await submitAndWait(server, { ...TWO_REFERENCES, prompt: 'make two images of it', force_single: true });
    expect(single.output.images).toHaveLength(1);
    expect(rep.creates[2]!.input).toMatchObject({ sequential_image_generation: 'disabled', max_images: 1 });

    const wide = await submitAndWait(server, { ...TWO_REFERENCES, 'width×height': '6198x2656(21:9)', force_single: true }, 120_000);
    expect(rep.creates[3]!.input).toMatchObject({ size: '4K', aspect_ratio: '21:9' });
    expect(await outputSizes(wide)).toEqual(['6198x2656']);
    expect(wide.warnings).toEqual([
      "Replicate's model makes at most 4096 pixels a side, so it made a 4K image of the same shape and retouch scaled it to the requested 6198x2656.",
    ]);
  });

  it('a 429 ("resets in ~1s") is tried again, then succeeds; a moderation failure fails at once', async () => {
    server = await start();
    rep.failures.push({ status: 429, body: { detail: 'Request was throttled. Your rate limit resets in ~1s.', status: 429 } });
    const before = Date.now();
    expect(await submitAndWait(server, TWO_REFERENCES)).toMatchObject({ status: 'completed', engine: 'provider' });
    expect(Date.now() - before).toBeGreaterThanOrEqual(1000);
    const refused = await submitAndWait(server, { ...TWO_REFERENCES, prompt: 'something forbidden' });
    expect(refused.error).toEqual({
      code: 'content_policy',
      message: 'Replicate refused the request under its content policy: The input or output was flagged as sensitive. Please try again with different inputs. (E005).',
    });
    expect(rep.creates).toHaveLength(2);
  });

  it('a provider that is down makes builtin serve, saying so', async () => {
    server = await startServer({ configure: routedTo('replicate', { base_url: await downUrl('/v1'), api_key_env: 'REPLICATE_TEST_TOKEN', max_retries: 0 }) });
    const result = await submitAndWait(server, QUICK);
    expect(result).toMatchObject({ status: 'completed', engine: 'builtin' });
    expect(result.warnings[0]).toContain('Replicate could not be reached (connection refused)');
  });

  it('outputs Replicate already deleted (data_removed) fail the request clearly', async () => {
    server = await start();
    rep.outputs.ttlMs = 0;
    try {
      const result = await submitAndWait(server, TWO_REFERENCES);
      expect(result.error.code).toBe('output_expired');
    } finally {
      rep.outputs.ttlMs = 3_600_000;
    }
  });
});
