/** Routing a test server's model to ComfyUI engines (on fake ComfyUI servers), as a configuration file would. */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../src/config.js';
import type { FakeComfyUI } from '../fakes/comfyui/server.js';
import { ROOT, tempDir } from './paths.js';

export const MODEL = 'bytedance/dreamina-4-0/edit';

export interface ComfyEngineOptions {
  /** A shipped workflow's name or a file; the weightless one by default. */
  workflow?: string;
  /** The whole request's deadline on this engine, in ms. */
  timeoutMs?: number;
  /** Further options of the engine (snake_case, as in the file). */
  options?: Record<string, unknown>;
}

/**
 * Defines comfyui engines (name → its server or pool) and the model's chain. Polls and probes are
 * frequent, so that tests see changes quickly.
 */
export function viaComfy(engines: Record<string, FakeComfyUI | FakeComfyUI[] | string>, chain: string[], o: Record<string, ComfyEngineOptions> = {}) {
  return (config: Config) => {
    for (const [name, target] of Object.entries(engines)) {
      const where = Array.isArray(target) ? { urls: target.map((f) => f.url) } : { url: typeof target === 'string' ? target : target.url };
      const e = o[name] ?? {};
      config.engines[name] = {
        type: 'comfyui',
        timeoutMs: e.timeoutMs,
        options: { ...where, workflow: e.workflow ?? 'weightless-blend', poll_interval: '200ms', probe_interval: '1s', ...e.options },
      };
    }
    config.routes = new Map([[MODEL, chain]]);
  };
}

/** Writes a workflow (an API graph) to a file of its own and returns its path. */
export function workflowFile(graph: Record<string, unknown>, name = 'workflow.json'): string {
  const file = path.join(tempDir('retouch-workflow-'), name);
  fs.writeFileSync(file, JSON.stringify(graph));
  return file;
}

/** The weightless workflow, to derive variants from. */
export function weightless(): Record<string, any> {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'workflows/weightless-blend.json'), 'utf8'));
}
