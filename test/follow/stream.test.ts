/** Server-sent events: order, resumption with Last-Event-ID, keep-alive, ownership. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatedEngine } from '../helpers/engines.js';
import { dataUri } from '../helpers/paths.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { readEvents } from '../helpers/sse.js';

describe('status stream', () => {
  let server: TestServer;
  let engine: GatedEngine;
  beforeAll(async () => {
    engine = new GatedEngine();
    server = await startServer({ engine, settings: { concurrency: '1' }, streamKeepAliveMs: 300 });
  });
  afterAll(async () => {
    engine.release();
    await server.close();
  });

  it('sends each status in order, queue positions and progress between them, keep-alives, and closes after the final one', async () => {
    const body = { image_urls: [dataUri('coffee.png')], prompt: 'p', 'width×height': '1024x1024(1:1)' };
    const first = (await (await server.submit(body)).json()).request_id;
    const second = (await (await server.submit(body)).json()).request_id;
    await expect.poll(() => engine.started).toBe(1);

    const res = await server.api(`/v1/requests/${second}/status/stream`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reading = readEvents(res);
    // Let a keep-alive go by while it waits in the queue, then let the work run.
    await new Promise((r) => setTimeout(r, 800));
    engine.release();
    const events = await reading;

    const statuses = events.filter((e) => e.event === 'status').map((e) => e.data.status);
    expect(statuses).toEqual(['in_queue', 'in_progress', 'completed']);
    const queued = events.find((e) => e.event === 'progress' && e.data.status === 'in_queue');
    expect(queued?.data.queue_position).toBe(0);
    expect(events.some((e) => e.comment === 'keep-alive')).toBe(true);
    // Event ids only grow, and the stream ends with the final status.
    const numeric = events.filter((e) => e.id).map((e) => Number(e.id!.split(':')[0]));
    expect(numeric).toEqual([...numeric].sort((a, b) => a - b));
    expect(events.at(-1)).toMatchObject({ event: 'status', data: { status: 'completed', request_id: second } });
    await server.waitForResult(first);
  });

  it('resumes after Last-Event-ID without losing or repeating a status', async () => {
    const body = { image_urls: [dataUri('chelsea.png')], prompt: 'p', 'width×height': '1024x1024(1:1)' };
    const id = (await (await server.submit(body)).json()).request_id;
    await server.waitForResult(id);
    const all = await readEvents(await server.api(`/v1/requests/${id}/status/stream`));
    const statuses = all.filter((e) => e.event === 'status');
    expect(statuses.map((e) => e.data.status)).toEqual(['in_queue', 'in_progress', 'completed']);

    const resumed = await readEvents(await server.api(`/v1/requests/${id}/status/stream`, { headers: { 'last-event-id': statuses[0]!.id! } }));
    expect(resumed.filter((e) => e.event === 'status').map((e) => e.id)).toEqual(statuses.slice(1).map((e) => e.id));
    // A progress-style id resumes from its status part.
    const fromProgress = await readEvents(await server.api(`/v1/requests/${id}/status/stream`, { headers: { 'last-event-id': `${statuses[1]!.id}:p0.500` } }));
    expect(fromProgress.filter((e) => e.event === 'status').map((e) => e.data.status)).toEqual(['completed']);
  });

  it('is for the owner only', async () => {
    const id = (await (await server.submit({ image_urls: [dataUri('chelsea.png')], prompt: 'p', 'width×height': '1024x1024(1:1)' })).json()).request_id;
    const { token } = await server.runtime.keys.create({ name: 'stranger' });
    const res = await server.api(`/v1/requests/${id}/status/stream`, { key: token });
    expect(res.status).toBe(403);
    expect((await res.json()).error_code).toBe(403001);
    expect((await server.api('/v1/requests/nope/status/stream')).status).toBe(404);
    await server.waitForResult(id);
  });
});
