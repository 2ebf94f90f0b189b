/**
 * fal's queue protocol: submit on the full model id, then status, result and cancel on the URLs
 * the submit returned, which drop the model's sub-path (fal-ai/bytedance/requests/…).
 *   POST {base}/{model}                     → {request_id, status_url, response_url, cancel_url}
 *   GET  …/requests/{id}/status             → 202 IN_QUEUE | IN_PROGRESS, 200 COMPLETED
 *   GET  …/requests/{id}                    → {images: [{url, width, height}]} or the failure
 *   PUT  …/requests/{id}/cancel             → CANCELLATION_REQUESTED | ALREADY_COMPLETED | NOT_FOUND
 * `Authorization: Key …`. Moderation is a 422 whose detail has type content_policy_violation.
 */
import { imagesAsked, MAX_IMAGES_IN_AND_OUT } from '../image-count.js';
import type { EngineBuildDeps } from '../registry.js';
import type { EditRequest, Engine, EngineContext, EngineResult } from '../types.js';
import { byStatus, providerWords, refusedByPolicy, refusedInput } from '../upstream/failures.js';
import { bearerClient, field, text, type CallContext, type ProviderAnswer, type UpstreamClient } from '../upstream/http.js';
import { followJob, type JobProtocol, type JobState } from '../upstream/job.js';
import { cancelAt, isUrlHandle, urlHandle, type UrlHandle } from '../upstream/links.js';
import { readUpstreamSettings, type UpstreamSettings } from '../upstream/options.js';
import { referenceDepsOf, referencesFor } from '../upstream/references.js';
import { finishRun, scaleWarning } from '../upstream/result.js';
import { withQuery } from '../upstream/urls.js';
import { FAL_DEFAULTS } from './definition.js';

const PROVIDER = 'fal';
/** fal makes at most this many images in one set. */
const MAX_SET = 6;

const LINKS = ['statusUrl', 'resultUrl', 'cancelUrl'] as const;
type FalHandle = UrlHandle<'fal', (typeof LINKS)[number]>;

export class FalEngine implements Engine {
  private readonly settings: UpstreamSettings;
  private readonly client: UpstreamClient;

  constructor(readonly name: string, options: Record<string, unknown>, private readonly deps: EngineBuildDeps) {
    this.settings = readUpstreamSettings(options, FAL_DEFAULTS);
    this.client = bearerClient(PROVIDER, this.settings.retry, { env: deps.env, options, defaultVar: FAL_DEFAULTS.keyEnv }, {
      scheme: 'Key',
      // fal says itself when a failure is worth another try (X-Fal-Retryable), a paid submit included.
      retryable: (a) => {
        const mark = a.headers.get('x-fal-retryable')?.trim().toLowerCase();
        return mark === 'true' ? true : mark === 'false' ? false : undefined;
      },
    });
  }

  async run(request: EditRequest, ctx: EngineContext): Promise<EngineResult> {
    const call: CallContext = { signal: ctx.signal, deadline: ctx.deadline, log: ctx.log };
    const warnings = scaleWarning(PROVIDER, request.scale);
    const asked = imagesAsked(request);
    if (asked > MAX_SET) warnings.push(`fal makes at most ${MAX_SET} images in one request; the prompt asked for ${asked}.`);
    const protocol = new FalProtocol(this.settings, this.client, call, async () => ({
      prompt: request.prompt,
      image_urls: await referencesFor(request.id, request.images, 'url_or_data', PROVIDER, referenceDepsOf(this.settings.baseUrl, this.deps)),
      image_size: { width: request.width, height: request.height },
      num_images: 1,
      max_images: request.forceSingle ? 1 : Math.min(MAX_SET, MAX_IMAGES_IN_AND_OUT - request.images.length),
      enable_safety_checker: true,
      sync_mode: false,
    }));
    const job = await followJob(protocol, ctx, { pollMs: this.settings.pollMs });
    return finishRun(
      { provider: PROVIDER, model: this.settings.model, outputs: job.outputs, warnings, job: job.handle.id, progressFrom: 0.5 },
      request,
      ctx,
      this.deps,
    );
  }

