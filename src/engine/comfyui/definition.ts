/**
 * `type: comfyui`: edits run by a ComfyUI workflow on the operator's own GPUs. The options are
 * checked when the configuration is read, the workflow file included (it exists, it is API format,
 * its placeholders are known); the engine's code (HTTP, websocket, images) loads only when one is
 * built.
 */
import { Type } from 'typebox';
import { DURATION_PATTERN } from '../../units.js';
import type { EngineTypeDefinition } from '../registry.js';
import { DEFAULTS, readSettings } from './settings.js';
import { loadWorkflow, shippedWorkflows, WorkflowError } from './workflow.js';

const Url = Type.String({ pattern: '^[Hh][Tt][Tt][Pp][Ss]?://', description: 'an http:// or https:// URL' });
// registry.ts's Duration cannot be imported here: the registry imports this file.
const Duration = (what: string) =>
  Type.Optional(Type.Union([Type.String({ pattern: DURATION_PATTERN }), Type.Number({ minimum: 0 })], { description: `a duration such as 30s or 2m, or a number of seconds (${what})` }));

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
    request_timeout: Duration(`each call to ComfyUI; default ${DEFAULTS.requestTimeout}`),
    poll_interval: Duration(`how often a running prompt's history is read; default ${DEFAULTS.pollInterval}`),
    probe_interval: Duration(`how often each server is checked; default ${DEFAULTS.probeInterval}`),
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
