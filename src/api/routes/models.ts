/**
 * The catalogue and submission: `GET /v1/models` and `POST /v1/models/{model_id}`, one route per
 * model so that each body is validated and documented by that model's own schema.
 */
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type, type TSchema } from 'typebox';
import type { ModelDefinition } from '../../models/types.js';
import type { ApiDeps } from '../context.js';
import { UnknownModelError } from '../errors.js';
import { principalOf } from '../plugins/auth.js';
import { SubmitResponse } from '../schemas.js';

const OUTPUT_SCHEMA = {
  output: {
    type: 'object',
    properties: {
      image: { type: 'string', format: 'uri', description: 'Single image URL' },
      images: { type: 'array', description: 'Several image URLs', items: { type: 'string', format: 'uri' } },
    },
  },
};

const describeModel = (m: ModelDefinition) => ({
  id: m.id,
  title: m.title,
  summary: m.summary,
  input_schema: m.input,
  output_schema: OUTPUT_SCHEMA,
});

const ModelInfo = Type.Object(
  {
    id: Type.String(),
    title: Type.String(),
    summary: Type.String(),
    input_schema: Type.Unknown({ description: 'JSON Schema of the request body.' }),
    output_schema: Type.Unknown(),
  },
  { title: 'Model' },
);

/** The catalogue is public: a client (or the playground) can build its form before it has a key. */
export function catalogueRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { models } = deps;
  app.get('/v1/models', {
    schema: {
      summary: 'List the models this server runs, with their input schemas',
      tags: ['models'],
      security: [],
      response: { 200: Type.Object({ models: Type.Array(ModelInfo) }) },
    },
    handler: async () => ({ models: [...models.values()].map(describeModel) }),
  });
  for (const model of models.values()) {
    app.get(`/v1/models/${model.id}`, {
      schema: { summary: `Describe ${model.id}`, tags: ['models'], security: [], response: { 200: ModelInfo } },
      handler: async () => describeModel(model),
    });
  }
  app.get('/v1/models/*', { schema: { hide: true } }, async (request) => unknownModel(request, deps));
}

function unknownModel(request: { params: unknown }, deps: ApiDeps): never {
  const id = (request.params as { '*': string })['*'] ?? '';
  throw new UnknownModelError(id, [...deps.models.keys()]);
}

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

export function submitRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { models, store, config } = deps;
  for (const model of models.values()) {
    app.post(`/v1/models/${model.id}`, {
      schema: {
        summary: `Submit a ${model.id} request`,
        description: `${model.summary}\n\nAnswers at once with the request id and the URLs to poll; the work runs in the queue.`,
        tags: ['requests'],
        body: bodySchema(model.input),
        response: { 200: SubmitResponse },
      },
      handler: async (request) => {
        const principal = principalOf(request);
        const now = Date.now();
        const record = await store.enqueue(
          {
            id: crypto.randomUUID(),
            accountId: principal.accountId,
            modelId: model.id,
            input: request.body,
            createdAt: now,
            expiresAt: now + config.retention,
          },
          { maxQueue: config.maxQueue },
        );
        deps.onEnqueued?.();
        request.log.info({ request_id: record.id, model: model.id }, 'request queued');
        const base = `${config.publicUrl}/v1/requests/${record.id}`;
        return {
          request_id: record.id,
          status: 'in_queue' as const,
          status_url: `${base}/status`,
          result_url: `${base}/result`,
          cancel_url: `${base}/cancel`,
        };
      },
    });
  }

  // Anything else under /v1/models is a model we do not have.
  app.post('/v1/models/*', { schema: { hide: true } }, async (request) => unknownModel(request, deps));
}
