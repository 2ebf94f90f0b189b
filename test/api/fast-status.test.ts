/**
 * The status fast path (src/api/fast-status.ts) answers ordinary polls byte for byte as the route
 * does, and hands everything else to Fastify: missing, bad or revoked keys, unknown and foreign
 * ids, other methods. The server here logs at info, so that the fast path is on.
 */
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withFastStatus } from '../../src/api/fast-status.js';
import { createLogger } from '../../src/log.js';
import { GatedEngine } from '../helpers/engines.js';
import { dataUri } from '../helpers/paths.js';
import { startServer, type TestServer } from '../helpers/server.js';

describe('status fast path', () => {
  let server: TestServer;
  let engine: GatedEngine;
  let queued: string;
  let running: string;

  beforeAll(async () => {
    engine = new GatedEngine();
    server = await startServer({ settings: { logLevel: 'info', concurrency: '1' }, engine });
    const body = { image_urls: [dataUri('coffee.png')], prompt: 'make it warmer', 'width×height': '1024x1024(1:1)' };
    running = (await (await server.submit(body)).json()).request_id;
    for (let i = 0; i < 200 && engine.started === 0; i++) await new Promise((r) => setTimeout(r, 25));
    queued = (await (await server.submit(body)).json()).request_id;
  });
  afterAll(async () => {
    engine.release();
    await server.close();
  });

  /** The same call through Fastify alone (inject does not pass through the HTTP server). */
  const throughFastify = (id: string, key = server.key) =>
    server.runtime.app!.inject({ method: 'GET', url: `/v1/requests/${id}/status`, headers: { authorization: `Bearer ${key}` } });

  it('answers a queued and a running request exactly as the route does, and counts them in the metrics', async () => {
    for (const id of [queued, running]) {
      const fast = await server.api(`/v1/requests/${id}/status`);
      const route = await throughFastify(id);
      expect(fast.status).toBe(200);
      expect(await fast.text()).toBe(route.body);
      expect(fast.headers.get('content-type')).toBe(route.headers['content-type']);
      expect(fast.headers.get('x-request-id')).toMatch(/^[0-9a-f]{16}$/);
    }
    const queuedBody = await (await server.api(`/v1/requests/${queued}/status`)).json();
    expect(queuedBody).toMatchObject({ request_id: queued, status: 'in_queue', queue_position: 0 });
    const metrics = await server.runtime.metrics.text();
    expect(metrics).toMatch(/retouch_http_request_duration_seconds_count\{method="GET",route="\/v1\/requests\/:request_id\/status",status="200"\} [1-9]/);
  });

  it('answers only the ordinary case itself, and hands everything else to the route', async () => {
    const handedOn: string[] = [];
    const fallback = (req: http.IncomingMessage, res: http.ServerResponse) => {
      handedOn.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      res.writeHead(418).end();
    };
    const { keys, store, config, metrics } = server.runtime;
    const handler = withFastStatus(fallback, { keys, store, config, metrics }, createLogger('info'), () => 'id');
    const direct = http.createServer(handler);
    await new Promise<void>((r) => direct.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(direct.address() as { port: number }).port}`;
    try {
      const get = (path: string, key: string | null = server.key, method = 'GET') =>
        fetch(base + path, { method, headers: key ? { authorization: `Bearer ${key}` } : {} });
      expect((await get(`/v1/requests/${queued}/status`)).status).toBe(200);
      expect(handedOn).toEqual([]);
      const other = (await server.runtime.keys.create({ name: 'a third account' })).token;
      for (const [path, key, method] of [
        [`/v1/requests/${queued}/status`, null, 'GET'],
        [`/v1/requests/${queued}/status`, 'rt_not-a-key', 'GET'],
        [`/v1/requests/${queued}/status`, other, 'GET'],
        ['/v1/requests/00000000-0000-4000-8000-000000000000/status', server.key, 'GET'],
        [`/v1/requests/${queued}/status?x=1`, server.key, 'GET'],
        [`/v1/requests/${queued}/status`, server.key, 'HEAD'],
        [`/v1/requests/${queued}/result`, server.key, 'GET'],
      ] as const) {
        expect((await get(path, key, method)).status).toBe(418);
      }
      expect(handedOn).toHaveLength(7);
      // The Authorization header read from the raw list: any case of name and scheme, spaces around
      // the token, the first of two; anything else is the route's to judge.
      const raw = async (...lines: string[]) => {
        const socket = net.connect((direct.address() as { port: number }).port, '127.0.0.1');
        socket.end([`GET /v1/requests/${queued}/status HTTP/1.1`, 'Host: x', ...lines, 'Connection: close', '', ''].join('\r\n'));
        let answer = '';
        for await (const chunk of socket) answer += chunk;
        return Number(answer.split(' ')[1]);
      };
      expect(await raw(`AUTHORIZATION: bearer ${server.key}`)).toBe(200);
      expect(await raw(`authorization: BEARER \t ${server.key}  `)).toBe(200);
      expect(await raw(`Authorization: Bearer ${server.key}`, 'Authorization: Bearer rt_not-a-key')).toBe(200);
      expect(handedOn).toHaveLength(7);
      for (const header of [`Bearer${server.key}`, `Bearer ${server.key} extra`, `Basic ${server.key}`, 'Bearer ']) {
        expect(await raw(`Authorization: ${header}`)).toBe(418);
      }
      expect(handedOn).toHaveLength(11);
      // With debug logging on, Fastify answers every call, so that each gets its access line.
      const debugHandler = withFastStatus(fallback, { keys, store, config, metrics }, createLogger('debug'), () => 'id');
      direct.removeAllListeners('request');
      direct.on('request', debugHandler);
      expect((await get(`/v1/requests/${queued}/status`)).status).toBe(418);
    } finally {
      direct.close();
    }
  });

  it('leaves every other case to the route: the envelope and status codes are unchanged', async () => {
    const cases: [string, { key?: string | null; method?: string }, number, number][] = [
      [queued, { key: null }, 401, 401001],
      [queued, { key: 'rt_not-a-key' }, 401, 401001],
      ['00000000-0000-4000-8000-000000000000', {}, 404, 404001],
      [queued, { key: (await server.runtime.keys.create({ name: 'another account' })).token }, 403, 403001],
    ];
    for (const [id, init, status, code] of cases) {
      const res = await server.api(`/v1/requests/${id}/status`, init);
      expect(res.status).toBe(status);
      expect((await res.json()).error_code).toBe(code);
    }
    // Fastify's own limit on a path parameter.
    expect((await server.api(`/v1/requests/${'x'.repeat(101)}/status`)).status).toBe(414);
    expect((await server.api(`/v1/requests/${queued}/status`, { method: 'POST' })).status).toBe(404);
    const revoked = await server.runtime.keys.create({ name: 'soon revoked' });
    await server.runtime.keys.revoke(revoked.key.id);
    expect((await server.api(`/v1/requests/${queued}/status`, { key: revoked.token })).status).toBe(401);
  });
});
