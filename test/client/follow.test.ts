/**
 * Following a request with the SDK against a real server: the event stream in order, resumed after
 * a broken connection, subscribe by stream and by polling (honouring Retry-After), and an aborted
 * subscribe that cancels a queued request. GatedEngine holds requests in progress until released.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RequestCancelledError, RetouchClient, type QueueUpdate, type StreamEvent } from '@retouch/client';
import { GatedEngine } from '../helpers/engines.js';
import { dataUri } from '../helpers/paths.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { startRelay } from './proxy.js';

const MODEL = 'bytedance/dreamina-4-0/edit';
const BODY = { image_urls: [dataUri('chelsea.png')], prompt: 'p', 'width×height': '1024x1024(1:1)' as const };

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A server whose single worker slot is taken by a request held in progress until `engine.release()`. */
async function gatedServer() {
  const engine = new GatedEngine();
  const server = await startServer({ engine, settings: { concurrency: '1' } });
  cleanup.push(() => server.close(), () => engine.release());
  const client = new RetouchClient({ baseUrl: server.url, apiKey: server.key });
  const running = (await client.submit(MODEL, BODY)).request_id;
  await expect.poll(() => engine.started).toBe(1);
  return { engine, server, client, running };
}

const statusesOf = (events: StreamEvent[]) => events.filter((e) => e.type === 'status').map((e) => e.data.status);

describe('stream', () => {
  it('yields each status in order with the queue position between them, and ends after the final one', async () => {
    const { engine, client } = await gatedServer();
    const { request_id: id } = await client.submit(MODEL, BODY);
    const events: StreamEvent[] = [];
    const reading = (async () => {
      for await (const e of client.stream(id)) events.push(e);
    })();
    await expect.poll(() => events.some((e) => e.type === 'progress' && e.data.queue_position === 0)).toBe(true);
    engine.release();
    await reading;

    expect(statusesOf(events)).toEqual(['in_queue', 'in_progress', 'completed']);
    const ids = events.map((e) => Number(e.id.split(':')[0]));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(events.at(-1)).toMatchObject({ type: 'status', data: { request_id: id, status: 'completed' } });
  });

  it('reopens a broken connection with Last-Event-ID: no status lost, none repeated', async () => {
    const { engine, server, client: direct } = await gatedServer();
    const relay = await startRelay(server.url);
    cleanup.push(() => relay.close());
    const client = new RetouchClient({ baseUrl: relay.url, apiKey: server.key });
    const { request_id: id } = await direct.submit(MODEL, BODY);

    const events: StreamEvent[] = [];
    for await (const e of client.stream(id)) {
      events.push(e);
      if (events.length === 1) {
        expect(e).toMatchObject({ type: 'status', data: { status: 'in_queue' } });
        relay.cut();
        engine.release();
      }
    }
    expect(statusesOf(events)).toEqual(['in_queue', 'in_progress', 'completed']);
    const streams = relay.heads.filter((h) => h.startsWith(`GET /v1/requests/${id}/status/stream`));
    expect(streams.length).toBeGreaterThanOrEqual(2);
    expect(streams[0]).not.toMatch(/last-event-id/i);
    // It resumed from the last event it had before the break (the queued status, or a queue position after it).
    const resumedFrom = /^last-event-id: (\S+)$/im.exec(streams[1]!)?.[1];
    const beforeBreak = events.slice(0, events.findIndex((e) => e.type === 'status' && e.data.status === 'in_progress'));
    expect(beforeBreak.map((e) => e.id)).toContain(resumedFrom);

    // And from a given event on, afterwards: only what came after it.
    const resumed: StreamEvent[] = [];
    for await (const e of direct.stream(id, { lastEventId: events[0]!.id })) resumed.push(e);
    expect(statusesOf(resumed)).toEqual(['in_progress', 'completed']);
  });
});

