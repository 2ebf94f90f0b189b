/**
 * A retouch request as fal's queue answers for it: the status object (`IN_QUEUE` with its
 * `queue_position`, `IN_PROGRESS`, `COMPLETED`, logs when asked), and the result: the model's output
 * `{images: [{url, content_type, file_name, file_size, width, height}], seed}`, or the error fal
 * would answer (422 with a `detail` list for what the input broke, 500 for our failures, 499
 * `client_cancelled` for a cancelled request, which fal reports as COMPLETED).
 */
import type { RequestRecord, RequestStatus } from '../../../requests/types.js';
import type { RenderContext } from '../shared/context.js';
import { requestLogs } from '../shared/logs.js';
import { dataUriOf, outputsOf } from '../shared/outputs.js';
import { surfaceOf, type SurfacePart } from '../shared/record.js';
import { FAL_APP } from './schema.js';

export const FAL_PREFIX = '/fal';

export const FAL_STATUS: Record<RequestStatus, 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED'> = {
  in_queue: 'IN_QUEUE',
  in_progress: 'IN_PROGRESS',
  completed: 'COMPLETED',
  failed: 'COMPLETED',
  cancelled: 'COMPLETED',
};

export function falUrls(ctx: RenderContext, id: string) {
  const base = `${ctx.config.publicUrl}${FAL_PREFIX}/queue/${FAL_APP}/requests/${id}`;
  return { response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` };
}

const ownPart = (input: unknown): SurfacePart | undefined => {
  const s = surfaceOf(input);
  return s?.name === 'fal' ? s : undefined;
};

export function statusBody(record: RequestRecord, input: unknown, ctx: RenderContext, withLogs: boolean) {
  const status = FAL_STATUS[record.status];
  const own = ownPart(input);
  const left = outputsOf(record, own, ctx.storage, ctx.config.urlTtl).left;
  const body: Record<string, unknown> = { status, request_id: record.id, ...falUrls(ctx, record.id) };
  if (status === 'IN_QUEUE') body.queue_position = record.queuePosition ?? 0;
  body.logs = withLogs
    ? requestLogs(record, surfaceOf(input), { left }).map((l) => ({ message: l.message, level: l.level, source: 'user', timestamp: new Date(l.at).toISOString() }))
    : null;
  if (status === 'COMPLETED') {
    body.metrics = record.startedAt !== null && record.finishedAt !== null ? { inference_time: (record.finishedAt - record.startedAt) / 1000 } : {};
    const failure = failureOf(record);
    if (failure) {
      body.error = failure.message;
      body.error_type = failure.type;
    }
  }
  return body;
}

export interface FalAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const DOWNLOAD = ['bad_url', 'url_too_long', 'bad_scheme', 'credentials_in_url', 'host_not_allowed', 'private_address', 'bad_data_uri', 'too_many_redirects', 'timeout', 'http_status', 'unsupported_encoding', 'unreachable'];

/** retouch's failure codes in fal's error types (docs.fal.ai/errors). */
function typeOf(code: string): string {
  if (code === 'too_large') return 'file_too_large';
  if (code === 'resolution') return 'image_too_large';
  if (code === 'unsupported_format') return 'unsupported_image_format';
  if (['empty', 'corrupt', 'aspect_ratio'].includes(code)) return 'image_load_error';
  if (DOWNLOAD.includes(code)) return 'file_download_error';
  if (code === 'internal_error' || code === 'worker_lost') return 'internal_server_error';
  return 'value_error';
}

function failureOf(record: RequestRecord): { message: string; type: string } | undefined {
  if (record.status === 'cancelled') return { message: 'Request was cancelled', type: 'client_cancelled' };
  if (record.status === 'failed' && record.error) return { message: record.error.message, type: typeOf(record.error.code) };
  return undefined;
}

/** A failed or cancelled request as fal's result endpoint (and webhook payload) words it. */
export function errorAnswer(record: RequestRecord): FalAnswer {
  const failure = failureOf(record)!;
  if (record.status === 'cancelled') {
    return { status: 499, body: { detail: failure.message, error_type: failure.type }, headers: { 'x-fal-error-type': failure.type } };
  }
  const type = failure.type;
  const url = `https://docs.fal.ai/errors#${type}`;
  if (type === 'internal_server_error') {
    return { status: 500, body: { detail: [{ loc: ['body'], msg: failure.message, type, url }] }, headers: { 'x-fal-retryable': 'false' } };
  }
  const index = /^image_urls\[(\d+)\]/.exec(failure.message)?.[1];
  const loc = index === undefined ? ['body'] : ['body', 'image_urls', Number(index)];
  return { status: 422, body: { detail: [{ loc, msg: failure.message, type, url }] }, headers: { 'x-fal-retryable': 'false' } };
}

/** What GET …/requests/{id} answers: the output once completed, the error once failed or cancelled. */
export async function resultAnswer(record: RequestRecord, input: unknown, ctx: RenderContext): Promise<FalAnswer> {
  if (record.status === 'in_queue' || record.status === 'in_progress') {
    return { status: 400, body: { detail: `Request is still ${record.status === 'in_queue' ? 'in queue' : 'in progress'}` } };
  }
  if (record.status !== 'completed') return errorAnswer(record);
  const own = ownPart(input);
  const outputs = outputsOf(record, own, ctx.storage, ctx.config.urlTtl);
  const images = await Promise.all(
    outputs.shown.map(async (o) => ({
      url: own?.dataUris ? await dataUriOf(o, ctx.storage) : o.url,
      content_type: o.contentType,
      file_name: o.key.slice(o.key.lastIndexOf('/') + 1),
      file_size: o.bytes,
      width: o.width,
      height: o.height,
    })),
  );
  return { status: 200, body: { images, seed: own?.seed ?? 0 } };
}
