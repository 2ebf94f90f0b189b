/**
 * Builds the HTTP application; never listens (server.ts does), so tests can `inject()` into it or
 * listen on a port of their choice.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyInstance, type FastifySchemaCompiler, type FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import { schemaValidator } from './validation.js';
import type { ApiDeps } from './context.js';
import { withFastStatus } from './fast-status.js';
import { requireApiKey } from './plugins/auth.js';
import { registerErrorHandling } from './plugins/errors.js';
import { fileRoutes } from './routes/files.js';
import { healthRoutes } from './routes/health.js';
import { catalogueRoutes } from './routes/models.js';
import { streamRoutes } from './routes/stream.js';
import { submitRoutes } from './routes/submit.js';
import { libraryRoutes } from './routes/library.js';
import { accountRoutes } from './routes/account.js';
import { uploadRoutes } from './routes/uploads.js';
import { requestRoutes } from './routes/requests.js';
import { playgroundRoutes } from './routes/playground.js';
import { FAL_CLIENT_HEADERS, registerSurfaces } from './surfaces/index.js';
import { ErrorEnvelope } from '../contract/schemas.js';

const VERSION = '0.1.0';

/**
 * Request ids: unique within the process and cheap (a random process prefix and a counter), unlike
 * a random UUID per request on the hot path.
 */
const ID_PREFIX = crypto.randomBytes(4).toString('hex');
let idCounter = 0;
function nextRequestId(): string {
  idCounter = (idCounter + 1) % 0xffffffff;
  return ID_PREFIX + idCounter.toString(16).padStart(8, '0');
}

export interface AppOptions {
  logger: Logger;
  /** Tests shorten the server-sent-events keep-alive. */
  streamKeepAliveMs?: number;
}

/**
 * Two validators. Bodies are JSON and typed: a string where a number belongs is the client's mistake
 * to hear about, not to guess at, and the stored input is exactly the model's schema (unknown fields
 * dropped). Query strings, paths and headers are text by nature, so they are coerced.
 */
function requestValidators(): FastifySchemaCompiler<unknown> {
  const body = schemaValidator('body');
  const text = schemaValidator('text');
  return ({ schema, httpPart }) => (httpPart === 'body' ? body : text).compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
}

export async function buildApp(deps: ApiDeps, options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyServerOptions['loggerInstance'],
    bodyLimit: deps.config.bodyLimit,
    // Our own ids, never the client's: they go into logs and error bodies.
    genReqId: nextRequestId,
    requestIdHeader: false,
    // One access line per request (the onResponse hook below) instead of Fastify's two.
    logController: new LogController({ requestIdLogLabel: 'req_id', disableRequestLogging: true }),
    // Ordinary status polls are answered before Fastify's routing and hooks (fast-status.ts).
    serverFactory: (handler) => http.createServer(withFastStatus(handler, deps, options.logger, nextRequestId)),
  });

  app.setValidatorCompiler(requestValidators());

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  const httpDurations = deps.metrics?.http;
  app.addHook('onResponse', (request, reply, done) => {
    // The route's template, never the path: ids must not become label values.
    httpDurations?.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode }, reply.elapsedTime / 1000);
    // Polls are most of the traffic and say little: successful reads log at debug, the rest at info.
    const level = reply.statusCode < 400 && (request.method === 'GET' || request.method === 'HEAD') ? 'debug' : 'info';
    if (options.logger.isLevelEnabled(level)) {
      request.log[level](
        {
          method: request.method,
          // The path only: query strings carry file signatures.
          path: request.url.split('?')[0],
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
          account: request.principal?.accountId,
        },
        'request done',
      );
    }
    done();
  });

  if (deps.config.corsOrigins) {
    // Only the listed origins: an API key in a browser page is the page owner's choice to make.
    await app.register(cors, {
      origin: deps.config.corsOrigins,
      // PUT and the x-fal-* headers: fal's client in a browser (its proxyUrl, its uploads, cancel).
      methods: ['GET', 'POST', 'DELETE', 'PUT'],
      allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'prefer', 'last-event-id', ...FAL_CLIENT_HEADERS],
      exposedHeaders: ['x-request-id', 'retry-after', 'preference-applied', 'idempotent-replayed', 'x-fal-request-id'],
      maxAge: 600,
    });
  }
  app.addSchema(ErrorEnvelope);
  registerErrorHandling(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'retouch',
        version: VERSION,
        description:
          'A self-hostable image-edit model API with the hosted bytedance/dreamina-4-0/edit contract: submit a request, poll its status, fetch its result, cancel it while queued.',
      },
      servers: [{ url: deps.config.publicUrl }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
      tags: [
        { name: 'requests', description: 'Submit, follow and cancel edit requests' },
        { name: 'models', description: 'The catalogue' },
        { name: 'files', description: 'Uploads and signed downloads' },
        { name: 'library', description: "The account's past requests" },
        { name: 'account', description: 'Keys and usage of the account behind the key' },
        { name: 'health', description: 'Probes' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  healthRoutes(app, deps);
  fileRoutes(app, deps);
  catalogueRoutes(app, deps);
  playgroundRoutes(app, deps);
  await app.register(async (v1) => {
    requireApiKey(v1, deps.keys);
    submitRoutes(v1, deps);
    requestRoutes(v1, deps);
    streamRoutes(v1, deps, { keepAliveMs: options.streamKeepAliveMs });
    // In a scope of its own: the multipart plugin adds two hooks to every route of its scope.
    await v1.register(async (uploads) => uploadRoutes(uploads, deps));
    libraryRoutes(v1, deps);
    accountRoutes(v1, deps);
  });
  // Replicate's, fal's and OpenAI's APIs over the same requests (docs/surfaces.md).
  await registerSurfaces(app, deps, { keepAliveMs: options.streamKeepAliveMs });

  return app;
}
