/**
 * The ComfyUI engine: one request, one prompt on one of the operator's ComfyUI servers.
 *
 *   plan       the placeholders' values, and what the workflow will not use (warnings)
 *   choose     the usable server with the shortest queue (pool.ts)
 *   upload     the references the workflow names, under names of the request's own
 *   build      the graph: placeholders filled, missing references taken out (graph.ts)
 *   checkpoint the prompt id, with the request, before the prompt exists
 *   queue      POST /prompt with our client_id and prompt_id; 400 or node_errors → the reason why
 *   follow     to the end (follow.ts); progress to the request
 *   collect    the saved images, at exactly the requested size, fetched as they are saved (outputs.ts)
 *
 * A retried attempt of the same request (its worker died) follows the checkpointed prompt instead of
 * queueing a second one; when that prompt is gone, it starts afresh. A request retouch gives up on
 * (lease lost, shutdown, timeout) has its prompt removed or interrupted: nothing is left on the GPU.
 */
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import { EngineUnavailableError, LostRunError } from '../errors.js';
import { imagesAsked } from '../image-count.js';
import type { EditRequest, Engine, EngineContext, EngineResult, EngineStatus } from '../types.js';
import { ComfyHttpError, ComfyUnreachableError, type HistoryEntry, type PromptAnswer, type SavedFile } from './client.js';
import { confirmStopped, follow, stopPrompt } from './follow.js';
import { buildGraph, byNodeId, MissingReferenceError, type BuiltGraph, type GraphValues } from './graph.js';
import { describeExecutionError, describeRefusal, isOutOfMemory, type ExecutionError } from './messages.js';
import { OutputCollector } from './outputs.js';
import { ComfyPool } from './pool.js';
import { ComfyServer, SOCKET_GRACE_MS } from './server.js';
import type { ComfySettings } from './settings.js';
import type { Workflow } from './workflow.js';

/** Where references are uploaded and outputs saved, under ComfyUI's input/ and output/. */
const FOLDER = 'retouch';

/** How long a running prompt's server may stay unreachable before the run counts as lost. */
const LOST_AFTER_MS = 30_000;
/** How long stopping a prompt may take (both calls), and how long its end is confirmed. */
const STOP_TIMEOUT_MS = 5_000;

/** What the engine keeps with the request while a prompt runs. */
interface Checkpoint {
  server: string;
  prompt_id: string;
}

interface Plan {
  values: Omit<GraphValues, 'images'>;
  asked: number;
  warnings: string[];
}

/** A failure before the prompt was queued: another server of the pool may take the request. */
class NotQueued extends Error {}

/** The run was interrupted, and not by us. */
class Interrupted extends Error {}

export class ComfyUIEngine implements Engine {
  /** One client_id per worker process: ComfyUI routes a prompt's events to the socket with this id. */
  private readonly clientId = crypto.randomUUID().replace(/-/g, '');
  private readonly pool: ComfyPool;
  private probeTimer: NodeJS.Timeout | undefined;
  /** Confirmations that stopped prompts are gone, awaited (briefly) at close. */
  private readonly stopping = new Set<Promise<unknown>>();

  constructor(readonly name: string, private readonly settings: ComfySettings, private readonly workflow: Workflow, private readonly log: Logger) {
    const n = settings.urls.length;
    this.pool = new ComfyPool(
      settings.urls.map(
        (url, i) => new ComfyServer(url, i, n, this.clientId, { headers: settings.headers, timeoutMs: settings.requestTimeoutMs }, workflow, log),
      ),
    );
  }

  async warmUp(): Promise<void> {
    await Promise.all(this.pool.servers.map((s) => s.start()));
    this.probeTimer = setInterval(() => {
      for (const s of this.pool.servers) void s.probe();
    }, this.settings.probeMs);
    this.probeTimer.unref();
    const status = this.status();
    if (status.ready) this.log.info({ servers: this.pool.servers.length, workflow: this.workflow.source }, 'ComfyUI engine ready');
    else this.log.warn({ reason: status.reason }, 'ComfyUI engine not ready');
  }

