/**
 * What every surface's Fastify scope sets up the same way: the key check in the header form its
 * client sends, a JSON parser that takes the empty bodies those clients send with a JSON content
 * type, and one error handler that classifies an error once (a schema violation, one of our public
 * errors, Fastify's own, or a bug) and lets the surface word it in its provider's shape.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorObject } from 'ajv';
import { PublicError } from '../../../errors.js';
import type { KeyStore } from '../../../keys/types.js';
import { RetryLaterError } from '../../../requests/errors.js';
import { UnauthorizedError } from '../../errors.js';
import { authenticate } from '../../plugins/auth.js';
import { toErrorDetails } from '../../validation.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A route a surface serves without a key (signed links, published keys). */
    public?: boolean;
  }
}

export interface FieldProblem {
  loc: (string | number)[];
  msg: string;
  /** The JSON Schema keyword that was broken (required, maximum, format, …), when it came from the schema. */
  keyword?: string;
}

/** An error as a surface needs to know it, before it words it. */
export interface Problem {
  status: number;
  /** Our code: 422001, 401001, … (500001 for a bug). */
  code: number;
  message: string;
  fields: FieldProblem[];
  /** Seconds, for 429s. */
  retryAfter?: number;
}

/**
 * A broken schema rule in the words of pydantic's error types, which both Replicate (cog) and fal
 * (FastAPI) report in their validation errors.
 */
export function pydanticType(field: FieldProblem): string {
  return PYDANTIC_TYPES[field.keyword ?? ''] ?? field.keyword ?? 'value_error';
}

const PYDANTIC_TYPES: Record<string, string> = {
  required: 'missing',
  maxLength: 'string_too_long',
  minLength: 'string_too_short',
  minimum: 'greater_than_equal',
  maximum: 'less_than_equal',
  maxItems: 'too_long',
  minItems: 'too_short',
  enum: 'enum',
  type: 'type_error',
  format: 'value_error',
  anyOf: 'value_error',
  pattern: 'string_pattern_mismatch',
};

const FASTIFY_CODES: Record<number, number> = { 400: 400002, 413: 413001, 415: 415001 };

export function problemOf(request: FastifyRequest, error: FastifyError | Error): Problem {
  if (error instanceof PublicError) {
    return {
      status: error.status,
      code: error.errorCode,
      message: error.message,
      fields: error.detail,
      ...(error instanceof RetryLaterError ? { retryAfter: error.retryAfterSeconds } : {}),
    };
  }
  const fe = error as FastifyError;
  if (fe.validation) {
    const context = fe.validationContext ?? 'body';
    const fields = (fe.validation as ErrorObject[]).map((e) => ({ ...toErrorDetails([e], context)[0]!, keyword: e.keyword }));
    return { status: 422, code: 422001, message: fields.map((f) => f.msg).join('; '), fields };
  }
  if (fe.statusCode === 413) return { status: 413, code: 413001, message: 'The request body is larger than this server accepts (see --body-limit).', fields: [] };
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500 && fe.code?.startsWith('FST_')) {
    return { status: fe.statusCode, code: FASTIFY_CODES[fe.statusCode] ?? fe.statusCode * 1000 + 1, message: fe.message, fields: [] };
  }
  return { status: 500, code: 500001, message: `Internal error. Quote request id ${request.id} when reporting it.`, fields: [] };
}

export type ProblemRenderer = (problem: Problem, request: FastifyRequest, reply: FastifyReply) => unknown;

export interface ScopeOptions {
  keys: KeyStore;
  /** The Authorization schemes the provider's client sends ("Bearer", "Key", "Token"). */
  schemes: readonly string[];
  render: ProblemRenderer;
  /** For 404s of routes the surface does not have. */
  notFound: (request: FastifyRequest) => Problem;
}

export function setUpSurfaceScope(app: FastifyInstance, options: ScopeOptions): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config?.public) return;
    const principal = await authenticate(options.keys, request.headers.authorization, options.schemes);
    if (principal instanceof UnauthorizedError) throw principal;
    request.principal = principal;
  });

  // The clients send `Content-Type: application/json` on bodiless POSTs and PUTs (cancel).
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '' || (typeof body === 'string' && body.trim() === '')) return done(null, undefined);
    json(request, body as string, done);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = problemOf(request, error);
    if (problem.status >= 500) request.log.error({ err: error }, 'internal error');
    else request.log.info({ error_code: problem.code }, problem.message);
    if (problem.retryAfter !== undefined) reply.header('retry-after', String(problem.retryAfter));
    if (problem.status === 413) reply.header('connection', 'close');
    return options.render(problem, request, reply);
  });
  app.setNotFoundHandler((request, reply) => options.render(options.notFound(request), request, reply));
}

/** Fires when the client goes away before it was answered (a waiting call stops waiting). */
export function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}
