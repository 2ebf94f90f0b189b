/**
 * Replicate's predictions API:
 *   POST {base}/models/{owner}/{name}/predictions  (Prefer: wait=N)  → a prediction, maybe finished
 *   GET  {base}/predictions/{id}                                      → starting | processing | succeeded | failed | canceled
 *   POST {base}/predictions/{id}/cancel
 * A model id with ":version" is created through POST {base}/predictions with that version. Outputs
 * are an array of links that Replicate deletes after an hour (then `data_removed`).
 */
import { SIZES } from '../../models/dreamina-4-0-edit.js';
import { parseDuration } from '../../units.js';
import { EngineUnavailableError } from '../errors.js';
import { MAX_IMAGES_IN_AND_OUT } from '../image-count.js';
import type { EngineBuildDeps } from '../registry.js';
import type { EditRequest, Engine, EngineContext, EngineResult } from '../types.js';
import { UpstreamOutcomeError } from '../upstream/errors.js';
import { byStatus, providerWords, refusedByPolicy, refusedInput } from '../upstream/failures.js';
import { bearerClient, field, text, type CallContext, type ProviderAnswer, type UpstreamClient } from '../upstream/http.js';
import { followJob, type JobProtocol, type JobState } from '../upstream/job.js';
import { cancelAt, isUrlHandle, urlHandle, type UrlHandle } from '../upstream/links.js';
import { readUpstreamSettings, type UpstreamSettings } from '../upstream/options.js';
import { referenceDepsOf, referencesFor } from '../upstream/references.js';
import { finishRun, scaleWarning } from '../upstream/result.js';
import { REPLICATE_DEFAULTS } from './definition.js';

const PROVIDER = 'Replicate';
const TYPE = 'replicate';
/** Seedream 4 on Replicate takes custom sizes up to this many pixels a side. */
const MAX_SIDE = 4096;
/** Failures whose words say the model's safety check refused the images. */
const MODERATION = /nsfw|sensitive|flagged|safety|content policy|moderat/i;

const LINKS = ['getUrl', 'cancelUrl'] as const;
type ReplicateHandle = UrlHandle<'replicate', (typeof LINKS)[number]>;

export class ReplicateEngine implements Engine {
  private readonly settings: UpstreamSettings;
  private readonly client: UpstreamClient;
  private readonly waitSeconds: number;

  constructor(readonly name: string, options: Record<string, unknown>, private readonly deps: EngineBuildDeps) {
    this.settings = readUpstreamSettings(options, REPLICATE_DEFAULTS);
    this.waitSeconds = Math.min(60, Math.max(1, Math.round((parseDuration((options.wait as string | number | undefined) ?? 5) ?? 5_000) / 1000)));
    this.client = bearerClient(PROVIDER, this.settings.retry, { env: deps.env, options, defaultVar: REPLICATE_DEFAULTS.keyEnv });
  }

  async run(request: EditRequest, ctx: EngineContext): Promise<EngineResult> {
    const call: CallContext = { signal: ctx.signal, deadline: ctx.deadline, log: ctx.log };
    const warnings = scaleWarning(PROVIDER, request.scale);
    const fits = request.width <= MAX_SIDE && request.height <= MAX_SIDE;
    const protocol = new ReplicateProtocol(this.settings, this.client, call, this.waitSeconds, async () => ({
      prompt: request.prompt,
      image_input: await referencesFor(request.id, request.images, 'url_or_data', PROVIDER, referenceDepsOf(this.settings.baseUrl, this.deps)),
      ...(fits ? { size: 'custom', width: request.width, height: request.height } : { size: '4K', aspect_ratio: aspectOf(request) }),
      sequential_image_generation: request.forceSingle ? 'disabled' : 'auto',
      max_images: request.forceSingle ? 1 : MAX_IMAGES_IN_AND_OUT - request.images.length,
      // The model would rewrite the prompt otherwise, and edits drift from what was asked.
      enhance_prompt: false,
    }));
    const job = await followJob(protocol, ctx, { pollMs: this.settings.pollMs });
    return finishRun(
      {
        provider: PROVIDER,
        model: this.settings.model,
        outputs: job.outputs,
        warnings,
        sizeNote: fits
          ? undefined
          : `Replicate's model makes at most ${MAX_SIDE} pixels a side, so it made a 4K image of the same shape and retouch scaled it to the requested ${request.width}x${request.height}.`,
        usage: job.usage,
        job: job.handle.id,
        progressFrom: 0.5,
      },
      request,
      ctx,
      this.deps,
    );
  }

  async cancel(state: unknown): Promise<void> {
    if (isUrlHandle(state, TYPE, LINKS)) await cancelAt(this.client, 'POST', state.cancelUrl, state.id, this.deps.log);
  }
}

