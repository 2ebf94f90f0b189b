/**
 * Replicate's `bytedance/seedream-4` (version cf7d4319…): its input schema as Replicate publishes
 * it, with the model's own limits where retouch's are tighter (prompt ≤ 800 characters, at least one
 * and at most 10 images), and the prediction request around it.
 */
import { Type, type Static } from 'typebox';
import { RATIOS } from '../shared/sizes.js';

export const REPLICATE_MODEL = 'bytedance/seedream-4';
/** The version Replicate lists for bytedance/seedream-4; predictions report it. */
export const REPLICATE_VERSION = 'cf7d431991436f19d1c8dad83fe463c729c816d7a21056c5105e75c84a0aa7e9';

export const ReplicateInput = Type.Object({
  prompt: Type.String({ minLength: 1, maxLength: 800, description: 'Text prompt for image generation' }),
  image_input: Type.Optional(
    Type.Array(Type.String({ format: 'image_uri' }), { maxItems: 10, description: 'Input image(s): 1-10 URLs, data URIs or file URLs from POST /files.' }),
  ),
  size: Type.Optional(Type.Enum(['1K', '2K', '4K', 'custom'], { type: 'string' })),
  aspect_ratio: Type.Optional(Type.Enum(['match_input_image', ...RATIOS.filter((r) => r !== '9:21')], { type: 'string' })),
  width: Type.Optional(Type.Integer({ minimum: 1024, maximum: 4096 })),
  height: Type.Optional(Type.Integer({ minimum: 1024, maximum: 4096 })),
  sequential_image_generation: Type.Optional(Type.Enum(['disabled', 'auto'], { type: 'string' })),
  max_images: Type.Optional(Type.Integer({ minimum: 1, maximum: 15 })),
  enhance_prompt: Type.Optional(Type.Boolean()),
});
export type ReplicateInput = Static<typeof ReplicateInput>;

export const WEBHOOK_EVENTS = ['start', 'output', 'logs', 'completed'] as const;

const predictionFields = {
  input: ReplicateInput,
  webhook: Type.Optional(Type.String({ format: 'webhook_uri' })),
  webhook_events_filter: Type.Optional(Type.Array(Type.Enum([...WEBHOOK_EVENTS], { type: 'string' }), { maxItems: 4 })),
  stream: Type.Optional(Type.Boolean()),
};

export const ModelPredictionBody = Type.Object(predictionFields);
export const PredictionBody = Type.Object({ ...predictionFields, version: Type.String({ minLength: 1, maxLength: 200 }) });
export type PredictionBody = Static<typeof ModelPredictionBody> & { version?: string };

export const PredictionParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
