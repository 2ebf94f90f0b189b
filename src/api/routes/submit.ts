/**
 * `POST /v1/models/{model_id}`: one route per model, so that each body is validated and documented
 * by that model's own schema. Beside the seed's contract (which it keeps: the body is the model's
 * input and nothing else), a submit can ask for a webhook (`?webhook=`), be made idempotent
 * (`Idempotency-Key`), and wait for the result (`Prefer: wait=N`).
 */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { resultBody } from '../../contract/bodies.js';
import { SubmitResponse } from '../../contract/schemas.js';
import type { ModelDefinition } from '../../models/types.js';
import { LimitExceededError, QueueFullError } from '../../requests/errors.js';
import type { Enqueued, NewRequest, RequestRecord, RequestStatus } from '../../requests/types.js';
import { FINAL_STATUSES } from '../../requests/types.js';
import type { ApiDeps } from '../context.js';
import { waitForFinal } from '../follow.js';
import { principalOf } from '../plugins/auth.js';
import { unknownModel } from './models.js';

/** The longest `Prefer: wait` honoured, in seconds. */
export const MAX_WAIT_SECONDS = 60;

const SubmitQuery = Type.Object({
  webhook: Type.Optional(
    Type.String({
      format: 'webhook_uri',
      description: 'An http(s) URL that receives the result body, signed per Standard Webhooks, when the request ends.',
    }),
  ),
  webhook_events: Type.Optional(
    Type.String({ pattern: '^(in_progress)?$', description: '`in_progress` to be told when work starts too; the final status is always sent.' }),
  ),
});

const SubmitHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ minLength: 1, maxLength: 255, description: 'The same key from the same account within 24 h returns the first request.' }),
  ),
  prefer: Type.Optional(Type.String({ description: '`wait=N` (N ≤ 60): answer with the result once the request ends, or after N seconds.' })),
});

type SubmitRequest = FastifyRequest<{
  Body: Record<string, unknown>;
  Querystring: { webhook?: string; webhook_events?: string };
  Headers: { 'idempotency-key'?: string; prefer?: string };
}>;

/**
 * The seed documents defaults for its required fields too (the playground's example values). A
 * required field must still be sent, so the validator must not fill it in: those defaults are
 * kept for the catalogue and the form, and left out of the body schema.
 */
function bodySchema(input: TSchema): TSchema {
  const schema = structuredClone(input) as TSchema & { required?: string[]; properties?: Record<string, { default?: unknown }> };
  for (const name of schema.required ?? []) delete schema.properties?.[name]?.default;
  return schema;
}

export function waitSeconds(prefer: string | undefined): number | undefined {
  const m = prefer && /(?:^|[\s,;])wait=(\d+)/i.exec(prefer);
  return m ? Math.min(MAX_WAIT_SECONDS, Number(m[1])) : undefined;
}

export interface Submission {
  model: ModelDefinition;
  /** The model's input, already valid against its schema. */
  input: Record<string, unknown>;
  webhook?: NewRequest['webhook'];
  idempotencyKey?: string | undefined;
}

/**
 * Queues a request for the caller's account: the one way into the queue, for the native route and
 * for the other APIs' surfaces alike, so that every request is the same kind of request.
 */
export async function submitRequest(deps: ApiDeps, request: FastifyRequest, submission: Submission): Promise<Enqueued> {
  const { store, config } = deps;
  const principal = principalOf(request);
  const now = Date.now();
  const enqueued = await store
    .enqueue(
      {
        id: crypto.randomUUID(),
        accountId: principal.accountId,
        modelId: submission.model.id,
        input: submission.input,
        createdAt: now,
        expiresAt: now + config.retention,
        webhook: submission.webhook,
        idempotencyKey: submission.idempotencyKey,
      },
      { maxQueue: config.maxQueue, account: config.limits },
    )
    .catch((err: unknown) => {
      if (err instanceof LimitExceededError) deps.metrics?.refusals.inc({ limit: err.limit });
      else if (err instanceof QueueFullError) deps.metrics?.refusals.inc({ limit: 'max_queue' });
      throw err;
    });
  if (enqueued.created) {
    deps.metrics?.submitted.inc({ model: submission.model.id });
    deps.onEnqueued?.();
    request.log.info({ request_id: enqueued.record.id, model: submission.model.id, webhook: Boolean(submission.webhook) }, 'request queued');
  }
  return enqueued;
}

export function submitRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { models, store, config, storage } = deps;

  const submitBody = (record: RequestRecord) => {
    const base = `${config.publicUrl}/v1/requests/${record.id}`;
    return {
      request_id: record.id,
      status: record.status,
      status_url: `${base}/status`,
      result_url: `${base}/result`,
      cancel_url: `${base}/cancel`,
    };
  };

  for (const model of models.values()) {
    app.post(`/v1/models/${model.id}`, {
      schema: {
        summary: `Submit a ${model.id} request`,
        description: `${model.summary}\n\nAnswers at once with the request id and the URLs to poll; the work runs in the queue. With \`Prefer: wait=N\` the answer is the result body when the request ends within N seconds.`,
        tags: ['requests'],
        body: bodySchema(model.input),
        querystring: SubmitQuery,
        headers: SubmitHeaders,
        response: { 200: SubmitResponse },
      },
      handler: async (request: SubmitRequest, reply: FastifyReply) => {
        const { webhook, webhook_events: events } = request.query;
        const { record, created } = await submitRequest(deps, request, {
          model,
          input: request.body,
          webhook: webhook ? { url: webhook, events: events ? (events.split(',') as RequestStatus[]) : [] } : undefined,
          idempotencyKey: request.headers['idempotency-key'],
        });
        if (!created) reply.header('idempotent-replayed', 'true');

        const wait = waitSeconds(request.headers.prefer);
        if (wait === undefined) return submitBody(record);
        reply.header('preference-applied', `wait=${wait}`);
        const settled = await waitForFinal(store, record.id, wait * 1000, abortedWith(request));
        if (settled && FINAL_STATUSES.has(settled.status)) {
          // A different body than the route's schema describes: serialize it as it is.
          return reply.serializer(JSON.stringify).send(resultBody(settled, storage, config.urlTtl));
        }
        return submitBody(settled ?? record);
      },
    });
  }

  // Anything else under /v1/models is a model we do not have.
  app.post('/v1/models/*', { schema: { hide: true } }, async (request) => unknownModel(request, deps));
}

/** A signal that fires when the client goes away, so that a waiting submit stops polling. */
function abortedWith(request: FastifyRequest): AbortSignal {
  const controller = new AbortController();
  request.raw.once('close', () => controller.abort());
  return controller.signal;
}
