/**
 * Webhooks with two worker nodes on one PostgreSQL database: both run a dispatcher over the same
 * outbox, and every message still reaches the receiver once (deliveries are claimed with leases),
 * including the one that failed first and was retried, whichever node retried it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataUri } from '../helpers/paths.js';
import { MODEL_PATH, startServer, type TestServer } from '../helpers/server.js';
import { freshDatabase, useServices } from '../helpers/services.js';

useServices();

const BODY = { image_urls: [dataUri('horse.png')], prompt: 'p', 'width×height': '1024x1024(1:1)' };

let nodes: TestServer[] = [];
let receiver: http.Server;
let hookUrl: string;
const received: { id: string; body: string; headers: http.IncomingHttpHeaders }[] = [];
let failFirst = true;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ id: String(req.headers['webhook-id']), body, headers: req.headers });
      // The very first message is refused once, to be retried by whichever node claims it next.
      if (failFirst) {
        failFirst = false;
        res.writeHead(500).end();
      } else res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const settings = { databaseUrl: await freshDatabase(), webhookRetryDelay: '200ms', concurrency: '2' };
  nodes = [await startServer({ settings }), await startServer({ settings })];
});
afterAll(async () => {
  for (const n of nodes) await n.close();
  receiver.closeAllConnections();
  await new Promise((r) => receiver.close(r));
});

describe('webhooks from two worker nodes', () => {
  it('every request is announced once, signed with the account secret, whichever node sends it', async () => {
    const [a] = nodes as [TestServer, TestServer];
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await a.api(`${MODEL_PATH}?webhook=${encodeURIComponent(hookUrl)}`, { method: 'POST', json: BODY });
      ids.push((await res.json()).request_id);
    }
    for (const id of ids) expect((await a.waitForResult(id)).status).toBe('completed');
    await expect.poll(async () => (await Promise.all(ids.map((id) => a.runtime.store.deliveriesOf(id)))).flat().filter((d) => d.state === 'delivered').length, { timeout: 20_000 }).toBe(8);

    // 8 messages, 9 POSTs: one refused and sent again, none sent twice after a 2xx.
    expect(received).toHaveLength(9);
    expect(new Set(received.map((r) => r.id)).size).toBe(8);
    const secret = (await a.runtime.keys.webhookSecret((await a.runtime.store.get(ids[0]!))!.accountId))!;
    for (const r of received) expect(() => new Webhook(secret).verify(r.body, r.headers as Record<string, string>)).not.toThrow();
    // Both nodes ran requests.
    const workers = new Set(nodes.flatMap((n) => n.logs.filter((l) => l.includes('"request completed"')).map(() => n.runtime.worker!.id)));
    expect(workers.size).toBe(2);
  });
});
