/**
 * A round-robin HTTP load balancer on 127.0.0.1, as a deployment puts in front of its API nodes:
 * each new request goes to the next backend, bodies and answers (event streams included) are
 * relayed as they come. Backends can be added after it starts (their ports are known only then).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Balancer {
  url: string;
  backends: string[];
  /** How many requests each backend got. */
  served: Map<string, number>;
  close(): Promise<void>;
}

export async function startBalancer(): Promise<Balancer> {
  let next = 0;
  const balancer: Balancer = { url: '', backends: [], served: new Map(), close: async () => undefined };
  const server = http.createServer((req, res) => {
    const backend = balancer.backends[next++ % balancer.backends.length];
    if (!backend) return void res.writeHead(503).end('no backend');
    balancer.served.set(backend, (balancer.served.get(backend) ?? 0) + 1);
    const to = new URL(backend);
    const upstream = http.request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end('backend failed')));
    req.pipe(upstream);
    res.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  balancer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  balancer.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return balancer;
}
