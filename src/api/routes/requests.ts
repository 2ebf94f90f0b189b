/** Status, result and cancel of one request, for its owner only. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CancelOutcome, RequestRecord } from '../../requests/types.js';
import type { ApiDeps } from '../context.js';
import { ForbiddenRequestError, NotCancellableError, RequestNotFoundError } from '../errors.js';
import { principalOf } from '../plugins/auth.js';
import { resultBody, statusBody } from '../../contract/bodies.js';
import { CancelResponse, RequestParams, ResultResponse, StatusResponse } from '../../contract/schemas.js';

type WithId = FastifyRequest<{ Params: { request_id: string } }>;

function assertOwner(request: FastifyRequest, record: RequestRecord | undefined, id: string): RequestRecord {
  if (!record) throw new RequestNotFoundError(id);
  if (record.accountId !== principalOf(request).accountId) throw new ForbiddenRequestError();
  return record;
}

/**
 * Cancels a request, wherever the cancel comes from (this route, a surface's cancel, a synchronous
 * call whose caller left): the store's atomic cancel, then what a cancel sets off: the upstream job
 * or ComfyUI prompt an earlier attempt checkpointed is stopped, and the request is counted as
 * finished. Ownership is the caller's to check first.
 */
export async function cancelRequest(deps: Pick<ApiDeps, 'store' | 'onCancelledUpstream' | 'metrics'>, id: string): Promise<CancelOutcome> {
  const outcome = await deps.store.cancel(id, Date.now());
  if (outcome.outcome === 'cancelled') {
    if (outcome.engineState) deps.onCancelledUpstream?.(id, outcome.engineState);
    deps.metrics?.finished.inc({ model: outcome.record.modelId, status: 'cancelled', engine: '' });
  }
  return outcome;
}

export function requestRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { store, storage, config } = deps;

  const load = async (request: WithId) => {
    const id = request.params.request_id;
    return assertOwner(request, await store.get(id), id);
  };

  app.get('/v1/requests/:request_id/status', {
    schema: { summary: 'Get the status of a request', tags: ['requests'], params: RequestParams, response: { 200: StatusResponse } },
    handler: async (request: WithId) => statusBody(await load(request)),
  });

  app.get('/v1/requests/:request_id/result', {
    schema: {
      summary: 'Get the result of a request',
      description: 'The outputs once completed; the error once failed; the status body while it is not finished.',
      tags: ['requests'],
      params: RequestParams,
      response: { 200: ResultResponse },
    },
    handler: async (request: WithId) => resultBody(await load(request), storage, config.urlTtl),
  });

  app.post('/v1/requests/:request_id/cancel', {
    schema: {
      summary: 'Cancel a queued request',
      description: 'Only a queued request can be cancelled; a running or finished one answers 409001 and stays as it was.',
      tags: ['requests'],
      params: RequestParams,
      response: { 200: CancelResponse },
    },
    handler: async (request: WithId) => {
      const id = request.params.request_id;
      // Check ownership before acting, so that nobody can cancel another account's request.
      await load(request);
      const result = await cancelRequest(deps, id);
      switch (result.outcome) {
        case 'cancelled':
          return { request_id: id, status: 'cancelled' as const };
        case 'already_cancelled':
          return { request_id: id, status: 'cancelled' as const };
        case 'not_cancellable':
          throw new NotCancellableError(result.record.status);
        case 'not_found':
          throw new RequestNotFoundError(id);
      }
    },
  });
}
