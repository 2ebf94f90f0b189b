import { PublicError } from '../errors.js';

/**
 * The database cannot be reached (down, restarting, out of connections). Callers get a 503 with a
 * Retry-After instead of a 500: nothing is wrong with their request, and the node recovers by itself
 * once the database is back.
 */
export class DatabaseUnavailableError extends PublicError {
  readonly retryAfterSeconds = 2;

  constructor(cause?: unknown) {
    super(503, 503001, 'retouch cannot reach its database right now; retry in a few seconds.', [], { cause });
  }
}
