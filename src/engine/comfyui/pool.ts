/**
 * The ComfyUI servers of one engine (`url`, or `urls` for a pool): a new request goes to the usable
 * server with the shortest queue (ComfyUI's own count, or the prompts this process sent there when
 * that is higher), ties shared in turn.
 */
import type { EngineStatus } from '../types.js';
import type { ComfyServer } from './server.js';

export class ComfyPool {
  constructor(readonly servers: readonly ComfyServer[]) {}

  /** The best usable server not in `tried`, marked as chosen; undefined when none is left. */
  pick(tried: ReadonlySet<ComfyServer> = new Set()): ComfyServer | undefined {
    const best = this.servers
      .filter((s) => s.usable && !tried.has(s))
      .sort((a, b) => a.load - b.load || a.lastPicked - b.lastPicked || a.index - b.index)[0];
    if (best) best.lastPicked = performance.now();
    return best;
  }

  byKey(key: unknown): ComfyServer | undefined {
    return this.servers.find((s) => s.key === key);
  }

  status(): EngineStatus {
    if (this.servers.some((s) => s.usable)) return { ready: true };
    const reasons = this.servers.map((s) => s.reason ?? `${s.label} is busy`);
    if (this.servers.length === 1) return { ready: false, reason: reasons[0] };
    return { ready: false, reason: `none of the ${this.servers.length} ComfyUI servers can run the workflow: ${reasons.join('; ')}` };
  }
}
