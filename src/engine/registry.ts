/**
 * The engine types the configuration file can name (`type: comfyui`, …): for each, the options it
 * takes (a TypeBox schema, checked when the file is read) and how to build one. Definitions stay
 * light: an engine's code is imported only when one of its type is built, so that reading a config
 * file (`retouch config check`, `retouch keys`) never loads a model or a client.
 */
import type { Logger } from 'pino';
import { Type, type TProperties } from 'typebox';
import type { DialHooks } from '../inputs/dial.js';
import type { FileStorage } from '../storage/types.js';
import { Duration } from './option-types.js';
import type { Engine } from './types.js';
import { ark } from './ark/definition.js';
import { comfyui } from './comfyui/definition.js';
import { fal } from './fal/definition.js';
import { jimeng } from './jimeng/definition.js';
import { replicate } from './replicate/definition.js';
import { runcomfy } from './runcomfy/definition.js';

/** What every engine type is given when it is built. */
export interface EngineBuildDeps {
  log: Logger;
  /** Relative paths in an engine's options (a workflow file) are relative to the config file's folder. */
  baseDir: string;
  /** Where credentials named in the options (`api_key_env`) are read from. */
  env: NodeJS.ProcessEnv;
  /** Upstream output URLs obey the image URLs' address rule unless this lifts it. */
  allowPrivateUrls: boolean;
  /** Tests pin where outgoing connections may go. */
  dialHooks?: DialHooks | undefined;
  /**
   * retouch's file storage, whose signed URLs live under --public-url: providers that take images
   * only by URL are given references from there.
   */
  storage?: FileStorage | undefined;
}

/** A problem with one engine's options that the schema cannot see (a missing file, an unset variable). */
export interface OptionProblem {
  /** Below `engines.<name>`, e.g. `workflow`. */
  key: string;
  message: string;
}

export interface EngineTypeDefinition {
  /** One line for `retouch config check` and the docs. */
  summary: string;
  /** The options beside the common ones (type, max_concurrency, timeout, cooldown). */
  options: TProperties;
  /** Runs at once per worker process when the file does not say; the worker's concurrency when absent. */
  defaultMaxConcurrency?: number;
  /** The `timeout` when the file does not say; none when absent. */
  defaultTimeoutMs?: number;
  /** Checks what needs the file system or the environment. */
  check?(options: Record<string, unknown>, at: { baseDir: string; env: NodeJS.ProcessEnv }): OptionProblem[];
  create(name: string, options: Record<string, unknown>, deps: EngineBuildDeps): Promise<Engine>;
}

export { Duration };

/** The options every engine takes, whatever its type. */
export const COMMON_OPTIONS = {
  type: Type.String({ description: 'an engine type' }),
  max_concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024, description: 'a whole number from 1 to 1024' })),
  timeout: Type.Optional(Duration),
  cooldown: Type.Optional(Duration),
} satisfies TProperties;

const builtin: EngineTypeDefinition = {
  summary: 'the CPU engine that ships with retouch (always defined as "builtin")',
  options: {},
  async create() {
    const { BuiltinEngine } = await import('./builtin/index.js');
    return new BuiltinEngine();
  },
};

export const ENGINE_TYPES: Readonly<Record<string, EngineTypeDefinition>> = {
  builtin,
  comfyui,
  jimeng,
  ark,
  runcomfy,
  fal,
  replicate,
};
