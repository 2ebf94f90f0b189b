/**
 * The row shapes both store implementations read (snake_case columns; JSON bodies kept as text) and
 * how rows become records, usage and limits, so that SQLite and PostgreSQL answer with exactly the
 * same objects.
 */
import { withoutUndefined } from './limits.js';
import type { AccountLimitOverrides, RequestError, RequestRecord, RequestResult, RequestStatus, UsageDay, UsageEntry, WebhookDelivery } from './types.js';

export interface RecordRow {
  id: string;
  account_id: string;
  model_id: string;
  status: RequestStatus;
  progress: number;
  attempts: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  expires_at: number;
  result: string | null;
  error: string | null;
  queue_position?: number | null;
}

export function toRecord(row: RecordRow): RequestRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    modelId: row.model_id,
    status: row.status,
    progress: row.progress,
    attempts: row.attempts,
    queuePosition: row.status === 'in_queue' ? (row.queue_position ?? null) : null,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    expiresAt: row.expires_at,
    result: row.result ? (JSON.parse(row.result) as RequestResult) : null,
    error: row.error ? (JSON.parse(row.error) as RequestError) : null,
  };
}

export interface DeliveryRow {
  id: string;
  request_id: string;
  account_id: string;
  url: string;
  status: RequestStatus;
  attempts: number;
  created_at: number;
}

export const toDelivery = (r: DeliveryRow): WebhookDelivery => ({
  id: r.id,
  requestId: r.request_id,
  accountId: r.account_id,
  url: r.url,
  status: r.status,
  attempts: r.attempts,
  createdAt: r.created_at,
});

/** How long a full queue asks clients to wait, before any request has run. */
const DEFAULT_RETRY_AFTER_SECONDS = 5;

/**
 * When a full queue will have room again: a place frees up each time a running request ends, so
 * about the recent run time (ms, averaged) divided by the requests running.
 */
export function retryAfterSeconds(averageRunMs: number | null, running: number): number {
  if (!averageRunMs) return DEFAULT_RETRY_AFTER_SECONDS;
  return Math.min(60, Math.max(1, Math.ceil(averageRunMs / 1000 / Math.max(1, running))));
}

/** Why a request whose workers kept dying is failed. */
export function workerLostError(maxAttempts: number): RequestError {
  return {
    code: 'worker_lost',
    message: `The request was started ${maxAttempts} times and its worker stopped each time; it will not be retried.`,
  };
}

/** One account's day in the usage ledger, unrounded. */
export interface UsageDayRow {
  day: string;
  requests: number;
  completed: number;
  failed: number;
  cancelled: number;
  images: number;
  mp: number;
  compute: number;
}

/** The days, with the completed requests per engine and the upstream figures summed per name. */
export function usageDays(
  rows: UsageDayRow[],
  engines: { day: string; engine: string; n: number }[],
  upstream: { day: string; name: string; total: number }[],
): UsageDay[] {
  const days = new Map<string, UsageDay>();
  for (const r of rows) {
    days.set(r.day, {
      day: r.day,
      requests: r.requests,
      completed: r.completed,
      failed: r.failed,
      cancelled: r.cancelled,
      images: r.images,
      outputMegapixels: round2(r.mp),
      computeSeconds: round2(r.compute),
      engines: {},
      upstream: {},
    });
  }
  for (const e of engines) days.get(e.day)!.engines[e.engine] = e.n;
  for (const u of upstream) days.get(u.day)!.upstream[u.name] = u.total;
  return [...days.values()];
}

export interface LedgerRow {
  request_id: string;
  account_id: string;
  model_id: string;
  status: UsageEntry['status'];
  created_at: number;
  finished_at: number;
  images: number;
  megapixels: number;
  compute_seconds: number;
  engine: string | null;
  upstream: string | null;
}

export const toUsageEntry = (r: LedgerRow): UsageEntry => ({
  requestId: r.request_id,
  accountId: r.account_id,
  modelId: r.model_id,
  status: r.status,
  createdAt: r.created_at,
  finishedAt: r.finished_at,
  images: r.images,
  megapixels: round2(r.megapixels),
  computeSeconds: round2(r.compute_seconds),
  engine: r.engine,
  upstream: r.upstream ? (JSON.parse(r.upstream) as UsageEntry['upstream']) : null,
});

const round2 = (n: number) => Math.round(n * 100) / 100;

/** How an override that lifts a limit is kept in a column (NULL is "no override"). */
const NO_LIMIT = -1;

export interface OverridesRow {
  rpm: number | null;
  concurrent: number | null;
  daily_images: number | null;
}

export function toOverrides(row: OverridesRow | undefined): AccountLimitOverrides {
  if (!row) return {};
  const read = (v: number | null) => (v === null ? undefined : v === NO_LIMIT ? null : v);
  return withoutUndefined({ rpm: read(row.rpm), concurrent: read(row.concurrent), dailyImages: read(row.daily_images) });
}

/** The columns rpm, concurrent, daily_images of some overrides; undefined when there are none. */
export function overrideColumns(overrides: AccountLimitOverrides): [number | null, number | null, number | null] | undefined {
  if (Object.values(overrides).every((v) => v === undefined)) return undefined;
  const write = (v: number | null | undefined) => (v === undefined ? null : v === null ? NO_LIMIT : v);
  return [write(overrides.rpm), write(overrides.concurrent), write(overrides.dailyImages)];
}
