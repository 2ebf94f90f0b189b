/**
 * The jimeng engine: its request signer against Volcengine's own, then the engine through the
 * real server against a fake that checks every signature with @volcengine/openapi's Signer.
 */
import crypto from 'node:crypto';
import { Signer } from '@volcengine/openapi';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../../src/engine/jimeng/sign.js';
import { startPhotoServer, type PhotoServer } from '../../helpers/photo-server.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { startJimengFake } from '../../fakes/jimeng/server.js';
import { downUrl, expectNoUpstreamLinks, outputSizes, QUICK, routedTo, submitAndWait, TWO_REFERENCES } from './helpers.js';

describe('Volcengine request signature', () => {
  it('matches a known vector', () => {
    const headers = signRequest(
      {
        method: 'POST',
        url: new URL('http://127.0.0.1:9000/?Action=CVSync2AsyncSubmitTask&Version=2022-08-31'),
        body: JSON.stringify({ req_key: 'jimeng_t2i_v40', prompt: "héllo (it's) *x*" }),
        region: 'cn-north-1',
        service: 'cv',
        date: new Date(1662609419724),
      },
      { accessKeyId: 'AKLTtest', secretKey: 'c2VjcmV0' },
    );
    expect(headers['X-Date']).toBe('20220908T035659Z');
    expect(headers.Authorization).toBe(
      'HMAC-SHA256 Credential=AKLTtest/20220908/cn-north-1/cv/request, SignedHeaders=host;x-content-sha256;x-date, Signature=479ec01332a24b19fb5fae86ff9f9739fdd54c7f77c9943141ba2fb9b8fcfdde',
    );
  });

  it('agrees with @volcengine/openapi\'s Signer on random queries, bodies and keys', () => {
    for (let i = 0; i < 50; i++) {
      const rand = (n: number) => crypto.randomBytes(n).toString('base64');
      const url = new URL(`https://visual.volcengineapi.com/?Action=A${i}&Version=2022-08-31&X=${encodeURIComponent(`${rand(6)} (*)!'`)}`);
      const body = JSON.stringify({ prompt: `${rand(20)} ünïcode ${i}`, n: i });
      const credentials = { accessKeyId: `AK${rand(8)}`, secretKey: rand(30) };
      const date = new Date(1_700_000_000_000 + i * 86_399_001);
      const mine = signRequest({ method: 'POST', url, body, region: 'cn-north-1', service: 'cv', date }, credentials);
      const request: any = { method: 'POST', region: 'cn-north-1', pathname: '/', params: Object.fromEntries(url.searchParams), headers: { Host: url.host }, body };
      new (Signer as any)(request, 'cv').addAuthorization(credentials, date);
      expect(mine.Authorization).toBe(request.headers.Authorization);
    }
  });
});

describe('jimeng engine', () => {
  let jimeng: Awaited<ReturnType<typeof startJimengFake>>;
  let photos: PhotoServer;
  let server: TestServer | undefined;
  beforeAll(async () => {
    jimeng = await startJimengFake();
    photos = await startPhotoServer();
    process.env.JIMENG_TEST_AK = jimeng.credentials.accessKeyId;
    process.env.JIMENG_TEST_SK = jimeng.credentials.secretKey;
  });
  afterAll(async () => {
    await jimeng.close();
    await photos.close();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    jimeng.submits.length = 0;
  });
  const start = (options: Record<string, unknown> = {}) =>
    startServer({ configure: routedTo('jimeng', { base_url: jimeng.url, access_key_env: 'JIMENG_TEST_AK', secret_key_env: 'JIMENG_TEST_SK', ...options }) });

  it('a two-reference request completes with signed calls; scale, force_single and the size map natively', async () => {
    server = await start();
    const result = await submitAndWait(server, { ...TWO_REFERENCES, image_urls: [`${photos.url}/coffee.png`, TWO_REFERENCES.image_urls[1]], scale: 0.73 });
    expect(result).toMatchObject({ status: 'completed', engine: 'provider', warnings: [] });
    expect(await outputSizes(result)).toEqual(['1024x1024']);
    const sent = jimeng.submits[0];
    expect(sent).toMatchObject({ req_key: 'jimeng_t2i_v40', width: 1024, height: 1024, scale: 0.73, force_single: false });
    // A URL-only provider: the public URL as given, the data URI shared from retouch's own storage.
    expect(sent.image_urls[0]).toBe(`${photos.url}/coffee.png`);
    expect(sent.image_urls[1]).toMatch(new RegExp(`^${server.url}/files/outputs/${result.request_id}/ref-1\\.png\\?expires=\\d+&signature=`));
    expect(jimeng.signatures()).toBeGreaterThanOrEqual(3);
    expectNoUpstreamLinks(result, jimeng.url);

    const set = await submitAndWait(server, { ...TWO_REFERENCES, prompt: 'make three images of it', force_single: false });
    expect(set.output.images).toHaveLength(3);
    const single = await submitAndWait(server, { ...TWO_REFERENCES, prompt: 'make three images of it', force_single: true });
    expect(single.output.images).toHaveLength(1);
    expect(jimeng.submits[2].force_single).toBe(true);
  });

  it('a 50429 is tried again, then succeeds; moderation (50412, 50511) fails at once', async () => {
    server = await start();
    jimeng.failures.push({ status: 429, body: { code: 50429, data: null, message: 'Request Has Reached API Limit, Please Try Later', status: 50429 } });
    expect(await submitAndWait(server, TWO_REFERENCES)).toMatchObject({ status: 'completed', engine: 'provider' });
    expect(jimeng.failures).toHaveLength(0);

    const text = await submitAndWait(server, { ...TWO_REFERENCES, prompt: 'something forbidden' });
    expect(text.error).toEqual({ code: 'content_policy', message: 'Jimeng refused the request under its content policy: the prompt did not pass its review (50412 Text Risk Not Pass).' });
    const output = await submitAndWait(server, { ...TWO_REFERENCES, prompt: 'a blocked output' });
    expect(output.error).toEqual({ code: 'content_policy', message: 'Jimeng refused the request under its content policy: an output image did not pass its review (50511 Post Img Risk Not Pass).' });
    expect(jimeng.submits).toHaveLength(2);
  });

  it('a wrong secret key (the signature refused) or a provider that is down makes builtin serve', async () => {
    process.env.JIMENG_WRONG_SK = 'not-the-secret';
    server = await start({ secret_key_env: 'JIMENG_WRONG_SK' });
    let result = await submitAndWait(server, QUICK);
    expect(result).toMatchObject({ status: 'completed', engine: 'builtin' });
    expect(result.warnings[0]).toContain('Jimeng refused this engine: SignatureDoesNotMatch');
    expect(server.logs.join('\n')).not.toContain('not-the-secret');
    await server.close();
    server = await startServer({ configure: routedTo('jimeng', { base_url: await downUrl(), access_key_env: 'JIMENG_TEST_AK', secret_key_env: 'JIMENG_TEST_SK', max_retries: 0 }) });
    result = await submitAndWait(server, QUICK);
    expect(result).toMatchObject({ status: 'completed', engine: 'builtin' });
    expect(result.warnings[0]).toContain('Jimeng could not be reached (connection refused)');
  });

  it('output links that expired before the download fail the request clearly', async () => {
    server = await start();
    jimeng.outputs.ttlMs = 0;
    try {
      const result = await submitAndWait(server, TWO_REFERENCES);
      expect(result.error).toMatchObject({ code: 'output_expired', message: expect.stringContaining('Jimeng made the image, but its link had expired or been removed (HTTP 403)') });
    } finally {
      jimeng.outputs.ttlMs = 3_600_000;
    }
  });
});
