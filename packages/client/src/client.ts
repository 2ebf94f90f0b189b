/**
 * `RetouchClient`: the hosted model API's calls (submit, status, result, cancel) and what retouch
 * adds (a status stream, uploads, webhooks), with the following of a request done for the caller.
 * Only web-platform APIs (fetch, streams, Web Crypto), so it runs in Node 20+ and browsers alike.
 */
import {
  ConnectionError,
  errorFromResponse,
  NotFoundError,
  parseRetryAfter,
  RateLimitError,
  RequestCancelledError,
  RequestFailedError,
  RetouchError,
  ServerError,
} from './errors.js';
import { toBlob, type UploadSource } from './files.js';
import type {
  CancelResponse,
  ModelInputs,
  Output,
  RequestStatus,
  ResultResponse,
  StatusResponse,
  SubmitResponse,
  UploadResponse,
  ProgressEventData,
  StatusEventData,
} from './generated/types.js';
import { IdleTimeoutError, readSse } from './sse.js';
import { isFinal, sleep } from './util.js';
import { verifyWebhook, type VerifyOptions, type WebhookEvent, type WebhookHeaders } from './webhooks.js';

export const DEFAULT_BASE_URL = 'http://127.0.0.1:8000';
/** The hosted service whose contract retouch implements. It has no status stream: `subscribe` polls there. */
export const HOSTED_BASE_URL = 'https://model-api.runcomfy.net';

/** The ids of the models the server's catalogue had when these types were generated. */
export type ModelId = keyof ModelInputs;
/** A model's input type for a known id; any JSON object for another id (the hosted service has more). */
export type ModelInput<M extends string> = M extends ModelId ? ModelInputs[M] : Record<string, unknown>;

export interface ClientOptions {
  /** Default: `RETOUCH_URL` from the environment (on Node), else http://127.0.0.1:8000 (a local `retouch serve`). Or HOSTED_BASE_URL. */
  baseUrl?: string;
  /** Sent as `Authorization: Bearer <apiKey>`. Default: `RETOUCH_API_KEY` from the environment (on Node). */
  apiKey?: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
}

export interface SubmitOptions {
  /** An http(s) URL that receives the result body, signed per Standard Webhooks, when the request ends. */
  webhook?: string;
  /** `['in_progress']` to be told when work starts too; the final status is always sent. */
  webhookEvents?: 'in_progress'[];
  /** The same key from the same account within 24 hours returns the first request instead of a new one. */
  idempotencyKey?: string;
  /** `Prefer: wait=N` (N ≤ 60 seconds): answer with the result body if the request ends within N seconds. */
  wait?: number;
  signal?: AbortSignal;
}

/** What changed about a request while it is followed. */
export interface QueueUpdate {
  request_id: string;
  status: RequestStatus;
  /** Requests ahead of this one, while `in_queue`. */
  queue_position?: number;
  /** 0 to 1, while `in_progress`. */
  progress?: number;
}

export interface SubscribeOptions {
  /** Called on every change of status, queue position or progress. */
  onQueueUpdate?: (update: QueueUpdate) => void;
  /** Called when the progress (0 to 1) of a running request changes. */
  onProgress?: (progress: number, update: QueueUpdate) => void;
  /** Stops following; a request that is still queued is cancelled. */
  signal?: AbortSignal;
  /** `stream` (server-sent events; falls back to polling where the server has no stream) or `poll`. */
  mode?: 'stream' | 'poll';
  /** First wait between polls; it grows by half each time nothing changes, up to `maxPollIntervalMs`. Default 500. */
  pollIntervalMs?: number;
  /** Default 5000. A `Retry-After` from the server overrides both. */
  maxPollIntervalMs?: number;
}

export interface StreamOptions {
  signal?: AbortSignal;
  /** Resume after this event (the `id` of a `StreamEvent`). */
  lastEventId?: string;
  /** A connection silent for this long is taken for dead and reopened. Default 45000 (three keep-alives). */
  idleTimeoutMs?: number;
  /** Reconnections in a row without a new event before giving up with a ConnectionError. Default 8. */
  maxReconnects?: number;
}

export interface StatusEvent {
  type: 'status';
  /** Resumable: pass it as `lastEventId`. */
  id: string;
  data: StatusEventData;
}

