/**
 * The hosted Model API, retouch's own contract, as an upstream:
 *   POST {base}/v1/models/{model_id}        → {request_id, status_url, result_url, cancel_url}
 *   GET  {base}/v1/requests/{id}/status     → in_queue (queue_position) | in_progress | completed | cancelled | failed
 *   GET  {base}/v1/requests/{id}/result     → {output: {image, images}} (and cost with include_cost=true)
 *   POST {base}/v1/requests/{id}/cancel     → cancelled, only while queued
 * Errors come as `{error_code, message, detail}`: 401001 bad token, 400001 unknown model, 400002
 * no balance, 400004 account, 404001 unknown request, 422001 validation, 429001, 500001.
 * It takes images only as public URLs.
 */
import { SIZES, SIZE_KEY } from '../../models/dreamina-4-0-edit.js';
import { EngineUnavailableError } from '../errors.js';
import type { EngineBuildDeps } from '../registry.js';
import type { EditRequest, Engine, EngineContext, EngineResult } from '../types.js';
import { byStatus, providerWords, refusedByPolicy, refusedEngine, refusedInput } from '../upstream/failures.js';
import { bearerClient, field, text, type CallContext, type ProviderAnswer, type UpstreamClient } from '../upstream/http.js';
import { followJob, type JobProtocol, type JobState } from '../upstream/job.js';
import { cancelAt, isUrlHandle, urlHandle, type UrlHandle } from '../upstream/links.js';
import { readUpstreamSettings, type UpstreamSettings } from '../upstream/options.js';
import { referenceDepsOf, referencesFor } from '../upstream/references.js';
import { finishRun } from '../upstream/result.js';
import { withQuery } from '../upstream/urls.js';
import { RUNCOMFY_DEFAULTS } from './definition.js';

const PROVIDER = 'The hosted Model API';
const TYPE = 'runcomfy';

const LINKS = ['statusUrl', 'resultUrl', 'cancelUrl'] as const;
type RunComfyHandle = UrlHandle<'runcomfy', (typeof LINKS)[number]>;

export class RunComfyEngine implements Engine {
  private readonly settings: UpstreamSettings;
  private readonly client: UpstreamClient;

  constructor(readonly name: string, options: Record<string, unknown>, private readonly deps: EngineBuildDeps) {
    this.settings = readUpstreamSettings(options, RUNCOMFY_DEFAULTS);
    this.client = bearerClient(PROVIDER, this.settings.retry, { env: deps.env, options, defaultVar: RUNCOMFY_DEFAULTS.keyEnv });
  }

  async run(request: EditRequest, ctx: EngineContext): Promise<EngineResult> {
    const call: CallContext = { signal: ctx.signal, deadline: ctx.deadline, log: ctx.log };
    const protocol = new RunComfyProtocol(this.settings, this.client, call, async () => ({
      image_urls: await referencesFor(request.id, request.images, 'url', PROVIDER, referenceDepsOf(this.settings.baseUrl, this.deps)),
      prompt: request.prompt,
      [SIZE_KEY]: SIZES.find((s) => s.startsWith(`${request.width}x${request.height}(`)) ?? `${request.width}x${request.height}`,
      scale: request.scale,
      force_single: request.forceSingle,
    }));
    const job = await followJob(protocol, ctx, { pollMs: this.settings.pollMs });
    return finishRun(
      { provider: PROVIDER, model: this.settings.model, outputs: job.outputs, warnings: [], usage: job.usage, job: job.handle.id, progressFrom: 0.5 },
      request,
      ctx,
      this.deps,
    );
  }

  async cancel(state: unknown): Promise<void> {
    if (isUrlHandle(state, TYPE, LINKS)) await cancelAt(this.client, 'POST', state.cancelUrl, state.id, this.deps.log);
  }
}

class RunComfyProtocol implements JobProtocol<RunComfyHandle> {
  readonly provider = PROVIDER;

  constructor(
    private readonly settings: UpstreamSettings,
    private readonly client: UpstreamClient,
    private readonly call: CallContext,
    private readonly input: () => Promise<Record<string, unknown>>,
  ) {}

