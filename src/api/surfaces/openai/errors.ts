/**
 * Errors in OpenAI's envelope: `{"error": {message, type, param, code}}`. The `openai` client turns
 * them into its typed errors by status (BadRequestError, AuthenticationError, …) and retries 408,
 * 409, 429 and 5xx unless told not to with `x-should-retry: false`, which retouch says wherever a
 * retry would only queue the same edit again.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PublicError } from '../../../errors.js';
import type { FieldProblem, Problem } from '../shared/scope.js';

const TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  403: 'invalid_request_error',
  404: 'invalid_request_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  422: 'invalid_request_error',
  429: 'requests',
  500: 'server_error',
  504: 'server_error',
};

const CODES: Record<number, string> = { 401: 'invalid_api_key', 404: 'not_found', 413: 'request_too_large', 429: 'rate_limit_exceeded', 500: 'server_error', 504: 'timeout' };

/** A request OpenAI's API would refuse with 400, naming the parameter. */
export class OpenAIParamError extends PublicError {
  constructor(
    param: string,
    message: string,
    code = 'invalid_value',
  ) {
    // The code travels as the detail's keyword.
    super(400, 400003, message, [{ loc: ['body', param], msg: message, keyword: code } as FieldProblem]);
  }
}

export function openaiProblem(status: number, message: string): Problem {
  return { status, code: status * 1000 + 1, message, fields: [] };
}

export function renderOpenAIProblem(problem: Problem, request: FastifyRequest, reply: FastifyReply) {
  // OpenAI answers 400 where retouch's schema check answers 422.
  const status = problem.status === 422 ? 400 : problem.status;
  const field = problem.fields[0];
  const param = field ? field.loc.slice(1).join('.') || null : null;
  if (status >= 500 || status === 409) reply.header('x-should-retry', 'false');
  return reply.code(status).send({
    error: {
      message: problem.message,
      type: TYPES[status] ?? 'invalid_request_error',
      param,
      code: CODES[status] ?? field?.keyword ?? (field ? 'invalid_value' : null),
    },
  });
}
