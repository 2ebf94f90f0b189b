/**
 * The row shape both store implementations read (snake_case columns; JSON bodies kept as text) and
 * how a row becomes a record, so that SQLite and PostgreSQL answer with exactly the same objects.
 */
import type { RequestError, RequestRecord, RequestResult, RequestStatus, UsageDay, WebhookDelivery } from './types.js';

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

export interface UsageRow {
  day: string;
  requests: number;
  completed: number;
  /** Megapixels and seconds, unrounded. */
  mp: number;
  compute: number;
}

export const toUsageDay = (r: UsageRow): UsageDay => ({
  day: r.day,
  requests: r.requests,
  completed: r.completed,
  outputMegapixels: Math.round(r.mp * 100) / 100,
  computeSeconds: Math.round(r.compute * 100) / 100,
});
