/**
 * The playground: the web page built from `web/` by Vite (`npm run build:web`, part of `npm install`)
 * into `dist/web/`, served at `/` with its hashed assets under `/assets/`. The page talks to the
 * server through the public API only, like any client.
 *
 *   /                index.html, `no-cache` (it names the current assets), with a strict CSP
 *   /assets/<name>   content-hashed files, cached for a year and never revalidated
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ApiDeps } from '../context.js';

/** src/api/routes or dist/api/routes: the repository root is three folders up from both. */
export const PLAYGROUND_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../dist/web');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/** One file name, no folders and no dot files: `index-Bx3k9.js`. Nothing else can reach the disk. */
const ASSET_NAME = /^[\w-]+(\.[\w-]+)+$/;

/**
 * Everything comes from this server. The output and upload URLs are absolute, built from the
 * public URL, which may name another origin than the one the page was opened at (127.0.0.1 vs
 * localhost, or a proxy in front): that origin is this server too, so images and calls may go there.
 */
function contentSecurityPolicy(publicUrl: string, bucketOrigin: string | undefined): string {
  let origin = '';
  try {
    origin = ` ${new URL(publicUrl).origin}`;
  } catch {
    // No usable public URL: 'self' alone.
  }
  // Files in a bucket: their URLs redirect there, and the policy applies to the redirect's target.
  if (bucketOrigin) origin += ` ${bucketOrigin}`;
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' blob: data:${origin}`,
    `connect-src 'self'${origin}`,
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function playgroundRoutes(app: FastifyInstance, deps: ApiDeps, dir = PLAYGROUND_DIR): void {
  const cache = new Map<string, Buffer>();

  app.get('/', { schema: { hide: true } }, async (_request, reply) => {
    let html: Buffer;
    try {
      html = await fs.readFile(path.join(dir, 'index.html'));
    } catch {
      return reply
        .code(503)
        .header('content-type', 'text/plain; charset=utf-8')
        .header('cache-control', 'no-store')
        .send('The playground is not built. Run `npm run build` (npm install does it), then reload this page.\n');
    }
    const bucket = deps.config.storageDownloads === 'redirect' ? deps.storage.directOrigin : undefined;
    return secure(reply, contentSecurityPolicy(deps.config.publicUrl, bucket))
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(html);
  });

  app.get('/assets/:name', { schema: { hide: true } }, async (request, reply) => {
    const { name } = request.params as { name: string };
    const type = TYPES[path.extname(name)];
    if (!ASSET_NAME.test(name) || !type) return reply.callNotFound();
    // Hashed names never change content: read each once.
    let body = cache.get(name);
    if (!body) {
      try {
        body = await fs.readFile(path.join(dir, 'assets', name));
      } catch {
        return reply.callNotFound();
      }
      cache.set(name, body);
    }
    return reply
      .header('content-type', type)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  });
}

function secure(reply: FastifyReply, policy: string): FastifyReply {
  return reply
    .header('content-security-policy', policy)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY');
}
