/** `type: ark`: BytePlus / Volcengine Ark image generation (Seedream 4.0 and 4.5), with the key from ARK_API_KEY. */
import { Type } from 'typebox';
import { Duration } from '../option-types.js';
import type { EngineTypeDefinition } from '../registry.js';
import { envOption, missingCredentials, UPSTREAM_TIMEOUT_MS, upstreamOptions } from '../upstream/options.js';

/** How long Ark's event stream may stay silent when `stream_idle_timeout` does not say (one image takes under a minute). */
export const ARK_STREAM_IDLE_MS = 3 * 60_000;

export const ARK_DEFAULTS = { baseUrl: 'https://ark.ap-southeast.bytepluses.com/api/v3', model: 'seedream-4-0-250828', keyEnv: 'ARK_API_KEY' };

export const ark: EngineTypeDefinition = {
  summary: 'Ark image generation (Seedream 4.0 by default; 4.5 too), streamed, with the key from ARK_API_KEY',
  defaultTimeoutMs: UPSTREAM_TIMEOUT_MS,
  options: {
    ...upstreamOptions(ARK_DEFAULTS),
    api_key_env: envOption(ARK_DEFAULTS.keyEnv, 'the Ark API key'),
    min_pixels: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'the fewest pixels the model makes (Seedream 4.5: 3686400, 4.0: 921600; found from the model id unless an endpoint id hides it)',
      }),
    ),
    // Ark sends an event as each image is done: a silence this long means a stalled answer.
    stream_idle_timeout: Type.Optional(Duration),
  },
  check: (options, { env }) => missingCredentials({ api_key_env: String(options.api_key_env ?? ARK_DEFAULTS.keyEnv) }, env),
  async create(name, options, deps) {
    const { ArkEngine } = await import('./engine.js');
    return new ArkEngine(name, options, deps);
  },
};
