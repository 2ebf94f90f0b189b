/**
 * What a surface keeps with a request beside the model's input. A request made through the
 * Replicate, fal or OpenAI surface is an ordinary retouch request (same queue, engine, storage,
 * library); its stored input is the model's input plus one `surface` entry that the model ignores,
 * so that the surface can answer in its own terms later (its input as sent, the notes for its logs,
 * how many outputs the client takes) and the webhook dispatcher can sign as that provider does.
 */
import type { SizeChoice } from '../../../models/dreamina-4-0-edit.js';
import { SIZE_KEY } from '../../../models/dreamina-4-0-edit.js';
import { OUTPUT_SIZE_KEY } from '../../../models/output-size.js';

export type SurfaceName = 'replicate' | 'fal' | 'openai';

export const SURFACE_KEY = 'surface';

export interface SurfacePart {
  name: SurfaceName;
  /** What the client named: `bytedance/seedream-4`, `fal-ai/bytedance/seedream/v4/edit`, `seedream-4`. */
  endpoint: string;
  /** The client's input as it sent it, without the images (those are the request's `image_urls`). */
  input: Record<string, unknown>;
  /** What the translation could not honour exactly, in plain words, for the surface's logs. */
  notes: string[];
  /** The most images the client takes (max_images); further outputs are left out of its view. */
  maxImages?: number;
  /** Replicate's webhook_events_filter, when one was given. */
  webhookEvents?: string[];
  /** fal's sync_mode: the outputs are answered as data URIs. */
  dataUris?: boolean;
  /** fal: the seed to report back. */
  seed?: number;
}

/** The translation of a surface's input into the model's. */
export interface Translated {
  prompt: string;
  imageUrls: string[];
  size: { choice: SizeChoice; outputSize?: string | undefined };
  forceSingle: boolean;
  surface: SurfacePart;
}

/** The stored input: the model's fields, the exact size when there is one, and the surface part. */
export function storedInput(t: Translated): Record<string, unknown> {
  return {
    image_urls: t.imageUrls,
    prompt: t.prompt,
    [SIZE_KEY]: t.size.choice,
    force_single: t.forceSingle,
    ...(t.size.outputSize ? { [OUTPUT_SIZE_KEY]: t.size.outputSize } : {}),
    [SURFACE_KEY]: t.surface,
  };
}

/** The surface part of a stored input; undefined for requests made through retouch's own API. */
export function surfaceOf(input: unknown): SurfacePart | undefined {
  if (!input || typeof input !== 'object') return undefined;
  const part = (input as Record<string, unknown>)[SURFACE_KEY];
  if (!part || typeof part !== 'object') return undefined;
  const name = (part as SurfacePart).name;
  return name === 'replicate' || name === 'fal' || name === 'openai' ? (part as SurfacePart) : undefined;
}

/** The model fields every surface reads back: the prompt and where the images are. */
export function modelFieldsOf(input: unknown): { prompt: string; imageUrls: string[] } {
  const i = (input ?? {}) as { prompt?: unknown; image_urls?: unknown };
  return {
    prompt: typeof i.prompt === 'string' ? i.prompt : '',
    imageUrls: Array.isArray(i.image_urls) ? i.image_urls.filter((u): u is string => typeof u === 'string') : [],
  };
}
