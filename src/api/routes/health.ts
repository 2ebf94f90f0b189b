import type { FastifyInstance } from 'fastify';
import { BUILTIN, type EngineState } from '../../engine/router.js';
import type { ApiDeps } from '../context.js';

/** Liveness and readiness, for load balancers and orchestrators; no key needed. */
export function healthRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/healthz', { schema: { summary: 'The process is up', tags: ['health'] } }, async () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'The store answers and workers are taking requests; each engine\'s state, and whether each model has a ready engine',
        tags: ['health'],
      },
    },
    async (_request, reply) => {
      // A database that does not answer within a probe's usual timeout counts as down.
      const store = await Promise.race([deps.store.ping().then(() => true, () => false), new Promise<boolean>((r) => setTimeout(r, 2_000, false).unref())]);
      const workers = store && (await deps.workersAlive().catch(() => false));
      const engines: Record<string, EngineState> = workers ? await deps.engineStates().catch(() => ({})) : {};
      // A model with no ready engine still accepts requests (they queue), so the node stays in
      // rotation; the body says which models cannot be served right now, and why.
      const models = Object.fromEntries(
        [...deps.models.keys()].map((id) => {
          const chain = deps.config.routes.get(id) ?? [BUILTIN];
          return [id, { engines: chain, ready: chain.some((name) => engines[name]?.ready === true) }];
        }),
      );
      const ready = store && workers;
      const degraded = ready && Object.values(models).some((m) => !m.ready);
      return reply
        .code(ready ? 200 : 503)
        .send({ status: ready ? (degraded ? 'degraded' : 'ready') : 'not_ready', checks: { store, workers }, engines, models });
    },
  );
}
