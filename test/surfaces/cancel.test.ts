/**
 * A cancel made through a surface does all that the native cancel does: a request that an earlier
 * attempt sent upstream (its checkpoint kept while it went back to the queue) has its upstream job
 * cancelled too, and the cancel is counted in retouch_requests_finished_total. Through fal's queue
 * cancel, Replicate's predictions.cancel, and the cancel of a synchronous call (fal.run, OpenAI's
 * images.edit) whose caller left (the same cancel as when --sync-timeout passes).
 */
import OpenAI, { toFile } from 'openai';
import Replicate from 'replicate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EditRequest, Engine, EngineResult } from '../../src/engine/types.js';
import { dataUri, photo } from '../helpers/paths.js';
import { promSamples, promValue } from '../helpers/prometheus.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { falFor } from './helpers.js';

const MODEL = 'bytedance/dreamina-4-0/edit';
const ENDPOINT = 'fal-ai/bytedance/seedream/v4/edit';
const FAL_INPUT = { prompt: 'p', image_urls: [dataUri('horse.png')], image_size: 'square_hd' as const };

/** An engine that sends jobs "upstream": it never runs here, and it keeps what it is asked to cancel. */
class UpstreamEngine implements Engine {
  readonly name = 'upstream';
  readonly cancelled: unknown[] = [];
  async run(_request: EditRequest): Promise<EngineResult> {
    throw new Error('not run in these tests: no worker');
  }
  async cancel(state: unknown): Promise<void> {
    this.cancelled.push(state);
  }
}

describe('cancels through the surfaces', () => {
  let server: TestServer;
  let upstream: UpstreamEngine;

  beforeEach(async () => {
    upstream = new UpstreamEngine();
    // An API node without a worker: requests stay queued until the test plays the worker.
    server = await startServer({
      worker: false,
      engines: { upstream },
      configure: (c) => {
        c.engines.upstream = { type: 'test', options: {}, cooldownMs: 0 };
        c.routes = new Map([[MODEL, ['upstream']]]);
      },
    });
  });
  afterEach(async () => server.close());

  /**
   * What a worker leaves behind when it sent the request upstream and then stopped: the request
   * back in the queue, with the engine's checkpoint (the upstream job) kept.
   */
  const sentUpstreamThenRequeued = async (id: string) => {
    const store = server.runtime.store;
    const claimed = await store.claim('test-worker', 60_000, Date.now());
    expect(claimed?.id).toBe(id);
    expect(await store.saveEngineState(id, 'test-worker', { engine: 'upstream', state: { job: `job-of-${id}` } })).toBe(true);
    expect(await store.release(id, 'test-worker')).toBe(true);
    expect((await store.get(id))?.status).toBe('in_queue');
  };

  const cancelledCount = async () => promValue(promSamples(await server.runtime.metrics.registry.metrics()), 'retouch_requests_finished_total', { model: MODEL, status: 'cancelled' }) ?? 0;

  const expectUpstreamCancelled = async (id: string) => {
    await expect.poll(() => upstream.cancelled).toEqual([{ job: `job-of-${id}` }]);
    expect(await cancelledCount()).toBe(1);
    expect((await server.runtime.store.get(id))?.status).toBe('cancelled');
  };

  /** The id of the one request, once a synchronous call has queued it. */
  const queuedRequest = async (): Promise<string> => {
    const { accountId } = (await server.runtime.keys.authenticate(server.key))!;
    let found: string | undefined;
    await expect.poll(async () => (found = (await server.runtime.store.listByAccount(accountId, { limit: 1 })).items[0]?.id)).toBeDefined();
    return found!;
  };

  it("fal's queue cancel", async () => {
    const fal = falFor(server);
    const { request_id: id } = await fal.queue.submit(ENDPOINT, { input: FAL_INPUT });
    await sentUpstreamThenRequeued(id);
    await fal.queue.cancel(ENDPOINT, { requestId: id });
    await expectUpstreamCancelled(id);
  });

  it("Replicate's predictions.cancel", async () => {
    const replicate = new Replicate({ auth: server.key, baseUrl: `${server.url}/replicate/v1` });
    const { id } = await replicate.predictions.create({ model: 'bytedance/seedream-4', input: { prompt: 'p', image_input: [dataUri('horse.png')] } });
    await sentUpstreamThenRequeued(id);
    expect((await replicate.predictions.cancel(id)).status).toBe('canceled');
    await expectUpstreamCancelled(id);
  });

  // The caller leaves once the request is checkpointed: no timer races the test's steps.
  it('fal.run whose caller leaves', async () => {
    const fal = falFor(server);
    const leave = new AbortController();
    const run = fal.run(ENDPOINT, { input: FAL_INPUT, abortSignal: leave.signal }).catch((e) => e);
    const id = await queuedRequest();
    await sentUpstreamThenRequeued(id);
    leave.abort();
    expect(await run).toBeInstanceOf(Error);
    await expectUpstreamCancelled(id);
  });

  it("OpenAI's images.edit whose caller leaves", async () => {
    const openai = new OpenAI({ apiKey: server.key, baseURL: `${server.url}/openai/v1`, maxRetries: 0 });
    const leave = new AbortController();
    const image = await toFile(photo('horse.png'), 'horse.png', { type: 'image/png' });
    const edit = openai.images.edit({ model: 'seedream-4', image, prompt: 'p' }, { signal: leave.signal }).catch((e) => e);
    const id = await queuedRequest();
    await sentUpstreamThenRequeued(id);
    leave.abort();
    expect(await edit).toBeInstanceOf(Error);
    await expectUpstreamCancelled(id);
  });
});
