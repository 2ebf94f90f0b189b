import { PublicError } from '../errors.js';

export class QueueFullError extends PublicError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, 429001, 'Too many requests are waiting in the queue; retry later.');
  }
}
