/**
 * A real HTTP server on 127.0.0.1 (random port) that serves the fixture photos, generated images,
 * and the malicious responses of the corpus. Streams respect back-pressure and stop when the client
 * goes away, and the server counts requests and bytes sent, so tests can show that a refusal
 * stopped the download early.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Stats {
  requests: Map<string, number>;
  bytesSent: Map<string, number>;
  userAgents: string[];
  headersSeen: http.IncomingHttpHeaders[];
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, ctx: HandlerContext) => void | Promise<void>;

export interface HandlerContext {
  /** Writes with back-pressure; false once the client has gone. Counts the bytes. */
  write(chunk: Buffer): Promise<boolean>;
  path: string;
}

export interface TestServer {
  port: number;
  /** Base URL by name: http://images.test:<port>, which the test lookup maps to 127.0.0.1. */
  base: string;
  stats: Stats;
  route(prefix: string, handler: Handler): void;
  /** Bytes to serve at a path, as image/jpeg unless told otherwise. */
  file(path: string, data: Buffer, contentType?: string): void;
  resetStats(): void;
  close(): Promise<void>;
}

export async function startServer(): Promise<TestServer> {
  const routes: [string, Handler][] = [];
  const sockets = new Set<Socket>();
  const stats: Stats = { requests: new Map(), bytesSent: new Map(), userAgents: [], headersSeen: [] };
  const count = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    count(stats.requests, path, 1);
    stats.userAgents.push(req.headers['user-agent'] ?? '');
    stats.headersSeen.push(req.headers);
    const ctx: HandlerContext = {
      path,
      async write(chunk) {
        if (res.destroyed || res.writableEnded) return false;
        count(stats.bytesSent, path, chunk.length);
        if (!res.write(chunk)) {
          const closed = once(res, 'close').then(() => false);
          const drained = once(res, 'drain').then(() => true);
          return Promise.race([closed, drained]);
        }
        return !res.destroyed;
      },
    };
    const match = routes
      .filter(([p]) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`))
      .sort((a, b) => b[0].length - a[0].length)[0];
    if (!match) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    Promise.resolve(match[1](req, res, ctx)).catch(() => res.destroy());
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    base: `http://images.test:${port}`,
    stats,
    route(prefix, handler) {
      routes.push([prefix, handler]);
    },
    file(path, data, contentType = 'image/jpeg') {
      routes.push([
        path,
        (_req, res) => {
          count(stats.bytesSent, path, data.length);
          res.writeHead(200, { 'content-type': contentType, 'content-length': data.length }).end(data);
        },
      ]);
    },
    resetStats() {
      stats.requests.clear();
      stats.bytesSent.clear();
      stats.userAgents.length = 0;
      stats.headersSeen.length = 0;
    },
    async close() {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** Streams `head`, then `filler` again and again until the client leaves (or `limit` bytes). */
export function endless(head: Buffer, filler: Buffer, headers: http.OutgoingHttpHeaders = {}, limit = Infinity): Handler {
  return async (_req, res, ctx) => {
    res.writeHead(200, { 'content-type': 'image/jpeg', ...headers });
    let sent = 0;
    if (!(await ctx.write(head))) return;
    sent += head.length;
    while (sent < limit) {
      if (!(await ctx.write(filler))) return;
      sent += filler.length;
    }
    res.end();
  };
}

/** One byte every `everyMs`, for ever: the slow-loris source. */
export function trickle(head: Buffer, everyMs: number): Handler {
  return async (_req, res, ctx) => {
    res.writeHead(200, { 'content-type': 'image/png' });
    for (let i = 0; ; i++) {
      const b = i < head.length ? head.subarray(i, i + 1) : Buffer.from([0]);
      if (!(await ctx.write(b))) return;
      await sleep(everyMs);
    }
  };
}

/** Writes raw bytes on the socket, bypassing Node's HTTP framing (to lie about Content-Length). */
export function raw(response: Buffer, then?: Buffer): Handler {
  return async (req) => {
    const socket = req.socket;
    socket.write(response);
    if (then) {
      for (let i = 0; i < 2000 && !socket.destroyed; i++) {
        if (!socket.write(then)) await Promise.race([once(socket, 'drain'), once(socket, 'close')]);
      }
    }
    socket.end();
  };
}
