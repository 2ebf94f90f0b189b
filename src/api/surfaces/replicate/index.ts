/**
 * Replicate's HTTP API under /replicate/v1, for the `replicate` npm client (`baseUrl`) and any app
 * written for Replicate: predictions of `bytedance/seedream-4` (create, with `Prefer: wait[=N]`;
 * get, cancel, list, stream), the files API its client uploads local files through, and the default
 * webhook secret its `validateWebhook` checks deliveries with. Keys: `Authorization: Bearer <key>`
 * (or Replicate's older `Token <key>`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PublicError } from '../../../errors.js';
import { FINAL_STATUSES } from '../../../requests/types.js';
import { waitForFinal, watchRequest } from '../../follow.js';
import { principalOf } from '../../plugins/auth.js';
import { MAX_WAIT_SECONDS, submitRequest } from '../../routes/submit.js';
import { findUpload } from '../../routes/uploads.js';
import { ownRequest, type SurfaceContext } from '../shared/context.js';
import { requestLogs } from '../shared/logs.js';
import { outputsOf } from '../shared/outputs.js';
import { storedInput, surfaceOf } from '../shared/record.js';
import { clientGone, setUpSurfaceScope } from '../shared/scope.js';
import { eventStreams } from '../shared/sse.js';
import { renderReplicateProblem, replicateProblem } from './errors.js';
import { replicateFileRoutes, REPLICATE_FILES_PATH } from './files.js';
import { errorText, listedPrediction, prediction, REPLICATE_PREFIX, streamGrant } from './prediction.js';
import { ModelPredictionBody, PredictionBody, PredictionParams, REPLICATE_MODEL, REPLICATE_VERSION, type PredictionBody as Body } from './schema.js';
import { ReplicateInputError, translateReplicate } from './translate.js';

export { REPLICATE_PREFIX };

/** `Prefer: wait` (Replicate's default: 60 s) or `wait=N`, capped as Replicate caps it. */
export function preferWait(header: string | undefined): number | undefined {
  const m = header && /(?:^|[\s,;])wait(?:=(\d+))?(?=$|[\s,;])/i.exec(header);
  if (!m) return undefined;
  return m[1] === undefined ? MAX_WAIT_SECONDS : Math.min(MAX_WAIT_SECONDS, Math.max(1, Number(m[1])));
}

/** What `version` may say on POST /predictions: the model, or the model's version, or both. */
function namesOurModel(version: string): boolean {
  const [name, hash] = version.includes(':') ? version.split(':', 2) : version.includes('/') ? [version, undefined] : [undefined, version];
  return (name === undefined || name === REPLICATE_MODEL) && (hash === undefined || hash === REPLICATE_VERSION);
}

const PAGE_SIZE = 100;