describe('subscribe', () => {
  it('an aborted subscribe cancels a queued request, and leaves a running one alone', async () => {
    const { client, running } = await gatedServer();
    const { request_id: queued } = await client.submit(MODEL, BODY);

    const controller = new AbortController();
    const seen: QueueUpdate[] = [];
    const following = client.subscribe(queued, {
      signal: controller.signal,
      onQueueUpdate: (u) => {
        seen.push(u);
        if (u.status === 'in_queue') controller.abort();
      },
    });
    await expect(following).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen[0]).toMatchObject({ request_id: queued, status: 'in_queue' });
    expect((await client.status(queued)).status).toBe('cancelled');

    // The running one reports its progress; aborting stops following it, and it stays in progress.
    const progress: number[] = [];
    const stop = new AbortController();
    const watching = client.subscribe(running, { signal: stop.signal, onProgress: (p) => progress.push(p) });
    await expect.poll(() => progress.length).toBeGreaterThan(0);
    expect(progress[0]).toBeGreaterThanOrEqual(0);
    expect(progress[0]).toBeLessThan(1);
    stop.abort();
    await expect(watching).rejects.toMatchObject({ name: 'AbortError' });
    expect((await client.status(running)).status).toBe('in_progress');
  });

  it('run throws RequestCancelledError when the request is cancelled while it waits', async () => {
    const { client } = await gatedServer();
    let id: string | undefined;
    const running = client.run(MODEL, BODY, {
      onQueueUpdate: (u) => {
        if (u.status === 'in_queue' && !id) {
          id = u.request_id;
          void client.cancel(u.request_id);
        }
      },
    });
    const err = await running.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestCancelledError);
    expect((err as RequestCancelledError).result).toMatchObject({ request_id: id, status: 'cancelled' });
  });

  it('polls with backoff, honouring Retry-After, and tells each change', async () => {
    const { engine, server } = await gatedServer();
    // retouch itself sends no Retry-After on a status; the hosted service may. Add one to the real answers.
    const polls: number[] = [];
    const hinting: typeof fetch = async (url, init) => {
      const res = await fetch(url, init);
      if (!String(url).endsWith('/status')) return res;
      polls.push(performance.now());
      const headers = new Headers(res.headers);
      headers.set('retry-after', '1');
      return new Response(res.body, { status: res.status, headers });
    };
    const plain = new RetouchClient({ baseUrl: server.url, apiKey: server.key });
    const hinted = new RetouchClient({ baseUrl: server.url, apiKey: server.key, fetch: hinting });
    const a = (await plain.submit(MODEL, BODY)).request_id;
    const b = (await plain.submit(MODEL, BODY)).request_id;

    const updates: QueueUpdate[] = [];
    const byPolling = plain.subscribe(a, { mode: 'poll', pollIntervalMs: 20, onQueueUpdate: (u) => updates.push(u) });
    const slowly = hinted.subscribe(b, { mode: 'poll', pollIntervalMs: 10 });
    await expect.poll(() => polls.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    engine.release();

    expect((await byPolling).status).toBe('completed');
    expect(updates[0]).toMatchObject({ request_id: a, status: 'in_queue', queue_position: 0 });
    expect(updates.map((u) => u.status)).toContain('completed');
    expect((await slowly).status).toBe('completed');
    // With a 10 ms interval asked for, the polls still came a second apart, as the server said.
    const gaps = polls.slice(1).map((t, i) => t - polls[i]!);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(950);
  });

  it('falls back to polling where the server has no status stream (as on the hosted service)', async () => {
    const server = await startServer();
    cleanup.push(() => server.close());
    const asked: string[] = [];
    // The real server's answer to a route it does not have: 404002.
    const withoutStream: typeof fetch = (url, init) => {
      asked.push(new URL(String(url)).pathname);
      return fetch(String(url).replace('/status/stream', '/status/stream-missing'), init);
    };
    const client = new RetouchClient({ baseUrl: server.url, apiKey: server.key, fetch: withoutStream });
    const { request_id: id } = await client.submit(MODEL, BODY);
    expect((await client.subscribe(id, { pollIntervalMs: 20 })).status).toBe('completed');
    expect(asked).toContain(`/v1/requests/${id}/status/stream`);
    expect(asked.filter((p) => p === `/v1/requests/${id}/status`).length).toBeGreaterThan(0);
  });
});
