/**
 * `type: comfyui`: edits run by a ComfyUI workflow on the operator's own GPUs. The options are
 * checked when the configuration is read, the workflow file included (it exists, it is API format,
 * its placeholders are known); the engine's code (HTTP, websocket, images) loads only when one is
 * built.
 */
import { Type } from 'typebox';
import { Duration } from '../option-types.js';
import type { EngineTypeDefinition } from '../registry.js';
import { readSettings } from './settings.js';
import { loadWorkflow, shippedWorkflows, WorkflowError } from './workflow.js';

const Url = Type.String({ pattern: '^[Hh][Tt][Tt][Pp][Ss]?://', description: 'an http:// or https:// URL' });

export const comfyui: EngineTypeDefinition = {
  summary: 'runs edits with a ComfyUI workflow on your own GPUs (one server, or a pool)',
  options: {
    url: Type.Optional(Url),
    urls: Type.Optional(Type.Array(Url, { minItems: 1, description: 'a list of http:// or https:// URLs' })),
    workflow: Type.String({
      minLength: 1,
      description: `a workflow file in ComfyUI's API format, relative to the configuration file, or a shipped one by name (${shippedWorkflows().join(', ')})`,
    }),
    headers: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'a map of HTTP header names to values' })),
    headers_env: Type.Optional(
      Type.Record(Type.String(), Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), { description: 'a map of HTTP header names to environment variable names' }),
    ),
    // Defaults: settings.ts DEFAULTS.
    request_timeout: Type.Optional(Duration),
    poll_interval: Type.Optional(Duration),
    probe_interval: Type.Optional(Duration),
  },
  check(options, { baseDir, env }) {
    const { problems } = readSettings(options, env);
    try {
      loadWorkflow(String(options.workflow), baseDir);
    } catch (err) {
      if (!(err instanceof WorkflowError)) throw err;
      for (const message of err.problems) problems.push({ key: 'workflow', message });
    }
    return problems;
  },
  async create(name, options, deps) {
    const { settings, problems } = readSettings(options, deps.env);
    if (problems.length) throw new Error(`engine ${name}: ${problems.map((p) => `${p.key}: ${p.message}`).join('; ')}`);
    const workflow = loadWorkflow(settings.workflow, deps.baseDir);
    const { ComfyUIEngine } = await import('./engine.js');
    return new ComfyUIEngine(name, settings, workflow, deps.log);
  },
};