export async function replicateSurface(app: FastifyInstance, options: { ctx: SurfaceContext }): Promise<void> {
  const { ctx } = options;
  const { store, config, storage, keys } = ctx.deps;
  setUpSurfaceScope(app, {
    keys,
    schemes: ['Bearer', 'Token'],
    render: renderReplicateProblem,
    notFound: (request) => replicateProblem(404, `No route ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}.`),
  });
  const openStream = eventStreams(app, ctx.keepAliveMs);
  const notFound = (message = 'The requested resource could not be found.') => new PublicError(404, 404001, message);

  /** A files-API URL of the caller's becomes the storage URL the worker reads it from. */
  const imageUrlsOf = async (request: FastifyRequest, images: string[]) => {
    const files = `${config.publicUrl}${REPLICATE_PREFIX}${REPLICATE_FILES_PATH}/`;
    return Promise.all(
      images.map(async (url, i) => {
        if (!url.startsWith(files)) return url;
        const id = url.slice(files.length).split(/[/?#]/)[0]!;
        const key = await findUpload(storage, principalOf(request).accountId, id);
        if (!key) throw new ReplicateInputError(['image_input', i], `input.image_input[${i}]: there is no file ${id.slice(0, 64)} (it may have expired).`);
        return storage.signedUrl(key, Date.now() + config.uploadTtl);
      }),
    );
  };

  const create = async (request: FastifyRequest<{ Body: Body; Headers: { prefer?: string } }>, reply: FastifyReply) => {
    const body = request.body;
    const translated = translateReplicate(body.input, await imageUrlsOf(request, body.input.image_input ?? []), {
      webhookEvents: body.webhook_events_filter,
    });
    const events = body.webhook_events_filter ?? ['start', 'output', 'logs', 'completed'];
    const { record } = await submitRequest(ctx.deps, request, {
      model: ctx.model,
      input: storedInput(translated),
      webhook: body.webhook ? { url: body.webhook, events: events.includes('start') || events.includes('logs') ? ['in_progress'] : [] } : undefined,
    });
    reply.code(201);
    const wait = preferWait(request.headers.prefer);
    if (wait === undefined) return prediction(record, await store.inputOf(record.id), ctx);
    reply.header('preference-applied', `wait=${wait}`);
    const settled = (await waitForFinal(store, record.id, wait * 1000, clientGone(reply))) ?? record;
    const answer = prediction(settled, await store.inputOf(record.id), ctx);
    // Replicate's clients take anything but `starting` in a waited answer as finished: an answer
    // that ran out of time says `starting`, and the client goes on polling.
    return FINAL_STATUSES.has(settled.status) ? answer : { ...answer, status: 'starting' as const };
  };

  app.post('/models/:owner/:name/predictions', {
    schema: { hide: true, body: ModelPredictionBody },
    handler: async (request: FastifyRequest<{ Params: { owner: string; name: string }; Body: Body; Headers: { prefer?: string } }>, reply) => {
      const { owner, name } = request.params;
      if (`${owner}/${name}` !== REPLICATE_MODEL) {
        throw notFound(`Model ${owner.slice(0, 60)}/${name.slice(0, 60)} is not served here; retouch runs ${REPLICATE_MODEL}.`);
      }
      return create(request, reply);
    },
  });

  app.post('/predictions', {
    schema: { hide: true, body: PredictionBody },
    handler: async (request: FastifyRequest<{ Body: Body; Headers: { prefer?: string } }>, reply) => {
      if (!namesOurModel(request.body.version ?? '')) {
        throw new ReplicateInputError([], `Invalid version or not permitted: retouch runs ${REPLICATE_MODEL} (version ${REPLICATE_VERSION}).`);
      }
      return create(request, reply);
    },
  });

  app.get('/predictions', {
    schema: { hide: true },
    handler: async (request: FastifyRequest<{ Querystring: { cursor?: string } }>) => {
      const page = await store.listByAccount(principalOf(request).accountId, { limit: PAGE_SIZE, before: request.query.cursor });
      return {
        previous: null,
        next: page.next ? `${config.publicUrl}${REPLICATE_PREFIX}/predictions?cursor=${page.next}` : null,
        results: page.items.map((r) => listedPrediction(r, ctx)),
      };
    },
  });

  app.get('/predictions/:id', {
    schema: { hide: true, params: PredictionParams },
    handler: async (request: FastifyRequest<{ Params: { id: string } }>) => {
      const found = await ownRequest(ctx, request, request.params.id);
      if (!found) throw notFound();
      return prediction(found.record, found.input, ctx);
    },
  });

  app.post('/predictions/:id/cancel', {
    schema: { hide: true, params: PredictionParams },
    handler: async (request: FastifyRequest<{ Params: { id: string } }>) => {
      const found = await ownRequest(ctx, request, request.params.id);
      if (!found) throw notFound();
      const outcome = await store.cancel(found.record.id, Date.now());
      if (outcome.outcome === 'not_found') throw notFound();
      if (outcome.outcome === 'not_cancellable' && outcome.record.status === 'in_progress') {
        throw new PublicError(409, 409001, 'The prediction is processing and can no longer be canceled: retouch cancels predictions only before they start.');
      }
      // A finished prediction is answered as it is, as Replicate does.
      return prediction(outcome.record, found.input, ctx);
    },
  });

  app.get('/predictions/:id/stream', {
    config: { public: true },
    schema: { hide: true, params: PredictionParams },
    handler: async (request: FastifyRequest<{ Params: { id: string }; Querystring: { expires?: string; signature?: string } }>, reply) => {
      const id = request.params.id;
      if (!ctx.links.valid(streamGrant(id), request.query)) throw new PublicError(403, 403002, 'This stream URL is invalid or has expired.');
      const input = await store.inputOf(id);
      if (input === undefined) throw notFound();
      const surface = surfaceOf(input);
      const stream = openStream(request, reply);
      let sent = 0;
      let n = 0;
      try {
        for await (const record of watchRequest(store, id, stream.signal, () => stream.keepAlive())) {
          const outputs = outputsOf(record, surface?.name === 'replicate' ? surface : undefined, storage, config.urlTtl);
          const logs = requestLogs(record, surface, { left: outputs.left }).filter((l) => !/^\s*\d+%\|/.test(l.message) || record.status !== 'in_progress');
          for (const line of logs.slice(sent)) stream.send(line.message, { event: 'logs', id: String(++n) });
          sent = Math.max(sent, logs.length);
          if (record.status === 'completed') for (const o of outputs.shown) stream.send(o.url, { event: 'output', id: String(++n) });
          if (record.status === 'failed') stream.send(errorText(record) ?? 'failed', { event: 'error', id: String(++n) });
          if (FINAL_STATUSES.has(record.status)) {
            const reason = record.status === 'completed' ? {} : { reason: record.status === 'failed' ? 'error' : 'canceled' };
            stream.send(JSON.stringify(reason), { event: 'done', id: String(++n) });
          }
        }
      } catch (err) {
        request.log.error({ err }, 'prediction stream failed');
      } finally {
        stream.end();
      }
    },
  });

  app.get('/webhooks/default/secret', {
    schema: { hide: true },
    handler: async (request) => ({ key: await keys.webhookSecret(principalOf(request).accountId) }),
  });

  // In a scope of its own: the multipart plugin adds hooks to every route of its scope.
  await app.register(async (files) => replicateFileRoutes(files, ctx));
}