export interface ProgressEvent {
  type: 'progress';
  id: string;
  data: ProgressEventData;
}

/** One event of `GET /v1/requests/{id}/status/stream`. */
export type StreamEvent = StatusEvent | ProgressEvent;

/** A completed request's result: `output` is there. */
export type CompletedResult = ResultResponse & { status: 'completed'; output: Output };

export interface UploadOptions {
  /** The name sent with the file (default: the path's base name, or image.jpg / image.png). */
  filename?: string;
  signal?: AbortSignal;
}

interface CallOptions {
  body?: BodyInit;
  headers?: Record<string, string>;
  query?: Record<string, string | undefined>;
  signal?: AbortSignal;
}

const POLL_ERRORS_ALLOWED = 5;

export class RetouchClient {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? (environment('RETOUCH_URL') || DEFAULT_BASE_URL)).replace(/\/+$/, '');
    this.apiKey = options.apiKey ?? (environment('RETOUCH_API_KEY') || undefined);
    // Called through a closure: a browser's fetch throws "Illegal invocation" when called as a method of another object.
    const given = options.fetch;
    this.fetchImpl = given ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** Submits a request; the answer names it and where to follow it. */
  submit<M extends ModelId | (string & {})>(modelId: M, input: ModelInput<M>, options?: SubmitOptions & { wait?: undefined }): Promise<SubmitResponse>;
  /** With `wait`, the answer is the result body when the request ended within that many seconds. */
  submit<M extends ModelId | (string & {})>(modelId: M, input: ModelInput<M>, options: SubmitOptions & { wait: number }): Promise<SubmitResponse | ResultResponse>;
  async submit(modelId: string, input: unknown, options: SubmitOptions = {}): Promise<SubmitResponse | ResultResponse> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
    if (options.wait !== undefined) headers.prefer = `wait=${Math.max(0, Math.floor(options.wait))}`;
    const { data } = await this.call<SubmitResponse | ResultResponse>('POST', `/v1/models/${modelId.split('/').map(encodeURIComponent).join('/')}`, {
      body: JSON.stringify(input),
      headers,
      query: { webhook: options.webhook, webhook_events: options.webhookEvents?.length ? options.webhookEvents.join(',') : undefined },
      signal: options.signal,
    });
    return data;
  }

  async status(id: string, options: { signal?: AbortSignal } = {}): Promise<StatusResponse> {
    return (await this.call<StatusResponse>('GET', `${requestPath(id)}/status`, options)).data;
  }

  /** The outputs once completed, the error once failed; the status body while it is not finished. */
  async result(id: string, options: { signal?: AbortSignal } = {}): Promise<ResultResponse> {
    return (await this.call<ResultResponse>('GET', `${requestPath(id)}/result`, options)).data;
  }

  /** Cancels a queued request; a running or finished one throws ConflictError (409001). */
  async cancel(id: string, options: { signal?: AbortSignal } = {}): Promise<CancelResponse> {
    return (await this.call<CancelResponse>('POST', `${requestPath(id)}/cancel`, options)).data;
  }

  /**
   * The request's server-sent events, in order, until its final status. A dropped connection is
   * reopened with `Last-Event-ID`, so no status is lost or repeated.
   */
  async *stream(id: string, options: StreamOptions = {}): AsyncGenerator<StreamEvent, void, undefined> {
    const { signal } = options;
    const idleMs = options.idleTimeoutMs ?? 45_000;
    const maxReconnects = options.maxReconnects ?? 8;
    let lastEventId = options.lastEventId;
    let retryMs = 1000;
    let failures = 0;
    for (;;) {
      signal?.throwIfAborted();
      let failure: unknown;
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
      try {
        const res = await this.send('GET', `${requestPath(id)}/status/stream`, { headers, signal });
        if (!res.ok) throw await errorFromResponse(res);
        if (!res.headers.get('content-type')?.includes('text/event-stream')) {
          await res.body?.cancel();
          throw new NotFoundError('This server has no status stream (its answer is not text/event-stream).', { status: res.status });
        }
        if (!res.body) throw new ConnectionError('The status stream has no body.');
        for await (const message of readSse(res.body, { lastEventId, idleMs })) {
          lastEventId = message.lastEventId;
          if (message.retry !== undefined) retryMs = message.retry;
          const event = toStreamEvent(message.event, message.data, message.id ?? '');
          if (!event) continue;
          failures = 0;
          yield event;
          if (event.type === 'status' && isFinal(event.data.status)) return;
        }
        failure = new ConnectionError('The status stream ended before the request did.');
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        // Answers that will not change on a retry (401, 403, 404, …) end the stream at once.
        if (err instanceof RetouchError && !(err instanceof ConnectionError) && !(err instanceof ServerError) && !(err instanceof RateLimitError)) throw err;
        failure = err;
      }
      if (++failures > maxReconnects) {
        throw failure instanceof RetouchError ? failure : new ConnectionError(`The status stream kept failing: ${String(failure)}`, { cause: failure });
      }
      const hinted = failure instanceof RateLimitError || failure instanceof ServerError ? failure.retryAfter : undefined;
      await sleep(hinted !== undefined ? hinted * 1000 : Math.min(10_000, retryMs * 2 ** (failures - 1)), signal);
    }
  }

  /**
   * Follows a request until it is final, and returns its final status body (which may be
   * `failed` or `cancelled`: this does not throw for those). Aborting the signal cancels the
   * request if it is still queued, and rejects with the signal's reason.
   */
  async subscribe(id: string, options: SubscribeOptions = {}): Promise<StatusResponse> {
    const { signal } = options;
    try {
      if (options.mode === 'poll') return await this.poll(id, options);
      try {
        return await this.follow(id, options);
      } catch (err) {
        // A server without the stream route (the hosted service): poll instead.
        if (err instanceof NotFoundError && err.errorCode !== 404001 && !signal?.aborted) return await this.poll(id, options);
        throw err;
      }
    } catch (err) {
      if (signal?.aborted) {
        await this.cancel(id).catch(() => undefined); // 409 when running or finished: then it goes on
        throw signal.reason;
      }
      throw err;
    }
  }

  /**
   * Submits, follows and returns the result of a completed request. A request that fails or is
   * cancelled throws RequestFailedError or RequestCancelledError, with its result body.
   */
  async run<M extends ModelId | (string & {})>(modelId: M, input: ModelInput<M>, options: Omit<SubmitOptions, 'wait'> & SubscribeOptions = {}): Promise<CompletedResult> {
    const { webhook, webhookEvents, idempotencyKey, signal } = options;
    const submitted = await this.submit(modelId, input, { webhook, webhookEvents, idempotencyKey, signal });
    await this.subscribe(submitted.request_id, options);
    const result = await this.result(submitted.request_id, { signal });
    if (result.status === 'completed' && result.output) return result as CompletedResult;
    if (result.status === 'cancelled') throw new RequestCancelledError(result);
    throw new RequestFailedError(result);
  }

  /** Uploads an image (bytes, a Blob or File, or a file path on Node); put the answer's `url` in `image_urls`. */
  async upload(source: UploadSource, options: UploadOptions = {}): Promise<UploadResponse> {
    const { blob, filename } = await toBlob(source, options.filename);
    const form = new FormData();
    form.append('file', blob, filename);
    return (await this.call<UploadResponse>('POST', '/v1/files', { body: form, signal: options.signal })).data;
  }

  /** Checks a webhook delivery's signature (Standard Webhooks) and returns its body. See `verifyWebhook`. */
  verifyWebhook(payload: string | Uint8Array, headers: WebhookHeaders, secret: string, options?: VerifyOptions): Promise<WebhookEvent> {
    return verifyWebhook(payload, headers, secret, options);
  }

  private async follow(id: string, options: SubscribeOptions): Promise<StatusResponse> {
    let current: QueueUpdate | undefined;
    for await (const event of this.stream(id, { signal: options.signal })) {
      const update: QueueUpdate = { request_id: event.data.request_id, status: event.data.status };
      if (event.type === 'progress') {
        if (event.data.queue_position !== undefined) update.queue_position = event.data.queue_position;
        if (event.data.progress !== undefined) update.progress = event.data.progress;
      }
      current = notify(options, current, update);
      if (event.type === 'status' && isFinal(event.data.status)) break;
    }
    return this.status(id, { signal: options.signal });
  }

  private async poll(id: string, options: SubscribeOptions): Promise<StatusResponse> {
    const { signal } = options;
    const first = options.pollIntervalMs ?? 500;
    const max = Math.max(first, options.maxPollIntervalMs ?? 5000);
    let delay = first;
    let errors = 0;
    let current: QueueUpdate | undefined;
    for (;;) {
      let wait: number;
      try {
        const { data, res } = await this.call<StatusResponse>('GET', `${requestPath(id)}/status`, { signal });
        errors = 0;
        const update: QueueUpdate = { request_id: data.request_id, status: data.status };
        if (data.queue_position !== undefined) update.queue_position = data.queue_position;
        if (data.progress !== undefined) update.progress = data.progress;
        const statusChanged = current?.status !== data.status;
        current = notify(options, current, update);
        if (isFinal(data.status)) return data;
        if (statusChanged) delay = first;
        const hinted = parseRetryAfter(res.headers.get('retry-after'));
        wait = hinted !== undefined ? hinted * 1000 : delay;
        delay = Math.min(max, delay * 1.5);
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        const transient = err instanceof RateLimitError || err instanceof ServerError || err instanceof ConnectionError;
        if (!transient || ++errors > POLL_ERRORS_ALLOWED) throw err;
        const hinted = err instanceof RateLimitError || err instanceof ServerError ? err.retryAfter : undefined;
        wait = hinted !== undefined ? hinted * 1000 : delay;
        delay = Math.min(max, delay * 2);
      }
      await sleep(wait, signal);
    }
  }

  /** One call whose answer must be 2xx JSON; anything else becomes a typed error. */
  private async call<T>(method: string, path: string, options: CallOptions = {}): Promise<{ data: T; res: Response }> {
    const res = await this.send(method, path, { ...options, headers: { accept: 'application/json', ...options.headers } });
    if (!res.ok) throw await errorFromResponse(res);
    let data: T;
    try {
      data = (await res.json()) as T;
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      throw new RetouchError(`The answer to ${method} ${path} is not JSON.`, { status: res.status, cause: err });
    }
    return { data, res };
  }

  private async send(method: string, path: string, options: CallOptions): Promise<Response> {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const headers = new Headers(options.headers);
    if (this.apiKey) headers.set('authorization', `Bearer ${this.apiKey}`);
    try {
      return await this.fetchImpl(url.href, { method, headers, body: options.body, signal: options.signal });
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      throw new ConnectionError(`Could not reach ${this.baseUrl}: ${describeNetworkError(err)}`, { cause: err });
    }
  }
}

