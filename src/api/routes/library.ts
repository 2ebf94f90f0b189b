/**
 * An account's requests as a library: `GET /v1/requests` (newest first, paged), `GET /v1/requests/{id}`
 * (everything, the input included, to look at or run again) and `DELETE /v1/requests/{id}` (with its
 * files). The playground uses these like any client.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { resultBody } from '../../contract/bodies.js';
import { RequestParams, ResultResponse } from '../../contract/schemas.js';
import type { RequestSummary } from '../../requests/types.js';
import type { ApiDeps } from '../context.js';
import { ForbiddenRequestError, NotDeletableError, RequestNotFoundError } from '../errors.js';
import { principalOf } from '../plugins/auth.js';

const LibraryItem = Type.Object(
  {
    ...ResultResponse.properties,
    model_id: Type.String(),
    prompt: Type.Union([Type.String(), Type.Null()]),
    image_count: Type.Integer(),
    thumbnail_url: Type.Optional(Type.String({ format: 'uri' })),
  },
  { title: 'Library item' },
);

const ListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  before: Type.Optional(Type.String({ maxLength: 20, description: 'The `next_cursor` of the previous page.' })),
});

export function libraryRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { store, storage, config } = deps;

  const item = (r: RequestSummary) => {
    const body = resultBody(r, storage, config.urlTtl);
    const thumbnail = r.result?.thumbnail;
    return {
      ...body,
      model_id: r.modelId,
      prompt: r.prompt,
      image_count: r.imageCount,
      ...(thumbnail ? { thumbnail_url: storage.signedUrl(thumbnail, Math.min((r.finishedAt ?? r.createdAt) + config.urlTtl, r.expiresAt)) } : {}),
    };
  };

  const owned = async (request: FastifyRequest<{ Params: { request_id: string } }>) => {
    const id = request.params.request_id;
    const record = await store.get(id);
    if (!record) throw new RequestNotFoundError(id);
    if (record.accountId !== principalOf(request).accountId) throw new ForbiddenRequestError();
    return record;
  };

  app.get('/v1/requests', {
    schema: {
      summary: "List the account's requests, newest first",
      tags: ['library'],
      querystring: ListQuery,
      response: { 200: Type.Object({ requests: Type.Array(LibraryItem), next_cursor: Type.Union([Type.String(), Type.Null()]) }) },
    },
    handler: async (request: FastifyRequest<{ Querystring: { limit?: number; before?: string } }>) => {
      const page = await store.listByAccount(principalOf(request).accountId, { limit: request.query.limit ?? 20, before: request.query.before });
      return { requests: page.items.map(item), next_cursor: page.next };
    },
  });

  app.get('/v1/requests/:request_id', {
    schema: {
      summary: 'Get a request with its input',
      tags: ['library'],
      params: RequestParams,
      response: { 200: Type.Object({ ...ResultResponse.properties, model_id: Type.String(), input: Type.Unknown() }) },
    },
    handler: async (request: FastifyRequest<{ Params: { request_id: string } }>) => {
      const record = await owned(request);
      return { ...resultBody(record, storage, config.urlTtl), model_id: record.modelId, input: await store.inputOf(record.id) };
    },
  });

  app.delete('/v1/requests/:request_id', {
    schema: {
      summary: 'Delete a finished request and its files',
      tags: ['library'],
      params: RequestParams,
      response: { 200: Type.Object({ request_id: Type.String(), deleted: Type.Literal(true) }) },
    },
    handler: async (request: FastifyRequest<{ Params: { request_id: string } }>) => {
      const record = await owned(request);
      if (!(await store.deleteFinished(record.id))) throw new NotDeletableError(record.status);
      await storage.deletePrefix(`outputs/${record.id}`);
      request.log.info({ request_id: record.id }, 'request deleted');
      return { request_id: record.id, deleted: true as const };
    },
  });
}
