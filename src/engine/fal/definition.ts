/** `type: fal`: fal's queue for Seedream 4 edit (fal-ai/bytedance/seedream/v4/edit by default). */
import type { EngineTypeDefinition } from '../registry.js';
import { envOption, missingCredentials, UPSTREAM_TIMEOUT_MS, upstreamOptions } from '../upstream/options.js';

export const FAL_DEFAULTS = { baseUrl: 'https://queue.fal.run', model: 'fal-ai/bytedance/seedream/v4/edit', keyEnv: 'FAL_KEY' };

export const fal: EngineTypeDefinition = {
  summary: "fal's queue API (Seedream 4 edit by default), with the key from FAL_KEY",
  defaultTimeoutMs: UPSTREAM_TIMEOUT_MS,
  options: {
    ...upstreamOptions(FAL_DEFAULTS),
    api_key_env: envOption(FAL_DEFAULTS.keyEnv, 'the fal key'),
  },
  check: (options, { env }) => missingCredentials({ api_key_env: String(options.api_key_env ?? FAL_DEFAULTS.keyEnv) }, env),
  async create(name, options, deps) {
    const { FalEngine } = await import('./engine.js');
    return new FalEngine(name, options, deps);
  },
};
