/** `Prefer: wait=N` and `Idempotency-Key` on submit, over the seed's contract. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatedEngine } from '../helpers/engines.js';
import { dataUri } from '../helpers/paths.js';
import { MODEL_PATH, startServer, type TestServer } from '../helpers/server.js';

const BODY = { image_urls: [dataUri('coffee.png')], prompt: 'p', 'width×height': '1024x1024(1:1)' };

describe('Prefer: wait', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server.close());

  it('answers with the result body once the request ends', async () => {
    const res = await server.api(MODEL_PATH, { method: 'POST', json: BODY, headers: { prefer: 'wait=30' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('preference-applied')).toBe('wait=30');
    const body = await res.json();
    expect(body).toMatchObject({ status: 'completed' });
    expect(body.output.images).toHaveLength(1);
    expect((await fetch(body.output.image)).status).toBe(200);
  });

  it('caps the wait at 60 seconds', async () => {
    const res = await server.api(MODEL_PATH, { method: 'POST', json: BODY, headers: { prefer: 'respond-async, wait=600' } });
    expect(res.headers.get('preference-applied')).toBe('wait=60');
  });

  it('without the header, answers at once as the seed does', async () => {
    const res = await server.submit(BODY);
    expect(res.headers.get('preference-applied')).toBeNull();
    const body = await res.json();
    expect(body.status).toBe('in_queue');
    await server.waitForResult(body.request_id);
  });
});

describe('Prefer: wait on a request that outlasts it', () => {
  it('answers the submit body after N seconds, with Preference-Applied', async () => {
    const engine = new GatedEngine();
    const server = await startServer({ engine });
    try {
      const started = Date.now();
      const res = await server.api(MODEL_PATH, { method: 'POST', json: BODY, headers: { prefer: 'wait=1' } });
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(res.headers.get('preference-applied')).toBe('wait=1');
      const body = await res.json();
      expect(body.status).toBe('in_progress');
      expect(body.status_url).toContain(body.request_id);
      expect(body.output).toBeUndefined();
    } finally {
      engine.release();
      await server.close();
    }
  });
});

describe('Idempotency-Key', () => {
  it('20 concurrent submits with one key make one request; another key or account makes another', async () => {
    const server = await startServer({ worker: false });
    try {
      const send = (key: string, token?: string) => server.api(MODEL_PATH, { method: 'POST', json: BODY, headers: { 'idempotency-key': key }, key: token });
      const responses = await Promise.all(Array.from({ length: 20 }, () => send('order-42')));
      expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
      const ids = new Set(await Promise.all(responses.map(async (r) => (await r.json()).request_id)));
      expect(ids.size).toBe(1);
      expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(19);
      expect((await server.runtime.store.countByStatus()).in_queue).toBe(1);

      const other = await (await send('order-43')).json();
      expect(ids.has(other.request_id)).toBe(false);
      const { token } = await server.runtime.keys.create({ name: 'another account' });
      const theirs = await (await send('order-42', token)).json();
      expect(ids.has(theirs.request_id)).toBe(false);
      expect((await server.runtime.store.countByStatus()).in_queue).toBe(3);
    } finally {
      await server.close();
    }
  });

  it('refuses an empty or overlong key', async () => {
    const server = await startServer({ worker: false });
    try {
      const res = await server.api(MODEL_PATH, { method: 'POST', json: BODY, headers: { 'idempotency-key': 'k'.repeat(300) } });
      expect(res.status).toBe(422);
      expect((await res.json()).detail[0].loc).toEqual(['headers', 'idempotency-key']);
    } finally {
      await server.close();
    }
  });
});
