import { PublicError } from '../errors.js';

/** A refusal that will lift by itself; the API sends `Retry-After` with it. */
export abstract class RetryLaterError extends PublicError {
  abstract readonly retryAfterSeconds: number;
}

export class QueueFullError extends RetryLaterError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, 429001, 'Too many requests are waiting in the queue; retry later.');
  }
}

/** The per-account limits, by their names in the configuration file and the CLI. */
export type LimitName = 'rpm' | 'concurrent' | 'daily_images';

/** 429001 for a rate (as the hosted service answers "too many"), its own codes for the others. */
export const LIMIT_ERROR_CODES: Record<LimitName, number> = { rpm: 429001, daily_images: 429002, concurrent: 429003 };

/** A submit over one of the account's limits: refused before anything is stored, so it costs nothing. */
export class LimitExceededError extends RetryLaterError {
  constructor(readonly limit: LimitName, readonly value: number, readonly retryAfterSeconds: number) {
    super(429, LIMIT_ERROR_CODES[limit], LimitExceededError.explain(limit, value, retryAfterSeconds));
  }

  private static explain(limit: LimitName, value: number, retryAfter: number): string {
    switch (limit) {
      case 'rpm':
        return `This account may submit at most ${value} request${value === 1 ? '' : 's'} per minute (limit rpm); retry in ${retryAfter} s.`;
      case 'concurrent':
        return `This account may have at most ${value} request${value === 1 ? '' : 's'} queued or running at once (limit concurrent); retry when one of them ends.`;
      case 'daily_images':
        return `This account may make at most ${value} output image${value === 1 ? '' : 's'} per UTC day (quota daily_images), and today's are used; it resets at 00:00 UTC, in ${retryAfter} s.`;
    }
  }
}
