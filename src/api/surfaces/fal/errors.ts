/**
 * Errors as fal words them: `{"detail": [{loc, msg, type}]}` with 422 for what the input broke (the
 * fal client raises its ValidationError for those), `{"detail": "…"}` otherwise.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { pydanticType, type Problem } from '../shared/scope.js';

export function falProblem(status: number, detail: string): Problem {
  return { status, code: status * 1000 + 1, message: detail, fields: [] };
}

export function renderFalProblem(problem: Problem, request: FastifyRequest, reply: FastifyReply) {
  if (problem.status === 422 && problem.fields.length) {
    const detail = problem.fields.map((f) => {
      const type = pydanticType(f);
      return { loc: f.loc, msg: f.msg, type, url: `https://docs.fal.ai/errors#${type}` };
    });
    return reply.code(422).send({ detail });
  }
  if (problem.status >= 500) reply.header('x-fal-retryable', 'false');
  return reply.code(problem.status).send({ detail: problem.message, ...(problem.status >= 500 ? { request_id: request.id } : {}) });
}
