/**
 * The HTTP calls an engine makes to its provider, with the retry rules of every provider in one
 * place: a call the provider refused with "try later" (429, 5xx, or what the provider's own
 * `retryable` says) is tried again after a backoff or the wait it asked for, within the engine's
 * deadline; a call that failed before it reached the provider (refused connection, no address) is
 * tried again too. A paid submit that may have reached the provider (a reset, no answer in time, a
 * 5xx other than 503, such as a gateway's 502 or 504 while the service behind it took the job) is
 * never repeated: the provider may have started it, and a second one would be paid twice. A paid
 * submit is repeated only after a 429 or a 503 (the provider turned it away before any work) or
 * when the provider marks the answer retryable itself.
 *
 * Nothing here logs a header or a body: credentials travel in headers, and bodies carry data URIs.
 */
import type { Logger } from 'pino';
import { EngineUnavailableError } from '../errors.js';
import { credential } from './options.js';
import { DEFAULT_RETRY, backoffMs, retryAfterMs, waitBeforeRetry, type RetryPolicy } from './retry.js';

/** A provider's answer, its body read (at most MAX_ANSWER_BYTES) and parsed when it is JSON. */
export interface ProviderAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body; undefined when the body is not JSON. */
  body: unknown;
}

export interface UpstreamCall {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  /** A JSON body, serialised once (a signature covers its exact bytes). */
  json?: unknown;
  headers?: Record<string, string>;
  /**
   * False for a call that starts paid work (a submit): it is repeated only when it surely did not
   * reach the provider, or the provider turned it away before any work (429, 503, or its own
   * retryable mark).
   */
  idempotent: boolean;
  /** What the call is, for messages and logs: "the submit", "the status check". */
  what: string;
  /** Wait for the answer's headers this long (default: the client's). */
  answerTimeoutMs?: number;
}

export interface CallContext {
  signal: AbortSignal;
  /** When the engine's timeout ends (ms since epoch); retries never wait past it. */
  deadline?: number | undefined;
  log: Logger;
}

export interface UpstreamClientOptions {
  /** The provider's name in messages: "Ark", "fal". */
  provider: string;
  retry?: RetryPolicy;
  /** Headers added to each attempt (auth); called per attempt, since a signature covers the time. */
  authorize(call: { method: string; url: URL; body: string | undefined }): Record<string, string>;
  /** Default wait for an answer's headers. */
  answerTimeoutMs?: number;
  /**
   * Whether a non-2xx answer is worth another try: true or false decides (true repeats even a paid
   * submit, so only for a mark that says no work started), undefined leaves it to the default (429
   * and 5xx are; for a paid submit, only 429 and 503).
   */
  retryable?(answer: ProviderAnswer): boolean | undefined;
  /** Tests count calls here; production uses the global fetch (undici). */
  fetch?: typeof fetch;
}

const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
const DEFAULT_ANSWER_TIMEOUT_MS = 60_000;

/** Socket errors that happen before a request is sent: repeating the call cannot pay twice. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/** Why one attempt did not produce an answer. */
class NoAnswer extends Error {
  constructor(readonly words: string, readonly sent: boolean, options?: { cause?: unknown }) {
    super(words, options);
  }
}

