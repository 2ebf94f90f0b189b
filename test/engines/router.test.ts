/** The router alone: order, fallback, the request's own faults, cooldown, readiness, timeouts, slots, resume. */
import { describe, expect, it } from 'vitest';
import { EngineRequestError, EngineUnavailableError, LostRunError, NoEngineError } from '../../src/engine/errors.js';
import { EngineRouter, mergeEngineStates, type EngineCheckpoint, type RoutedEngine, type RouteContext } from '../../src/engine/router.js';
import type { EditRequest, Engine, EngineContext, EngineResult, EngineStatus } from '../../src/engine/types.js';
import { createLogger } from '../../src/log.js';

const MODEL = 'bytedance/dreamina-4-0/edit';
const REQUEST: EditRequest = { id: 'req_1', images: [], prompt: 'p', width: 64, height: 64, scale: 0.5, forceSingle: true };

/** An engine scripted by a function; it records what it was given. */
class Scripted implements Engine {
  calls: EngineContext[] = [];
  ready: EngineStatus = { ready: true };
  constructor(readonly name: string, private readonly script: (ctx: EngineContext) => Promise<EngineResult> | EngineResult = () => ok()) {}
  status(): EngineStatus {
    return this.ready;
  }
  async run(_request: EditRequest, ctx: EngineContext): Promise<EngineResult> {
    this.calls.push(ctx);
    return this.script(ctx);
  }
}

const ok = (warnings: string[] = []): EngineResult => ({ images: [], edits: [], warnings });

function router(engines: Record<string, Engine>, chain: string[], options: Partial<RoutedEngine> = {}, now = () => Date.now()) {
  const map = new Map<string, RoutedEngine>();
  for (const [name, engine] of Object.entries({ builtin: new Scripted('builtin'), ...engines })) {
    map.set(name, { engine, type: name === 'builtin' ? 'builtin' : 'test', maxConcurrency: 2, cooldownMs: 0, ...options });
  }
  return new EngineRouter(map, new Map([[MODEL, chain]]), { now });
}

function context(extra: Partial<RouteContext> = {}): RouteContext & { saved: (EngineCheckpoint | null)[] } {
  const saved: (EngineCheckpoint | null)[] = [];
  return {
    signal: new AbortController().signal,
    progress: () => {},
    log: createLogger('silent'),
    checkpoint: async (c) => void saved.push(c),
    saved,
    ...extra,
  };
}