/** A variable of Node's environment; nothing in a browser. */
function environment(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}

function requestPath(id: string): string {
  return `/v1/requests/${encodeURIComponent(id)}`;
}

/** Calls the callbacks for what is new in `update`, and returns the state to compare the next one with. */
function notify(options: SubscribeOptions, previous: QueueUpdate | undefined, update: QueueUpdate): QueueUpdate {
  // A status event says nothing about position or progress: keep what is known while the status holds.
  const merged: QueueUpdate = previous?.status === update.status ? { ...previous, ...update } : update;
  const same =
    previous?.status === merged.status && previous.queue_position === merged.queue_position && previous.progress === merged.progress;
  if (!same) {
    options.onQueueUpdate?.(merged);
    if (merged.progress !== undefined && merged.progress !== previous?.progress) options.onProgress?.(merged.progress, merged);
  }
  return merged;
}

function toStreamEvent(event: string, data: string, id: string): StreamEvent | undefined {
  if (event !== 'status' && event !== 'progress') return undefined;
  try {
    return { type: event, id, data: JSON.parse(data) } as StreamEvent;
  } catch {
    return undefined;
  }
}

/** Node's fetch hides the reason in `cause` (ECONNREFUSED, ENOTFOUND, …): bring it out. */
function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (cause && typeof cause.code === 'string') return `${cause.code}${typeof cause.message === 'string' ? ` (${cause.message})` : ''}`;
  if (err instanceof IdleTimeoutError) return err.message;
  return err instanceof Error ? err.message : String(err);
}