export class UpstreamClient {
  readonly provider: string;
  private readonly retry: RetryPolicy;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: UpstreamClientOptions) {
    this.provider = options.provider;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** Makes the call, retrying as the rules above say; returns the final answer, 2xx or not. */
  async call(call: UpstreamCall, ctx: CallContext): Promise<ProviderAnswer> {
    const res = await this.send(call, ctx, false);
    return res as ProviderAnswer;
  }

  /**
   * For a streamed answer (server-sent events): retries until a 2xx arrives and returns its
   * Response with the body unread; a final non-2xx comes back read, as from `call`.
   */
  async open(call: UpstreamCall, ctx: CallContext): Promise<Response | ProviderAnswer> {
    return this.send(call, ctx, true);
  }

  private async send(call: UpstreamCall, ctx: CallContext, stream: boolean): Promise<Response | ProviderAnswer> {
    const url = new URL(call.url);
    const body = call.json === undefined ? undefined : JSON.stringify(call.json);
    const what = `${call.what}`;
    for (let attempt = 0; ; attempt++) {
      ctx.signal.throwIfAborted();
      let answer: ProviderAnswer | Response;
      try {
        answer = await this.attempt(call, url, body, ctx.signal, stream);
      } catch (err) {
        if (!(err instanceof NoAnswer)) throw err;
        if (err.sent && !call.idempotent) throw this.mayHaveStarted(`did not answer ${what} (${err.words})`, what, ctx, { cause: err });
        if (attempt >= this.retry.maxRetries) {
          throw new EngineUnavailableError(`${this.provider} could not be reached (${err.words})`, { cause: err });
        }
        const wait = backoffMs(this.retry, attempt + 1);
        ctx.log.info({ provider: this.provider, call: what, reason: err.words, retry: attempt + 1, wait_ms: wait }, 'upstream call failed; trying again');
        await waitBeforeRetry(wait, `${this.provider} could not be reached (${err.words})`, ctx.signal, ctx.deadline);
        continue;
      }
      if (answer instanceof Response) return answer;
      if (answer.status < 300) return answer;
      const verdict = this.verdictOn(answer, call.idempotent);
      if (verdict === 'final') return answer;
      if (verdict === 'maybe_started') throw this.mayHaveStarted(`answered ${what} with HTTP ${answer.status}`, what, ctx);
      const said = retryAfterMs(answer.headers, answer.text);
      const why = `${this.provider} answered ${what} with HTTP ${answer.status}${answer.status === 429 ? ' (too many requests)' : ''}`;
      if (attempt >= this.retry.maxRetries) {
        throw new EngineUnavailableError(`${why} ${attempt + 1} times in a row`);
      }
      const wait = Math.max(said ?? 0, backoffMs(this.retry, attempt + 1));
      ctx.log.info({ provider: this.provider, call: what, status: answer.status, retry: attempt + 1, wait_ms: wait }, 'upstream asked to try again later');
      await waitBeforeRetry(wait, why, ctx.signal, ctx.deadline);
    }
  }

  /**
   * What a non-2xx answer means for another try: `retry`, `final` (the engine reads the answer), or
   * `maybe_started` (a paid call the provider may have begun although it failed: never repeated).
   */
  private verdictOn(answer: ProviderAnswer, idempotent: boolean): 'retry' | 'final' | 'maybe_started' {
    const said = this.options.retryable?.(answer);
    if (said !== undefined) return said ? 'retry' : 'final';
    if (answer.status === 429) return 'retry';
    if (answer.status < 500) return 'final';
    // 503 is a refusal before any work (overloaded, in maintenance); a 500, or a gateway's 502 or
    // 504, may come after the service behind it accepted the job.
    return idempotent || answer.status === 503 ? 'retry' : 'maybe_started';
  }

  private mayHaveStarted(happened: string, what: string, ctx: CallContext, options?: { cause?: unknown }): EngineUnavailableError {
    ctx.log.warn({ provider: this.provider, call: what, reason: happened }, 'a paid call may have reached the provider without a usable answer; it is not repeated');
    return new EngineUnavailableError(`${this.provider} ${happened}; it was not sent again, since ${this.provider} may have started it`, options);
  }

  private async attempt(call: UpstreamCall, url: URL, body: string | undefined, signal: AbortSignal, stream: boolean): Promise<ProviderAnswer | Response> {
    const headers: Record<string, string> = {
      accept: stream ? 'text/event-stream' : 'application/json',
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...call.headers,
      ...this.options.authorize({ method: call.method, url, body }),
    };
    // The answer's headers must come in time; a streamed body then runs under the engine's signal only.
    const patience = new AbortController();
    const timeoutMs = call.answerTimeoutMs ?? this.options.answerTimeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS;
    const timer = setTimeout(() => patience.abort(new NoAnswer(`no answer within ${Math.round(timeoutMs / 1000)} s`, true)), timeoutMs);
    let res: Response;
    try {
      res = await this.fetchImpl(url, { method: call.method, headers, body, signal: AbortSignal.any([signal, patience.signal]), redirect: 'error' });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (patience.signal.aborted) throw patience.signal.reason;
      throw noAnswer(err);
    } finally {
      clearTimeout(timer);
    }
    if (stream && res.status < 300) return res;
    try {
      const text = await readCapped(res);
      return { status: res.status, headers: res.headers, text, body: parseJson(text) };
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw noAnswer(err);
    }
  }
}

function noAnswer(err: unknown): NoAnswer {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } })?.cause;
  const code = String(cause?.code ?? (err as { code?: unknown })?.code ?? '');
  if (NOT_SENT.has(code)) return new NoAnswer(code === 'ECONNREFUSED' ? 'connection refused' : code === 'ENOTFOUND' ? 'no such host' : code.toLowerCase(), false, { cause: err });
  return new NoAnswer(code ? `connection lost: ${code.toLowerCase()}` : 'connection lost', true, { cause: err });
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      await res.body.cancel().catch(() => undefined);
      throw new Error(`an answer larger than ${MAX_ANSWER_BYTES} bytes`);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Reads a field path of an unknown JSON value: `field(body, 'error', 'code')`. */
export function field(value: unknown, ...path: (string | number)[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}

export function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
}

/**
 * The client of a provider that takes one key in the Authorization header (`Bearer`, or fal's
 * `Key`), read at build time from the variable the engine's `api_key_env` names.
 */
export function bearerClient(
  provider: string,
  retry: RetryPolicy,
  key: { env: NodeJS.ProcessEnv; options: Record<string, unknown>; defaultVar: string },
  more: { scheme?: string; retryable?: UpstreamClientOptions['retryable'] } = {},
): UpstreamClient {
  const token = credential(key.env, String(key.options.api_key_env ?? key.defaultVar));
  const authorization = `${more.scheme ?? 'Bearer'} ${token}`;
  return new UpstreamClient({ provider, retry, authorize: () => ({ authorization }), ...(more.retryable && { retryable: more.retryable }) });
}
