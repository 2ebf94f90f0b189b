/**
 * One ComfyUI server as the engine sees it: its HTTP client, its websocket (events routed to the
 * runs that wait for them, by prompt id), and what the last probe learned: whether it answers, and
 * whether it has every node type, model file and option the workflow names. The engine never sends
 * a prompt to a server whose socket is not open, or that lacks something the workflow needs.
 */
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import { ComfyClient, ComfyHttpError, type NodeDefinition } from './client.js';
import { clean, missingModel, missingNodeType } from './messages.js';
import { ComfySocket, type SocketMessage } from './socket.js';
import type { Workflow } from './workflow.js';

/** How long each probe call may take: a probe must not hold up startup or readiness for long. */
const PROBE_TIMEOUT_MS = 5_000;
/**
 * A socket that just dropped is usually back within a second: a server stays usable that long (a
 * run waits for the socket before queueing), so that a blip sends no request to the next engine.
 */
export const SOCKET_GRACE_MS = 5_000;

export interface PromptWatcher {
  /** A websocket event about this prompt. */
  event(message: SocketMessage): void;
  /** The socket reopened or dropped: events may have been missed, read /history now. */
  resync(): void;
}

export class ComfyServer {
  readonly client: ComfyClient;
  /** Identifies the server in checkpoints without storing its URL (which may carry a token). */
  readonly key: string;
  /** "ComfyUI", or "ComfyUI server 2" in a pool: how messages name it. */
  readonly label: string;
  /** Prompts this process has running or queued here. */
  active = 0;
  /** When the pool last chose it, to share ties. */
  lastPicked = 0;
  /** ComfyUI's queue_remaining from its last status event (running and pending, every client's). */
  remoteQueue = 0;
  private readonly socket: ComfySocket;
  private probed = false;
  private up = false;
  private problem: string | undefined;
  private version: string | undefined;
  private readonly definitions = new Map<string, NodeDefinition | undefined>();
  private readonly watchers = new Map<string, Set<PromptWatcher>>();
  private probing: Promise<void> | undefined;

  constructor(
    url: string,
    readonly index: number,
    poolSize: number,
    clientId: string,
    options: { headers: Record<string, string>; timeoutMs: number },
    private readonly workflow: Workflow,
    private readonly log: Logger,
  ) {
    this.client = new ComfyClient({ url, headers: options.headers, timeoutMs: options.timeoutMs });
    this.key = crypto.createHash('sha256').update(url).digest('hex').slice(0, 16);
    this.label = poolSize > 1 ? `ComfyUI server ${index + 1}` : 'ComfyUI';
    this.socket = new ComfySocket(this.client.socketUrl(clientId), options.headers, log, {
      message: (m) => this.onMessage(m),
      open: () => {
        this.log.info({ server: this.index + 1 }, 'ComfyUI websocket open');
        this.resyncAll();
        if (!this.up) void this.probe();
      },
      close: () => {
        this.resyncAll();
        void this.probe();
      },
    });
  }

  /** Opens the socket and runs the first probe; never throws (a server that is down is reported, not fatal). */
  async start(): Promise<void> {
    this.socket.start();
    await this.probe();
    if (this.up) await this.socket.waitOpen(PROBE_TIMEOUT_MS);
  }

  close(): void {
    this.socket.close();
  }

  /** It answers, its socket is open, and it has what the workflow needs. */
  get usable(): boolean {
    return this.up && !this.problem && this.socket.downFor < SOCKET_GRACE_MS;
  }

  /** Why it is not usable, in plain words. */
  get reason(): string | undefined {
    if (!this.probed) return `${this.label} has not been checked yet`;
    if (this.problem) return this.problem;
    if (!this.up) return `${this.label} does not answer`;
    if (this.socket.downFor >= SOCKET_GRACE_MS) return `${this.label}'s websocket is not connected`;
    return undefined;
  }

  /** The load that decides where a new prompt goes: ComfyUI's queue, or ours when it has not said yet. */
  get load(): number {
    return Math.max(this.remoteQueue, this.active);
  }

  waitSocket(ms: number, signal: AbortSignal): Promise<boolean> {
    return this.socket.waitOpen(ms, signal);
  }

  /** A call failed: unusable until a probe, which starts now, says otherwise. */
  markDown(): void {
    this.up = false;
    void this.probe();
  }

  /** The inputs ComfyUI declares optional for a node type (known once a probe has read it). */
  optionalInputs(classType: string): ReadonlySet<string> | undefined {
    const def = this.definitions.get(classType);
    return def ? new Set(Object.keys(def.input.optional ?? {})) : undefined;
  }

