/**
 * Volcengine's visual API for Jimeng 4.0, the service whose contract the seed mirrors: scale,
 * force_single and the exact width and height map one to one.
 *   POST {base}?Action=CVSync2AsyncSubmitTask&Version=2022-08-31  {req_key, image_urls, prompt, width, height, scale, force_single}
 *        → {code: 10000, data: {task_id}}
 *   POST {base}?Action=CVSync2AsyncGetResult&Version=2022-08-31   {req_key, task_id, req_json: "{\"return_url\":true,…}"}
 *        → data.status in_queue | generating | done | not_found | expired; done carries data.image_urls
 * Every call is signed (sign.ts; region cn-north-1, service cv). Business errors come as `code`
 * (50411 … moderation, 50429/50430 limits, 50500 internal), gateway errors as
 * `ResponseMetadata.Error`. No cancel exists; images are taken only as URLs.
 */
import { EngineUnavailableError } from '../errors.js';
import type { EngineBuildDeps } from '../registry.js';
import type { EditRequest, Engine, EngineContext, EngineResult } from '../types.js';
import { byStatus, providerWords, refusedByPolicy, refusedEngine, refusedInput } from '../upstream/failures.js';
import { field, text, UpstreamClient, type CallContext, type ProviderAnswer } from '../upstream/http.js';
import { followJob, type JobHandle, type JobProtocol, type JobState } from '../upstream/job.js';
import { credential, readUpstreamSettings, type UpstreamSettings } from '../upstream/options.js';
import { referenceDepsOf, referencesFor } from '../upstream/references.js';
import { finishRun } from '../upstream/result.js';
import { JIMENG_DEFAULTS } from './definition.js';
import { signRequest, type VolcCredentials } from './sign.js';

const PROVIDER = 'Jimeng';
const TYPE = 'jimeng';
const VERSION = '2022-08-31';
const REGION = 'cn-north-1';
const SERVICE = 'cv';

const OK = 10000;
const MODERATION: Record<number, string> = {
  50411: 'an input image did not pass its review',
  50412: 'the prompt did not pass its review',
  50413: 'the prompt contains sensitive or protected words',
  50511: 'an output image did not pass its review',
  50512: 'an output text did not pass its review',
};
const LIMITS = new Set([50429, 50430]);

interface JimengHandle extends JobHandle {
  provider: 'jimeng';
  reqKey: string;
}

export class JimengEngine implements Engine {
  private readonly settings: UpstreamSettings;
  private readonly client: UpstreamClient;

  constructor(readonly name: string, options: Record<string, unknown>, private readonly deps: EngineBuildDeps, vars: { access_key_env: string; secret_key_env: string }) {
    this.settings = readUpstreamSettings(options, JIMENG_DEFAULTS);
    const credentials: VolcCredentials = { accessKeyId: credential(deps.env, vars.access_key_env), secretKey: credential(deps.env, vars.secret_key_env) };
    this.client = new UpstreamClient({
      provider: PROVIDER,
      retry: this.settings.retry,
      authorize: ({ method, url, body }) => signRequest({ method, url, body, region: REGION, service: SERVICE }, credentials),
      // 429 (50429, 50430) are worth another try; its 50500/50501 are not, says its documentation.
      retryable: (a) => (codeOf(a) === 50500 || codeOf(a) === 50501 ? false : undefined),
    });
  }

  async run(request: EditRequest, ctx: EngineContext): Promise<EngineResult> {
    const call: CallContext = { signal: ctx.signal, deadline: ctx.deadline, log: ctx.log };
    const protocol = new JimengProtocol(this.settings, this.client, call, async () => ({
      req_key: this.settings.model,
      image_urls: await referencesFor(request.id, request.images, 'url', PROVIDER, referenceDepsOf(this.settings.baseUrl, this.deps)),
      prompt: request.prompt,
      width: request.width,
      height: request.height,
      scale: Math.round(request.scale * 100) / 100,
      force_single: request.forceSingle,
    }));
    const job = await followJob(protocol, ctx, { pollMs: this.settings.pollMs });
    return finishRun(
      { provider: PROVIDER, model: this.settings.model, outputs: job.outputs, warnings: [], job: job.handle.id, progressFrom: 0.5 },
      request,
      ctx,
      this.deps,
    );
  }
}

