/**
 * Errors as Replicate's API words them: problem details (`{title, detail, status}`, served as
 * application/problem+json), and for input validation the `invalid_fields` list with one entry per
 * broken rule (`{type, field, description}`, the field as `input.prompt`).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { pydanticType, type FieldProblem, type Problem } from '../shared/scope.js';

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Request too large',
  415: 'Unsupported media type',
  422: 'Input validation failed',
  429: 'Request was throttled',
  500: 'Internal server error',
  504: 'Gateway timeout',
};

/** ["body", "input", "image_input", 2] → "input.image_input.2". */
function fieldOf(f: FieldProblem): string {
  return f.loc.slice(1).join('.') || 'body';
}

export function replicateProblem(status: number, detail: string): Problem {
  return { status, code: status * 1000 + 1, message: detail, fields: [] };
}

export function renderReplicateProblem(problem: Problem, request: FastifyRequest, reply: FastifyReply) {
  const body: Record<string, unknown> = {
    title: TITLES[problem.status] ?? 'Error',
    detail: problem.message,
    status: problem.status,
  };
  if (problem.status === 422 && problem.fields.length) {
    body.detail = problem.fields.map((f) => `- ${fieldOf(f)}: ${f.msg}`).join('\n');
    body.invalid_fields = problem.fields.map((f) => ({ type: pydanticType(f), field: fieldOf(f), description: f.msg }));
  }
  if (problem.status >= 500) body.request_id = request.id;
  return reply.code(problem.status).header('content-type', 'application/problem+json; charset=utf-8').send(JSON.stringify(body));
}