  /** Follows one prompt's events until the returned function is called. */
  watch(promptId: string, watcher: PromptWatcher): () => void {
    let set = this.watchers.get(promptId);
    if (!set) this.watchers.set(promptId, (set = new Set()));
    set.add(watcher);
    return () => {
      set.delete(watcher);
      if (set.size === 0) this.watchers.delete(promptId);
    };
  }

  /**
   * /system_stats says it answers; /object_info/{type} for each node type of the workflow says it
   * has them (and their inputs' choices); /models/{folder} says it has the model files.
   * Concurrent calls share one probe.
   */
  probe(): Promise<void> {
    this.probing ??= this.runProbe().finally(() => (this.probing = undefined));
    return this.probing;
  }

  private async runProbe(): Promise<void> {
    const t = PROBE_TIMEOUT_MS;
    try {
      const stats = await this.client.systemStats(undefined, t);
      const version = stats.system?.comfyui_version;
      const defs = await Promise.all(this.workflow.classTypes.map(async (c) => [c, await this.client.objectInfo(c, undefined, t)] as const));
      for (const [c, def] of defs) this.definitions.set(c, def);
      const folders = [...new Set(this.workflow.models.flatMap((m) => (m.folder ? [m.folder] : [])))];
      const files = new Map(await Promise.all(folders.map(async (f) => [f, await this.client.models(f, undefined, t)] as const)));
      this.problem = this.missing(files);
      if (version !== this.version) this.log.info({ server: this.index + 1, comfyui_version: version }, 'ComfyUI answers');
      this.version = version;
      if (!this.up) this.socket.reconnectNow();
      this.up = true;
    } catch (err) {
      if (this.up || !this.probed) {
        this.log.warn({ server: this.index + 1, reason: (err as Error).message }, 'ComfyUI does not answer');
      }
      this.up = false;
      this.problem = err instanceof ComfyHttpError ? `${this.label} answered ${err.status} to ${err.route}${[401, 403].includes(err.status) ? "; check the engine's headers" : ''}` : undefined;
    } finally {
      this.probed = true;
    }
  }

  /** The first thing the workflow needs that this server lacks. */
  private missing(files: ReadonlyMap<string, string[] | undefined>): string | undefined {
    const { graph } = this.workflow;
    for (const c of this.workflow.classTypes) {
      if (!this.definitions.get(c)) return missingNodeType(this.label, c, Object.keys(graph).filter((id) => graph[id]!.class_type === c));
    }
    for (const m of this.workflow.models) {
      // A folder this ComfyUI does not have (an older name) leaves the node's own list of choices.
      const listed = (m.folder ? files.get(m.folder) : undefined) ?? choices(this.definitions.get(m.classType), m.input);
      if (listed && !listed.includes(m.file)) return missingModel(this.label, m.file, m.node, m.classType, m.folder);
    }
    // Every other fixed choice the graph makes (an upscale method, a sampler) must be one ComfyUI offers.
    for (const [id, node] of Object.entries(graph)) {
      for (const [input, value] of Object.entries(node.inputs)) {
        if (typeof value !== 'string' || value.startsWith('{{') || node.class_type === 'LoadImage') continue;
        const options = choices(this.definitions.get(node.class_type), input);
        if (options && !options.includes(value)) return `${this.label} does not offer ${clean(value)} for ${input} of node ${id} (${node.class_type})`;
      }
    }
    return undefined;
  }

  private onMessage(message: SocketMessage): void {
    if (message.type === 'status') {
      const remaining = (message.data.status as { exec_info?: { queue_remaining?: unknown } } | undefined)?.exec_info?.queue_remaining;
      if (typeof remaining === 'number') this.remoteQueue = remaining;
      return;
    }
    const id = message.data.prompt_id;
    if (typeof id !== 'string') return;
    for (const w of this.watchers.get(id) ?? []) w.event(message);
  }

  private resyncAll(): void {
    for (const set of this.watchers.values()) for (const w of set) w.resync();
  }
}

/** The options of a combo input, in either form /object_info uses; undefined for other inputs. */
function choices(def: NodeDefinition | undefined, input: string): unknown[] | undefined {
  const spec = def?.input.required?.[input] ?? def?.input.optional?.[input];
  if (!spec) return undefined;
  if (Array.isArray(spec[0])) return spec[0];
  if (spec[0] === 'COMBO' && Array.isArray(spec[1]?.options)) return spec[1].options as unknown[];
  return undefined;
}