/** The ratio name Replicate takes for the four seed sizes beyond 4096 a side. */
function aspectOf(request: EditRequest): string {
  const size = SIZES.find((s) => s.startsWith(`${request.width}x${request.height}(`));
  return /\((\d+:\d+)\)/.exec(size ?? '')?.[1] ?? '1:1';
}

class ReplicateProtocol implements JobProtocol<ReplicateHandle> {
  readonly provider = PROVIDER;

  constructor(
    private readonly settings: UpstreamSettings,
    private readonly client: UpstreamClient,
    private readonly call: CallContext,
    private readonly waitSeconds: number,
    private readonly input: () => Promise<Record<string, unknown>>,
  ) {}

  async submit(): Promise<{ handle: ReplicateHandle; state: JobState }> {
    const base = this.settings.baseUrl;
    const [model, version] = this.settings.model.split(':');
    const url = version ? `${base}/predictions` : `${base}/models/${model}/predictions`;
    const json = { ...(version && { version }), input: await this.input() };
    const answer = await this.client.call(
      // The provider holds the call up to the wait: the answer may take that long and more.
      { method: 'POST', url, json, headers: { prefer: `wait=${this.waitSeconds}` }, idempotent: false, what: 'the submit', answerTimeoutMs: (this.waitSeconds + 60) * 1000 },
      this.call,
    );
    if (answer.status >= 300) throw this.failure(answer);
    const id = text(field(answer.body, 'id'));
    if (!id) throw new EngineUnavailableError('Replicate answered the submit without a prediction id');
    const handle = urlHandle(TYPE, id, base, answer.body, {
      getUrl: [['urls', 'get'], `${base}/predictions/${encodeURIComponent(id)}`],
      cancelUrl: [['urls', 'cancel'], `${base}/predictions/${encodeURIComponent(id)}/cancel`],
    });
    return { handle, state: this.stateOf(answer.body) };
  }

  async poll(handle: ReplicateHandle): Promise<JobState> {
    const answer = await this.client.call({ method: 'GET', url: handle.getUrl, idempotent: true, what: 'the status check' }, this.call);
    if (answer.status === 404) return { kind: 'gone' };
    if (answer.status >= 300) throw this.failure(answer);
    return this.stateOf(answer.body);
  }

  cancel(handle: ReplicateHandle): Promise<void> {
    return cancelAt(this.client, 'POST', handle.cancelUrl, handle.id, this.call.log);
  }

  isHandle(value: unknown): value is ReplicateHandle {
    return isUrlHandle(value, TYPE, LINKS);
  }

  private stateOf(prediction: unknown): JobState {
    const status = field(prediction, 'status');
    switch (status) {
      case 'starting':
        return { kind: 'queued' };
      case 'processing':
        return { kind: 'running' };
      case 'succeeded': {
        const output = field(prediction, 'output');
        const urls = (Array.isArray(output) ? output : [output]).filter((u): u is string => typeof u === 'string' && u !== '');
        if (urls.length === 0) {
          if (field(prediction, 'data_removed') === true) {
            throw new UpstreamOutcomeError('output_expired', 'Replicate made the images, but had deleted them (it keeps outputs for an hour) before retouch could download them. The prediction was not run again.');
          }
          throw new EngineUnavailableError('Replicate reported success without any output');
        }
        const predict = field(prediction, 'metrics', 'predict_time');
        return { kind: 'succeeded', outputs: urls.map((url) => ({ url })), usage: typeof predict === 'number' ? { predict_seconds: predict } : undefined };
      }
      case 'failed': {
        const words = providerWords(field(prediction, 'error'), 'the prediction failed');
        if (MODERATION.test(words)) throw refusedByPolicy(PROVIDER, words);
        throw new EngineUnavailableError(`Replicate's prediction failed: ${words}`);
      }
      case 'canceled':
        throw new EngineUnavailableError('the prediction was cancelled at Replicate');
      default:
        throw new EngineUnavailableError(`Replicate reported an unknown status ${providerWords(String(status))}`);
    }
  }

  /** `{detail, title, status, invalid_fields: [{field, description}]}` for 422; `{detail}` otherwise. */
  private failure(answer: ProviderAnswer): Error {
    const fields = field(answer.body, 'invalid_fields');
    const words = Array.isArray(fields) && fields.length
      ? fields.map((f) => `${text(field(f, 'field')) ?? 'input'}: ${providerWords(field(f, 'description'))}`).join('; ')
      : providerWords(field(answer.body, 'detail') ?? field(answer.body, 'title'), `HTTP ${answer.status}`);
    if (MODERATION.test(words) && answer.status < 500) return refusedByPolicy(PROVIDER, words);
    if (answer.status === 422) return refusedInput(PROVIDER, words);
    return byStatus(PROVIDER, answer.status, words, this.call.log);
  }
}
