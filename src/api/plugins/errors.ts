/**
 * Renders every error in the hosted service's envelope:
 *   {"error_code": 422001, "message": "…", "detail": [{"loc": [...], "msg": "…"}]}
 * Our own PublicErrors carry their status and code; schema violations become 422001 with one detail
 * per broken rule; Fastify's own client errors (bad JSON, body too large) keep their status; anything
 * else is a 500001 whose message carries the request id that the log line has too, never a stack.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorDetail } from '../../errors.js';
import { PublicError } from '../../errors.js';
import { DatabaseUnavailableError } from '../../db/errors.js';
import { RetryLaterError } from '../../requests/errors.js';
import { toErrorDetails } from '../validation.js';

export interface ErrorEnvelope {
  error_code: number;
  message: string;
  detail: ErrorDetail[];
  request_id?: string;
}

const FASTIFY_CLIENT_ERRORS: Record<number, number> = { 400: 400002, 413: 413001, 415: 415001 };

function envelope(request: FastifyRequest, error: FastifyError | Error): { status: number; body: ErrorEnvelope } {
  if (error instanceof PublicError) {
    return { status: error.status, body: { error_code: error.errorCode, message: error.message, detail: error.detail } };
  }
  const fe = error as FastifyError;
  if (fe.validation) {
    const detail = toErrorDetails(fe.validation as never, fe.validationContext ?? 'body');
    return { status: 422, body: { error_code: 422001, message: detail.map((d) => d.msg).join('; '), detail } };
  }
  if (fe.statusCode === 413) {
    return { status: 413, body: { error_code: 413001, message: 'The request body is larger than this server accepts (see --body-limit).', detail: [] } };
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500 && fe.code?.startsWith('FST_')) {
    // Fastify's client-error messages name the problem without echoing the body.
    const code = FASTIFY_CLIENT_ERRORS[fe.statusCode] ?? fe.statusCode * 1000 + 1;
    return { status: fe.statusCode, body: { error_code: code, message: fe.message, detail: [] } };
  }
  return {
    status: 500,
    body: {
      error_code: 500001,
      message: `Internal error. Quote request id ${request.id} when reporting it.`,
      detail: [],
      request_id: request.id,
    },
  };
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = envelope(request, error);
    // An outage is not a bug: one line per refused call, without a stack.
    if (error instanceof DatabaseUnavailableError) request.log.warn({ error_code: body.error_code, cause: (error.cause as Error)?.message }, body.message);
    else if (status >= 500) request.log.error({ err: error }, 'internal error');
    else request.log.info({ error_code: body.error_code }, body.message);
    if (error instanceof RetryLaterError || error instanceof DatabaseUnavailableError) reply.header('retry-after', String(error.retryAfterSeconds));
    if (status === 401) reply.header('www-authenticate', 'Bearer');
    // The client may still be sending the body we refused: end the connection rather than read it.
    if (status === 413) reply.header('connection', 'close');
    return reply.code(status).send(body);
  });

  app.setNotFoundHandler((request, reply) => {
    const body: ErrorEnvelope = {
      error_code: 404002,
      message: `No route ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}.`,
      detail: [],
    };
    return reply.code(404).send(body);
  });
}
