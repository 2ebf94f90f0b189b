/**
 * `type: runcomfy`: the hosted Model API of the seed itself (bytedance/dreamina-4-0/edit by
 * default); any server speaking that contract works, retouch included.
 */
import type { EngineTypeDefinition } from '../registry.js';
import { envOption, missingCredentials, UPSTREAM_TIMEOUT_MS, upstreamOptions } from '../upstream/options.js';

export const RUNCOMFY_DEFAULTS = { baseUrl: 'https://model-api.runcomfy.net', model: 'bytedance/dreamina-4-0/edit', keyEnv: 'RUNCOMFY_API_KEY' };

export const runcomfy: EngineTypeDefinition = {
  summary: 'the hosted Model API (or another retouch), with the token from RUNCOMFY_API_KEY',
  defaultTimeoutMs: UPSTREAM_TIMEOUT_MS,
  options: {
    ...upstreamOptions(RUNCOMFY_DEFAULTS),
    api_key_env: envOption(RUNCOMFY_DEFAULTS.keyEnv, 'the API token'),
  },
  check: (options, { env }) => missingCredentials({ api_key_env: String(options.api_key_env ?? RUNCOMFY_DEFAULTS.keyEnv) }, env),
  async create(name, options, deps) {
    const { RunComfyEngine } = await import('./engine.js');
    return new RunComfyEngine(name, options, deps);
  },
};
