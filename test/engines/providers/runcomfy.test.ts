/**
 * The runcomfy engine: retouch in front of retouch. The upstream is a second real retouch server,
 * which speaks the hosted Model API's contract exactly (submit, status, result, cancel, its error
 * envelope and 429001 with Retry-After).
 */
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineRequestError } from '../../../src/engine/errors.js';
import type { Engine } from '../../../src/engine/types.js';
import { GatedEngine } from '../../helpers/engines.js';
import { tempDir } from '../../helpers/paths.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { downUrl, expectNoUpstreamLinks, outputSizes, QUICK, routedTo, submitAndWait, TWO_REFERENCES, until } from './helpers.js';


/**
 * The upstream retouch's engine: a picture of the requested size, made at once. The upstream is
 * the provider here, and what it draws is not under test; its contract is.
 */
const quick: Engine = {
  name: 'builtin',
  async run(request) {
    const data = await sharp({ create: { width: request.width, height: request.height, channels: 3, background: '#3a6' } }).jpeg().toBuffer();
    return { images: [{ data, format: 'jpeg', width: request.width, height: request.height }], edits: [], warnings: [] };
  },
};

describe('runcomfy engine (retouch in front of retouch)', () => {
  const servers: TestServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0).reverse()) await s.close();
  });
  async function pair(upstream: { engine?: Engine; settings?: Record<string, string> } = {}, front: { dataDir?: string; worker?: boolean } = {}) {
    const back = await startServer({ engine: upstream.engine ?? quick, settings: upstream.settings as never });
    servers.push(back);
    process.env.RUNCOMFY_TEST_KEY = back.key;
    const server = await startServer({ ...front, configure: routedTo('runcomfy', { base_url: back.url, api_key_env: 'RUNCOMFY_TEST_KEY' }) });
    servers.push(server);
    return { back, server };
  }

  it('a two-reference request runs upstream and its outputs are stored here at the exact size', async () => {
    const { back, server } = await pair();
    const result = await submitAndWait(server, { ...TWO_REFERENCES, prompt: 'make it brighter', scale: 0.7 });
    expect(result).toMatchObject({ status: 'completed', engine: 'provider', warnings: [] });
    expect(await outputSizes(result)).toEqual(['1024x1024']);
    expect(result.output.image.startsWith(server.url)).toBe(true);
    expectNoUpstreamLinks(result, back.url);
    // The upstream saw the seed's own input, the references shared from the front's storage.
    const [upstream] = (await (await back.api('/v1/requests?limit=1')).json()).requests;
    const { input } = await (await back.api(`/v1/requests/${upstream.request_id}`)).json();
    expect(input).toMatchObject({ 'width×height': '1024x1024(1:1)', scale: 0.7, force_single: false });
    expect(input.image_urls[0]).toMatch(new RegExp(`^${server.url}/files/outputs/${result.request_id}/ref-0\\.png\\?`));
  });

  it('a refusal upstream fails the request with its words and no retry; a down upstream falls back', async () => {
    let runs = 0;
    const refusing: Engine = {
      name: 'builtin',
      async run() {
        runs++;
        throw new EngineRequestError('content_policy', 'The prompt was refused by the content policy.');
      },
    };
    const { server } = await pair({ engine: refusing });
    const refused = await submitAndWait(server, TWO_REFERENCES);
    expect(refused.error).toEqual({ code: 'content_policy', message: 'The hosted Model API refused the request under its content policy: The prompt was refused by the content policy.' });
    expect(runs).toBe(1);

    const down = await startServer({ configure: routedTo('runcomfy', { base_url: await downUrl(), api_key_env: 'RUNCOMFY_TEST_KEY', max_retries: 0 }) });
    servers.push(down);
    const result = await submitAndWait(down, QUICK);
    expect(result).toMatchObject({ status: 'completed', engine: 'builtin' });
    expect(result.warnings[0]).toContain('The hosted Model API could not be reached (connection refused)');
  });

  it('a full upstream queue (429001 with Retry-After) is waited out, then the request succeeds', async () => {
    const gated = new GatedEngine();
    const { back, server } = await pair({ engine: gated, settings: { maxQueue: '1', concurrency: '1' } });
    const running = (await (await back.submit(QUICK)).json()).request_id;
    await until(async () => gated.started, (n) => n === 1);
    const queued = (await (await back.submit(QUICK)).json()).request_id;
    expect((await back.submit(QUICK)).status).toBe(429);
    const front = (await (await server.submit(QUICK)).json()).request_id;
    await new Promise((r) => setTimeout(r, 800));
    gated.release();
    const result = await server.waitForResult(front, 60_000);
    expect(result).toMatchObject({ status: 'completed', engine: 'provider' });
    expect(server.logs.some((l) => l.includes('upstream asked to try again later') && l.includes('"status":429'))).toBe(true);
    await back.waitForResult(running);
    await back.waitForResult(queued);
  });

  it('a request sent upstream, back in the queue after its worker stopped, is cancelled upstream too when cancelled here', async () => {
    const gated = new GatedEngine();
    const dataDir = tempDir();
    const { back, server } = await pair({ engine: gated, settings: { concurrency: '1' } }, { dataDir });
    // The upstream is busy: the front's job waits in its queue.
    const busy = (await (await back.submit(QUICK)).json()).request_id;
    await until(async () => gated.started, (n) => n === 1);
    const id = (await (await server.submit(QUICK)).json()).request_id;
    const upstreamId = await until(
      async () => (await (await back.api('/v1/requests?limit=5')).json()).requests as { request_id: string; status: string }[],
      (items) => items.some((i) => i.request_id !== busy && i.status === 'in_queue'),
    ).then((items) => items.find((i) => i.request_id !== busy)!.request_id);
    // The front's worker stops past its grace: the request goes back to the queue, its upstream job kept.
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    const apiOnly = await startServer({ dataDir, worker: false, configure: routedTo('runcomfy', { base_url: back.url, api_key_env: 'RUNCOMFY_TEST_KEY' }) });
    servers.push(apiOnly);
    const key = server.key;
    expect((await (await apiOnly.api(`/v1/requests/${id}/status`, { key })).json()).status).toBe('in_queue');
    const cancel = await apiOnly.api(`/v1/requests/${id}/cancel`, { method: 'POST', key });
    expect(await cancel.json()).toEqual({ request_id: id, status: 'cancelled' });
    const upstream = await until(async () => (await back.api(`/v1/requests/${upstreamId}/status`)).json(), (s: { status: string }) => s.status === 'cancelled');
    expect(upstream.status).toBe('cancelled');
    gated.release();
    await back.waitForResult(busy);
  });
});
