/** `type: jimeng`: Volcengine's visual API for Jimeng 4.0 (req_key jimeng_t2i_v40), signed with an access key pair. */
import type { EngineTypeDefinition } from '../registry.js';
import { envOption, missingCredentials, UPSTREAM_TIMEOUT_MS, upstreamOptions } from '../upstream/options.js';

export const JIMENG_DEFAULTS = {
  baseUrl: 'https://visual.volcengineapi.com',
  model: 'jimeng_t2i_v40',
  accessKeyEnv: 'VOLC_ACCESSKEY',
  secretKeyEnv: 'VOLC_SECRETKEY',
};

const keyVars = (options: Record<string, unknown>) => ({
  access_key_env: String(options.access_key_env ?? JIMENG_DEFAULTS.accessKeyEnv),
  secret_key_env: String(options.secret_key_env ?? JIMENG_DEFAULTS.secretKeyEnv),
});

export const jimeng: EngineTypeDefinition = {
  summary: "Volcengine's Jimeng 4.0 visual API, signed with the key pair from VOLC_ACCESSKEY and VOLC_SECRETKEY",
  defaultTimeoutMs: UPSTREAM_TIMEOUT_MS,
  options: {
    ...upstreamOptions(JIMENG_DEFAULTS),
    access_key_env: envOption(JIMENG_DEFAULTS.accessKeyEnv, 'the access key id'),
    secret_key_env: envOption(JIMENG_DEFAULTS.secretKeyEnv, 'the secret access key'),
  },
  check: (options, { env }) => missingCredentials(keyVars(options), env),
  async create(name, options, deps) {
    const { JimengEngine } = await import('./engine.js');
    const vars = keyVars(options);
    return new JimengEngine(name, options, deps, vars);
  },
};
