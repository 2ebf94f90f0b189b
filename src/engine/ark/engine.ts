/**
 * Ark's image generation (Seedream 4.0 / 4.5), one synchronous call answered as a stream:
 *   POST {base}/images/generations  {model, prompt, image, size: "WxH", sequential_image_generation,
 *        sequential_image_generation_options: {max_images}, stream: true, response_format: url, watermark: false}
 *   → event: image_generation.partial_succeeded  {image_index, url, size}   (each image as it is made)
 *     event: image_generation.partial_failed     {image_index, error: {code, message}}
 *     event: image_generation.completed          {usage: {generated_images, output_tokens, total_tokens}}
 *     data: [DONE]
 * Each image is downloaded as soon as its event arrives. Ark keeps no job: a worker that dies
 * mid-call leaves nothing to follow, so the next attempt refuses to call again rather than pay twice.
 */
import { parseDuration } from '../../units.js';
import { EngineUnavailableError } from '../errors.js';
import { MAX_IMAGES_IN_AND_OUT } from '../image-count.js';
import type { EngineBuildDeps } from '../registry.js';
import type { EditRequest, Engine, EngineContext, EngineResult } from '../types.js';
import { UpstreamOutcomeError } from '../upstream/errors.js';
import { byStatus, providerWords, refusedByPolicy, refusedEngine, refusedInput } from '../upstream/failures.js';
import { bearerClient, field, text, type CallContext, type UpstreamClient } from '../upstream/http.js';
import { readUpstreamSettings, type UpstreamSettings } from '../upstream/options.js';
import { deliverOne, type DeliveredOutput, type UpstreamOutput } from '../upstream/outputs.js';
import { referenceDepsOf, referencesFor } from '../upstream/references.js';
import { assemble, scaleWarning } from '../upstream/result.js';
import { readEvents, StreamStalledError } from '../upstream/sse.js';
import { ARK_DEFAULTS, ARK_STREAM_IDLE_MS } from './definition.js';

const PROVIDER = 'Ark';
const TYPE = 'ark';
/** Seedream 4.5 makes no image below 2560x1440; 4.0 none below 1280x720. */
const MIN_PIXELS_45 = 3_686_400;
const MIN_PIXELS_40 = 921_600;

/** What is checkpointed before the call: there is no job id, only the fact that a call was made. */
interface ArkCall {
  provider: 'ark';
  id: string;
  submittedAt: number;
}

export class ArkEngine implements Engine {
  private readonly settings: UpstreamSettings;
  private readonly client: UpstreamClient;
  private readonly minPixels: number;
  private readonly idleMs: number;

  constructor(readonly name: string, options: Record<string, unknown>, private readonly deps: EngineBuildDeps) {
    this.settings = readUpstreamSettings(options, ARK_DEFAULTS);
    this.minPixels = (options.min_pixels as number | undefined) ?? (/4[-._]5/.test(this.settings.model) ? MIN_PIXELS_45 : MIN_PIXELS_40);
    this.client = bearerClient(PROVIDER, this.settings.retry, { env: deps.env, options, defaultVar: ARK_DEFAULTS.keyEnv });
    const idle = options.stream_idle_timeout;
    this.idleMs = idle === undefined ? ARK_STREAM_IDLE_MS : (parseDuration(idle as string | number) ?? ARK_STREAM_IDLE_MS);
  }

  async run(request: EditRequest, ctx: EngineContext): Promise<EngineResult> {
    if (field(ctx.resume, 'provider') === TYPE) {
      throw new UpstreamOutcomeError(
        'upstream_outcome_unknown',
        'Ark was called for this request by a worker that stopped before Ark answered. Ark keeps no job that could be followed, and calling it again could bill the request twice, so it was not run again; submit the request again to retry it.',
      );
    }
    const call: CallContext = { signal: ctx.signal, deadline: ctx.deadline, log: ctx.log };
    const warnings = scaleWarning(PROVIDER, request.scale);
    const made = sizeFor(request, this.minPixels);
    const body = {
      model: this.settings.model,
      prompt: request.prompt,
      image: await referencesFor(request.id, request.images, 'url_or_data', PROVIDER, referenceDepsOf(this.settings.baseUrl, this.deps)),
      size: `${made.width}x${made.height}`,
      sequential_image_generation: request.forceSingle ? 'disabled' : 'auto',
      ...(!request.forceSingle && { sequential_image_generation_options: { max_images: MAX_IMAGES_IN_AND_OUT - request.images.length } }),
      stream: true,
      response_format: 'url',
      watermark: false,
    };
    const marker: ArkCall = { provider: TYPE, id: request.id, submittedAt: Date.now() };
    await ctx.checkpoint(marker);
    const answer = await this.client.open(
      { method: 'POST', url: `${this.settings.baseUrl}/images/generations`, json: body, idempotent: false, what: 'the generation', answerTimeoutMs: 180_000 },
      call,
    );
    if (!(answer instanceof Response)) throw failure(answer.body, answer.status, ctx);

    const stream = new ImageStream(request, ctx, this.deps);
    if ((answer.headers.get('content-type') ?? '').includes('application/json')) await stream.fromJson(await answer.json());
    else await stream.fromEvents(answer.body!, this.idleMs);
    const delivered = await stream.settle();
    return assemble(
      {
        provider: PROVIDER,
        model: this.settings.model,
        warnings: [...warnings, ...stream.failures],
        sizeNote:
          made.width === request.width && made.height === request.height
            ? undefined
            : `Ark's ${this.settings.model} makes no image as small as ${request.width}x${request.height}, so it made ${made.width}x${made.height} and retouch scaled it to the requested size.`,
        usage: stream.usage,
      },
      delivered,
      request,
    );
  }
}

