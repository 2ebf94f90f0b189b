/**
 * verifyWebhook: against deliveries signed by the `standardwebhooks` package, and against real
 * deliveries from the server to a receiver on 127.0.0.1.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetouchClient, verifyWebhook, WebhookVerificationError } from '@retouch/client';
import { dataUri } from '../helpers/paths.js';
import { startServer, type TestServer } from '../helpers/server.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OTHER = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';

function signed(payload: string, at = new Date(), id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W') {
  const signature = new Webhook(SECRET).sign(id, at, payload);
  return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature };
}

const PAYLOAD = JSON.stringify({ type: 'request.completed', timestamp: '2026-01-01T00:00:00.000Z', data: { request_id: 'r1', status: 'completed' } });

describe('verifyWebhook and standardwebhooks', () => {
  it('accepts what standardwebhooks signs, and returns what it returns', async () => {
    const headers = signed(PAYLOAD);
    const ours = await verifyWebhook(PAYLOAD, headers, SECRET);
    expect(ours).toEqual(new Webhook(SECRET).verify(PAYLOAD, headers));
    // Bytes, a Headers object, and header names in any case do as well.
    expect(await verifyWebhook(new TextEncoder().encode(PAYLOAD), new Headers(headers), SECRET)).toEqual(ours);
    const shouting = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(await verifyWebhook(PAYLOAD, shouting, SECRET)).toEqual(ours);
  });

  it('accepts any one valid signature among several (a secret being rotated)', async () => {
    const headers = signed(PAYLOAD);
    const rotated = { ...headers, 'webhook-signature': `v1,${btoa('x'.repeat(32))} v2,whatever ${headers['webhook-signature']}` };
    expect((await verifyWebhook(PAYLOAD, rotated, SECRET)).type).toBe('request.completed');
  });

  it('refuses, as standardwebhooks does: another body, another secret, a stale or future timestamp, missing headers', async () => {
    const headers = signed(PAYLOAD);
    const sixMinutes = 6 * 60 * 1000;
    const cases: [string, Record<string, string>, string][] = [
      [PAYLOAD.replace('r1', 'r2'), headers, SECRET],
      [PAYLOAD, headers, OTHER],
      [PAYLOAD, signed(PAYLOAD, new Date(Date.now() - sixMinutes)), SECRET],
      [PAYLOAD, signed(PAYLOAD, new Date(Date.now() + sixMinutes)), SECRET],
      [PAYLOAD, { ...headers, 'webhook-id': 'msg_other' }, SECRET],
      [PAYLOAD, { 'webhook-id': headers['webhook-id'], 'webhook-timestamp': headers['webhook-timestamp'] }, SECRET],
    ];
    for (const [payload, h, secret] of cases) {
      expect(() => new Webhook(secret).verify(payload, h)).toThrow();
      await expect(verifyWebhook(payload, h, secret)).rejects.toBeInstanceOf(WebhookVerificationError);
    }
    // Within the five minutes, either way, it passes.
    await expect(verifyWebhook(PAYLOAD, signed(PAYLOAD, new Date(Date.now() - 4 * 60 * 1000)), SECRET)).resolves.toBeTruthy();
  });
});

describe('verifyWebhook and the server', () => {
  let server: TestServer;
  const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    server = await startServer({ settings: { webhookRetryDelay: '200ms' } });
  });
  afterAll(async () => {
    await server.close();
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('verifies real deliveries (in_progress and completed) with the account secret, and no other', async () => {
    const client = new RetouchClient({ baseUrl: server.url, apiKey: server.key });
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks?from=retouch`;
    const { request_id } = await client.submit(
      'bytedance/dreamina-4-0/edit',
      { image_urls: [dataUri('horse.png')], prompt: 'p', 'width×height': '1024x1024(1:1)' },
      { webhook: hook, webhookEvents: ['in_progress'] },
    );
    await client.subscribe(request_id);
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(2);

    const account = (await server.runtime.store.get(request_id))!.accountId;
    const secret = (await server.runtime.keys.webhookSecret(account))!;
    const events = [];
    for (const delivery of received) events.push(await client.verifyWebhook(delivery.body, delivery.headers, secret));
    expect(events.map((e) => e.data.status)).toEqual(['in_progress', 'completed']);
    expect(events[1]!.type).toBe('request.completed');
    expect(events[1]!.data).toEqual(await client.result(request_id));

    const stranger = (await server.runtime.keys.webhookSecret((await server.runtime.keys.create({ name: 'other' })).key.accountId))!;
    await expect(verifyWebhook(received[1]!.body, received[1]!.headers, stranger)).rejects.toBeInstanceOf(WebhookVerificationError);
  });
});
