/**
 * Bearer-key authentication for the /v1 routes. The principal (account and key) is attached to
 * the request; routes check ownership against it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { KeyStore, Principal } from '../../keys/store.js';
import { UnauthorizedError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export function requireApiKey(app: FastifyInstance, keys: KeyStore): void {
  app.decorateRequest('principal', null);
  // A callback hook, not an async one: this runs on every call and needs no promise.
  app.addHook('onRequest', (request: FastifyRequest, _reply, done) => {
    const header = request.headers.authorization;
    if (!header) return done(new UnauthorizedError('Missing API key: send the header "Authorization: Bearer <key>".'));
    const token = BEARER.exec(header)?.[1];
    if (!token) return done(new UnauthorizedError('Malformed Authorization header: expected "Bearer <key>".'));
    const principal = keys.authenticate(token);
    if (!principal) return done(new UnauthorizedError('Invalid or revoked API key.'));
    request.principal = principal;
    done();
  });
}

/** The principal of an authenticated route (the hook above guarantees it). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthorizedError('Missing API key.');
  return request.principal;
}
