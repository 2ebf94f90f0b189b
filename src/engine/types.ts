import type { Logger } from 'pino';
import type { SourceImage } from '../inputs/types.js';

/** One edit request as an engine sees it: decoded-ready sources and the model's parameters. */
export interface EditRequest {
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
  /** Aborted when the request must stop (lease lost, shutdown past its grace period). */
  signal: AbortSignal;
  /** Fraction done, 0..1; shown by the status endpoint. */
  progress(fraction: number): void;
  log: Logger;
}

export interface OutputImage {
  data: Buffer;
  format: 'jpeg' | 'png';
  width: number;
  height: number;
}

/** An edit the engine applied, with the part of the prompt it came from. */
export interface AppliedEdit {
  kind: string;
  params: Record<string, unknown>;
  /** [start, end) character offsets into the prompt; absent for edits the engine chose itself. */
  span?: [number, number];
  text?: string;
}

export interface EngineResult {
  images: OutputImage[];
  edits: AppliedEdit[];
  /** What the prompt asked for that was not done, in plain words. */
  warnings: string[];
}

export interface Engine {
  readonly name: string;
  /** Loads models and warms caches; called once before the first run. */
  warmUp?(): Promise<void>;
  run(request: EditRequest, ctx: EngineContext): Promise<EngineResult>;
  /** Lets go of workers and models at shutdown. */
  close?(): Promise<void>;
}
