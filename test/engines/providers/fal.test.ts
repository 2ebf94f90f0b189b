/**
 * The fal engine through the real server, against a fake of fal's queue; the fake itself is
 * checked with fal's official client, so that it speaks the protocol that client expects.
 */
import { createFalClient } from '@fal-ai/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../../helpers/server.js';
import { startFalFake } from '../../fakes/fal/server.js';
import { downUrl, expectNoUpstreamLinks, outputSizes, QUICK, routedTo, submitAndWait, TWO_REFERENCES, until } from './helpers.js';

describe('fal engine', () => {
  let fal: Awaited<ReturnType<typeof startFalFake>>;
  let server: TestServer | undefined;
  beforeAll(async () => {
    fal = await startFalFake();
    process.env.FAL_TEST_KEY = fal.key;
  });
  afterAll(() => fal.close());
  afterEach(async () => {
    await server?.close();
    server = undefined;
    fal.submits.length = 0;
    fal.statusPaths.length = 0;
  });
  const start = (options: Record<string, unknown> = {}) => startServer({ configure: routedTo('fal', { base_url: fal.url, api_key_env: 'FAL_TEST_KEY', ...options }) });

  it('the fake answers fal\'s own client as fal does (submit, status on the app root, result)', async () => {
    const client = createFalClient({ credentials: fal.key, fetch: ((input: string | URL | Request, init?: RequestInit) => fetch(String(input instanceof Request ? input.url : input).replace('https://queue.fal.run', fal.url), init)) as typeof fetch });
    const submitted = await client.queue.submit('fal-ai/bytedance/seedream/v4/edit', {
      input: { prompt: 'p', image_urls: [TWO_REFERENCES.image_urls[0]!], image_size: { width: 1024, height: 1024 }, num_images: 1, max_images: 1 },
    });
    expect(submitted.request_id).toBeTruthy();
    let status = await client.queue.status('fal-ai/bytedance/seedream/v4/edit', { requestId: submitted.request_id });
    while (status.status !== 'COMPLETED') status = await client.queue.status('fal-ai/bytedance/seedream/v4/edit', { requestId: submitted.request_id });
    const result = await client.queue.result('fal-ai/bytedance/seedream/v4/edit', { requestId: submitted.request_id });
    expect((result.data as { images: unknown[] }).images).toHaveLength(1);
    expect(fal.statusPaths.every((p) => p.startsWith('/fal-ai/bytedance/requests/'))).toBe(true);
  });

  it('a two-reference request completes with fal outputs at the exact size; force_single and sets map', async () => {
    server = await start();
    const result = await submitAndWait(server, TWO_REFERENCES);
    expect(result).toMatchObject({ status: 'completed', engine: 'provider', warnings: [] });
    expect(await outputSizes(result)).toEqual(['1024x1024']);
    expect(fal.submits[0]).toMatchObject({ image_size: { width: 1024, height: 1024 }, num_images: 1, max_images: 6, enable_safety_checker: true, sync_mode: false });
    expect(fal.submits[0].image_urls).toHaveLength(2);
    expect(fal.statusPaths[0]).toMatch(/^\/fal-ai\/bytedance\/requests\/[\w-]+\/status$/);
    expectNoUpstreamLinks(result, fal.url);

    const set = await submitAndWait(server, { ...TWO_REFERENCES, prompt: 'make 3 images of it', 'width×height': '2496x1664(3:2)' });
    expect(await outputSizes(set)).toEqual(['2496x1664', '2496x1664', '2496x1664']);
    const single = await submitAndWait(server, { ...TWO_REFERENCES, prompt: 'make 3 images of it', force_single: true });
    expect(single.output.images).toHaveLength(1);
    expect(fal.submits[2]).toMatchObject({ num_images: 1, max_images: 1 });
  });

  it('a 429 is tried again, then succeeds; a moderation refusal fails at once with fal\'s words', async () => {
    server = await start();
    fal.failures.push({ status: 429, body: { detail: 'Too many requests' }, headers: { 'retry-after': '1' } });
    const before = Date.now();
    expect(await submitAndWait(server, TWO_REFERENCES)).toMatchObject({ status: 'completed', engine: 'provider' });
    // Its Retry-After was honoured.
    expect(Date.now() - before).toBeGreaterThanOrEqual(1000);
    const refused = await submitAndWait(server, { ...TWO_REFERENCES, prompt: 'something forbidden' });
    expect(refused.error).toEqual({
      code: 'content_policy',
      message: 'fal refused the request under its content policy: prompt: The content could not be processed because it contained material flagged by a content checker.',
    });
    expect(fal.submits).toHaveLength(2);
  });

  it('a provider that is down makes builtin serve, saying so', async () => {
    server = await startServer({ configure: routedTo('fal', { base_url: await downUrl(), api_key_env: 'FAL_TEST_KEY', max_retries: 1 }) });
    const result = await submitAndWait(server, QUICK);
    expect(result).toMatchObject({ status: 'completed', engine: 'builtin' });
    expect(result.warnings[0]).toContain('fal could not be reached (connection refused)');
  });

  it('output links that expired before the download fail the request clearly', async () => {
    server = await start();
    fal.outputs.ttlMs = 0;
    try {
      const result = await submitAndWait(server, TWO_REFERENCES);
      expect(result.error).toMatchObject({ code: 'output_expired', message: expect.stringContaining('fal made the image, but its link had expired or been removed (HTTP 404)') });
    } finally {
      fal.outputs.ttlMs = 3_600_000;
    }
  });

  it('a job the engine gives up on (its timeout) is cancelled at fal', async () => {
    fal.gate.close();
    try {
      server = await startServer({ configure: routedTo('fal', { base_url: fal.url, api_key_env: 'FAL_TEST_KEY' }, { timeoutMs: 1500, chain: ['provider'] }) });
      const result = await submitAndWait(server, TWO_REFERENCES);
      expect(result.error.code).toBe('engine_unavailable');
      expect(result.error.message).toContain('it did not finish within its timeout of 1500 ms');
      const id = [...fal.jobs.values()].at(-1)!.id;
      expect(fal.cancels).toContain(id);
    } finally {
      fal.gate.release();
    }
  });

  it('a job left behind when a throttled status check falls back is cancelled at fal (regression: it kept running, and billing)', async () => {
    server = await startServer({ configure: routedTo('fal', { base_url: fal.url, api_key_env: 'FAL_TEST_KEY' }, { timeoutMs: 5_000 }) });
    // fal asks for a wait longer than the engine's timeout leaves: the engine gives up before it.
    fal.statusFailures.push({ status: 429, body: { detail: 'Too many requests' }, headers: { 'retry-after': '30' } });
    const result = await submitAndWait(server, QUICK);
    expect(result).toMatchObject({ status: 'completed', engine: 'builtin' });
    expect(result.warnings[0]).toContain('would pass its timeout');
    const id = [...fal.jobs.values()].at(-1)!.id;
    expect(fal.cancels).toContain(id);
  });

  it('a submit answered 503 is sent again; one answered 502 is not, since fal may have started it (regression: it was repeated and paid twice)', async () => {
    server = await start();
    fal.failures.push({ status: 503, body: { detail: 'Service Unavailable' } });
    expect(await submitAndWait(server, TWO_REFERENCES)).toMatchObject({ status: 'completed', engine: 'provider' });
    expect(fal.submits).toHaveLength(1);
    expect(fal.failures).toHaveLength(0);

    fal.failures.push({ status: 502, body: { detail: 'Bad Gateway' } });
    const gateway = await submitAndWait(server, QUICK);
    expect(gateway).toMatchObject({ status: 'completed', engine: 'builtin' });
    expect(gateway.warnings[0]).toContain('fal answered the submit with HTTP 502; it was not sent again, since fal may have started it');
    expect(fal.submits).toHaveLength(1);
  });

  it('an output that cannot be downloaded fails in fixed words, naming no host or path of the provider (regression: the redirect target leaked)', async () => {
    server = await start();
    fal.outputs.redirectForever = true;
    try {
      const result = await submitAndWait(server, TWO_REFERENCES);
      expect(result.error).toEqual({ code: 'upstream_failed', message: 'fal made output 1, but it could not be downloaded: its link redirected too many times.' });
      expectNoUpstreamLinks(result, fal.url);
    } finally {
      fal.outputs.redirectForever = false;
    }
  });

  it('a refusal that echoes an input data URI shows no base64 to the client (regression: the provider\'s echo reached the error)', async () => {
    server = await start();
    const echoed = TWO_REFERENCES.image_urls[0]!;
    fal.failures.push({ status: 422, body: { detail: [{ loc: ['body', 'image_urls', 0], msg: `Could not read the image ${echoed}`, type: 'file_download_error', input: echoed }] } });
    const result = await submitAndWait(server, TWO_REFERENCES);
    expect(result.error).toEqual({ code: 'invalid_input', message: 'fal refused the input: image_urls.0: Could not read the image (data).' });
    // Nor the same base64 cut off before its "data:" prefix.
    fal.failures.push({ status: 422, body: { detail: [{ loc: ['body', 'prompt'], msg: `unexpected ${echoed.slice(40, 400)}`, type: 'value_error' }] } });
    const cut = await submitAndWait(server, TWO_REFERENCES);
    expect(cut.error.message).toBe('fal refused the input: prompt: unexpected (data).');
  });

  it('the first output that fails stops the other downloads at once (regression: they ran on to their own timeouts)', async () => {
    server = await start();
    fal.outputs.script = ['expired', 'hang', 'hang'];
    try {
      const result = await submitAndWait(server, { ...TWO_REFERENCES, prompt: 'make 3 images of it' }, 20_000);
      expect(result.error.code).toBe('output_expired');
      // The two downloads the CDN held were closed by retouch, not left to their 30 s timeouts.
      await until(async () => fal.outputs.hanging, (n) => n === 0, 5_000);
    } finally {
      fal.outputs.script = [];
    }
  });
});
