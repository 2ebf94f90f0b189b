/**
 * Typed errors. Every error answer of the API is `{error_code, message, detail}` with the HTTP
 * status of the code's first three digits; `errorFromResponse` turns it into the class of its
 * family, so that callers can `catch (e) { if (e instanceof RateLimitError) … }`.
 */
import type { ErrorDetail, ErrorEnvelope, ResultResponse } from './generated/types.js';

export interface RetouchErrorFields {
  /** The six-digit `error_code` of the answer (422001, 404001, …); undefined when there was no answer. */
  errorCode?: number;
  /** The HTTP status of the answer; undefined when there was no answer. */
  status?: number;
  detail?: ErrorDetail[];
  /** On 500001: the id the server's log line carries too. */
  requestId?: string;
  cause?: unknown;
}

export class RetouchError extends Error {
  readonly errorCode: number | undefined;
  readonly status: number | undefined;
  readonly detail: ErrorDetail[];
  readonly requestId: string | undefined;

  constructor(message: string, fields: RetouchErrorFields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = new.target.name;
    this.errorCode = fields.errorCode;
    this.status = fields.status;
    this.detail = fields.detail ?? [];
    this.requestId = fields.requestId;
  }
}

/** 400: an unknown model (400001) or a malformed request (400002). */
export class BadRequestError extends RetouchError {}
/** 401: a missing, malformed, invalid or revoked key (401001). */
export class AuthenticationError extends RetouchError {}
/** 403: another account's request (403001), or a file URL whose signature is wrong or expired (403002). */
export class PermissionError extends RetouchError {}
/** 404: an unknown request (404001), route (404002), file (404003) or key (404004). */
export class NotFoundError extends RetouchError {}
/** 409: cancel of a running or finished request (409001), delete of an unfinished one (409002). */
export class ConflictError extends RetouchError {}
/** 422: the input breaks a schema rule (422001); `detail` has one entry per broken rule. */
export class ValidationError extends RetouchError {}

/** 429: the queue is full (429001). */
export class RateLimitError extends RetouchError {
  /** Seconds to wait before trying again, from `Retry-After`; undefined when the server did not say. */
  readonly retryAfter: number | undefined;
  constructor(message: string, fields: RetouchErrorFields & { retryAfter?: number }) {
    super(message, fields);
    this.retryAfter = fields.retryAfter;
  }
}

/** 5xx: the server failed (500001 carries `requestId`, matching its log line). */
export class ServerError extends RetouchError {
  /** Seconds to wait before trying again, when a 503 says so with `Retry-After`. */
  readonly retryAfter: number | undefined;
  constructor(message: string, fields: RetouchErrorFields & { retryAfter?: number }) {
    super(message, fields);
    this.retryAfter = fields.retryAfter;
  }
}

/** No answer at all: the server could not be reached, or the connection broke. */
export class ConnectionError extends RetouchError {}

/** The request ended `failed`; `code` is the stable word of its error (`aspect_ratio`, `timeout`, …). */
export class RequestFailedError extends RetouchError {
  readonly code: string;
  readonly result: ResultResponse;
  constructor(result: ResultResponse) {
    super(result.error?.message ?? `Request ${result.request_id} failed.`);
    this.code = result.error?.code ?? 'unknown';
    this.result = result;
  }
}

/** The request ended `cancelled`. */
export class RequestCancelledError extends RetouchError {
  readonly result: ResultResponse;
  constructor(result: ResultResponse) {
    super(`Request ${result.request_id} was cancelled.`);
    this.result = result;
  }
}

/** A webhook delivery whose signature, timestamp or headers do not check out. */
export class WebhookVerificationError extends RetouchError {}

/** `Retry-After` in seconds, from either of its forms (seconds, or an HTTP date). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - now) / 1000);
}

const FAMILIES: Record<number, typeof RetouchError> = {
  400: BadRequestError,
  401: AuthenticationError,
  403: PermissionError,
  404: NotFoundError,
  409: ConflictError,
  422: ValidationError,
};

/** The typed error for an answer that is not 2xx. Reads (and so consumes) the body. */
export async function errorFromResponse(res: Response): Promise<RetouchError> {
  const text = await res.text().catch(() => '');
  let body: Partial<ErrorEnvelope> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') body = parsed as Partial<ErrorEnvelope>;
  } catch {
    // Not the API's envelope (a proxy's page, say): the status line is all there is.
  }
  const message =
    typeof body.message === 'string' && body.message ? body.message : `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${text && !text.startsWith('<') ? `: ${text.slice(0, 200)}` : ''}`;
  const fields: RetouchErrorFields = {
    status: res.status,
    errorCode: typeof body.error_code === 'number' ? body.error_code : undefined,
    detail: Array.isArray(body.detail) ? body.detail : [],
    requestId: typeof body.request_id === 'string' ? body.request_id : undefined,
  };
  const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
  if (res.status === 429) return new RateLimitError(message, { ...fields, retryAfter });
  if (res.status >= 500) return new ServerError(message, { ...fields, retryAfter });
  const Family = FAMILIES[res.status] ?? RetouchError;
  return new Family(message, fields);
}
