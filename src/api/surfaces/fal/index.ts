/**
 * fal's API under /fal, for the `@fal-ai/client` package and apps written for fal's Seedream 4 edit
 * endpoint (`fal-ai/bytedance/seedream/v4/edit`): the queue (submit; status with logs, its event
 * stream; result; cancel), the synchronous run, the storage upload its client makes for Blob and
 * File inputs, webhooks (`fal_webhook`) signed as fal signs them, and fal's proxy convention
 * (`x-fal-target-url`), so that `createFalClient({ proxyUrl: '…/fal/proxy' })` works unchanged.
 * Keys: `Authorization: Key <key>`, as the fal client sends its credentials.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PublicError } from '../../../errors.js';
import { watchRequest } from '../../follow.js';
import { principalOf } from '../../plugins/auth.js';
import { cancelRequest } from '../../routes/requests.js';
import { submitRequest } from '../../routes/submit.js';
import { schemaValidator, toErrorDetails, webhookUrlProblem } from '../../validation.js';
import { ownRequest, waitForSyncCall, type SurfaceContext } from '../shared/context.js';
import { storedInput } from '../shared/record.js';
import { setUpSurfaceScope, type FieldProblem } from '../shared/scope.js';
import { eventStreams } from '../shared/sse.js';
import { falUrls, resultAnswer, statusBody, type FalAnswer } from './bodies.js';
import { queueCall, targetCall, type FalCall } from './calls.js';
import { falProblem, renderFalProblem } from './errors.js';
import type { FalWebhookKey } from './key.js';
import { FAL_APP, FAL_ENDPOINT, FalInput } from './schema.js';
import { FalFileUrlError, falStorageRoutes, initiateUpload, storageUrlOfFile } from './storage.js';
import { FalInputError, translateFal } from './translate.js';

export { FAL_PREFIX } from './bodies.js';

const TARGET_URL_HEADER = 'x-fal-target-url';

export async function falSurface(app: FastifyInstance, options: { ctx: SurfaceContext; key: FalWebhookKey }): Promise<void> {
  const { ctx, key } = options;
  const { store, keys } = ctx.deps;
  setUpSurfaceScope(app, {
    keys,
    schemes: ['Key', 'Bearer'],
    render: renderFalProblem,
    notFound: (request) => falProblem(404, `No route ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}.`),
  });
  const openStream = eventStreams(app, ctx.keepAliveMs);
  const validateInput = schemaValidator('body').compile(FalInput);

  const notFound = () => new PublicError(404, 404001, 'Request not found');

  const validated = (body: unknown): FalInput => {
    const input = (body ?? {}) as FalInput;
    if (validateInput(input)) return input;
    const fields: FieldProblem[] = (validateInput.errors ?? []).map((e) => ({ ...toErrorDetails([e], 'body')[0]!, keyword: e.keyword }));
    throw new PublicError(422, 422001, fields.map((f) => f.msg).join('; '), fields);
  };

  /** A fal storage file URL becomes the storage URL the worker reads it from. */
  const imageUrlsOf = (urls: string[]) =>
    Promise.all(
      urls.map(async (url, i) => {
        try {
          return (await storageUrlOfFile(ctx, url)) ?? url;
        } catch (err) {
          if (!(err instanceof FalFileUrlError)) throw err;
          throw new FalInputError(['image_urls', i], `image_urls[${i}]: ${err.message}`, 'file_download_error');
        }
      }),
    );

  const send = (reply: FastifyReply, answer: FalAnswer) => {
    for (const [name, value] of Object.entries(answer.headers ?? {})) reply.header(name, value);
    return reply.code(answer.status).send(answer.body);
  };

  const enqueue = async (request: FastifyRequest, endpoint: string, query: URLSearchParams) => {
    if (endpoint !== FAL_ENDPOINT) throw new PublicError(404, 404001, `Application ${endpoint.slice(0, 100)} is not served here; retouch runs ${FAL_ENDPOINT}.`);
    const input = validated(request.body);
    const header = (name: string) => (typeof request.headers[name] === 'string' ? (request.headers[name] as string) : undefined);
    const translated = translateFal(input, await imageUrlsOf(input.image_urls), {
      priority: header('x-fal-queue-priority'),
      lifecycle: header('x-fal-object-lifecycle-preference'),
    });
    const webhook = query.get('fal_webhook') ?? undefined;
    const problem = webhook === undefined ? undefined : webhookUrlProblem(webhook);
    if (problem) throw new FalInputError(['fal_webhook'], `fal_webhook ${problem}`, 'value_error');
    return submitRequest(ctx.deps, request, { model: ctx.model, input: storedInput(translated), webhook: webhook ? { url: webhook, events: [] } : undefined });
  };

  const ownApp = (app: string) => app === FAL_APP || app === FAL_ENDPOINT;

  const handle = async (call: FalCall, request: FastifyRequest, reply: FastifyReply) => {
    switch (call.kind) {
      case 'initiate':
        return initiateUpload(ctx, principalOf(request).accountId);

      case 'submit': {
        const { record } = await enqueue(request, call.endpoint, call.query);
        reply.header('x-fal-request-id', record.id);
        return { status: 'IN_QUEUE', request_id: record.id, gateway_request_id: record.id, ...falUrls(ctx, record.id), queue_position: record.queuePosition ?? 0 };
      }

      case 'run': {
        const { record } = await enqueue(request, call.endpoint, call.query);
        reply.header('x-fal-request-id', record.id);
        const { record: settled, final, cancelled } = await waitForSyncCall(ctx, reply, record);
        if (final) return send(reply, await resultAnswer(settled, await store.inputOf(record.id), ctx));
        const detail = `Request timed out after ${Math.round(ctx.syncTimeoutMs / 1000)} s${cancelled ? ' in the queue and was cancelled' : `; it goes on as request ${record.id}`}.`;
        // "user": the limit is the server's own setting, and a retry would only queue the edit again.
        return send(reply, { status: 504, body: { detail, error_type: 'request_timeout' }, headers: { 'x-fal-error-type': 'request_timeout', 'x-fal-request-timeout-type': 'user' } });
      }

      case 'status': {
        const found = ownApp(call.app) ? await ownRequest(ctx, request, call.id) : undefined;
        if (!found) throw notFound();
        const body = statusBody(found.record, found.input, ctx, call.query.get('logs') === '1');
        return reply.code(body.status === 'COMPLETED' ? 200 : 202).send(body);
      }

      case 'stream': {
        const found = ownApp(call.app) ? await ownRequest(ctx, request, call.id) : undefined;
        if (!found) throw notFound();
        const withLogs = call.query.get('logs') === '1';
        const stream = openStream(request, reply);
        try {
          for await (const record of watchRequest(store, call.id, stream.signal, () => stream.keepAlive())) {
            stream.send(JSON.stringify(statusBody(record, found.input, ctx, withLogs)));
          }
        } catch (err) {
          request.log.error({ err }, 'status stream failed');
        } finally {
          stream.end();
        }
        return reply;
      }

      case 'result': {
        const found = ownApp(call.app) ? await ownRequest(ctx, request, call.id) : undefined;
        if (!found) throw notFound();
        reply.header('x-fal-request-id', found.record.id);
        return send(reply, await resultAnswer(found.record, found.input, ctx));
      }

      case 'cancel': {
        const found = ownApp(call.app) ? await ownRequest(ctx, request, call.id) : undefined;
        if (!found) return reply.code(404).send({ status: 'NOT_FOUND' });
        const outcome = await cancelRequest(ctx.deps, call.id);
        if (outcome.outcome === 'cancelled' || outcome.outcome === 'already_cancelled') return reply.code(202).send({ status: 'CANCELLATION_REQUESTED' });
        if (outcome.outcome === 'not_found') return reply.code(404).send({ status: 'NOT_FOUND' });
        if (outcome.record.status === 'in_progress') {
          return reply.code(400).send({ status: 'IN_PROGRESS', detail: 'The request is already running and can no longer be cancelled: retouch cancels requests only while they are queued.' });
        }
        return reply.code(400).send({ status: 'ALREADY_COMPLETED' });
      }
    }
  };

  const fromPath = (prefix: 'queue' | 'sync') => async (request: FastifyRequest, reply: FastifyReply) => {
    const path = (request.params as { '*': string })['*'];
    const query = new URL(request.url, 'http://x').searchParams;
    const call = prefix === 'queue' ? queueCall(request.method, path, query) : { kind: 'run' as const, endpoint: path.replace(/^\/+|\/+$/g, ''), query };
    if (!call) throw new PublicError(404, 404002, `No route ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}.`);
    return handle(call, request, reply);
  };

  app.route({ method: ['GET', 'POST', 'PUT'], url: '/queue/*', schema: { hide: true }, handler: fromPath('queue') });
  app.post('/sync/*', { schema: { hide: true } }, fromPath('sync'));
  app.post('/rest/storage/upload/initiate', { schema: { hide: true } }, (request, reply) => handle({ kind: 'initiate' }, request, reply));

  // fal's proxy convention: the real URL in a header; only the calls retouch serves are taken.
  app.route({
    method: ['GET', 'POST', 'PUT'],
    url: '/proxy',
    schema: { hide: true },
    handler: async (request, reply) => {
      const target = request.headers[TARGET_URL_HEADER];
      if (typeof target !== 'string' || !target) throw new PublicError(400, 400002, `Invalid request: the ${TARGET_URL_HEADER} header is missing.`);
      const call = targetCall(request.method, target);
      if (!call) throw new PublicError(400, 400002, `Invalid request: ${request.method} ${target.slice(0, 200)} is not a fal call retouch serves.`);
      return handle(call, request, reply);
    },
  });

  app.get('/.well-known/jwks.json', { config: { public: true }, schema: { hide: true } }, async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=3600');
    return key.jwks();
  });

  await app.register(async (storage) => falStorageRoutes(storage, ctx));
}
