/**
 * The options every provider engine takes (base_url, the credential variables, model, retries,
 * polling), as TypeBox properties for the definitions, and how they are read once checked. Imports
 * only typebox and small helpers: definitions stay light (registry.ts).
 */
import { Type, type TProperties } from 'typebox';
import { parseDuration } from '../../units.js';
import { Duration } from '../option-types.js';
import type { OptionProblem } from '../registry.js';
import type { RetryPolicy } from './retry.js';

/**
 * A provider engine's `timeout` when the file does not say: a job stuck in the provider's queue, or
 * a stream that stalls, must not hold a slot forever. Seedream sets take a minute or two.
 */
export const UPSTREAM_TIMEOUT_MS = 10 * 60_000;

/** An environment variable's name: a credential is never written in the file itself. */
const ENV_NAME = '^[A-Za-z_][A-Za-z0-9_]{0,127}$';

export function envOption(defaultName: string, what: string) {
  return Type.Optional(
    Type.String({ pattern: ENV_NAME, description: `the name of the environment variable holding ${what} (default ${defaultName})` }),
  );
}

export function upstreamOptions(defaults: { baseUrl: string; model: string }): TProperties {
  return {
    base_url: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$', description: `the API's base URL, http(s) (default ${defaults.baseUrl})` })),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: `the provider's model id (default ${defaults.model})` })),
    max_retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10, description: 'a whole number from 0 to 10: tries after the first, for what the provider marks retryable (default 3)' })),
    retry_delay: Type.Optional(Duration),
    poll_interval: Type.Optional(Duration),
  };
}

/** The options as an engine reads them, defaults applied. */
export interface UpstreamSettings {
  baseUrl: string;
  model: string;
  retry: RetryPolicy;
  pollMs: number;
}

export function readUpstreamSettings(options: Record<string, unknown>, defaults: { baseUrl: string; model: string; pollMs?: number }): UpstreamSettings {
  const ms = (v: unknown, fallback: number) => (v === undefined ? fallback : (parseDuration(v as string | number) ?? fallback));
  return {
    baseUrl: String(options.base_url ?? defaults.baseUrl).replace(/\/+$/, ''),
    model: String(options.model ?? defaults.model),
    retry: {
      maxRetries: (options.max_retries as number | undefined) ?? 3,
      delayMs: ms(options.retry_delay, 1_000),
      maxDelayMs: 30_000,
    },
    pollMs: ms(options.poll_interval, defaults.pollMs ?? 1_000),
  };
}

/** A problem for each credential variable that is unset or empty. */
export function missingCredentials(vars: Record<string, string>, env: NodeJS.ProcessEnv): OptionProblem[] {
  return Object.entries(vars)
    .filter(([, name]) => !env[name])
    .map(([key, name]) => ({ key, message: `the environment variable ${name} is not set (it holds the credential; set it, or name another variable here)` }));
}

/** Reads a credential from the environment; build-time only, after missingCredentials passed. */
export function credential(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`the environment variable ${name} is not set`);
  return value;
}
