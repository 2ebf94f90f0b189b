/**
 * The one error shape that crosses module boundaries. A module throws a subclass (from its own
 * errors.ts) when the problem is the caller's and its message is safe to show; the API renders it
 * in the hosted service's envelope, the worker stores it on a failed request. Anything else is an
 * internal error and never reaches a client verbatim.
 */
export interface ErrorDetail {
  /** Where the problem is, FastAPI-style: ["body", "image_urls", 2]. */
  loc: (string | number)[];
  msg: string;
}

export class PublicError extends Error {
  constructor(
    /** HTTP status when this reaches a client directly. */
    readonly status: number,
    /** The hosted service's six-digit code: 422001, 404001, … */
    readonly errorCode: number,
    message: string,
    readonly detail: ErrorDetail[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
