/**
 * Engine routing through the real server: the status and result bodies name the engine, fallbacks
 * are warned, a model with no engine left fails with engine_unavailable, /readyz and the catalogue
 * show the engines, a busy engine leaves requests queued, and checkpoints survive a restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { EngineUnavailableError, LostRunError } from '../../src/engine/errors.js';
import type { EditRequest, Engine, EngineContext, EngineResult, EngineStatus } from '../../src/engine/types.js';
import { BuiltinEngine } from '../../src/engine/builtin/index.js';
import { dataUri, tempDir } from '../helpers/paths.js';
import { startServer, type TestServer } from '../helpers/server.js';

const MODEL = 'bytedance/dreamina-4-0/edit';
const BODY = { image_urls: [dataUri('coffee.png'), dataUri('horse.png')], prompt: 'make it brighter', 'width×height': '1024x1024(1:1)' };

/** Engines named by the test, routed as a configuration file would route them. */
function routed(chain: string[], engines: Record<string, { maxConcurrency?: number }> = {}) {
  return (config: Config) => {
    for (const name of chain) if (name !== 'builtin') config.engines[name] = { type: 'test', options: {}, ...engines[name] };
    config.routes = new Map([[MODEL, chain]]);
  };
}

class Down implements Engine {
  runs = 0;
  constructor(readonly name: string, private readonly reason = 'ComfyUI refused the connection') {}
  status(): EngineStatus {
    return { ready: true };
  }
  async run(): Promise<EngineResult> {
    this.runs++;
    throw new EngineUnavailableError(this.reason);
  }
}

