/** Routing a retouch test server to one provider engine (its fake standing in), then builtin. */
import sharp from 'sharp';
import type { Config } from '../../../src/config.js';
import { dataUri } from '../../helpers/paths.js';
import type { TestServer } from '../../helpers/server.js';

export const MODEL = 'bytedance/dreamina-4-0/edit';

export const TWO_REFERENCES = { image_urls: [dataUri('coffee.png'), dataUri('horse.png')], prompt: 'put the horse on the coffee table', 'width×height': '1024x1024(1:1)' };

/** What builtin serves quickly when a provider is down: one reference, a tone edit. */
export const QUICK = { image_urls: [dataUri('coffee.png')], prompt: 'make it brighter', 'width×height': '1024x1024(1:1)' };

/** A configuration with `engine` of `type` first and builtin second, retries and polls kept short. */
export function routedTo(type: string, options: Record<string, unknown>, extra: { timeoutMs?: number; chain?: string[] } = {}) {
  return (config: Config) => {
    config.engines.provider = {
      type,
      options: { retry_delay: '50ms', poll_interval: '50ms', ...options },
      ...(extra.timeoutMs && { timeoutMs: extra.timeoutMs }),
    };
    config.routes = new Map([[MODEL, extra.chain ?? ['provider', 'builtin']]]);
  };
}

export async function submitAndWait(server: TestServer, body: unknown, timeoutMs = 60_000): Promise<any> {
  const res = await server.submit(body);
  if (res.status !== 200) throw new Error(`submit answered ${res.status}: ${await res.text()}`);
  return server.waitForResult((await res.json()).request_id, timeoutMs);
}

/** Each output's size, read from the bytes retouch stores and serves. */
export async function outputSizes(result: { output: { images: string[] } }): Promise<string[]> {
  return Promise.all(
    result.output.images.map(async (url) => {
      const meta = await sharp(Buffer.from(await (await fetch(url)).arrayBuffer())).metadata();
      return `${meta.width}x${meta.height}`;
    }),
  );
}

/** No client-facing body may carry a provider's link or its token. */
export function expectNoUpstreamLinks(body: unknown, providerUrl: string): void {
  const text = JSON.stringify(body);
  if (text.includes(new URL(providerUrl).host) || text.includes('secret-token')) throw new Error(`a provider link leaked into a client body: ${text}`);
}

/** A loopback URL where nothing listens: a provider that is down. */
export async function downUrl(path = ''): Promise<string> {
  const net = await import('node:net');
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as import('node:net').AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}${path}`;
}

/** Polls `read` until `ok` holds, or throws after `ms`. */
export async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
