/**
 * How retouch serves the playground: index.html at `/` (no-cache, a CSP that allows only this
 * server), the hashed assets under `/assets/` (cached for good), nothing else from the disk; and
 * the API, `/docs`, `/openapi.json`, `/healthz` and `/files/…` beside it as before.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { playgroundRoutes } from '../../src/api/routes/playground.js';
import { ROOT, tempDir } from '../helpers/paths.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { assertPlaygroundBuilt } from './browser.js';

let server: TestServer;

beforeAll(async () => {
  assertPlaygroundBuilt();
  server = await startServer({ worker: false });
});

afterAll(async () => {
  await server?.close();
});

const get = (p: string) => fetch(server.url + p);

function rawGet(target: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(`GET ${target} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`));
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve({ status: Number(text.split(' ')[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4) }));
  });
}

describe('the playground at /', () => {
  it('serves index.html with no-cache and a Content-Security-Policy of this server only', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    // Beside 'self', only the public URL's origin (this server too), and the page's own blob:/data: images.
    const sources = csp.split(';').flatMap((d) => d.trim().split(/\s+/).slice(1));
    expect(new Set(sources.filter((s) => s.startsWith('http')))).toEqual(new Set([new URL(server.url).origin]));
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');

    const html = await res.text();
    expect(html).toContain('<div id="app">');
    // Everything the page loads comes from here: no CDN, no web fonts.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/<script>|<style>| style=/);
  });

  it('serves every built asset with a year-long immutable cache and its type', async () => {
    const html = await (await get('/')).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      const res = await get(asset);
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const type = res.headers.get('content-type')!;
      if (asset.endsWith('.js')) expect(type).toBe('text/javascript; charset=utf-8');
      if (asset.endsWith('.css')) expect(type).toBe('text/css; charset=utf-8');
      const body = Buffer.from(await res.arrayBuffer());
      expect(body.equals(fs.readFileSync(path.join(ROOT, 'dist/web', asset)))).toBe(true);
    }
  });

  it('reaches nothing on the disk but the built assets', async () => {
    // Sent byte for byte: fetch and inject would tidy the dot segments away first.
    const paths = ['/assets/nope.js', '/assets/..%2F..%2Fpackage.json', '/assets/%2e%2e', '/assets/..', '/assets/.hidden.js', '/assets/index.html', '/index.html', '/web/src/main.tsx'];
    for (const p of paths) {
      const { status, body } = await rawGet(p);
      expect(status, p).toBe(404);
      expect(JSON.parse(body).error_code, p).toBe(404002);
    }
  });

  it('leaves the API, the docs and the probes as they were', async () => {
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/openapi.json')).status).toBe(200);
    expect((await get('/docs')).status).toBeLessThan(400);
    expect((await get('/v1/models')).status).toBe(200);
    expect((await server.api('/v1/requests')).status).toBe(200);
    expect((await get('/v1/requests')).status).toBe(401);
    // The playground routes stay out of the API reference.
    const doc = await (await get('/openapi.json')).json();
    expect(Object.keys(doc.paths)).not.toContain('/');
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/assets'))).toBe(false);
  });

  it('says how to build the page when it is not built', async () => {
    const app = Fastify();
    playgroundRoutes(app, { config: server.config } as never, tempDir());
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build');
    await app.close();
  });
});