describe('engine router', () => {
  it('runs on the first engine and names it', async () => {
    const gpu = new Scripted('gpu', () => ok(['its own warning']));
    const result = await router({ gpu }, ['gpu', 'builtin']).run(MODEL, REQUEST, context());
    expect(result).toMatchObject({ engine: 'gpu', warnings: ['its own warning'] });
  });

  it('falls back when an engine cannot serve, and says which one failed and why', async () => {
    const gpu = new Scripted('gpu', () => {
      throw new EngineUnavailableError('ComfyUI does not answer');
    });
    const result = await router({ gpu }, ['gpu', 'builtin']).run(MODEL, REQUEST, context());
    expect(result.engine).toBe('builtin');
    expect(result.warnings).toEqual(['The engine "gpu" could not run this request (ComfyUI does not answer), so "builtin" did.']);
  });

  it('fails with every engine\'s reason when none can serve', async () => {
    const a = new Scripted('a', () => {
      throw new EngineUnavailableError('it is unreachable');
    });
    const b = new Scripted('b', () => {
      throw new EngineUnavailableError('its key was refused');
    });
    const err = await router({ a, b }, ['a', 'b']).run(MODEL, REQUEST, context()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoEngineError);
    expect(err).toMatchObject({ reason: 'engine_unavailable', message: 'No engine could run this request. a: it is unreachable; b: its key was refused' });
  });

  it('stops at the request\'s own fault: no other engine is tried', async () => {
    const gpu = new Scripted('gpu', () => {
      throw new EngineRequestError('content_policy', 'The prompt was refused by the provider\'s content policy.');
    });
    const builtin = new Scripted('builtin');
    await expect(router({ gpu, builtin }, ['gpu', 'builtin']).run(MODEL, REQUEST, context())).rejects.toMatchObject({ reason: 'content_policy' });
    expect(builtin.calls).toHaveLength(0);
  });

  it('a lost run is not retried on another engine', async () => {
    const gpu = new Scripted('gpu', () => {
      throw new LostRunError('ComfyUI restarted during the run');
    });
    const builtin = new Scripted('builtin');
    await expect(router({ gpu, builtin }, ['gpu', 'builtin']).run(MODEL, REQUEST, context())).rejects.toBeInstanceOf(LostRunError);
    expect(builtin.calls).toHaveLength(0);
  });

  it('an unexpected error in one engine falls back, but alone it stays what it was', async () => {
    const gpu = new Scripted('gpu', () => {
      throw new TypeError('bug');
    });
    const result = await router({ gpu }, ['gpu', 'builtin']).run(MODEL, REQUEST, context());
    expect(result.warnings[0]).toContain('it failed with an internal error');
    expect(result.warnings[0]).not.toContain('bug');
    await expect(router({ gpu }, ['gpu']).run(MODEL, REQUEST, context())).rejects.toBeInstanceOf(TypeError);
  });

  it('skips an engine that is not ready, and one in its cooldown after a failure', async () => {
    let t = 1_000;
    const down = new Scripted('down');
    down.ready = { ready: false, reason: 'ComfyUI lacks the node TextEncodeQwenImageEditPlus' };
    let failures = 0;
    const flaky = new Scripted('flaky', () => {
      failures++;
      throw new EngineUnavailableError('it answered 503');
    });
    const r = router({ down, flaky }, ['down', 'flaky', 'builtin'], { cooldownMs: 10_000 }, () => t);
    const first = await r.run(MODEL, REQUEST, context());
    expect(down.calls).toHaveLength(0);
    expect(first.warnings[0]).toContain('not ready: ComfyUI lacks the node TextEncodeQwenImageEditPlus');
    t += 5_000;
    const second = await r.run(MODEL, REQUEST, context());
    expect(failures).toBe(1);
    expect(second.warnings[1]).toBe('The engine "flaky" could not run this request (skipped for 5 s more after it failed: it answered 503), so "builtin" did.');
    t += 6_000;
    await r.run(MODEL, REQUEST, context());
    expect(failures).toBe(2);
    expect(r.states()).toMatchObject({ down: { ready: false, type: 'test' }, flaky: { ready: true }, builtin: { ready: true, type: 'builtin' } });
  });

  it('an engine past its timeout is stopped and the next one runs the request', async () => {
    let aborted = false;
    const slow = new Scripted('slow', (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => ((aborted = true), reject(ctx.signal.reason)))));
    const map = new Map<string, RoutedEngine>([
      ['slow', { engine: slow, type: 'test', maxConcurrency: 1, cooldownMs: 0, timeoutMs: 50 }],
      ['builtin', { engine: new Scripted('builtin'), type: 'builtin', maxConcurrency: 1, cooldownMs: 0 }],
    ]);
    const result = await new EngineRouter(map, new Map([[MODEL, ['slow', 'builtin']]])).run(MODEL, REQUEST, context());
    expect(aborted).toBe(true);
    expect(result.warnings[0]).toContain('it did not finish within its timeout of 50 ms');
  });

  it('the request\'s own abort is not a fallback', async () => {
    const controller = new AbortController();
    const gpu = new Scripted('gpu', (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))));
    const builtin = new Scripted('builtin');
    const running = router({ gpu, builtin }, ['gpu', 'builtin']).run(MODEL, REQUEST, context({ signal: controller.signal }));
    controller.abort(new Error('lease lost'));
    await expect(running).rejects.toThrow('lease lost');
    expect(builtin.calls).toHaveLength(0);
  });

  it('reserves slots so a worker never claims more than an engine can start', async () => {
    const r = router({ gpu: new Scripted('gpu') }, ['gpu', 'builtin'], { maxConcurrency: 1 });
    expect(r.hasCapacity([MODEL])).toBe(true);
    const slot = r.reserve(MODEL)!;
    expect(slot.engine).toBe('gpu');
    expect(r.hasCapacity([MODEL])).toBe(false);
    expect(r.reserve(MODEL)).toBeUndefined();
    // The run uses the reserved slot and gives it back once.
    await r.run(MODEL, REQUEST, context({ reservation: slot }));
    slot.release();
    expect(r.hasCapacity([MODEL])).toBe(true);
    expect(r.states().gpu).toMatchObject({ running: 0, max_concurrency: 1 });
  });

  it('an engine that is down does not hold back claims: the next ready one takes the reservation', () => {
    const gpu = new Scripted('gpu');
    gpu.ready = { ready: false, reason: 'unreachable' };
    const r = router({ gpu }, ['gpu', 'builtin'], { maxConcurrency: 1 });
    expect(r.reserve(MODEL)!.engine).toBe('builtin');
  });

  it('checkpoints carry the engine\'s name, and the engine holding a job resumes it first', async () => {
    const ark = new Scripted('ark', async (ctx) => {
      await ctx.checkpoint({ job: 'cgt-1' });
      return ok();
    });
    const r = router({ ark }, ['builtin', 'ark']);
    const first = context();
    await r.run(MODEL, REQUEST, { ...first, checkpointed: { engine: 'ark', state: { job: 'cgt-0' } } });
    expect(ark.calls[0]!.resume).toEqual({ job: 'cgt-0' });
    expect(first.saved).toEqual([{ engine: 'ark', state: { job: 'cgt-1' } }]);
  });

  it('an engine given up on leaves no checkpoint behind, so a later attempt does not follow its dead job', async () => {
    const ark = new Scripted('ark', async (ctx) => {
      await ctx.checkpoint({ job: 'cgt-2' });
      throw new EngineUnavailableError('Ark stopped answering');
    });
    const r = router({ ark }, ['ark', 'builtin']);
    const ctx = context();
    const result = await r.run(MODEL, REQUEST, ctx);
    expect(result.engine).toBe('builtin');
    expect(ctx.saved).toEqual([{ engine: 'ark', state: { job: 'cgt-2' } }, null]);
  });

  it('a slot reserved on an engine that is skipped is given back before the next engine is tried', async () => {
    const gpu = new Scripted('gpu');
    let gpuRunningDuringBuiltin = -1;
    const builtin = new Scripted('builtin', () => {
      gpuRunningDuringBuiltin = r.states().gpu!.running;
      return ok();
    });
    const r = router({ gpu, builtin }, ['gpu', 'builtin'], { maxConcurrency: 1 });
    const reservation = r.reserve(MODEL)!;
    expect(reservation.engine).toBe('gpu');
    gpu.ready = { ready: false, reason: 'unreachable' };
    await r.run(MODEL, REQUEST, context({ reservation }));
    expect(gpuRunningDuringBuiltin).toBe(0);
  });

  it('merges the states several workers report: ready when any can use it', () => {
    const merged = mergeEngineStates([
      { gpu: { ready: false, reason: 'unreachable', type: 'comfyui', running: 0, max_concurrency: 1 } },
      { gpu: { ready: true, type: 'comfyui', running: 1, max_concurrency: 1 } },
      undefined,
    ]);
    expect(merged).toEqual({ gpu: { ready: true, type: 'comfyui', running: 1, max_concurrency: 2 } });
  });
});
