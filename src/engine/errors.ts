/**
 * How an engine says what went wrong, which decides what the router does next:
 * - EngineUnavailableError: this engine cannot serve the request now (unreachable, not ready,
 *   misconfigured, overloaded, timed out after its own retries); the next engine is tried.
 * - EngineRequestError: the request's own fault as the engine judged it (a refused prompt, an image
 *   it cannot read); the request fails with that message and no other engine is tried.
 * - LostRunError: the backend lost a run it had accepted (its server restarted); the request goes
 *   back to the queue under the normal attempt rules.
 * Messages are shown to clients: plain words, never a URL, a secret or a stack trace.
 */
import { PublicError } from '../errors.js';

export class EngineUnavailableError extends Error {
  /**
   * False when only this request could not run there and the engine itself is fine (a graph that
   * needs more references than the request has, a size too large for the GPU): no cooldown.
   */
  readonly cooldown: boolean;

  constructor(message: string, options?: { cause?: unknown; cooldown?: boolean }) {
    super(message, options);
    this.name = 'EngineUnavailableError';
    this.cooldown = options?.cooldown ?? true;
  }
}

/** Stable codes of a request's own faults, stored as the failed request's `error.code`. */
export type EngineRequestReason = 'content_policy' | 'invalid_input' | 'invalid_size' | 'unsupported_request';

export class EngineRequestError extends PublicError {
  constructor(readonly reason: EngineRequestReason, message: string, options?: { cause?: unknown }) {
    super(422, 422001, message, [], options);
  }
}

export class LostRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LostRunError';
  }
}

export interface EngineFailure {
  engine: string;
  message: string;
}

/** Every engine of the model failed; the message says what each said. */
export class NoEngineError extends PublicError {
  readonly reason = 'engine_unavailable';

  constructor(readonly failures: EngineFailure[]) {
    super(503, 503001, `No engine could run this request. ${failures.map((f) => `${f.engine}: ${f.message}`).join('; ')}`);
  }
}
