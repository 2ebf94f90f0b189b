/** `type: ark`: BytePlus / Volcengine Ark image generation (Seedream 4.0 and 4.5), with the key from ARK_API_KEY. */
import { Type } from 'typebox';
import type { EngineTypeDefinition } from '../registry.js';
import { envOption, missingCredentials, upstreamOptions } from '../upstream/options.js';

export const ARK_DEFAULTS = { baseUrl: 'https://ark.ap-southeast.bytepluses.com/api/v3', model: 'seedream-4-0-250828', keyEnv: 'ARK_API_KEY' };

export const ark: EngineTypeDefinition = {
  summary: 'Ark image generation (Seedream 4.0 by default; 4.5 too), streamed, with the key from ARK_API_KEY',
  options: {
    ...upstreamOptions(ARK_DEFAULTS),
    api_key_env: envOption(ARK_DEFAULTS.keyEnv, 'the Ark API key'),
    min_pixels: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'the fewest pixels the model makes (Seedream 4.5: 3686400, 4.0: 921600; found from the model id unless an endpoint id hides it)',
      }),
    ),
  },
  check: (options, { env }) => missingCredentials({ api_key_env: String(options.api_key_env ?? ARK_DEFAULTS.keyEnv) }, env),
  async create(name, options, deps) {
    const { ArkEngine } = await import('./engine.js');
    return new ArkEngine(name, options, deps);
  },
};