  status(): EngineStatus {
    return this.pool.status();
  }

  /**
   * A request cancelled while back in the queue may still have its prompt in ComfyUI (its worker
   * died): that prompt is removed or interrupted.
   */
  async cancel(state: unknown): Promise<void> {
    const saved = state as Partial<Checkpoint> | null;
    const server = this.pool.byKey(saved?.server);
    if (!server || typeof saved?.prompt_id !== 'string') return;
    await stopPrompt(server, saved.prompt_id, this.log, STOP_TIMEOUT_MS);
    this.confirm(server, saved.prompt_id, this.log);
  }

  async close(): Promise<void> {
    clearInterval(this.probeTimer);
    await Promise.race([Promise.allSettled(this.stopping), new Promise((r) => setTimeout(r, STOP_TIMEOUT_MS).unref())]);
    for (const s of this.pool.servers) s.close();
  }

  async run(request: EditRequest, ctx: EngineContext): Promise<EngineResult> {
    const plan = this.plan(request);
    try {
      if (ctx.resume !== undefined) {
        const resumed = await this.resume(ctx.resume, request, plan, ctx);
        if (resumed) return resumed;
      }
      const tried = new Set<ComfyServer>();
      let failure: string | undefined;
      let rechecked = false;
      for (;;) {
        let server = this.pool.pick(tried);
        if (!server && !rechecked) {
          // A server marked down may be back already (a restart is over in seconds, and the next
          // probe may be a while off): check once more before this request gives up on the engine.
          rechecked = true;
          await Promise.all(this.pool.servers.filter((s) => !tried.has(s)).map((s) => s.probe()));
          server = this.pool.pick(tried);
        }
        if (!server) throw new EngineUnavailableError(failure ?? this.pool.status().reason ?? 'no ComfyUI server can take the request');
        tried.add(server);
        try {
          return await this.runOn(server, request, plan, ctx);
        } catch (err) {
          if (!(err instanceof NotQueued)) throw err;
          failure = err.message;
          server.markDown();
          ctx.log.warn({ server: server.index + 1, reason: err.message }, 'ComfyUI server could not take the request');
        }
      }
    } catch (err) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      // Whatever ComfyUI did that was not foreseen still reads as "this engine could not serve".
      if (err instanceof ComfyUnreachableError) throw new EngineUnavailableError(`ComfyUI stopped answering (${err.message})`, { cause: err });
      if (err instanceof ComfyHttpError) throw new EngineUnavailableError(`ComfyUI answered ${err.status} to ${err.route}`, { cause: err });
      throw err;
    }
  }

  /** The placeholders' values, and what the workflow leaves out of the request, in plain words. */
  private plan(request: EditRequest): Plan {
    const asked = imagesAsked(request);
    const warnings: string[] = [];
    const wf = this.workflow;
    if (!wf.uses('prompt')) warnings.push('This ComfyUI workflow does not read the prompt.');
    if (request.scale !== 0.5 && !wf.uses('scale')) warnings.push(`This ComfyUI workflow has no input for scale, so scale ${request.scale} had no effect.`);
    const unused = request.images.map((_, i) => i + 1).filter((n) => !wf.images.includes(n));
    if (unused.length) {
      const takes = wf.images.length ? `takes reference images ${wf.images.join(', ')}` : 'takes no reference image';
      warnings.push(`This ComfyUI workflow ${takes}; image${unused.length > 1 ? 's' : ''} ${unused.join(', ')} ${unused.length > 1 ? 'were' : 'was'} not used.`);
    }
    return {
      asked,
      warnings,
      values: {
        prompt: request.prompt,
        width: request.width,
        height: request.height,
        scale: request.scale,
        seed: seedOf(request.id),
        batchSize: asked,
        filenamePrefix: `${FOLDER}/${request.id}`,
      },
    };
  }

  private async runOn(server: ComfyServer, request: EditRequest, plan: Plan, ctx: EngineContext): Promise<EngineResult> {
    server.active++;
    const started = performance.now();
    try {
      ctx.progress(0);
      // Events are sent only to sockets open when they happen: the socket comes first.
      if (!(await server.waitSocket(SOCKET_GRACE_MS, ctx.signal))) {
        ctx.signal.throwIfAborted();
        throw new NotQueued(`${server.label}'s websocket did not connect`);
      }
      const build = (images: string[]) => buildGraph(this.workflow, { ...plan.values, images }, (c) => server.optionalInputs(c));
      try {
        // Whether the graph can serve this request's references at all, before anything is uploaded.
        build(request.images.map(() => ''));
      } catch (err) {
        if (!(err instanceof MissingReferenceError)) throw err;
        // Only this request is concerned: the engine is not cooled down for it.
        throw new EngineUnavailableError(`its ComfyUI workflow needs reference image ${err.image} and the request has ${err.have}`, { cooldown: false });
      }
      const promptId = crypto.randomUUID();
      const [names] = await Promise.all([
        this.upload(server, request, ctx.signal),
        // Kept before the prompt exists: a worker dying between the two leaves no prompt nobody
        // follows (the next attempt finds the id unknown and queues afresh).
        ctx.checkpoint({ server: server.key, prompt_id: promptId } satisfies Checkpoint),
      ]);
      const built: BuiltGraph = build(names);
      ctx.progress(0.05);
      ctx.signal.throwIfAborted();
      let answer: PromptAnswer;
      try {
        // Not tied to ctx.signal: once sent, its answer says whether there is a prompt to stop.
        answer = await server.client.prompt({ prompt: built.graph, client_id: this.clientId, prompt_id: promptId });
      } catch (err) {
        if (!(err instanceof ComfyUnreachableError)) throw err;
        this.stop(server, promptId, ctx.log);
        throw new NotQueued(`${server.label} did not answer when the prompt was sent (${err.message})`);
      }
      if (answer.status !== 200 || Object.keys(answer.body.node_errors ?? {}).length > 0) {
        // A 200 with node_errors has queued the outputs that validated: they must not run.
        if (answer.status === 200) this.stop(server, promptId, ctx.log);
        throw new EngineUnavailableError(describeRefusal(server.label, answer, built.graph));
      }
      ctx.log.info({ prompt_id: promptId, server: server.index + 1, ms: Math.round(performance.now() - started) }, 'prompt queued in ComfyUI');
      return await this.finish(server, promptId, built, request, plan, ctx, false);
    } finally {
      server.active--;
    }
  }

  /** Follows a checkpointed prompt; undefined when it is gone (or was interrupted) and a fresh one is needed. */
  private async resume(state: unknown, request: EditRequest, plan: Plan, ctx: EngineContext): Promise<EngineResult | undefined> {
    const saved = state as Partial<Checkpoint> | null;
    const server = this.pool.byKey(saved?.server);
    if (!server || typeof saved?.prompt_id !== 'string') {
      ctx.log.info('the checkpointed ComfyUI server is no longer configured; queueing afresh');
      return undefined;
    }
    server.active++;
    try {
      ctx.log.info({ prompt_id: saved.prompt_id, server: server.index + 1 }, 'following the prompt of an earlier attempt');
      return await this.finish(server, saved.prompt_id, undefined, request, plan, ctx, true);
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      if (err instanceof LostRunError || err instanceof Interrupted) {
        ctx.log.info({ prompt_id: saved.prompt_id, reason: err.message }, 'the earlier prompt did not finish; queueing afresh');
        return undefined;
      }
      if (err instanceof ComfyUnreachableError) {
        // The request goes to another engine: should that prompt still be alive there, it must not run.
        this.stop(server, saved.prompt_id, ctx.log);
        throw new EngineUnavailableError(`${server.label} does not answer`, { cause: err });
      }
      throw err;
    } finally {
      server.active--;
    }
  }

  private async finish(server: ComfyServer, promptId: string, built: BuiltGraph | undefined, request: EditRequest, plan: Plan, ctx: EngineContext, resumed: boolean): Promise<EngineResult> {
    const want = (nodes: readonly string[]) => ({ nodes, width: request.width, height: request.height, count: plan.asked });
    // With the graph at hand its output nodes are known, and their files are fetched as they are saved.
    const early = built && new OutputCollector(server, want(built.outputs), ctx.signal);
    let entry: HistoryEntry;
    try {
      entry = await follow(server, promptId, {
        signal: ctx.signal,
        pollMs: this.settings.pollMs,
        // A resumed attempt whose server is down falls back at once; a live one waits a while.
        unreachableGraceMs: resumed ? 0 : LOST_AFTER_MS,
        executed: built?.executed ?? [],
        progress: (f) => ctx.progress(0.05 + 0.9 * f),
        ...(early && { saved: (node: string, files: SavedFile[]) => early.executed(node, files) }),
      });
    } catch (err) {
      early?.close();
      if (ctx.signal.aborted) {
        await stopPrompt(server, promptId, ctx.log, STOP_TIMEOUT_MS);
        this.confirm(server, promptId, ctx.log);
      }
      throw err;
    }
    const end = entry.status.messages.at(-1);
    ctx.log.debug({ prompt_id: promptId, status: entry.status.status_str, event: end?.[0] }, 'prompt ended in ComfyUI');
    if (entry.status.status_str === 'success') {
      const collector = early ?? new OutputCollector(server, want(Object.keys(entry.outputs).sort(byNodeId)), ctx.signal);
      const collecting = performance.now();
      const collected = await collector.collect(entry);
      ctx.log.debug({ prompt_id: promptId, images: collected.images.length, ms: Math.round(performance.now() - collecting) }, 'outputs downloaded from ComfyUI');
      ctx.progress(1);
      return {
        images: collected.images,
        edits: [],
        warnings: [...plan.warnings, ...collected.warnings],
        // For the operator: where to find the run in ComfyUI (its history, its output files).
        metadata: { comfyui_prompt_id: promptId, comfyui_server: server.index + 1 },
      };
    }
    early?.close();
    if (end?.[0] === 'execution_interrupted') {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (resumed) throw new Interrupted('the earlier prompt was interrupted');
      throw new EngineUnavailableError(`the run was interrupted in ${server.label}`, { cooldown: false });
    }
    const error = (end?.[0] === 'execution_error' ? end[1] : {}) as ExecutionError;
    throw new EngineUnavailableError(describeExecutionError(server.label, error, request), { cooldown: !isOutOfMemory(error) });
  }

  private async upload(server: ComfyServer, request: EditRequest, signal: AbortSignal): Promise<string[]> {
    const used = new Set(this.workflow.images);
    try {
      return await Promise.all(
        request.images.map(async (image, i) => {
          if (!used.has(i + 1)) return '';
          const saved = await server.client.upload(image.data, `${request.id}-${i + 1}.${image.format === 'png' ? 'png' : 'jpg'}`, FOLDER, signal);
          // Always the name ComfyUI answers with: it renames a clash.
          return saved.subfolder ? `${saved.subfolder}/${saved.name}` : saved.name;
        }),
      );
    } catch (err) {
      if (err instanceof ComfyUnreachableError) throw new NotQueued(`${server.label} did not take the reference images (${err.message})`);
      throw err;
    }
  }

  /** Stops a prompt in the background (when the request is failing for another reason). */
  private stop(server: ComfyServer, promptId: string, log: Logger): void {
    const done = stopPrompt(server, promptId, log, STOP_TIMEOUT_MS).then(() => this.confirm(server, promptId, log));
    this.track(done);
  }

  private confirm(server: ComfyServer, promptId: string, log: Logger): void {
    this.track(confirmStopped(server, promptId, log, { everyMs: 500, attempts: 10, timeoutMs: STOP_TIMEOUT_MS }));
  }

  private track(p: Promise<unknown>): void {
    const tracked = p.catch(() => undefined).finally(() => this.stopping.delete(tracked));
    this.stopping.add(tracked);
  }
}

/** A seed from the request id: the same request gets the same seed on every attempt. */
export function seedOf(requestId: string): number {
  // 48 bits: an exact integer in JSON, within every sampler's range.
  return Number.parseInt(crypto.createHash('sha256').update(requestId).digest('hex').slice(0, 12), 16);
}
