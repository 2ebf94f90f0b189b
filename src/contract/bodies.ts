/** The JSON bodies of a request, as the hosted service shapes them. */
import type { RequestRecord } from '../requests/types.js';
import type { FileStorage } from '../storage/types.js';
import type { ResultResponse, StatusResponse } from './schemas.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function statusBody(r: RequestRecord): StatusResponse {
  const body: StatusResponse = {
    request_id: r.id,
    status: r.status,
    created_at: new Date(r.createdAt).toISOString(),
    started_at: iso(r.startedAt),
    finished_at: iso(r.finishedAt),
  };
  if (r.status === 'in_queue' && r.queuePosition !== null) body.queue_position = r.queuePosition;
  if (r.status === 'in_progress') body.progress = r.progress;
  if (r.result) {
    body.edits = r.result.edits as StatusResponse['edits'];
    body.warnings = r.result.warnings;
    if (r.result.engine) body.engine = r.result.engine;
  }
  return body;
}

/**
 * When a finished request's output URLs expire: fixed from the finish time, not from each poll, so
 * the same result always shows the same URLs.
 */
export function outputUrlExpiry(r: RequestRecord, urlTtlMs: number): number {
  return Math.min((r.finishedAt ?? r.createdAt) + urlTtlMs, r.expiresAt);
}

export function resultBody(r: RequestRecord, storage: FileStorage, urlTtlMs: number): ResultResponse {
  const body: ResultResponse = statusBody(r);
  if (r.status === 'completed' && r.result) {
    const expiresAt = outputUrlExpiry(r, urlTtlMs);
    const images = r.result.files.map((f) => storage.signedUrl(f.key, expiresAt));
    body.output = images.length === 1 ? { image: images[0]!, images } : { images };
  }
  if (r.status === 'failed' && r.error) body.error = r.error;
  return body;
}
