/**
 * The words of a provider's refusal, made fit for a client (no links, no request ids, no control
 * characters, not too long), and the errors every provider engine throws for the usual causes.
 */
import type { Logger } from 'pino';
import { EngineRequestError, EngineUnavailableError } from '../errors.js';

/**
 * A provider's message, safe to show: links, data URIs (a provider echoing an input would put its
 * base64 in the client's error) and request ids removed, one line, at most 300 characters.
 */
export function providerWords(raw: unknown, fallback = 'no reason given'): string {
  if (typeof raw !== 'string' || raw.trim() === '') return fallback;
  const clean = raw
    .replace(/\bdata:[^\s,]*,\S*/gi, '(data)')
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '(a link)')
    // What is left of an echoed input cut off before its "data:" (long runs of base64).
    .replace(/[A-Za-z0-9+/_-]{80,}={0,2}/g, '(data)')
    .replace(/\s*Request[ _]?id[:=]?\s*[\w-]+\.?/gi, '')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[.\s]+$/, '');
  if (clean === '') return fallback;
  return clean.length > 300 ? `${clean.slice(0, 299)}…` : clean;
}

export function refusedByPolicy(provider: string, words: string): EngineRequestError {
  return new EngineRequestError('content_policy', `${provider} refused the request under its content policy: ${words}.`);
}

export function refusedInput(provider: string, words: string): EngineRequestError {
  return new EngineRequestError('invalid_input', `${provider} refused the input: ${words}.`);
}

/**
 * The provider refused the engine itself (credentials, billing, a model not enabled, a wrong
 * model id): the next engine runs the request, and the operator is told in the log, since only
 * they can fix it.
 */
export function refusedEngine(provider: string, why: string, log: Logger, detail: Record<string, unknown> = {}): EngineUnavailableError {
  log.error({ provider, ...detail }, `${provider} refused this engine: ${why}; check the engine's configuration and the provider account`);
  return new EngineUnavailableError(`${provider} refused this engine: ${why}`);
}

/** The usual meaning of an HTTP status that no provider-specific code explained. */
export function byStatus(provider: string, status: number, words: string, log: Logger): Error {
  if (status === 401) return refusedEngine(provider, `its credentials were not accepted (HTTP 401: ${words})`, log, { status });
  if (status === 402) return refusedEngine(provider, `the account cannot pay (HTTP 402: ${words})`, log, { status });
  if (status === 403) return refusedEngine(provider, `access was denied (HTTP 403: ${words})`, log, { status });
  if (status === 404) return refusedEngine(provider, `the model or endpoint was not found (HTTP 404: ${words})`, log, { status });
  if (status === 400 || status === 422) return refusedInput(provider, words);
  return new EngineUnavailableError(`${provider} answered HTTP ${status} (${words})`);
}
