import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../context.js';

/** Liveness and readiness, for load balancers and orchestrators; no key needed. */
export function healthRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/healthz', { schema: { summary: 'The process is up', tags: ['health'] } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { summary: 'The store answers and workers are taking requests', tags: ['health'] } }, async (_request, reply) => {
    const store = await deps.store.ping().then(() => true, () => false);
    const workers = store && (await deps.workersAlive().catch(() => false));
    const ready = store && workers;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: { store, workers } });
  });
}
