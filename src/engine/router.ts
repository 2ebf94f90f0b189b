/**
 * Chooses the engines that run a model's requests, in the order the configuration lists them, in
 * the manner of LiteLLM's router: an engine that cannot serve is skipped for a while (cooldown)
 * instead of being tried on every request, the next one runs the request, and the result says which
 * engine made it and which ones failed. It knows nothing of any provider: engines tell it what
 * happened through the errors of errors.ts.
 */
import type { Logger } from 'pino';
import { PublicError } from '../errors.js';
import { EngineUnavailableError, LostRunError, NoEngineError, type EngineFailure } from './errors.js';
import { Slots } from './slots.js';
import type { EditRequest, Engine, EngineContext, EngineResult, EngineStatus } from './types.js';

export const BUILTIN = 'builtin';

export interface RoutedEngine {
  engine: Engine;
  /** The configuration's `type` (`builtin`, `comfyui`, `ark`, …), shown in /readyz and the catalogue. */
  type: string;
  /** Runs at once in this process. */
  maxConcurrency: number;
  /** Deadline of one request on this engine, retries included; undefined for none. */
  timeoutMs?: number | undefined;
  /** How long the engine is skipped after it could not serve; 0 never skips it. */
  cooldownMs: number;
}

/** A model's engines in the order they are tried. */
export type Routes = ReadonlyMap<string, readonly string[]>;

/** What a request saved from an earlier attempt: which engine, and what it checkpointed. */
export interface EngineCheckpoint {
  engine: string;
  state: unknown;
}

export interface RouteContext {
  signal: AbortSignal;
  progress(fraction: number): void;
  log: Logger;
  /** The checkpoint an earlier attempt of this request left, if any. */
  checkpointed?: EngineCheckpoint | null | undefined;
  /** Stores a checkpoint with the request (see EngineContext.checkpoint); null clears it. */
  checkpoint(value: EngineCheckpoint | null): Promise<void>;
  /** A slot reserved at claim time (reserve()), used by the first engine tried when it is that one. */
  reservation?: Reservation | undefined;
}

export interface RoutedResult extends EngineResult {
  /** The name of the engine that produced the outputs. */
  engine: string;
}

/** A slot taken on an engine before the request started; give it back exactly once. */
export interface Reservation {
  engine: string;
  release(): void;
}

interface Entry extends RoutedEngine {
  name: string;
  slots: Slots;
  /** Until when it is skipped, and why. */
  coolUntil: number;
  coolReason: string;
}

export interface EngineState extends EngineStatus {
  type: string;
  running: number;
  max_concurrency: number;
}

/** Told what happened to engines, for metrics; the router itself keeps no counts. */
export interface RouterObserver {
  /** An engine did not complete a run: unavailable, timeout, internal, request (the request's fault), lost. */
  failed(engine: string, kind: 'unavailable' | 'timeout' | 'internal' | 'request' | 'lost'): void;
  /** An engine could not run a request (it failed or was skipped), which went on to the next one. */
  passedOn(engine: string): void;
}

export interface RouterOptions {
  now?: () => number;
  observer?: RouterObserver | undefined;
}

export class EngineRouter {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly observer: RouterObserver | undefined;

  constructor(engines: ReadonlyMap<string, RoutedEngine>, private readonly routes: Routes, options: RouterOptions = {}) {
    this.now = options.now ?? Date.now;
    this.observer = options.observer;
    for (const [name, e] of engines) this.entries.set(name, { ...e, name, slots: new Slots(e.maxConcurrency), coolUntil: 0, coolReason: '' });
    if (!this.entries.has(BUILTIN)) throw new Error('the builtin engine is always defined');
    for (const [model, chain] of routes) {
      for (const name of chain) if (!this.entries.has(name)) throw new Error(`model ${model} names an undefined engine ${name}`);
    }
  }

