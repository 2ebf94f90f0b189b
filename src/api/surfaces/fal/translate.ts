/**
 * A fal `fal-ai/bytedance/seedream/v4/edit` input as a retouch request. `image_urls` stay (fal's
 * "only the last 10 are used"; a fal storage file URL is read from retouch's storage), image_size
 * becomes one of the model's sizes or an exact one (shared/sizes.ts), max_images becomes
 * force_single and the most outputs shown. num_images above 1 asks for separate generations, which
 * one retouch request is not: it is refused rather than quietly answered with fewer images.
 */
import { PublicError } from '../../../errors.js';
import type { SurfacePart, Translated } from '../shared/record.js';
import type { FieldProblem } from '../shared/scope.js';
import { falImageSize } from '../shared/sizes.js';
import { FAL_ENDPOINT, type FalInput } from './schema.js';

/** A 422 with fal's `detail` entry: `{loc, msg, type}` (the type travels as the entry's keyword). */
export class FalInputError extends PublicError {
  constructor(loc: (string | number)[], msg: string, type: string) {
    super(422, 422001, msg, [{ loc: ['body', ...loc], msg, keyword: type } as FieldProblem]);
  }
}

const MAX_INPUT_IMAGES = 10;
/** fal's rule for sets: "The total number of images (image inputs + image outputs) must not exceed 15". */
const MAX_TOTAL_IMAGES = 15;

export function translateFal(input: FalInput, imageUrls: string[], options: { priority?: string | undefined; lifecycle?: string | undefined } = {}): Translated {
  const notes: string[] = [];
  if ((input.num_images ?? 1) > 1) {
    throw new FalInputError(['num_images'], 'num_images: retouch runs one generation per request (at most 1); use max_images for a set, or submit again.', 'less_than_equal');
  }
  let images = imageUrls;
  if (images.length > MAX_INPUT_IMAGES) {
    notes.push(`image_urls: ${images.length} images were sent; as on fal, only the last ${MAX_INPUT_IMAGES} are used.`);
    images = images.slice(-MAX_INPUT_IMAGES);
  }
  const maxImages = input.max_images ?? 1;
  if (images.length + maxImages > MAX_TOTAL_IMAGES) {
    throw new FalInputError(['max_images'], `max_images: the total number of images (inputs + outputs) must not exceed ${MAX_TOTAL_IMAGES}.`, 'less_than_equal');
  }
  const size = falImageSize(input.image_size);
  if ('problem' in size) throw new FalInputError(['image_size'], `image_size: ${size.problem}`, 'value_error');

  if (input.seed !== undefined) notes.push(`seed ${input.seed} is reported back but not used: retouch's engines take no seed (the built-in one is deterministic).`);
  if (input.enable_safety_checker === true) notes.push('enable_safety_checker: retouch runs no safety checker.');
  if (input.enhance_prompt_mode !== undefined) notes.push(`enhance_prompt_mode ${input.enhance_prompt_mode}: retouch does not rewrite prompts; the prompt is used as written.`);
  if (input.sync_mode) notes.push("sync_mode: the images are answered as data URIs, and also kept in retouch's library until --retention.");
  if (options.priority && options.priority !== 'normal') notes.push(`X-Fal-Queue-Priority ${options.priority.slice(0, 20)}: retouch's queue is first in, first out.`);
  if (options.lifecycle) notes.push("X-Fal-Object-Lifecycle-Preference: outputs are kept for retouch's --retention, and their URLs expire after --url-ttl.");

  const { image_urls: _images, ...rest } = input;
  const surface: SurfacePart = {
    name: 'fal',
    endpoint: FAL_ENDPOINT,
    input: rest,
    notes,
    maxImages,
    ...(input.sync_mode ? { dataUris: true } : {}),
    ...(input.seed !== undefined ? { seed: input.seed } : {}),
  };
  return { prompt: input.prompt, imageUrls: images, size, forceSingle: maxImages === 1, surface };
}