  async cancel(state: unknown): Promise<void> {
    if (isUrlHandle(state, PROVIDER, LINKS)) await cancelAt(this.client, 'PUT', state.cancelUrl, state.id, this.deps.log);
  }
}

class FalProtocol implements JobProtocol<FalHandle> {
  readonly provider = PROVIDER;

  constructor(
    private readonly settings: UpstreamSettings,
    private readonly client: UpstreamClient,
    private readonly call: CallContext,
    private readonly input: () => Promise<Record<string, unknown>>,
  ) {}

  async submit(): Promise<{ handle: FalHandle }> {
    const base = this.settings.baseUrl;
    const answer = await this.client.call({ method: 'POST', url: `${base}/${this.settings.model}`, json: await this.input(), idempotent: false, what: 'the submit' }, this.call);
    if (answer.status >= 300) throw this.failure(answer);
    const id = text(field(answer.body, 'request_id'));
    if (!id) throw byStatus(PROVIDER, 502, 'a submit answer without a request_id', this.call.log);
    // Status, result and cancel live under the app's root, not the model's sub-path: follow what
    // fal returned, as long as it points at the configured host.
    const root = `${base}/${this.settings.model.split('/').slice(0, 2).join('/')}/requests/${encodeURIComponent(id)}`;
    return {
      handle: urlHandle(PROVIDER, id, base, answer.body, {
        statusUrl: [['status_url'], `${root}/status`],
        resultUrl: [['response_url'], root],
        cancelUrl: [['cancel_url'], `${root}/cancel`],
      }),
    };
  }

  async poll(handle: FalHandle): Promise<JobState> {
    const status = await this.client.call({ method: 'GET', url: withQuery(handle.statusUrl, 'logs', '0'), idempotent: true, what: 'the status check' }, this.call);
    if (status.status === 404) return { kind: 'gone' };
    if (status.status >= 300 && status.status !== 202) throw this.failure(status);
    switch (field(status.body, 'status')) {
      case 'IN_QUEUE':
        return { kind: 'queued', position: field(status.body, 'queue_position') as number | undefined };
      case 'IN_PROGRESS':
        return { kind: 'running' };
      case 'COMPLETED':
        break;
      default:
        throw byStatus(PROVIDER, 502, `an unknown status ${providerWords(String(field(status.body, 'status')))}`, this.call.log);
    }
    const result = await this.client.call({ method: 'GET', url: handle.resultUrl, idempotent: true, what: 'the result' }, this.call);
    if (result.status === 404) return { kind: 'gone' };
    if (result.status >= 300) throw this.failure(result);
    const images = field(result.body, 'images');
    const urls = Array.isArray(images) ? images.map((i) => text(field(i, 'url'))).filter((u): u is string => !!u) : [];
    if (urls.length === 0) throw byStatus(PROVIDER, 502, 'a result without images', this.call.log);
    return { kind: 'succeeded', outputs: urls.map((url) => ({ url })) };
  }

  cancel(handle: FalHandle): Promise<void> {
    return cancelAt(this.client, 'PUT', handle.cancelUrl, handle.id, this.call.log);
  }

  isHandle(value: unknown): value is FalHandle {
    return isUrlHandle(value, PROVIDER, LINKS);
  }

  /** fal's errors: `{detail: [{loc, msg, type}]}` (or a string detail), moderation as content_policy_violation. */
  private failure(answer: ProviderAnswer): Error {
    const detail = field(answer.body, 'detail');
    const items = Array.isArray(detail) ? detail : [];
    const words = items.length
      ? items.map((d) => `${Array.isArray(field(d, 'loc')) ? `${(field(d, 'loc') as unknown[]).filter((l) => l !== 'body').join('.')}: ` : ''}${providerWords(field(d, 'msg'))}`).join('; ')
      : providerWords(typeof detail === 'string' ? detail : answer.text.slice(0, 300), `HTTP ${answer.status}`);
    if (items.some((d) => field(d, 'type') === 'content_policy_violation')) return refusedByPolicy(PROVIDER, words);
    if (answer.status === 422) return refusedInput(PROVIDER, words);
    return byStatus(PROVIDER, answer.status, words, this.call.log);
  }
}
