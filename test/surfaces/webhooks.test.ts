/**
 * Webhooks of the Replicate and fal surfaces, received on 127.0.0.1 and verified as each provider
 * documents: Replicate's with the client's own `validateWebhook` and the secret from
 * `webhooks.default.secret.get()`; fal's by fetching the key set, checking the timestamp, and
 * verifying the ED25519 signature over request id, user id, timestamp and the body's SHA-256, step
 * by step as fal's documentation says.
 */
import crypto from 'node:crypto';
import Replicate, { validateWebhook } from 'replicate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataUri, photo } from '../helpers/paths.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { falFor, receiver, type Delivery } from './helpers.js';

let server: TestServer;
const cleanup: (() => Promise<unknown>)[] = [];
beforeAll(async () => {
  server = await startServer({ settings: { webhookRetryDelay: '200ms' } });
});
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
  await server.close();
});

async function hook() {
  const r = await receiver();
  cleanup.push(r.close);
  return r;
}

describe('Replicate webhooks', () => {
  it('sends the prediction at start and on completion, signed so that validateWebhook accepts it', async () => {
    const replicate = new Replicate({ auth: server.key, baseUrl: `${server.url}/replicate/v1` });
    const h = await hook();
    const prediction = await replicate.predictions.create({
      model: 'bytedance/seedream-4',
      input: { prompt: 'make it brighter', image_input: [dataUri('horse.png')], size: '1K' },
      webhook: h.url,
      webhook_events_filter: ['start', 'completed'],
    });
    await expect.poll(() => h.received.length, { timeout: 15_000 }).toBe(2);
    const { key: secret } = await replicate.webhooks.default.secret.get();
    expect(secret).toMatch(/^whsec_/);
    for (const d of h.received) {
      expect(await validateWebhook(new Request(h.url, { method: 'POST', headers: d.headers as Record<string, string>, body: d.body }), secret)).toBe(true);
    }
    const [start, done] = h.received.map((d) => JSON.parse(d.body));
    expect(start).toMatchObject({ id: prediction.id, status: 'processing', output: null });
    const final = await replicate.predictions.get(prediction.id);
    expect(done).toMatchObject({ id: prediction.id, status: 'succeeded', output: final.output });
    // A changed body no longer passes.
    const tampered = h.received[1]!.body.replace('succeeded', 'failed');
    expect(await validateWebhook(new Request(h.url, { method: 'POST', headers: h.received[1]!.headers as Record<string, string>, body: tampered }), secret)).toBe(false);
  });

  it('leaves out what webhook_events_filter does not ask for', async () => {
    const replicate = new Replicate({ auth: server.key, baseUrl: `${server.url}/replicate/v1` });
    const run = async (filter: ('start' | 'completed')[]) => {
      const h = await hook();
      const prediction = await replicate.predictions.create({
        model: 'bytedance/seedream-4',
        input: { prompt: 'p', image_input: [dataUri('horse.png')], size: '1K' },
        webhook: h.url,
        webhook_events_filter: filter,
      });
      await replicate.wait(prediction, { interval: 50 });
      await expect.poll(async () => (await server.runtime.store.deliveriesOf(prediction.id)).every((d) => d.state !== 'pending'), { timeout: 15_000 }).toBe(true);
      return { statuses: h.received.map((d) => JSON.parse(d.body).status), deliveries: await server.runtime.store.deliveriesOf(prediction.id) };
    };
    expect((await run(['completed'])).statuses).toEqual(['succeeded']);
    const startOnly = await run(['start']);
    expect(startOnly.statuses).toEqual(['processing']);
    expect(startOnly.deliveries.find((d) => d.status === 'completed')).toMatchObject({ state: 'failed', lastError: expect.stringMatching(/^not sent: webhook_events_filter/) });
  });
});

/** fal's documented verification, step by step. */
async function verifyFal(d: Delivery, jwksUrl: string): Promise<boolean> {
  // 1. The public keys, from the JSON Web Key Set.
  const { keys } = (await (await fetch(jwksUrl)).json()) as { keys: { x: string }[] };
  // 2. The headers.
  const requestId = d.headers['x-fal-webhook-request-id'] as string;
  const userId = d.headers['x-fal-webhook-user-id'] as string;
  const timestamp = d.headers['x-fal-webhook-timestamp'] as string;
  const signature = d.headers['x-fal-webhook-signature'] as string;
  if (!requestId || !userId || !timestamp || !signature) return false;
  // 3. The timestamp, within five minutes.
  if (Math.abs(Math.floor(Date.now() / 1000) - Number(timestamp)) > 300) return false;
  // 4. The message: request id, user id, timestamp and the body's SHA-256 (hex), one per line.
  const digest = crypto.createHash('sha256').update(Buffer.from(d.body, 'utf8')).digest('hex');
  const message = Buffer.from([requestId, userId, timestamp, digest].join('\n'), 'utf8');
  // 5. The signature (hex) against each key; any one verifying is enough.
  const sig = Buffer.from(signature, 'hex');
  return keys.some((k) => crypto.verify(null, message, crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: k.x }, format: 'jwk' }), sig));
}

describe('fal webhooks', () => {
  it('posts {request_id, status: OK, payload} signed with the key published at /fal/.well-known/jwks.json', async () => {
    const fal = falFor(server);
    const h = await hook();
    const { request_id } = await fal.queue.submit('fal-ai/bytedance/seedream/v4/edit', {
      input: { prompt: 'make it brighter', image_urls: [dataUri('horse.png')], image_size: 'square_hd' },
      webhookUrl: h.url,
    });
    await expect.poll(() => h.received.length, { timeout: 15_000 }).toBe(1);
    const d = h.received[0]!;
    const jwks = `${server.url}/fal/.well-known/jwks.json`;
    expect(await verifyFal(d, jwks)).toBe(true);
    const body = JSON.parse(d.body);
    const result = await fal.queue.result('fal-ai/bytedance/seedream/v4/edit', { requestId: request_id });
    expect(body).toEqual({ request_id, gateway_request_id: request_id, status: 'OK', payload: result.data });
    expect(d.headers['x-fal-webhook-request-id']).toBe(request_id);

    // Anything changed fails verification: the body, the request id, or a stale timestamp.
    expect(await verifyFal({ ...d, body: d.body.replace('"OK"', '"ERROR"') }, jwks)).toBe(false);
    expect(await verifyFal({ ...d, headers: { ...d.headers, 'x-fal-webhook-request-id': 'other' } }, jwks)).toBe(false);
    expect(await verifyFal({ ...d, headers: { ...d.headers, 'x-fal-webhook-timestamp': String(Number(d.headers['x-fal-webhook-timestamp']) - 600) } }, jwks)).toBe(false);
  });

  it('posts status ERROR with fal\'s error body when the request fails', async () => {
    const fal = falFor(server);
    const h = await hook();
    const truncated = `data:image/jpeg;base64,${photo('truncated.jpg').toString('base64')}`;
    await fal.queue.submit('fal-ai/bytedance/seedream/v4/edit', { input: { prompt: 'p', image_urls: [truncated] }, webhookUrl: h.url });
    await expect.poll(() => h.received.length, { timeout: 15_000 }).toBe(1);
    expect(await verifyFal(h.received[0]!, `${server.url}/fal/.well-known/jwks.json`)).toBe(true);
    const body = JSON.parse(h.received[0]!.body);
    expect(body).toMatchObject({ status: 'ERROR', error: 'Invalid status code: 422', payload: { detail: [{ loc: ['body', 'image_urls', 0], type: 'image_load_error' }] } });
  });
});
