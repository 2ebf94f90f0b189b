/**
 * `GET /metrics` on a port of its own (--metrics-port), never on the public port: the numbers say
 * how busy the service is and which engines fail, which is the operator's business, not a client's.
 * A bare node:http server: it must answer when the API is overloaded.
 */
import http from 'node:http';
import type { Logger } from 'pino';
import type { Metrics } from './metrics.js';

export async function startMetricsServer(metrics: Metrics, host: string, port: number, log: Logger): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Only GET /metrics is served here.\n');
      return;
    }
    metrics.text().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err: unknown) => {
        log.error({ err }, 'metrics could not be collected');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics could not be collected\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  log.info({ address: `http://${host.includes(':') ? `[${host}]` : host}:${(server.address() as { port: number }).port}/metrics` }, 'metrics listening');
  return server;
}