/** The requested size, or the smallest of the same shape that the model makes. */
export function sizeFor(request: { width: number; height: number }, minPixels: number): { width: number; height: number } {
  const { width, height } = request;
  if (width * height >= minPixels) return { width, height };
  const f = Math.sqrt(minPixels / (width * height));
  return { width: Math.ceil(width * f), height: Math.ceil(height * f) };
}

/** Collects a stream's images, downloading each one as soon as it is announced. */
class ImageStream {
  private readonly downloads: Promise<DeliveredOutput>[] = [];
  private readonly stop = new AbortController();
  private readonly signal: AbortSignal;
  private refusals: { code: string; words: string }[] = [];
  readonly failures: string[] = [];
  usage: Record<string, number> | undefined;
  private announced = 0;
  private delivered = 0;

  constructor(private readonly request: EditRequest, private readonly ctx: EngineContext, private readonly deps: EngineBuildDeps) {
    this.signal = AbortSignal.any([ctx.signal, this.stop.signal]);
  }

  async fromEvents(body: ReadableStream<Uint8Array>, idleMs: number): Promise<void> {
    try {
      for await (const ev of readEvents(body, { idleMs })) {
        if (ev.data.trim() === '[DONE]') return;
        let data: unknown;
        try {
          data = JSON.parse(ev.data);
        } catch {
          continue;
        }
        const type = text(field(data, 'type')) ?? ev.event;
        if (type === 'image_generation.partial_succeeded') this.image(data);
        else if (type === 'image_generation.partial_failed') this.failed(data);
        else if (type === 'image_generation.completed') this.usage = usageOf(field(data, 'usage'));
        else if (field(data, 'error')) throw failure(data, 200, this.ctx);
      }
    } catch (err) {
      this.stop.abort(err);
      if (this.ctx.signal.aborted) throw this.ctx.signal.reason;
      if (err instanceof StreamStalledError) {
        throw new EngineUnavailableError(`Ark's answer stalled: it sent nothing for ${Math.round(err.idleMs / 1000)} s before the end`, { cause: err });
      }
      if (err instanceof Error && !(err instanceof TypeError)) throw err;
      throw new EngineUnavailableError('Ark broke off its answer before the end', { cause: err });
    }
  }

  /** A model or proxy that answers without streaming: the same images, in one body. */
  async fromJson(body: unknown): Promise<void> {
    if (field(body, 'error')) throw failure(body, 200, this.ctx);
    const data = field(body, 'data');
    for (const [i, item] of (Array.isArray(data) ? data : []).entries()) {
      if (field(item, 'error')) this.failed({ image_index: i, error: field(item, 'error') });
      else this.image({ ...(item as object), image_index: i });
    }
    this.usage = usageOf(field(body, 'usage'));
  }

  async settle(): Promise<DeliveredOutput[]> {
    try {
      const delivered = await Promise.all(this.downloads);
      if (delivered.length === 0) {
        if (this.refusals.length && this.refusals.every((r) => /Sensitive/i.test(r.code))) {
          throw refusedByPolicy(PROVIDER, this.refusals.map((r) => r.words).join('; '));
        }
        throw new EngineUnavailableError(`Ark made no image${this.refusals.length ? ` (${this.refusals.map((r) => r.words).join('; ')})` : ''}`);
      }
      return delivered;
    } catch (err) {
      this.stop.abort(err);
      throw err;
    }
  }

  private image(data: unknown): void {
    const url = text(field(data, 'url'));
    const b64 = text(field(data, 'b64_json'));
    const output: UpstreamOutput | undefined = url ? { url } : b64 ? { data: Buffer.from(b64, 'base64') } : undefined;
    if (!output) return;
    const index = this.announced++;
    const download = deliverOne(output, index, this.request, PROVIDER, this.deps, this.signal);
    this.downloads.push(download);
    // How many images will come is Ark's choice: each one moves the bar, never to the end. A
    // failure is awaited in settle(); until then it must not count as unhandled.
    download.then(
      () => this.ctx.progress(Math.min(0.9, 0.2 + 0.1 * ++this.delivered)),
      () => undefined,
    );
  }

  private failed(data: unknown): void {
    const code = text(field(data, 'error', 'code')) ?? 'an error';
    const words = `${providerWords(field(data, 'error', 'message'), code)} (${code})`;
    this.refusals.push({ code, words });
    const n = Number(field(data, 'image_index'));
    this.failures.push(`Ark did not deliver image ${Number.isFinite(n) ? n + 1 : this.refusals.length} of the set: ${words}.`);
  }
}

function usageOf(raw: unknown): Record<string, number> | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const out: Record<string, number> = {};
  for (const k of ['generated_images', 'output_tokens', 'total_tokens']) {
    const v = field(raw, k);
    if (typeof v === 'number') out[k] = v;
  }
  return out;
}

/** Ark's `{error: {code, message, param}}`, by its code first, then by HTTP status. */
function failure(body: unknown, status: number, ctx: EngineContext): Error {
  const code = text(field(body, 'error', 'code')) ?? '';
  const param = text(field(body, 'error', 'param'));
  const words = `${providerWords(field(body, 'error', 'message'), code || `HTTP ${status}`)}${code ? ` (${code})` : ''}`;
  if (/SensitiveContentDetected/.test(code)) return refusedByPolicy(PROVIDER, words);
  if (/^(AuthenticationError|AccountOverdueError|AccessDenied|ModelNotOpen|InvalidEndpointOrModel|InvalidEndpoint)/.test(code)) {
    return refusedEngine(PROVIDER, words, ctx.log, { code, status });
  }
  if (/^(InvalidParameter|MissingParameter)/.test(code)) return refusedInput(PROVIDER, param ? `${param}: ${words}` : words);
  return byStatus(PROVIDER, status < 300 ? 502 : status, words, ctx.log);
}