  /**
   * A request that held an upstream job was cancelled while queued: the engine that made the job
   * cancels it upstream (best effort), so that nobody pays for outputs no one will collect.
   */
  async cancelUpstream(checkpoint: EngineCheckpoint, log: Logger): Promise<void> {
    const engine = this.entries.get(checkpoint.engine)?.engine;
    if (!engine?.cancel) return;
    try {
      await engine.cancel(checkpoint.state);
    } catch (err) {
      log.warn({ err, engine: checkpoint.engine }, 'could not cancel the upstream job of a cancelled request');
    }
  }

  /** The engines of a model, in the order they are tried; a model not configured uses builtin. */
  chainOf(modelId: string): readonly string[] {
    return this.routes.get(modelId) ?? [BUILTIN];
  }

  async warmUp(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => e.engine.warmUp?.()));
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.entries.values()].map((e) => e.engine.close?.()));
  }

  /** Each engine's state, for /readyz (through the worker's heartbeat) and the logs. */
  states(): Record<string, EngineState> {
    const out: Record<string, EngineState> = {};
    for (const e of this.entries.values()) {
      const status = this.statusOf(e);
      out[e.name] = { ...status, type: e.type, running: e.slots.inUse, max_concurrency: e.slots.size };
    }
    return out;
  }

  /**
   * Takes a slot on the engine a new request of `modelId` would start on (the first that is ready),
   * or returns undefined when that engine is busy: the worker then leaves the request in the queue.
   */
  reserve(modelId: string): Reservation | undefined {
    const first = this.firstUsable(modelId);
    if (!first.slots.tryTake()) return undefined;
    let released = false;
    return {
      engine: first.name,
      release: () => {
        if (released) return;
        released = true;
        first.slots.give();
      },
    };
  }

  /** Whether a request of any of these models could start now. */
  hasCapacity(modelIds: Iterable<string>): boolean {
    for (const id of modelIds) if (this.firstUsable(id).slots.free <= 0) return false;
    return true;
  }

  async run(modelId: string, request: EditRequest, ctx: RouteContext): Promise<RoutedResult> {
    const failures: EngineFailure[] = [];
    const chain = this.orderFor(modelId, ctx.checkpointed);
    let reservation = ctx.reservation;
    // Whose checkpoint the store holds for this request: an engine moved past must not leave one, or
    // the next attempt would follow a job that no longer matters.
    let holder = ctx.checkpointed?.engine;
    const checkpoint = async (value: EngineCheckpoint | null) => {
      await ctx.checkpoint(value);
      holder = value?.engine;
    };
    try {
      for (const [i, name] of chain.entries()) {
        const entry = this.entries.get(name)!;
        // A slot reserved on another engine is of no use here: give it back at once.
        if (reservation && reservation.engine !== name) {
          reservation.release();
          reservation = undefined;
        }
        const resuming = ctx.checkpointed?.engine === name;
        if (!resuming) {
          const skip = this.skipReason(entry);
          if (skip) {
            failures.push({ engine: name, message: skip });
            if (i < chain.length - 1) this.observer?.passedOn(name);
            continue;
          }
        }
        const mine = reservation?.engine === name ? reservation : undefined;
        if (!mine) await entry.slots.take(ctx.signal);
        try {
          const result = await this.runOn(entry, request, { ...ctx, checkpoint }, resuming);
          const fellBack = failures.map((f) => `The engine "${f.engine}" could not run this request (${f.message}), so "${name}" did.`);
          return { ...result, engine: name, warnings: [...fellBack, ...result.warnings] };
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          const last = i === chain.length - 1;
          const movingOn = err instanceof EngineUnavailableError || !(err instanceof PublicError || err instanceof LostRunError);
          if (movingOn && holder === name) await checkpoint(null);
          if (err instanceof EngineUnavailableError) {
            if (err.cooldown) this.coolDown(entry, err.message);
            ctx.log.warn({ engine: name, reason: err.message, fallback: !last }, 'engine could not serve the request');
            failures.push({ engine: name, message: err.message });
            this.observer?.failed(name, err instanceof EngineTimeoutError ? 'timeout' : 'unavailable');
            if (!last) this.observer?.passedOn(name);
            continue;
          }
          // The request's own fault, or a lost run: no other engine should try it.
          if (err instanceof LostRunError) this.observer?.failed(name, 'lost');
          else if (err instanceof PublicError) this.observer?.failed(name, 'request');
          if (err instanceof PublicError || err instanceof LostRunError || !(err instanceof Error)) throw err;
          this.observer?.failed(name, 'internal');
          // A bug or an unexpected answer inside one engine should not fail requests another could serve.
          if (last && failures.length === 0) throw err;
          ctx.log.error({ err, engine: name }, 'engine failed with an internal error');
          failures.push({ engine: name, message: 'it failed with an internal error (see the server log)' });
          if (!last) this.observer?.passedOn(name);
        } finally {
          if (mine) {
            mine.release();
            reservation = undefined;
          } else entry.slots.give();
        }
      }
      throw new NoEngineError(failures);
    } finally {
      reservation?.release();
    }
  }

  private async runOn(entry: Entry, request: EditRequest, ctx: RouteContext, resuming: boolean): Promise<EngineResult> {
    const timeout = entry.timeoutMs ? AbortSignal.timeout(entry.timeoutMs) : undefined;
    const signal = timeout ? AbortSignal.any([ctx.signal, timeout]) : ctx.signal;
    const engineCtx: EngineContext = {
      signal,
      progress: ctx.progress,
      log: ctx.log.child({ engine: entry.name }),
      resume: resuming ? ctx.checkpointed!.state : undefined,
      checkpoint: (state) => ctx.checkpoint({ engine: entry.name, state }),
      deadline: entry.timeoutMs ? this.now() + entry.timeoutMs : undefined,
    };
    try {
      signal.throwIfAborted();
      return await entry.engine.run(request, engineCtx);
    } catch (err) {
      if (timeout?.aborted && !ctx.signal.aborted) {
        throw new EngineTimeoutError(`it did not finish within its timeout of ${formatMs(entry.timeoutMs!)}`, { cause: err });
      }
      throw err;
    }
  }

  /** The configured order, except that an engine holding a job from an earlier attempt goes first. */
  private orderFor(modelId: string, checkpointed: EngineCheckpoint | null | undefined): readonly string[] {
    const chain = this.chainOf(modelId);
    const holder = checkpointed?.engine;
    if (!holder || !this.entries.has(holder)) return chain;
    return [holder, ...chain.filter((n) => n !== holder)];
  }

  private firstUsable(modelId: string): Entry {
    const chain = this.chainOf(modelId).map((n) => this.entries.get(n)!);
    return chain.find((e) => !this.skipReason(e)) ?? chain[0]!;
  }

  private skipReason(entry: Entry): string | undefined {
    const cooling = entry.coolUntil - this.now();
    if (cooling > 0) return `skipped for ${formatMs(Math.ceil(cooling / 1000) * 1000)} more after it failed: ${entry.coolReason}`;
    const status = this.statusOf(entry);
    return status.ready ? undefined : `not ready: ${status.reason ?? 'no reason given'}`;
  }

  private statusOf(entry: Entry): EngineStatus {
    try {
      return entry.engine.status?.() ?? { ready: true };
    } catch {
      return { ready: false, reason: 'its status could not be read' };
    }
  }

  private coolDown(entry: Entry, reason: string): void {
    if (entry.cooldownMs <= 0) return;
    entry.coolUntil = this.now() + entry.cooldownMs;
    entry.coolReason = reason;
  }
}

/** An engine past its `timeout`: unavailable for this request, counted apart. */
class EngineTimeoutError extends EngineUnavailableError {}

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

/**
 * One view of the engines from the states several workers reported (their heartbeats): an engine
 * is ready when any worker can use it; otherwise the reason one of them gave is shown.
 */
export function mergeEngineStates(reports: readonly (Record<string, EngineState> | undefined)[]): Record<string, EngineState> {
  const out: Record<string, EngineState> = {};
  for (const report of reports) {
    for (const [name, s] of Object.entries(report ?? {})) {
      const seen = out[name];
      if (!seen) out[name] = { ...s };
      else {
        seen.running += s.running;
        seen.max_concurrency += s.max_concurrency;
        if (s.ready && !seen.ready) {
          seen.ready = true;
          delete seen.reason;
        }
      }
    }
  }
  return out;
}
