/**
 * When to try an upstream call again, and how long to wait first: exponential backoff with full
 * jitter (so that many workers throttled together do not come back together), unless the provider
 * said how long (Retry-After, or Replicate's "resets in ~30s"), and never past the engine's deadline.
 */
import { EngineUnavailableError } from '../errors.js';

export interface RetryPolicy {
  /** Tries after the first, for what the provider marks retryable. */
  maxRetries: number;
  /** The first wait; each next one doubles, up to maxDelayMs. */
  delayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 3, delayMs: 1_000, maxDelayMs: 30_000 };

/** How long to wait before retry number `retry` (1-based), when the provider did not say. */
export function backoffMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.delayMs * 2 ** (retry - 1));
  // Full jitter, but never less than half the step: a retry storm is avoided without retrying at once.
  return Math.round(cap / 2 + (random() * cap) / 2);
}

/**
 * The wait a response asks for, in ms: `Retry-After` as seconds or an HTTP date, or a body that
 * says "resets in ~30s" (Replicate's 429). Undefined when it says nothing usable.
 */
export function retryAfterMs(headers: Headers, bodyText = '', now = Date.now()): number | undefined {
  const header = headers.get('retry-after')?.trim();
  if (header) {
    if (/^\d+(\.\d+)?$/.test(header)) return Math.round(Number(header) * 1000);
    const at = Date.parse(header);
    if (Number.isFinite(at)) return Math.max(0, at - now);
  }
  const said = /resets in ~?\s*(\d+(?:\.\d+)?)\s*s/i.exec(bodyText);
  return said ? Math.round(Number(said[1]) * 1000) : undefined;
}

/**
 * Waits `ms`, or throws when the wait would end past `deadline` (the engine's timeout: better to
 * let the next engine run now than to be aborted mid-wait) or when the signal aborts.
 */
export async function waitBeforeRetry(ms: number, why: string, signal: AbortSignal, deadline: number | undefined): Promise<void> {
  if (deadline !== undefined && Date.now() + ms >= deadline) {
    throw new EngineUnavailableError(`${why}, and waiting ${formatWait(ms)} more would pass its timeout`);
  }
  await sleep(ms, signal);
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function formatWait(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}
