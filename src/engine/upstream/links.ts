/**
 * Jobs whose status, result and cancel calls are links the submit returned (fal, Replicate, the
 * hosted Model API): the handle that keeps them, how a checkpoint is recognised as one, and the
 * best-effort cancel at its link.
 */
import type { Logger } from 'pino';
import { field, type UpstreamClient } from './http.js';
import type { JobHandle } from './job.js';
import { sameOrigin } from './urls.js';

export type UrlHandle<P extends string, K extends string> = JobHandle & { provider: P } & Record<K, string>;

/** Where to find one link in the submit's answer, and the documented one when it is absent or elsewhere. */
export type LinkSource = readonly [path: readonly string[], fallback: string];

/**
 * A handle with each link the provider returned, kept only when it points at the configured base's
 * origin (a link elsewhere is never followed with the key), else the documented one.
 */
export function urlHandle<P extends string, K extends string>(
  provider: P,
  id: string,
  base: string,
  answer: unknown,
  links: Record<K, LinkSource>,
): UrlHandle<P, K> {
  const handle: Record<string, unknown> = { provider, id, submittedAt: Date.now() };
  for (const [key, [path, fallback]] of Object.entries(links) as [K, LinkSource][]) {
    handle[key] = sameOrigin(field(answer, ...path), base) ?? fallback;
  }
  return handle as UrlHandle<P, K>;
}

/** Whether a checkpoint is a handle of this provider with these links. */
export function isUrlHandle<P extends string, K extends string>(value: unknown, provider: P, keys: readonly K[]): value is UrlHandle<P, K> {
  return field(value, 'provider') === provider && typeof field(value, 'id') === 'string' && keys.every((k) => typeof field(value, k) === 'string');
}

/**
 * Asks the provider to cancel a job at its cancel link; the outcome (cancelled, already done, not
 * found) is only logged. Often asked after the run's own signal aborted (its timeout), or with none
 * (a request cancelled in the queue): the call has a deadline of its own.
 */
export async function cancelAt(client: UpstreamClient, method: 'POST' | 'PUT', url: string, job: string, log: Logger): Promise<void> {
  const answer = await client.call({ method, url, idempotent: true, what: 'the cancel' }, { signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS), log });
  const outcome = field(answer.body, 'status') ?? field(answer.body, 'outcome') ?? answer.status;
  log.info({ provider: client.provider, job, outcome }, 'upstream job cancel asked');
}

const CANCEL_TIMEOUT_MS = 10_000;
