/**
 * Bearer-key authentication for the /v1 routes. The principal (account and key) is attached to
 * the request; routes check ownership against it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { KeyStore, Principal } from '../../keys/types.js';
import { UnauthorizedError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/**
 * The principal behind an Authorization header sent with one of `schemes` ("Bearer", and the other
 * APIs' "Key" and "Token"), or why there is none, in words that name the expected header. With
 * PostgreSQL an unreachable database throws (503) rather than answering "invalid key".
 */
export async function authenticate(keys: KeyStore, header: string | undefined, schemes: readonly string[] = ['Bearer']): Promise<Principal | UnauthorizedError> {
  const expected = schemes.map((s) => `"${s} <key>"`).join(' or ');
  if (!header) return new UnauthorizedError(`Missing API key: send the header "Authorization: ${schemes[0]} <key>".`);
  const m = /^(\S+)\s+(\S+)\s*$/.exec(header);
  const token = m && schemes.some((s) => s.toLowerCase() === m[1]!.toLowerCase()) ? m[2] : undefined;
  if (!token) return new UnauthorizedError(`Malformed Authorization header: expected ${expected}.`);
  return (await keys.authenticate(token)) ?? new UnauthorizedError('Invalid or revoked API key.');
}

export function requireApiKey(app: FastifyInstance, keys: KeyStore): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const principal = await authenticate(keys, request.headers.authorization);
    if (principal instanceof UnauthorizedError) throw principal;
    request.principal = principal;
  });
}

/** The principal of an authenticated route (the hook above guarantees it). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthorizedError('Missing API key.');
  return request.principal;
}
