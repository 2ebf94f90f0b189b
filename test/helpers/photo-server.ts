/** Serves the fixture photos (and any extra routes a test adds) on 127.0.0.1, like a public image host. */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { PHOTOS } from './paths.js';

export interface PhotoServer {
  url: string;
  /** Adds a route: `/name` answers with these bytes (after `delayMs`, like a slow host). */
  set(name: string, body: Buffer, contentType?: string, delayMs?: number): void;
  close(): Promise<void>;
}

export async function startPhotoServer(): Promise<PhotoServer> {
  const extra = new Map<string, { body: Buffer; type: string; delayMs: number }>();
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').split('?')[0]!.slice(1));
    const added = extra.get(name);
    if (added) {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': added.type, 'content-length': added.body.length });
        res.end(added.body);
      }, added.delayMs);
      return;
    }
    const file = path.join(PHOTOS, path.basename(name));
    if (!name || !fs.existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    const body = fs.readFileSync(file);
    res.writeHead(200, { 'content-type': file.endsWith('.png') ? 'image/png' : 'image/jpeg', 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    set: (name, body, type = 'image/jpeg', delayMs = 0) => void extra.set(name, { body, type, delayMs }),
    close: () =>
      new Promise((resolve) => {
        // A delayed answer to a client that is gone (a killed worker) must not hold the close.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
