/**
 * The surfaces' event streams (fal's status/stream, Replicate's urls.stream) on PostgreSQL follow
 * the store's change feed, as the native stream does: while nothing happens they read the request
 * about once a second (the backstop for queue positions) instead of four times a second, and a
 * change made elsewhere (here a cancel through the native route) still reaches them.
 */
import Replicate from 'replicate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANNOUNCED_POLL_MS } from '../../src/api/follow.js';
import { dataUri } from '../helpers/paths.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { freshDatabase, useServices } from '../helpers/services.js';
import { falFor } from './helpers.js';

useServices();

const ENDPOINT = 'fal-ai/bytedance/seedream/v4/edit';
const QUIET_MS = 2_500;

/** The `data:` lines of a server-sent event stream as they arrive, and whether it has ended. */
function dataLines(res: Response) {
  const lines: string[] = [];
  let ended = false;
  const done = (async () => {
    let buffer = '';
    for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      for (const line of parts) if (line.startsWith('data: ')) lines.push(line.slice(6));
    }
    ended = true;
  })();
  return { lines, done, ended: () => ended };
}

describe("the surfaces' event streams on PostgreSQL", () => {
  let server: TestServer;
  const reads = new Map<string, number>();

  beforeAll(async () => {
    // No worker: the requests stay queued, so that only the streams' own reads touch them.
    server = await startServer({ worker: false, settings: { databaseUrl: await freshDatabase() } });
    expect(server.runtime.store.changes).toBeDefined();
    const store = server.runtime.store;
    const get = store.get.bind(store);
    store.get = async (id: string) => {
      reads.set(id, (reads.get(id) ?? 0) + 1);
      return get(id);
    };
  });
  afterAll(async () => server?.close());

  it('read the request on announced changes and a slow backstop, not four times a second', async () => {
    const { request_id: falId } = await falFor(server).queue.submit(ENDPOINT, { input: { prompt: 'p', image_urls: [dataUri('horse.png')] } });
    const fal = dataLines(await fetch(`${server.url}/fal/queue/${ENDPOINT}/requests/${falId}/status/stream`, { headers: { authorization: `Key ${server.key}` } }));

    const replicate = new Replicate({ auth: server.key, baseUrl: `${server.url}/replicate/v1` });
    const prediction = await replicate.predictions.create({ model: 'bytedance/seedream-4', input: { prompt: 'p', image_input: [dataUri('horse.png')] } });
    // The stream is open (its headers sent) before it has any event to send, not at the first keep-alive.
    const opened = fetch(prediction.urls.stream!, { headers: { accept: 'text/event-stream' } });
    const streamed = await Promise.race([opened, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no headers within 10 s')), 10_000))]);
    expect(streamed.status).toBe(200);
    const rep = dataLines(streamed);

    await expect.poll(() => fal.lines.length).toBe(1);
    expect(JSON.parse(fal.lines[0]!)).toMatchObject({ status: 'IN_QUEUE', request_id: falId });

    // While both wait in the queue: a read per backstop period, not one every 250 ms.
    const before = { fal: reads.get(falId) ?? 0, rep: reads.get(prediction.id) ?? 0 };
    await new Promise((r) => setTimeout(r, QUIET_MS));
    const most = Math.ceil(QUIET_MS / ANNOUNCED_POLL_MS) + 1;
    expect((reads.get(falId) ?? 0) - before.fal).toBeLessThanOrEqual(most);
    expect((reads.get(prediction.id) ?? 0) - before.rep).toBeLessThanOrEqual(most);

    // Changed elsewhere: both streams hear of it and end.
    for (const id of [falId, prediction.id]) expect((await server.api(`/v1/requests/${id}/cancel`, { method: 'POST' })).status).toBe(200);
    await Promise.all([fal.done, rep.done]);
    expect(JSON.parse(fal.lines.at(-1)!)).toMatchObject({ status: 'COMPLETED', error_type: 'client_cancelled' });
    expect(JSON.parse(rep.lines.at(-1)!)).toEqual({ reason: 'canceled' });
  });
});
