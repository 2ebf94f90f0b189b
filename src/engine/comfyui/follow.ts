/**
 * Following one prompt to its end, as shared/protocols/comfyui.md §2 recommends: websocket events
 * are hints (progress, and a prompt to look now), /history/{id} is the truth. It answers `{}` until
 * the run ends, so while it is empty /queue tells a prompt that is waiting or running from one the
 * server lost (it restarted): the second is a LostRunError. Stopping a prompt: removed from the
 * queue if it waits, interrupted if it runs.
 */
import type { Logger } from 'pino';
import { LostRunError } from '../errors.js';
import { ComfyUnreachableError, type HistoryEntry, type SavedFile } from './client.js';
import type { ComfyServer } from './server.js';
import type { SocketMessage } from './socket.js';

export interface FollowOptions {
  signal: AbortSignal;
  pollMs: number;
  /** How long the server may stay unreachable before the run counts as lost; 0 rethrows at once. */
  unreachableGraceMs: number;
  /** The nodes ComfyUI will run, for progress; empty when unknown. */
  executed: readonly string[];
  progress(fraction: number): void;
  /** A node finished and saved these files (its `executed` message): a hint, /history has the truth. */
  saved?(node: string, files: SavedFile[]): void;
}

/** Events after which the history is (about to be) written. */
const ENDINGS = new Set(['execution_success', 'execution_error', 'execution_interrupted']);

export async function follow(server: ComfyServer, promptId: string, o: FollowOptions): Promise<HistoryEntry> {
  const progress = new ProgressTracker(o.executed, o.progress);
  let wake: (() => void) | undefined;
  let lookNow = false;
  const poke = () => {
    lookNow = true;
    wake?.();
  };
  const unwatch = server.watch(promptId, {
    event(message) {
      progress.see(message);
      if (message.type === 'executed' && o.saved) {
        const files = savedFiles(message.data.output);
        if (files.length) o.saved(String(message.data.node), files);
      }
      // `executing` with node null comes after the history is written: the one sure "done".
      if (ENDINGS.has(message.type) || (message.type === 'executing' && message.data.node === null)) poke();
    },
    resync: poke,
  });
  try {
    let downSince: number | undefined;
    for (;;) {
      if (!lookNow) await pause(o.pollMs, o.signal, (w) => (wake = w));
      wake = undefined;
      lookNow = false;
      o.signal.throwIfAborted();
      try {
        const entry = await server.client.history(promptId, o.signal);
        if (entry) return entry;
        const queue = await server.client.queue(o.signal);
        downSince = undefined;
        if (queue.running.includes(promptId) || queue.pending.includes(promptId)) continue;
        // It may have ended between the two calls.
        const late = await server.client.history(promptId, o.signal);
        if (late) return late;
        throw new LostRunError(`${server.label} no longer has the run (it restarted, or the prompt was removed there)`);
      } catch (err) {
        if (!(err instanceof ComfyUnreachableError)) throw err;
        downSince ??= Date.now();
        if (o.unreachableGraceMs <= 0) throw err;
        if (Date.now() - downSince >= o.unreachableGraceMs) throw new LostRunError(`${server.label} stopped answering during the run`);
      }
    }
  } finally {
    unwatch();
  }
}

/** The image files of an `executed` message's output, as far as they are well-formed. */
function savedFiles(output: unknown): SavedFile[] {
  const images = (output as { images?: unknown } | null)?.images;
  if (!Array.isArray(images)) return [];
  return images.filter(
    (f): f is SavedFile => typeof f?.filename === 'string' && typeof f.subfolder === 'string' && typeof f.type === 'string',
  );
}

/**
 * Sends the two calls that stop a prompt wherever it is. Both answer 200 whatever the state, and a
 * waiting prompt may start between them, so the delete goes first and the interrupt second.
 */
export async function stopPrompt(server: ComfyServer, promptId: string, log: Logger, timeoutMs: number): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    await server.client.deleteFromQueue(promptId, signal);
    await server.client.interrupt(promptId, signal);
    log.info({ prompt_id: promptId, server: server.index + 1 }, 'prompt removed from the ComfyUI queue or interrupted');
  } catch (err) {
    log.warn({ prompt_id: promptId, server: server.index + 1, reason: (err as Error).message }, 'could not stop the prompt in ComfyUI');
  }
}

/**
 * Checks that a stopped prompt is gone from the queue (an interrupt lands at the next node
 * boundary), repeating the calls if needed. Resolves true once it is gone.
 */
export async function confirmStopped(server: ComfyServer, promptId: string, log: Logger, o: { everyMs: number; attempts: number; timeoutMs: number }): Promise<boolean> {
  for (let i = 0; i < o.attempts; i++) {
    // Never what keeps a process from exiting.
    await new Promise((r) => setTimeout(r, o.everyMs).unref());
    try {
      const queue = await server.client.queue(AbortSignal.timeout(o.timeoutMs));
      if (!queue.running.includes(promptId) && !queue.pending.includes(promptId)) return true;
    } catch {
      continue;
    }
    await stopPrompt(server, promptId, log, o.timeoutMs);
  }
  log.warn({ prompt_id: promptId, server: server.index + 1 }, 'the prompt is still in ComfyUI after being stopped');
  return false;
}

/**
 * The share of the run done, from progress_state (each node running or finished, with its own
 * value/max), `progress` (a sampler's steps) and execution_cached (nodes that will not run).
 */
class ProgressTracker {
  private readonly done = new Map<string, number>();
  private current: string | undefined;
  private last = -1;

  constructor(private readonly nodes: readonly string[], private readonly report: (fraction: number) => void) {}

  see({ type, data }: SocketMessage): void {
    if (type === 'execution_cached' && Array.isArray(data.nodes)) for (const id of data.nodes) this.set(String(id), 1);
    else if (type === 'executing' && typeof data.node === 'string') this.current = data.node;
    else if (type === 'executed' && typeof data.node === 'string') this.set(data.node, 1);
    else if (type === 'progress') this.set(typeof data.node === 'string' ? data.node : this.current, ratio(data.value, data.max));
    else if (type === 'progress_state' && typeof data.nodes === 'object' && data.nodes !== null) {
      for (const [id, s] of Object.entries(data.nodes as Record<string, { state?: string; value?: unknown; max?: unknown }>)) {
        this.set(id, s.state === 'finished' ? 1 : ratio(s.value, s.max));
      }
    } else return;
    if (this.nodes.length === 0) return;
    const fraction = this.nodes.reduce((sum, id) => sum + (this.done.get(id) ?? 0), 0) / this.nodes.length;
    if (fraction > this.last) {
      this.last = fraction;
      this.report(fraction);
    }
  }

  private set(id: string | undefined, value: number): void {
    if (id !== undefined) this.done.set(id, Math.max(this.done.get(id) ?? 0, Math.min(1, value)));
  }
}

function ratio(value: unknown, max: unknown): number {
  return typeof value === 'number' && typeof max === 'number' && max > 0 ? value / max : 0;
}

/** Waits `ms`, or until woken; rejects with the signal's reason when it aborts. */
function pause(ms: number, signal: AbortSignal, register: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const finish = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(finish, ms);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    register(finish);
  });
}
