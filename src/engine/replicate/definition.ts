/** `type: replicate`: Replicate predictions (bytedance/seedream-4 by default). */
import { Type } from 'typebox';
import { Duration } from '../option-types.js';
import type { EngineTypeDefinition } from '../registry.js';
import { envOption, missingCredentials, UPSTREAM_TIMEOUT_MS, upstreamOptions } from '../upstream/options.js';

export const REPLICATE_DEFAULTS = { baseUrl: 'https://api.replicate.com/v1', model: 'bytedance/seedream-4', keyEnv: 'REPLICATE_API_TOKEN' };

export const replicate: EngineTypeDefinition = {
  summary: 'Replicate predictions (bytedance/seedream-4 by default), with the token from REPLICATE_API_TOKEN',
  defaultTimeoutMs: UPSTREAM_TIMEOUT_MS,
  options: {
    ...upstreamOptions(REPLICATE_DEFAULTS),
    api_key_env: envOption(REPLICATE_DEFAULTS.keyEnv, 'the Replicate API token'),
    // How long the create call may hold for a finished prediction (Prefer: wait), at most 60 s.
    wait: Type.Optional(Duration),
  },
  check: (options, { env }) => missingCredentials({ api_key_env: String(options.api_key_env ?? REPLICATE_DEFAULTS.keyEnv) }, env),
  async create(name, options, deps) {
    const { ReplicateEngine } = await import('./engine.js');
    return new ReplicateEngine(name, options, deps);
  },
};
