/**
 * A Replicate `bytedance/seedream-4` input as a retouch request. `image_input` becomes `image_urls`
 * (a file URL of the files API is read from retouch's storage); size, aspect_ratio, width and height
 * become one of the model's sizes or an exact size (shared/sizes.ts); sequential_image_generation
 * with max_images becomes force_single and the most outputs shown. What has no equivalent is noted
 * in the prediction's logs.
 */
import { PublicError } from '../../../errors.js';
import type { SurfacePart, Translated } from '../shared/record.js';
import { replicateSize } from '../shared/sizes.js';
import { REPLICATE_MODEL, type ReplicateInput } from './schema.js';

export class ReplicateInputError extends PublicError {
  constructor(path: (string | number)[], msg: string) {
    super(422, 422001, msg, [{ loc: ['body', 'input', ...path], msg }]);
  }
}

/** Replicate's rule for sets: "Total images (input + generated) cannot exceed 15". */
const MAX_TOTAL_IMAGES = 15;

export function translateReplicate(
  input: ReplicateInput,
  /** Where the worker reads each image: a files-API URL becomes a storage URL; others stay. */
  imageUrls: string[],
  options: { endpoint?: string; webhookEvents?: string[] | undefined } = {},
): Translated {
  if (imageUrls.length === 0) throw new ReplicateInputError(['image_input'], 'input.image_input must list at least one image: retouch edits images (1-10).');
  const sets = input.sequential_image_generation === 'auto';
  const maxImages = sets ? (input.max_images ?? 1) : 1;
  if (sets && imageUrls.length + maxImages > MAX_TOTAL_IMAGES) {
    throw new ReplicateInputError(['max_images'], `input.max_images: total images (input + generated) cannot exceed ${MAX_TOTAL_IMAGES} (${imageUrls.length} inputs and max_images ${maxImages}).`);
  }
  const notes: string[] = [];
  if (input.enhance_prompt === true) notes.push('enhance_prompt: retouch does not rewrite prompts; the prompt is used as written.');
  if (input.size !== 'custom' && (input.width !== undefined || input.height !== undefined)) {
    notes.push(`width and height are only used with size "custom" (size is ${input.size ?? '2K'}), as on Replicate.`);
  }
  const { image_input: _images, ...rest } = input;
  const surface: SurfacePart = {
    name: 'replicate',
    endpoint: options.endpoint ?? REPLICATE_MODEL,
    input: rest,
    notes,
    maxImages,
    ...(options.webhookEvents ? { webhookEvents: options.webhookEvents } : {}),
  };
  return { prompt: input.prompt, imageUrls, size: replicateSize(input), forceSingle: maxImages === 1, surface };
}
