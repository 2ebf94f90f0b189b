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
 * When the engine's timeout aborts the run, the job is cancelled where the provider allows it; when
 * the worker is shutting down or lost its lease, it is left running for the next attempt to follow.
 */
import type { EngineContext } from '../types.js';
import { EngineUnavailableError } from '../errors.js';
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
  let handle: H | undefined;
  let state: JobState | undefined;
  let resumed = false;
  if (ctx.resume !== undefined && protocol.isHandle(ctx.resume)) {
    const earlier = ctx.resume;
    state = await protocol.poll(earlier);
    if (state.kind === 'gone') {
      ctx.log.warn({ provider: protocol.provider, job: earlier.id }, 'the job an earlier attempt submitted is gone; submitting afresh');
      state = undefined;
    } else {
      handle = earlier;
      resumed = true;
      ctx.log.info({ provider: protocol.provider, job: earlier.id }, 'following the job an earlier attempt submitted');
    }
  }
  if (!handle) {
    const submitted = await protocol.submit();
    handle = submitted.handle;
    state = submitted.state;
    ctx.log.info({ provider: protocol.provider, job: handle.id }, 'upstream job submitted');
    // Before any wait: from here on, a worker that dies leaves a job the next attempt can follow.
    await ctx.checkpoint(handle);
  }

  const maxPollMs = options.maxPollMs ?? Math.max(options.pollMs, 5_000);
  let wait = options.pollMs;
  try {
    for (;;) {
      state ??= await protocol.poll(handle);
      switch (state.kind) {
        case 'succeeded':
          return { handle, outputs: state.outputs, usage: state.usage, resumed };
        case 'gone':
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
    if (ctx.signal.aborted && isTimeout(ctx.signal.reason) && protocol.cancel) {
      // The engine gave up on this job (its timeout): nobody will follow it, so stop paying for it.
      await withTimeout(protocol.cancel(handle), 5_000).catch((e: unknown) =>
        ctx.log.warn({ provider: protocol.provider, job: handle.id, err: e }, 'could not cancel the upstream job'),
      );
    }
    throw err;
  }
}

/** The router's own timeout (AbortSignal.timeout), as opposed to a shutdown or a lost lease. */
function isTimeout(reason: unknown): boolean {
  return (reason as { name?: unknown })?.name === 'TimeoutError';
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timed out')), ms).unref())]);
}
