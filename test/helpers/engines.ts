/** Engines for tests that need to hold a request in progress, or make one fail on cue. */
import { BuiltinEngine } from '../../src/engine/builtin/index.js';
import type { EditRequest, Engine, EngineContext, EngineResult } from '../../src/engine/types.js';

/** Runs the built-in engine only when a test opens the gate; until then requests stay in_progress. */
export class GatedEngine implements Engine {
  readonly name = 'gated';
  private readonly inner = new BuiltinEngine();
  private waiters: (() => void)[] = [];
  private open = false;
  /** How many runs have started (and are waiting, when the gate is shut). */
  started = 0;

  async run(request: EditRequest, ctx: EngineContext): Promise<EngineResult> {
    this.started++;
    if (!this.open) {
      await new Promise<void>((resolve, reject) => {
        this.waiters.push(resolve);
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
      });
    }
    return this.inner.run(request, ctx);
  }

  release(): void {
    this.open = true;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Shuts the gate again: runs from now on wait for the next release(). */
  hold(): void {
    this.open = false;
  }
}

/** Throws an unexpected (non-public) error, as a bug in an engine would. */
export class BrokenEngine implements Engine {
  readonly name = 'broken';
  async run(): Promise<EngineResult> {
    throw new Error('secret internal detail: segfault in module X');
  }
}
