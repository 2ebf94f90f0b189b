/**
 * The catalogue: `GET /v1/models` (with the hosted service's `search`, `category`, `kind`,
 * `include_schema`, `limit` and `offset`, which its own clients send), `GET /v1/models/categories`
 * and `GET /v1/models/{model_id}`.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { Output } from '../../contract/schemas.js';
import { BUILTIN, engineChain } from '../../engine/router.js';
import type { ModelDefinition } from '../../models/types.js';
import type { ApiDeps } from '../context.js';
import { UnknownModelError } from '../errors.js';

/** What every model of this server answers, the seed's output schema without the video fields. */
const OUTPUT_SCHEMA = { output: Output };

/** The engines that serve a model, in the order they are tried, as the configuration names them. */
function enginesOf(m: ModelDefinition, deps: ApiDeps): { name: string; type: string }[] {
  return engineChain(deps.config.routes, m.id).map((name) => ({ name, type: deps.config.engines[name]?.type ?? BUILTIN }));
}

const describeModel = (m: ModelDefinition, deps: ApiDeps, withSchema = true) => ({
  id: m.id,
  // The hosted service's names for the same facts, which its clients read.
  model_id: m.id,
  title: m.title,
  display_name: m.title,
  summary: m.summary,
  categories: m.categories,
  kind: 'model',
  ...(withSchema && { input_schema: m.input, output_schema: OUTPUT_SCHEMA }),
  engines: enginesOf(m, deps),
});

const ListQuery = Type.Object({
  search: Type.Optional(Type.String({ maxLength: 200, description: 'Words that the id, title, summary or a category contain (any case).' })),
  category: Type.Optional(Type.String({ maxLength: 100 })),
  kind: Type.Optional(Type.String({ maxLength: 100 })),
  include_schema: Type.Optional(Type.Boolean({ description: 'Schemas are included unless this is false.' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
});

function matches(m: ModelDefinition, q: { search?: string | undefined; category?: string | undefined; kind?: string | undefined }): boolean {
  if (q.category && !m.categories.includes(q.category.toLowerCase())) return false;
  if (q.kind && q.kind.toLowerCase() !== 'model') return false;
  if (!q.search?.trim()) return true;
  const text = [m.id, m.title, m.summary, ...m.categories].join(' ').toLowerCase();
  return q.search.toLowerCase().split(/\s+/).filter(Boolean).every((word) => text.includes(word));
}

const ModelInfo = Type.Object(
  {
    id: Type.String(),
    title: Type.String(),
    summary: Type.String(),
    model_id: Type.String({ description: 'The same as id, under the hosted service\'s name.' }),
    display_name: Type.String({ description: 'The same as title, under the hosted service\'s name.' }),
    categories: Type.Array(Type.String()),
    kind: Type.String(),
    input_schema: Type.Optional(Type.Unknown({ description: 'JSON Schema of the request body.' })),
    output_schema: Type.Optional(Type.Unknown()),
    engines: Type.Array(Type.Object({ name: Type.String(), type: Type.String() }), {
      description: 'The engines that run this model, in the order they are tried (a retouch addition).',
    }),
  },
  { title: 'Model' },
);

/** The catalogue is public: a client (or the playground) can build its form before it has a key. */
export function catalogueRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { models } = deps;
  app.get<{ Querystring: { search?: string; category?: string; kind?: string; include_schema?: boolean; limit?: number; offset?: number } }>(
    '/v1/models',
    {
      schema: {
        summary: 'List the models this server runs, with their input schemas',
        tags: ['models'],
        security: [],
        querystring: ListQuery,
        response: {
          200: Type.Object({
            models: Type.Array(ModelInfo),
            total: Type.Integer({ description: 'Models matching the filters, on every page.' }),
            limit: Type.Integer(),
            offset: Type.Integer(),
          }),
        },
      },
    },
    async (request) => {
      const { limit = 50, offset = 0, include_schema } = request.query;
      const found = [...models.values()].filter((m) => matches(m, request.query));
      return {
        models: found.slice(offset, offset + limit).map((m) => describeModel(m, deps, include_schema !== false)),
        total: found.length,
        limit,
        offset,
      };
    },
  );
  app.get('/v1/models/categories', {
    schema: {
      summary: 'The categories of the models this server runs',
      tags: ['models'],
      security: [],
      response: { 200: Type.Object({ categories: Type.Array(Type.String()) }) },
    },
    handler: async () => ({ categories: [...new Set([...models.values()].flatMap((m) => m.categories))].sort() }),
  });
  for (const model of models.values()) {
    app.get(`/v1/models/${model.id}`, {
      schema: { summary: `Describe ${model.id}`, tags: ['models'], security: [], response: { 200: ModelInfo } },
      handler: async () => describeModel(model, deps),
    });
  }
  app.get('/v1/models/*', { schema: { hide: true } }, async (request) => unknownModel(request, deps));
}

export function unknownModel(request: { params: unknown }, deps: ApiDeps): never {
  const id = (request.params as { '*': string })['*'] ?? '';
  throw new UnknownModelError(id, [...deps.models.keys()]);
}
