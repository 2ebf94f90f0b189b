/** The catalogue: `GET /v1/models` and `GET /v1/models/{model_id}`. */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { Output } from '../../contract/schemas.js';
import { BUILTIN } from '../../engine/router.js';
import type { ModelDefinition } from '../../models/types.js';
import type { ApiDeps } from '../context.js';
import { UnknownModelError } from '../errors.js';

/** What every model of this server answers, the seed's output schema without the video fields. */
const OUTPUT_SCHEMA = { output: Output };

/** The engines that serve a model, in the order they are tried, as the configuration names them. */
function enginesOf(m: ModelDefinition, deps: ApiDeps): { name: string; type: string }[] {
  return (deps.config.routes.get(m.id) ?? [BUILTIN]).map((name) => ({ name, type: deps.config.engines[name]?.type ?? BUILTIN }));
}

const describeModel = (m: ModelDefinition, deps: ApiDeps) => ({
  id: m.id,
  title: m.title,
  summary: m.summary,
  input_schema: m.input,
  output_schema: OUTPUT_SCHEMA,
  engines: enginesOf(m, deps),
});

const ModelInfo = Type.Object(
  {
    id: Type.String(),
    title: Type.String(),
    summary: Type.String(),
    input_schema: Type.Unknown({ description: 'JSON Schema of the request body.' }),
    output_schema: Type.Unknown(),
    engines: Type.Array(Type.Object({ name: Type.String(), type: Type.String() }), {
      description: 'The engines that run this model, in the order they are tried (a retouch addition).',
    }),
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
    handler: async () => ({ models: [...models.values()].map((m) => describeModel(m, deps)) }),
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
