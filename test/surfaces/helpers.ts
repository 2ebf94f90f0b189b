/** What the surface tests share: the official clients pointed at a test server, and a webhook receiver. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFalClient, type RequestMiddleware } from '@fal-ai/client';
import sharp from 'sharp';
import { GatedEngine } from '../helpers/engines.js';
import { startServer, type TestServer } from '../helpers/server.js';

/**
 * fal's client always calls fal's own hosts; outside a browser an app points it elsewhere with a
 * request middleware (or with `proxyUrl`, tested on its own). This one does what the recorded
 * traffic shows: queue.fal.run → /fal/queue, fal.run → /fal/sync, rest.fal.ai → /fal/rest.
 */
export function toRetouch(base: string): RequestMiddleware {
  const prefixes: Record<string, string> = { 'queue.fal.run': '/fal/queue', 'fal.run': '/fal/sync', 'rest.fal.ai': '/fal/rest' };
  return async (request) => {
    const url = new URL(request.url);
    const prefix = prefixes[url.host];
    return prefix ? { ...request, url: `${base}${prefix}${url.pathname}${url.search}` } : request;
  };
}

export function falFor(server: TestServer, key = server.key) {
  return createFalClient({ credentials: key, requestMiddleware: toRetouch(server.url) });
}

/**
 * A server whose single worker is held by a first request until `release()`: the next request
 * stays queued (to cancel it, or to see it queued), and running ones stay running.
 */
export async function busyServer(settings: Record<string, string> = {}): Promise<{ server: TestServer; engine: GatedEngine; release: () => void }> {
  const engine = new GatedEngine();
  const server = await startServer({ engine, settings: { concurrency: '1', ...settings } });
  return { server, engine, release: () => engine.release() };
}

export interface Delivery {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on 127.0.0.1 that keeps what it is sent and answers 200. */
export async function receiver() {
  const received: Delivery[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/test`,
    received,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

export async function dimensions(data: Buffer | ArrayBuffer): Promise<{ width: number; height: number; format: string }> {
  const meta = await sharp(Buffer.from(data as ArrayBuffer)).metadata();
  return { width: meta.width!, height: meta.height!, format: meta.format! };
}

export async function download(url: string): Promise<Buffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}
