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

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export function requireApiKey(app: FastifyInstance, keys: KeyStore): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    if (!header) throw new UnauthorizedError('Missing API key: send the header "Authorization: Bearer <key>".');
    const token = BEARER.exec(header)?.[1];
    if (!token) throw new UnauthorizedError('Malformed Authorization header: expected "Bearer <key>".');
    // With PostgreSQL an unreachable database throws here (503), rather than answering "invalid key".
    const principal = await keys.authenticate(token);
    if (!principal) throw new UnauthorizedError('Invalid or revoked API key.');
    request.principal = principal;
  });
}

/** The principal of an authenticated route (the hook above guarantees it). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthorizedError('Missing API key.');
  return request.principal;
}
