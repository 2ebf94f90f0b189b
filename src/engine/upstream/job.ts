/**
 * Following a provider's asynchronous job (Jimeng, the hosted Model API, fal, Replicate) the same
 * way for all of them:
 *
 *   resume? ── poll the checkpointed job ── gone? ──┐
 *      │ no                                         ▼
 *      └──────────────────────────────────▶ submit once ── checkpoint the handle ── poll … ── outputs
 *
 * The handle is stored with the request before the first poll, so that a worker that dies while
 * the provider works is followed by one that polls the same job instead of paying for a second.
 * Once a job is submitted, any failure cancels it where the provider allows it (the engine's
 * timeout, a poll that kept failing, a refusal): the router moves past this engine and drops its
 * checkpoint, so nobody would follow it. Only when the worker is shutting down or lost its lease is
 * it left running, for the next attempt to follow.
 */
import type { EngineContext } from '../types.js';
import { EngineUnavailableError, LostRunError } from '../errors.js';
import type { UpstreamOutput } from './outputs.js';
import { sleep } from './retry.js';

/** What a handle always holds beside the provider's own fields. */
export interface JobHandle {
  /** The engine type that made it, so that a handle is never read by another provider's code. */
  provider: string;
  /** The provider's id of the job. */
  id: string;
  /** When it was submitted (ms since epoch). */
  submittedAt: number;
}

export type JobState =
  | { kind: 'queued'; position?: number | undefined }
  | { kind: 'running' }
  | { kind: 'succeeded'; outputs: UpstreamOutput[]; usage?: Record<string, number | string> | undefined }
  /** The provider no longer knows the job (unknown id, past its retention). */
  | { kind: 'gone' };

export interface JobProtocol<H extends JobHandle> {
  provider: string;
  /** The paid call, made once. May also return the job's first state (Replicate's Prefer: wait). */
  submit(): Promise<{ handle: H; state?: JobState | undefined }>;
  /** The job's state now; throws the provider's failure as the router's errors. Safe to repeat. */
  poll(handle: H): Promise<JobState>;
  /** Best effort; absent when the provider cannot cancel (Jimeng). */
  cancel?(handle: H): Promise<void>;
  /** Whether a checkpoint from an earlier attempt is a handle of this protocol. */
  isHandle(value: unknown): value is H;
}

export interface FollowOptions {
  /** The first wait between polls; it grows by half each poll, up to maxPollMs. */
  pollMs: number;
  maxPollMs?: number;
}

export interface JobOutcome<H extends JobHandle> {
  handle: H;
  outputs: UpstreamOutput[];
  usage?: Record<string, number | string> | undefined;
  /** The job was one an earlier attempt submitted. */
  resumed: boolean;
}

/** Progress shown while the provider works (before the outputs are downloaded). */
const QUEUED_PROGRESS = 0.05;
const RUNNING_PROGRESS = 0.3;

export async function followJob<H extends JobHandle>(protocol: JobProtocol<H>, ctx: EngineContext, options: FollowOptions): Promise<JobOutcome<H>> {
  // The job that may be running (and billing) at the provider, once there is one.
  let live: H | undefined;
  // Whether the store holds `live` for a next attempt to follow.
  let stored = false;
  try {
    let state: JobState | undefined;
    let resumed = false;
    if (ctx.resume !== undefined && protocol.isHandle(ctx.resume)) {
      const earlier = ctx.resume;
      live = earlier;
      stored = true;
      state = await protocol.poll(earlier);
      if (state.kind === 'gone') {
        ctx.log.warn({ provider: protocol.provider, job: earlier.id }, 'the job an earlier attempt submitted is gone; submitting afresh');
        live = undefined;
        stored = false;
        state = undefined;
      } else {
        resumed = true;
        ctx.log.info({ provider: protocol.provider, job: earlier.id }, 'following the job an earlier attempt submitted');
      }
    }
    if (!live) {
      const submitted = await protocol.submit();
      live = submitted.handle;
      state = submitted.state;
      ctx.log.info({ provider: protocol.provider, job: live.id }, 'upstream job submitted');
      // Before any wait: from here on, a worker that dies leaves a job the next attempt can follow.
      await ctx.checkpoint(live);
      stored = true;
    }
    const handle = live;

    const maxPollMs = options.maxPollMs ?? Math.max(options.pollMs, 5_000);
    let wait = options.pollMs;
    for (;;) {
      state ??= await protocol.poll(handle);
      switch (state.kind) {
        case 'succeeded':
          return { handle, outputs: state.outputs, usage: state.usage, resumed };
        case 'gone':
          live = undefined;
          throw new EngineUnavailableError(`${protocol.provider} lost the job it had accepted`);
        case 'queued':
          ctx.progress(QUEUED_PROGRESS);
          break;
        case 'running':
          ctx.progress(RUNNING_PROGRESS);
          break;
      }
      state = undefined;
      await sleep(wait, ctx.signal);
      wait = Math.min(maxPollMs, Math.round(wait * 1.5));
    }
  } catch (err) {
    if (live && protocol.cancel && !leftForNextAttempt(ctx, err, stored)) {
      // Nobody will follow this job: the router moves on (and drops the checkpoint), or the request
      // ends here. Stop paying for it.
      const job = live;
      await withTimeout(protocol.cancel(job), 5_000).catch((e: unknown) =>
        ctx.log.warn({ provider: protocol.provider, job: job.id, err: e }, 'could not cancel the upstream job'),
      );
    }
    throw err;
  }
}

/**
 * Whether a job is left running for the next attempt to follow: when the run was stopped from
 * outside (a shutdown, a lost lease: the request goes back to the queue with its checkpoint, or to
 * whoever cancelled it, who cancels upstream), or when the engine lost the run (LostRunError keeps
 * the checkpoint). Only with the handle stored: a job nobody can find again is always cancelled.
 * Every other failure (the engine's own timeout, a throttled or failing poll, a refusal) ends this
 * engine's part in the request, and the router drops its checkpoint.
 */
function leftForNextAttempt(ctx: EngineContext, err: unknown, stored: boolean): boolean {
  if (!stored) return false;
  if (err instanceof LostRunError) return true;
  return ctx.signal.aborted && !isTimeout(ctx.signal.reason);
}

/** The router's own timeout (AbortSignal.timeout in runOn), as opposed to a shutdown or a lost lease. */
function isTimeout(reason: unknown): boolean {
  return (reason as { name?: unknown })?.name === 'TimeoutError';
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timed out')), ms).unref())]);
}