function codeOf(answer: ProviderAnswer): number | undefined {
  const code = field(answer.body, 'code');
  return typeof code === 'number' ? code : undefined;
}

class JimengProtocol implements JobProtocol<JimengHandle> {
  readonly provider = PROVIDER;

  constructor(
    private readonly settings: UpstreamSettings,
    private readonly client: UpstreamClient,
    private readonly call: CallContext,
    private readonly input: () => Promise<Record<string, unknown>>,
  ) {}

  private url(action: string): string {
    return `${this.settings.baseUrl}/?Action=${action}&Version=${VERSION}`;
  }

  async submit(): Promise<{ handle: JimengHandle }> {
    const answer = await this.client.call({ method: 'POST', url: this.url('CVSync2AsyncSubmitTask'), json: await this.input(), idempotent: false, what: 'the submit' }, this.call);
    if (answer.status >= 300 || codeOf(answer) !== OK) throw this.failure(answer);
    const id = text(field(answer.body, 'data', 'task_id'));
    if (!id) throw new EngineUnavailableError('Jimeng answered the submit without a task_id');
    return { handle: { provider: TYPE, id, submittedAt: Date.now(), reqKey: this.settings.model } };
  }

  async poll(handle: JimengHandle): Promise<JobState> {
    const json = { req_key: handle.reqKey, task_id: handle.id, req_json: JSON.stringify({ return_url: true, logo_info: { add_logo: false } }) };
    // A read, though a POST: asking again is always safe.
    const answer = await this.client.call({ method: 'POST', url: this.url('CVSync2AsyncGetResult'), json, idempotent: true, what: 'the status check' }, this.call);
    const status = field(answer.body, 'data', 'status');
    if (status === 'not_found' || status === 'expired') return { kind: 'gone' };
    if (answer.status >= 300 || codeOf(answer) !== OK) throw this.failure(answer);
    switch (status) {
      case 'in_queue':
        return { kind: 'queued' };
      case 'generating':
        return { kind: 'running' };
      case 'done': {
        const urls = field(answer.body, 'data', 'image_urls');
        const list = Array.isArray(urls) ? urls.filter((u): u is string => typeof u === 'string' && u !== '') : [];
        const b64 = field(answer.body, 'data', 'binary_data_base64');
        const data = Array.isArray(b64) ? b64.filter((s): s is string => typeof s === 'string').map((s) => Buffer.from(s, 'base64')) : [];
        if (list.length === 0 && data.length === 0) throw new EngineUnavailableError('Jimeng finished the task without any image');
        return { kind: 'succeeded', outputs: list.length ? list.map((url) => ({ url })) : data.map((d) => ({ data: d })) };
      }
      default:
        throw new EngineUnavailableError(`Jimeng reported an unknown task status ${providerWords(String(status))}`);
    }
  }

  isHandle(value: unknown): value is JimengHandle {
    return field(value, 'provider') === TYPE && typeof field(value, 'id') === 'string' && typeof field(value, 'reqKey') === 'string';
  }

  private failure(answer: ProviderAnswer): Error {
    const log = this.call.log;
    const gateway = field(answer.body, 'ResponseMetadata', 'Error');
    if (gateway) {
      // The gateway refused the call before the service saw it: a signature, a key, a permission.
      const words = `${providerWords(field(gateway, 'Code'), 'an error')}: ${providerWords(field(gateway, 'Message'))}`;
      if (answer.status >= 500) return new EngineUnavailableError(`Jimeng's gateway failed (${words})`);
      return refusedEngine(PROVIDER, words, log, { status: answer.status });
    }
    const code = codeOf(answer);
    const words = providerWords(field(answer.body, 'message'), `HTTP ${answer.status}`);
    if (code !== undefined && MODERATION[code]) return refusedByPolicy(PROVIDER, `${MODERATION[code]} (${code} ${words})`);
    if (code === 50400) return refusedEngine(PROVIDER, `access was denied (50400 ${words})`, log, { code });
    if (code !== undefined && LIMITS.has(code)) return new EngineUnavailableError(`Jimeng is over its limits (${code} ${words})`);
    if (code === 50500 || code === 50501) return new EngineUnavailableError(`Jimeng failed internally (${code} ${words})`);
    if (answer.status === 400 && code !== undefined) return refusedInput(PROVIDER, `${words} (${code})`);
    return byStatus(PROVIDER, answer.status < 300 ? 502 : answer.status, words, log);
  }
}
