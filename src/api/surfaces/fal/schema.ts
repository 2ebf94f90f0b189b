/**
 * fal's `fal-ai/bytedance/seedream/v4/edit` input, as fal's client types publish it, with the
 * model's own limits where retouch's are tighter (prompt ≤ 800 characters).
 */
import { Type, type Static } from 'typebox';
import { FAL_PRESETS } from '../shared/sizes.js';

export const FAL_ENDPOINT = 'fal-ai/bytedance/seedream/v4/edit';
/** Status, result and cancel paths name the app without the endpoint's sub-path, as fal's do. */
export const FAL_APP = 'fal-ai/bytedance';

export const ImageSize = Type.Object({
  width: Type.Integer({ minimum: 1, maximum: 14142 }),
  height: Type.Integer({ minimum: 1, maximum: 14142 }),
});

export const FalInput = Type.Object({
  prompt: Type.String({ minLength: 1, maxLength: 800 }),
  image_urls: Type.Array(Type.String({ format: 'image_uri' }), { minItems: 1, maxItems: 100 }),
  image_size: Type.Optional(
    Type.Union([Type.Enum([...Object.keys(FAL_PRESETS), 'auto', 'auto_2K', 'auto_4K'], { type: 'string' }), ImageSize]),
  ),
  num_images: Type.Optional(Type.Integer({ minimum: 1, maximum: 6 })),
  max_images: Type.Optional(Type.Integer({ minimum: 1, maximum: 6 })),
  seed: Type.Optional(Type.Integer()),
  sync_mode: Type.Optional(Type.Boolean()),
  enable_safety_checker: Type.Optional(Type.Boolean()),
  enhance_prompt_mode: Type.Optional(Type.Enum(['standard', 'fast'], { type: 'string' })),
});
export type FalInput = Static<typeof FalInput>;

export const FalSubmitQuery = Type.Object({
  fal_webhook: Type.Optional(Type.String({ format: 'webhook_uri' })),
});