  async submit(): Promise<{ handle: RunComfyHandle }> {
    const base = this.settings.baseUrl;
    const answer = await this.client.call({ method: 'POST', url: `${base}/v1/models/${this.settings.model}`, json: await this.input(), idempotent: false, what: 'the submit' }, this.call);
    if (answer.status >= 300) throw this.failure(answer);
    const id = text(field(answer.body, 'request_id'));
    if (!id) throw new EngineUnavailableError(`${PROVIDER} answered the submit without a request_id`);
    const root = `${base}/v1/requests/${encodeURIComponent(id)}`;
    return {
      handle: urlHandle(TYPE, id, base, answer.body, {
        statusUrl: [['status_url'], `${root}/status`],
        resultUrl: [['result_url'], `${root}/result`],
        cancelUrl: [['cancel_url'], `${root}/cancel`],
      }),
    };
  }

  async poll(handle: RunComfyHandle): Promise<JobState> {
    const status = await this.client.call({ method: 'GET', url: handle.statusUrl, idempotent: true, what: 'the status check' }, this.call);
    if (status.status === 404 || status.status === 403) return { kind: 'gone' };
    if (status.status >= 300) throw this.failure(status);
    switch (field(status.body, 'status')) {
      case 'in_queue':
        return { kind: 'queued', position: field(status.body, 'queue_position') as number | undefined };
      case 'in_progress':
        return { kind: 'running' };
      case 'cancelled':
        throw new EngineUnavailableError(`the job was cancelled at ${PROVIDER}`);
    }
    // completed, failed (or succeeded, as some of its clients say): the result tells which.
    const result = await this.client.call({ method: 'GET', url: withQuery(handle.resultUrl, 'include_cost', 'true'), idempotent: true, what: 'the result' }, this.call);
    if (result.status === 404 || result.status === 403) return { kind: 'gone' };
    if (result.status >= 300) throw this.failure(result);
    const state = field(result.body, 'status');
    if (state === 'failed') throw this.jobFailure(field(result.body, 'error'));
    if (state !== 'completed' && state !== 'succeeded') return state === 'in_queue' ? { kind: 'queued' } : { kind: 'running' };
    const images = field(result.body, 'output', 'images');
    const single = text(field(result.body, 'output', 'image'));
    const urls = Array.isArray(images) ? images.filter((u): u is string => typeof u === 'string') : single ? [single] : [];
    if (urls.length === 0) throw new EngineUnavailableError(`${PROVIDER} reported success without any output`);
    const cost = field(result.body, 'cost');
    return { kind: 'succeeded', outputs: urls.map((url) => ({ url })), usage: typeof cost === 'number' ? { cost_usd: cost } : undefined };
  }

  cancel(handle: RunComfyHandle): Promise<void> {
    return cancelAt(this.client, 'POST', handle.cancelUrl, handle.id, this.call.log);
  }

  isHandle(value: unknown): value is RunComfyHandle {
    return isUrlHandle(value, TYPE, LINKS);
  }

  /** A finished job's `error: {code, message}`, as retouch and the hosted service word it. */
  private jobFailure(error: unknown): Error {
    const code = text(field(error, 'code')) ?? '';
    const words = providerWords(field(error, 'message'), 'the job failed');
    if (code === 'content_policy') return refusedByPolicy(PROVIDER, words);
    if (code === 'engine_unavailable' || code === 'internal_error' || code === '') return new EngineUnavailableError(`${PROVIDER} could not run the job: ${words}`);
    return refusedInput(PROVIDER, words);
  }

  private failure(answer: ProviderAnswer): Error {
    const code = Number(field(answer.body, 'error_code'));
    const words = providerWords(field(answer.body, 'message'), `HTTP ${answer.status}`);
    const log = this.call.log;
    switch (code) {
      case 400001:
        return refusedEngine(PROVIDER, `it does not know the model ${this.settings.model} (${words})`, log, { code });
      case 400002:
        return refusedEngine(PROVIDER, `the account has no balance left (${words})`, log, { code });
      case 400004:
      case 401001:
        return refusedEngine(PROVIDER, `its token was not accepted (${words})`, log, { code });
      case 422001:
        return refusedInput(PROVIDER, words);
    }
    return byStatus(PROVIDER, answer.status, words, log);
  }
}
