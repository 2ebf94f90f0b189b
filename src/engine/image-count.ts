/**
 * How many images a request asks for, counted as the built-in engine counts them ("three
 * variations", "a set of 4"), so that every engine answers the same prompt with the same number:
 * 1 with force_single, otherwise what the prompt asks, at most 15 minus the references. Engines
 * that pass a count upstream (ComfyUI's batch_size, Ark's max_images) take it from here.
 */
import { interpretPrompt } from './builtin/prompt/index.js';
import type { EditRequest } from './types.js';

/** Images in and out of one request, together, as the model's provider allows. */
export const MAX_IMAGES_IN_AND_OUT = 15;

export function imagesAsked(request: Pick<EditRequest, 'prompt' | 'images' | 'forceSingle'>): number {
  if (request.forceSingle) return 1;
  return interpretPrompt(request.prompt, { imageCount: request.images.length, forceSingle: false }).count;
}
