import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../context.js';

/** Liveness and readiness, for load balancers and orchestrators; no key needed. */
export function healthRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/healthz', { schema: { summary: 'The process is up', tags: ['health'] } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { summary: 'The store answers and workers are taking requests', tags: ['health'] } }, async (_request, reply) => {
    // A database that does not answer within a probe's usual timeout counts as down.
    const store = await Promise.race([deps.store.ping().then(() => true, () => false), new Promise<boolean>((r) => setTimeout(r, 2_000, false).unref())]);
    const workers = store && (await deps.workersAlive().catch(() => false));
    const ready = store && workers;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: { store, workers } });
  });
}
