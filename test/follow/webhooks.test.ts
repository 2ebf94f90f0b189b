/**
 * Webhooks, verified as a receiver would with the `standardwebhooks` package, by a receiver on
 * 127.0.0.1: signed deliveries, retries after failures, survival across a restart, the address rule,
 * and no effect on the API when the receiver hangs.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { dataUri, tempDir } from '../helpers/paths.js';
import { startServer, type TestServer } from '../helpers/server.js';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A receiver that answers with the next status of `script` (then 200), or never answers. */
async function receiver(script: (number | 'hang')[] = []) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      const next = script.shift() ?? 200;
      if (next !== 'hang') res.writeHead(next).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/retouch?source=test`,
    received,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const BODY = { image_urls: [dataUri('horse.png')], prompt: 'p', 'width×height': '1024x1024(1:1)' };
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function server(settings: Record<string, string> = {}, dataDir?: string): Promise<TestServer> {
  const s = await startServer({ settings: { webhookRetryDelay: '200ms', ...settings }, dataDir });
  cleanup.push(() => s.close());
  return s;
}

describe('webhooks', () => {
  it('delivers the result body on completion, signed per Standard Webhooks with the account secret', async () => {
    const hook = await receiver();
    cleanup.push(hook.close);
    const s = await server();
    const submitted = await (await s.api(`/v1/models/bytedance/dreamina-4-0/edit?webhook=${encodeURIComponent(hook.url)}`, { method: 'POST', json: BODY })).json();
    const result = await s.waitForResult(submitted.request_id);
    await expect.poll(() => hook.received.length, { timeout: 10_000 }).toBe(1);

    const [msg] = hook.received;
    const account = (await s.runtime.store.get(submitted.request_id))!.accountId;
    const verified = new Webhook((await s.runtime.keys.webhookSecret(account))!).verify(msg!.body, msg!.headers as Record<string, string>) as any;
    expect(verified.type).toBe('request.completed');
    expect(verified.data).toEqual(result);
    expect(msg!.headers['webhook-id']).toMatch(/^msg_/);
    expect(msg!.headers['user-agent']).toMatch(/^retouch\//);
    // Another account's secret does not verify it.
    const other = (await s.runtime.keys.create({ name: 'other' })).key.accountId;
    const otherSecret = (await s.runtime.keys.webhookSecret(other))!;
    expect(() => new Webhook(otherSecret).verify(msg!.body, msg!.headers as Record<string, string>)).toThrow();
  });

  it('also announces in_progress when asked', async () => {
    const hook = await receiver();
    cleanup.push(hook.close);
    const s = await server();
    const path = `/v1/models/bytedance/dreamina-4-0/edit?webhook=${encodeURIComponent(hook.url)}&webhook_events=in_progress`;
    const { request_id } = await (await s.api(path, { method: 'POST', json: BODY })).json();
    await s.waitForResult(request_id);
    await expect.poll(() => hook.received.length, { timeout: 10_000 }).toBe(2);
    expect(hook.received.map((r) => JSON.parse(r.body).data.status)).toEqual(['in_progress', 'completed']);
  });

  it('retries with backoff after the receiver answers 500 twice, and survives a restart in between', async () => {
    const hook = await receiver([500, 500, 200]);
    cleanup.push(hook.close);
    const dataDir = tempDir();
    const first = await startServer({ settings: { webhookRetryDelay: '400ms' }, dataDir });
    const { request_id } = await (await first.api(`/v1/models/bytedance/dreamina-4-0/edit?webhook=${encodeURIComponent(hook.url)}`, { method: 'POST', json: BODY })).json();
    await first.waitForResult(request_id);
    await expect.poll(() => hook.received.length, { timeout: 10_000 }).toBe(1);
    await first.close();

    const second = await server({ webhookRetryDelay: '400ms' }, dataDir);
    await expect.poll(() => hook.received.length, { timeout: 15_000 }).toBe(3);
    const ids = hook.received.map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(1);
    const times = hook.received.map((r) => Number(r.headers['webhook-timestamp']));
    expect(times).toEqual([...times].sort());
    await expect.poll(async () => (await second.runtime.store.deliveriesOf(request_id))[0]?.state, { timeout: 5_000 }).toBe('delivered');
    expect((await second.runtime.store.deliveriesOf(request_id))[0]).toMatchObject({ attempts: 3 });
  }, 40_000);

  it('obeys the address rule: a webhook to a private address is never sent', async () => {
    const hook = await receiver();
    cleanup.push(hook.close);
    const s = await server({ allowPrivateUrls: 'false', webhookRetryFor: '1s' });
    const { request_id } = await (await s.api(`/v1/models/bytedance/dreamina-4-0/edit?webhook=${encodeURIComponent(hook.url)}`, { method: 'POST', json: BODY })).json();
    expect((await s.waitForResult(request_id)).status).toBe('completed');
    await expect.poll(async () => (await s.runtime.store.deliveriesOf(request_id))[0]?.state, { timeout: 10_000 }).toBe('failed');
    expect((await s.runtime.store.deliveriesOf(request_id))[0]!.lastError).toContain('public internet address');
    expect(hook.received).toHaveLength(0);
  });

  it('refuses a webhook URL that is not http(s) at submit', async () => {
    const s = await server();
    const res = await s.api(`/v1/models/bytedance/dreamina-4-0/edit?webhook=${encodeURIComponent('file:///etc/passwd')}`, { method: 'POST', json: BODY });
    expect(res.status).toBe(422);
    expect((await res.json()).detail[0]).toMatchObject({ loc: ['querystring', 'webhook'] });
  });

  it('a receiver that hangs slows neither submits, status nor cancel', async () => {
    const hook = await receiver(Array(20).fill('hang'));
    cleanup.push(hook.close);
    const s = await server({ webhookTimeout: '30s' });
    const path = `/v1/models/bytedance/dreamina-4-0/edit?webhook=${encodeURIComponent(hook.url)}`;
    const first = await (await s.api(path, { method: 'POST', json: BODY })).json();
    await s.waitForResult(first.request_id);
    await expect.poll(() => hook.received.length, { timeout: 10_000 }).toBe(1);
    // The receiver now holds a connection open; the API answers as usual meanwhile.
    const started = performance.now();
    for (let i = 0; i < 10; i++) {
      const { request_id } = await (await s.api(path, { method: 'POST', json: BODY })).json();
      expect((await s.api(`/v1/requests/${request_id}/status`)).status).toBe(200);
      await s.api(`/v1/requests/${request_id}/cancel`, { method: 'POST' });
    }
    // Thirty calls; a blocked API would wait for the 30 s receiver timeout.
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
