/**
 * The rules of the per-account limits, the same for every store: which limit is in force (the
 * configuration's default, unless the operator overrode it for the account), the windows they
 * count over, and when a refused client may try again.
 */
import type { AccountLimitOverrides, AccountLimits } from './types.js';

/** `rpm` counts the submits of the last minute, a sliding window. */
export const RATE_WINDOW_MS = 60_000;
const DAY_MS = 86_400_000;

/** The defaults, refined by the account's overrides (a number replaces, null lifts). */
export function effectiveLimits(defaults: AccountLimits | undefined, overrides: AccountLimitOverrides): AccountLimits {
  const pick = (k: keyof AccountLimits) => (overrides[k] === undefined ? defaults?.[k] : (overrides[k] ?? undefined));
  return withoutUndefined({ rpm: pick('rpm'), concurrent: pick('concurrent'), dailyImages: pick('dailyImages') });
}

/** When the oldest submit of the window leaves it, a place is free. */
export function rateRetryAfter(oldestInWindow: number, now: number): number {
  return Math.max(1, Math.ceil((oldestInWindow + RATE_WINDOW_MS - now) / 1000));
}

export function utcDayStart(now: number): number {
  return Math.floor(now / DAY_MS) * DAY_MS;
}

export function secondsToNextUtcDay(now: number): number {
  return Math.max(1, Math.ceil((utcDayStart(now) + DAY_MS - now) / 1000));
}

export function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
