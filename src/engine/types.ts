import type { Logger } from 'pino';
import type { SourceImage } from '../inputs/types.js';

/** One edit request as an engine sees it: decoded-ready sources and the model's parameters. */
export interface EditRequest {
  /**
   * The retouch request id. Engines derive what must be stable across attempts from it: a seed, so
   * that a rerun is reproducible; file names and upstream idempotency keys, so that runs never mix.
   */
  id: string;
  /** The reference images, in the order of `image_urls`, already checked against the seed's rules. */
  images: SourceImage[];
  prompt: string;
  /** The exact output size (from `width×height`). */
  width: number;
  height: number;
  /** Strength of the prompt, 0..1; 0.5 is the nominal edit. */
  scale: number;
  forceSingle: boolean;
}

export interface EngineContext {
  /** Aborted when the request must stop (lease lost, shutdown past its grace, the engine's timeout). */
  signal: AbortSignal;
  /** Fraction done, 0..1; shown by the status endpoint. */
  progress(fraction: number): void;
  log: Logger;
  /**
   * What this engine checkpointed on an earlier attempt of the same request (an upstream job
   * handle), when the worker that made it died; the engine follows that job instead of paying for a
   * second one. Undefined on a first attempt.
   */
  resume?: unknown;
  /**
   * Keeps a small JSON value with the request before the engine waits on something outside
   * retouch (an upstream job id), so that `resume` hands it back if this worker dies. Resolves once
   * it is stored; rejects when the request is no longer this worker's.
   */
  checkpoint(state: unknown): Promise<void>;
  /**
   * When the engine's timeout ends (ms since epoch), if it has one: an engine waiting to retry
   * (a provider's Retry-After) gives up at once rather than be aborted mid-wait.
   */
  deadline?: number | undefined;
}

export interface OutputImage {
  data: Buffer;
  format: 'jpeg' | 'png';
  width: number;
  height: number;
  /** Its thumbnail (thumbnail.ts), when the engine made it beside its conversion; else the worker makes it. */
  thumbnail?: Buffer;
}

/** An edit the engine applied, with the part of the prompt it came from. */
export interface AppliedEdit {
  kind: string;
  params: Record<string, unknown>;
  /** [start, end) character offsets into the prompt; absent for edits the engine chose itself. */
  span?: [number, number];
  text?: string;
}

/**
 * Figures an upstream reported for one request, kept with it for the account's usage: tokens, cost
 * (with its currency in `currency`), images billed. Numbers only, so that they can be summed.
 */
export type EngineUsage = Record<string, number | string>;

export interface EngineResult {
  images: OutputImage[];
  edits: AppliedEdit[];
  /** What the prompt asked for that was not done, or done differently, in plain words. */
  warnings: string[];
  usage?: EngineUsage;
  /**
   * What the operator may want to know and the client must not see (the provider's job id, its
   * output links without their tokens): stored with the result, never put in a response body.
   */
  metadata?: Record<string, unknown>;
}

/** Whether an engine can take work, as /readyz and the router see it. */
export interface EngineStatus {
  ready: boolean;
  /** Why not, in plain words (never a URL or a secret). */
  reason?: string;
}

export interface Engine {
  /** The operator's name for it in the configuration (`gpu`), or `builtin`. */
  readonly name: string;
  /** Loads models, connects, warms caches; called once before the first run. */
  warmUp?(): Promise<void>;
  run(request: EditRequest, ctx: EngineContext): Promise<EngineResult>;
  /** Cheap and synchronous: what the engine last learned of its backend. Absent means always ready. */
  status?(): EngineStatus;
  /**
   * Cancels the upstream job an earlier attempt checkpointed (`state`), when its request was
   * cancelled while back in the queue; best effort, resolves whatever the provider answers.
   */
  cancel?(state: unknown): Promise<void>;
  /** Lets go of workers, sockets and models at shutdown. */
  close?(): Promise<void>;
}
