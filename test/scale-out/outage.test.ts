/**
 * A node that loses its database: it keeps answering /healthz, says not ready on /readyz, refuses
 * calls with 503 (503001, Retry-After) instead of 500s or wrong answers, keeps the result of the run
 * it had in hand, and recovers by itself when the database is back. On a PostgreSQL of its own,
 * since the test stops it (pg_ctl -m immediate: a crash, as far as the clients can tell).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatedEngine } from '../helpers/engines.js';
import { dataUri } from '../helpers/paths.js';
import { MODEL_PATH, startServer, type TestServer } from '../helpers/server.js';
import { privateCluster, useServices, type Cluster } from '../helpers/services.js';

useServices();

const BODY = { image_urls: [dataUri('coffee.png')], prompt: 'make it brighter', 'width×height': '1024x1024(1:1)' };

let cluster: Cluster;
let server: TestServer;
const engine = new GatedEngine();

beforeAll(async () => {
  cluster = await privateCluster();
  server = await startServer({ settings: { databaseUrl: cluster.url, concurrency: '1' }, engine });
});
afterAll(async () => {
  engine.release();
  await server?.close();
});

describe('losing the database', () => {
  it('answers 503 while it is gone, keeps the run it had, and recovers by itself', async () => {
    const { request_id: running } = await (await server.submit(BODY)).json();
    await expect.poll(() => engine.started, { timeout: 10_000 }).toBe(1);
    expect((await server.api('/readyz', { key: null })).status).toBe(200);

    cluster.stopServer('immediate');

    expect(await (await server.api('/healthz', { key: null })).json()).toEqual({ status: 'ok' });
    const ready = await server.api('/readyz', { key: null });
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not_ready', checks: { store: false } });

    // The key is cached, so the refusal comes from the submit itself, not from authentication.
    const refused = await server.submit(BODY);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(await refused.json()).toEqual({ error_code: 503001, message: 'retouch cannot reach its database right now; retry in a few seconds.', detail: [] });
    const poll = await server.api(`/v1/requests/${running}/status`);
    expect(poll.status).toBe(503);
    // A key it has not seen cannot be checked: 503 too, never "invalid key".
    expect((await server.api('/v1/requests', { key: 'rt_never-seen-before' })).status).toBe(503);

    // The run ends while the database is away: the worker keeps the result until it can write it.
    // The database stays away until the worker has tried, however long the run takes.
    engine.release();
    await expect.poll(() => server.logs.some((l) => l.includes('recording the result: the database is unreachable; retrying')), { timeout: 60_000 }).toBe(true);

    cluster.start();
    await expect.poll(async () => (await server.api('/readyz', { key: null })).status, { timeout: 20_000, interval: 200 }).toBe(200);
    const result = await server.waitForResult(running, 20_000);
    expect(result).toMatchObject({ status: 'completed' });
    expect((await server.runtime.store.get(running))!.attempts).toBe(1);

    // New work flows again, and followers hear of it through the re-established LISTEN connection.
    const res = await server.api(MODEL_PATH, { method: 'POST', json: BODY, headers: { prefer: 'wait=20' } });
    expect(res.status).toBe(200);
    expect((await res.json()).status).toBe('completed');
    const logs = server.logs.join('\n');
    expect(logs).toContain('the database listener is back');
    expect(logs).not.toContain(cluster.url);
  });
});
