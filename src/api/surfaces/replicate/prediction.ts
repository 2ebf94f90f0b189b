/**
 * A retouch request as a Replicate prediction: `id, model, version, input, logs, output, error,
 * status, created_at, started_at, completed_at, metrics, urls` (the object cog and Replicate's API
 * answer, and webhooks deliver). Any request can be read this way, whichever API made it.
 */
import type { RequestRecord, RequestStatus } from '../../../requests/types.js';
import type { RenderContext } from '../shared/context.js';
import { requestLogs } from '../shared/logs.js';
import { outputsOf } from '../shared/outputs.js';
import { modelFieldsOf, surfaceOf } from '../shared/record.js';
import { REPLICATE_MODEL, REPLICATE_VERSION } from './schema.js';

export const REPLICATE_PREFIX = '/replicate/v1';

export type PredictionStatus = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled';

export const PREDICTION_STATUS: Record<RequestStatus, PredictionStatus> = {
  in_queue: 'starting',
  in_progress: 'processing',
  completed: 'succeeded',
  failed: 'failed',
  cancelled: 'canceled',
};

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The stream link is signed until the request's retention ends, so every poll shows the same one. */
export function streamGrant(id: string): string {
  return `replicate-stream/${id}`;
}

function urlsOf(record: RequestRecord, ctx: RenderContext) {
  const base = `${ctx.config.publicUrl}${REPLICATE_PREFIX}/predictions/${record.id}`;
  return {
    get: base,
    cancel: `${base}/cancel`,
    stream: `${base}/stream?${ctx.links.query(streamGrant(record.id), record.expiresAt)}`,
    web: `${ctx.config.publicUrl}/#/library/${record.id}`,
  };
}

function metricsOf(record: RequestRecord) {
  if (record.finishedAt === null) return {};
  return {
    ...(record.startedAt !== null ? { predict_time: (record.finishedAt - record.startedAt) / 1000 } : {}),
    total_time: (record.finishedAt - record.createdAt) / 1000,
  };
}

/** The error in Replicate's words: the images are `image_input` there. */
export function errorText(record: RequestRecord): string | null {
  return record.status === 'failed' && record.error ? record.error.message.replace(/^image_urls\[/, 'image_input[') : null;
}

/** What a prediction and a list entry share. */
function common(record: RequestRecord, output: string[], ctx: RenderContext) {
  return {
    id: record.id,
    model: REPLICATE_MODEL,
    version: REPLICATE_VERSION,
    output: record.status === 'completed' ? output : null,
    data_removed: false,
    error: errorText(record),
    status: PREDICTION_STATUS[record.status],
    created_at: iso(record.createdAt),
    started_at: iso(record.startedAt),
    completed_at: iso(record.finishedAt),
    source: 'api',
    metrics: metricsOf(record),
    urls: urlsOf(record, ctx),
  };
}

export function prediction(record: RequestRecord, input: unknown, ctx: RenderContext) {
  const surface = surfaceOf(input);
  const own = surface?.name === 'replicate' ? surface : undefined;
  const { prompt, imageUrls } = modelFieldsOf(input);
  const outputs = outputsOf(record, own, ctx.storage, ctx.config.urlTtl);
  return {
    ...common(record, outputs.shown.map((o) => o.url), ctx),
    model: own?.endpoint ?? REPLICATE_MODEL,
    input: { ...(own?.input ?? {}), prompt, image_input: imageUrls },
    logs: requestLogs(record, surface, { left: outputs.left })
      .map((l) => l.message)
      .join('\n'),
  };
}

export type Prediction = ReturnType<typeof prediction>;

/** A list entry: the prediction without its input and logs, which a list does not read. */
export function listedPrediction(record: RequestRecord, ctx: RenderContext) {
  return common(record, outputsOf(record, undefined, ctx.storage, ctx.config.urlTtl).shown.map((o) => o.url), ctx);
}

/**
 * The record as it was when it entered `status`: a webhook announces the status it was queued
 * for, even if the request has moved on since.
 */
export function asOf(record: RequestRecord, status: RequestStatus): RequestRecord {
  return status === 'in_progress' ? { ...record, status, result: null, error: null, finishedAt: null, progress: 0 } : record;
}