/** The built-in engine behind a gate, which records what each run was handed. */
class Held implements Engine {
  private readonly inner = new BuiltinEngine();
  private gate: (() => void) | undefined;
  private opened = new Promise<void>((resolve) => (this.gate = resolve));
  seen: { request: EditRequest; resume: unknown }[] = [];
  constructor(readonly name: string, private readonly onStart?: (ctx: EngineContext) => Promise<void>) {}
  async run(request: EditRequest, ctx: EngineContext): Promise<EngineResult> {
    this.seen.push({ request, resume: ctx.resume });
    await this.onStart?.(ctx);
    await Promise.race([
      this.opened,
      new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true })),
    ]);
    return this.inner.run(request, ctx);
  }
  open(): void {
    this.gate?.();
  }
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('engine routing through the server', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('falls back to the next engine with a warning, and the bodies name the engine that ran', async () => {
    const gpu = new Down('gpu');
    server = await startServer({ configure: routed(['gpu', 'builtin']), engines: { gpu } });
    const { request_id } = await (await server.submit(BODY)).json();
    const result = await server.waitForResult(request_id);
    expect(result).toMatchObject({ status: 'completed', engine: 'builtin' });
    expect(result.warnings[0]).toBe('The engine "gpu" could not run this request (ComfyUI refused the connection), so "builtin" did.');
    expect((await (await server.api(`/v1/requests/${request_id}/status`)).json()).engine).toBe('builtin');
    expect(gpu.runs).toBe(1);

    const models = await (await server.api('/v1/models', { key: null })).json();
    expect(models.models[0].engines).toEqual([
      { name: 'gpu', type: 'test' },
      { name: 'builtin', type: 'builtin' },
    ]);
  });

  it('fails with engine_unavailable, saying what each engine said, when no engine can run it', async () => {
    server = await startServer({
      configure: routed(['a', 'b']),
      engines: { a: new Down('a', 'it is not reachable'), b: new Down('b', 'its API key was refused') },
    });
    const { request_id } = await (await server.submit(BODY)).json();
    const result = await server.waitForResult(request_id);
    expect(result).toMatchObject({
      status: 'failed',
      error: { code: 'engine_unavailable', message: 'No engine could run this request. a: it is not reachable; b: its API key was refused' },
    });
    expect(result.engine).toBeUndefined();
  });

  it('/readyz reports each engine, and a model none of whose engines is ready', async () => {
    const gpu = new Down('gpu');
    gpu.status = () => ({ ready: false, reason: 'ComfyUI does not answer' });
    server = await startServer({ configure: routed(['gpu']), engines: { gpu } });
    const body = await until(
      async () => (await server!.api('/readyz', { key: null })).json(),
      (b: { checks: { workers: boolean } }) => b.checks.workers,
    );
    expect(body).toMatchObject({
      status: 'degraded',
      engines: { gpu: { ready: false, reason: 'ComfyUI does not answer', type: 'test' }, builtin: { ready: true, type: 'builtin' } },
      models: { [MODEL]: { engines: ['gpu'], ready: false } },
    });
    // Still accepted: it queues, and fails only when a worker finds no engine to run it.
    const submitted = await server.submit(BODY);
    expect(submitted.status).toBe(200);
    const result = await server.waitForResult((await submitted.json()).request_id);
    expect(result.error).toMatchObject({ code: 'engine_unavailable', message: 'No engine could run this request. gpu: not ready: ComfyUI does not answer' });
  });

  it('a worker claims no more than the engine can start: the second request waits in the queue', async () => {
    const gpu = new Held('gpu');
    server = await startServer({ configure: routed(['gpu'], { gpu: { maxConcurrency: 1 } }), engines: { gpu }, settings: { concurrency: '2' } });
    const first = (await (await server.submit(BODY)).json()).request_id;
    await until(async () => (await server!.api(`/v1/requests/${first}/status`)).json(), (s: { status: string }) => s.status === 'in_progress');
    const second = (await (await server.submit(BODY)).json()).request_id;
    await new Promise((r) => setTimeout(r, 700));
    expect(await (await server.api(`/v1/requests/${second}/status`)).json()).toMatchObject({ status: 'in_queue', queue_position: 0 });
    gpu.open();
    expect(await server.waitForResult(first)).toMatchObject({ status: 'completed', engine: 'gpu' });
    expect(await server.waitForResult(second)).toMatchObject({ status: 'completed', engine: 'gpu' });
    expect(gpu.seen.map((s) => s.request.id)).toEqual([first, second]);
  });

  it('an engine\'s checkpoint outlives its worker: the next attempt is handed it back', async () => {
    const dataDir = tempDir();
    const before = new Held('gpu', (ctx) => ctx.checkpoint({ job: 'upstream-42' }));
    server = await startServer({ dataDir, configure: routed(['gpu', 'builtin']), engines: { gpu: before } });
    const id = (await (await server.submit(BODY)).json()).request_id;
    const key = server.key;
    await until(async () => before.seen.length, (n) => n === 1);
    await new Promise((r) => setTimeout(r, 100));
    // Shutdown past its grace puts the running request back in the queue, as a dead worker's would be.
    await server.close();

    const after = new Held('gpu');
    after.open();
    server = await startServer({ dataDir, configure: routed(['gpu', 'builtin']), engines: { gpu: after } });
    const result = await until(
      async () => (await server!.api(`/v1/requests/${id}/result`, { key })).json(),
      (r: { status: string }) => r.status !== 'in_queue' && r.status !== 'in_progress',
    );
    expect(result).toMatchObject({ status: 'completed', engine: 'gpu' });
    expect(after.seen[0]!.resume).toEqual({ job: 'upstream-42' });
  });

  it('a run the engine lost goes back to the queue and is tried again under the attempt rules', async () => {
    let calls = 0;
    const inner = new BuiltinEngine();
    const flaky: Engine = {
      name: 'gpu',
      async run(request, ctx) {
        if (++calls === 1) throw new LostRunError('ComfyUI restarted during the run');
        return inner.run(request, ctx);
      },
    };
    server = await startServer({ configure: routed(['gpu']), engines: { gpu: flaky } });
    const id = (await (await server.submit(BODY)).json()).request_id;
    expect(await server.waitForResult(id, 30_000)).toMatchObject({ status: 'completed', engine: 'gpu' });
    expect(calls).toBe(2);
  });
});
