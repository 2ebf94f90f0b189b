/**
 * Output sizes beyond the schema's 11 choices. Requests that arrive through another API's surface
 * (Replicate, fal, OpenAI) may ask for an exact size the model does not list (a portrait 3:4, fal's
 * 960x960 floor, OpenAI's 1536x1024), or for "the size that matches the input image", which only
 * the worker can decide once it has read the image. They carry it in the stored input as
 * `output_size`: one size ("1536x1024"), or several separated by "|", meaning the one whose aspect
 * ratio is nearest the first reference image's. The engine then makes exactly that size (its fit
 * step crops or extends the canvas). The field is not part of the public schema: the API drops it
 * from native bodies, so only a surface's translation can set it.
 */
import type { SourceImage } from '../inputs/types.js';

export const OUTPUT_SIZE_KEY = 'output_size';

export interface Size {
  width: number;
  height: number;
}

/** What the engine is asked to make at most: the area of the largest listed size (4096x4096). */
export const MAX_OUTPUT_PIXELS = 4096 * 4096;
export const MIN_OUTPUT_SIDE = 64;
export const MAX_OUTPUT_ASPECT = 16;

/** Why a size cannot be made, or undefined when it can. */
export function outputSizeProblem({ width, height }: Size): string | undefined {
  if (!Number.isInteger(width) || !Number.isInteger(height)) return 'width and height must be whole numbers';
  if (width < MIN_OUTPUT_SIDE || height < MIN_OUTPUT_SIDE) return `width and height must be at least ${MIN_OUTPUT_SIDE}`;
  if (width * height > MAX_OUTPUT_PIXELS) return `width × height must be at most ${MAX_OUTPUT_PIXELS} pixels (4096x4096)`;
  if (Math.max(width / height, height / width) > MAX_OUTPUT_ASPECT) return `the aspect ratio must be within [1/${MAX_OUTPUT_ASPECT}, ${MAX_OUTPUT_ASPECT}]`;
  return undefined;
}

export function formatOutputSize(candidates: readonly Size[]): string {
  return candidates.map((s) => `${s.width}x${s.height}`).join('|');
}

/** The candidates of an `output_size` value; throws on anything a translation could not have made. */
export function parseOutputSize(value: string): Size[] {
  const parts = value.split('|');
  if (parts.length > 32) throw new Error(`${OUTPUT_SIZE_KEY} lists too many sizes`);
  return parts.map((part) => {
    const m = /^(\d{1,5})x(\d{1,5})$/.exec(part);
    if (!m) throw new Error(`${OUTPUT_SIZE_KEY} holds an invalid size: ${JSON.stringify(part.slice(0, 20))}`);
    const size = { width: Number(m[1]), height: Number(m[2]) };
    const problem = outputSizeProblem(size);
    if (problem) throw new Error(`${OUTPUT_SIZE_KEY} ${part}: ${problem}`);
    return size;
  });
}

/** How far apart two aspect ratios are, symmetric for landscape and portrait. */
export function aspectDistance(a: Size, b: Size): number {
  return Math.abs(Math.log(a.width / a.height) - Math.log(b.width / b.height));
}

/** The candidate nearest in aspect ratio to `target` (the first on a tie, so the order is a preference). */
export function nearestByAspect<T extends Size>(candidates: readonly T[], target: Size): T {
  let best = candidates[0]!;
  for (const c of candidates) if (aspectDistance(c, target) < aspectDistance(best, target) - 1e-9) best = c;
  return best;
}

/** The size to make for an `output_size` value, given the reference images as the worker read them. */
export function resolveOutputSize(value: string, images: readonly SourceImage[]): Size {
  const candidates = parseOutputSize(value);
  const first = images[0];
  return candidates.length === 1 || !first ? candidates[0]! : nearestByAspect(candidates, first);
}
