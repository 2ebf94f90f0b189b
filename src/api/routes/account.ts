/**
 * The account behind the key: its keys (`/v1/keys`) and its usage (`/v1/usage`). What
 * `retouch keys` does on the server's machine, a key holder can do for its own account over HTTP.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ApiKey } from '../../keys/types.js';
import { effectiveLimits, utcDayStart } from '../../requests/limits.js';
import type { ApiDeps } from '../context.js';
import { KeyNotFoundError } from '../errors.js';
import { principalOf } from '../plugins/auth.js';

const KeyInfo = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    prefix: Type.String({ description: 'The first characters of the key, to recognise it.' }),
    created_at: Type.String({ format: 'date-time' }),
    revoked_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    current: Type.Boolean({ description: 'The key this call was made with.' }),
  },
  { title: 'Key' },
);

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function accountRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { keys, store } = deps;
  const info = (k: ApiKey, currentId: string) => ({
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    created_at: new Date(k.createdAt).toISOString(),
    revoked_at: iso(k.revokedAt),
    current: k.id === currentId,
  });

  app.get('/v1/keys', {
    schema: { summary: "List the account's keys", tags: ['account'], response: { 200: Type.Object({ keys: Type.Array(KeyInfo) }) } },
    handler: async (request) => {
      const p = principalOf(request);
      return { keys: (await keys.list(p.accountId)).map((k) => info(k, p.keyId)) };
    },
  });

  app.post('/v1/keys', {
    schema: {
      summary: 'Create a key in the account; the key is shown in this answer only',
      tags: ['account'],
      body: Type.Optional(Type.Object({ name: Type.Optional(Type.String({ maxLength: 100 })) })),
      response: { 200: Type.Object({ ...KeyInfo.properties, key: Type.String() }) },
    },
    handler: async (request: FastifyRequest<{ Body: { name?: string } | undefined }>) => {
      const p = principalOf(request);
      const { key, token } = await keys.create({ name: request.body?.name, accountId: p.accountId });
      request.log.info({ key_id: key.id }, 'key created');
      return { ...info(key, p.keyId), key: token };
    },
  });

  app.delete('/v1/keys/:key_id', {
    schema: {
      summary: 'Revoke a key of the account',
      tags: ['account'],
      params: Type.Object({ key_id: Type.String({ maxLength: 64 }) }),
      response: { 200: Type.Object({ id: Type.String(), revoked: Type.Literal(true) }) },
    },
    handler: async (request: FastifyRequest<{ Params: { key_id: string } }>) => {
      const p = principalOf(request);
      const key = await keys.get(request.params.key_id);
      if (!key || key.accountId !== p.accountId) throw new KeyNotFoundError(request.params.key_id);
      await keys.revoke(key.id);
      request.log.info({ key_id: key.id }, 'key revoked');
      return { id: key.id, revoked: true as const };
    },
  });

  app.get('/v1/usage', {
    schema: {
      summary: 'What the account used per day: requests by how they ended, images, megapixels, compute, engines, upstream figures',
      description:
        'Days are UTC; a request counts on the day it ended. Read from the usage ledger, which keeps each ended request for --usage-retention (a year by default), whatever --retention deletes.',
      tags: ['account'],
      querystring: Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366, default: 30 })) }),
      response: {
        200: Type.Object({
          days: Type.Array(
            Type.Object({
              day: Type.String(),
              requests: Type.Integer({ description: 'Requests that ended that day.' }),
              completed: Type.Integer(),
              failed: Type.Integer(),
              cancelled: Type.Integer(),
              images: Type.Integer({ description: 'Output images.' }),
              output_megapixels: Type.Number(),
              compute_seconds: Type.Number(),
              engines: Type.Record(Type.String(), Type.Integer(), { description: 'Completed requests per engine.' }),
              upstream: Type.Record(Type.String(), Type.Number(), { description: "The engines' upstream figures (images, tokens, cost_usd), summed." }),
              upstream_images: Type.Integer({ description: 'Images hosted providers made (upstream.images).' }),
              upstream_cost_usd: Type.Number({ description: 'What hosted providers charged, where they report it (upstream.cost_usd).' }),
            }),
          ),
          limits: Type.Object(
            {
              rpm: Type.Optional(Type.Integer()),
              concurrent: Type.Optional(Type.Integer()),
              daily_images: Type.Optional(Type.Integer()),
            },
            { description: 'The limits in force for this account; an absent one is not limited.' },
          ),
        }),
      },
    },
    handler: async (request: FastifyRequest<{ Querystring: { days?: number } }>) => {
      const days = request.query.days ?? 30;
      const since = utcDayStart(Date.now()) - (days - 1) * 86_400_000;
      const accountId = principalOf(request).accountId;
      const [rows, overrides] = await Promise.all([store.usageByDay(accountId, since), store.limitOverrides(accountId)]);
      const limits = effectiveLimits(deps.config.limits, overrides);
      return {
        days: rows.map(({ outputMegapixels, computeSeconds, ...d }) => ({
          ...d,
          output_megapixels: outputMegapixels,
          compute_seconds: computeSeconds,
          upstream_images: d.upstream.images ?? 0,
          upstream_cost_usd: Math.round((d.upstream.cost_usd ?? 0) * 1e6) / 1e6,
        })),
        limits: { rpm: limits.rpm, concurrent: limits.concurrent, daily_images: limits.dailyImages },
      };
    },
  });
}
