import type { TSchema } from 'typebox';
import type { EditRequest } from '../engine/types.js';
import type { SourceImage } from '../inputs/types.js';

/** The rules every reference image obeys, as the seed states them; the fetcher enforces them. */
export interface ImageRules {
  maxBytes: number;
  maxSide: number;
  minAspect: number;
  maxAspect: number;
}

/** A model of the catalogue: what it accepts, and how a request for it becomes engine work. */
export interface ModelDefinition<Input = Record<string, unknown>> {
  /** With slashes, as in the route: `bytedance/dreamina-4-0/edit`. */
  id: string;
  title: string;
  summary: string;
  /** Catalogue categories, as the hosted service files the model ("image-to-image"). */
  categories: string[];
  /** JSON Schema of the body (TypeBox): validation, types and the OpenAPI document at once. */
  input: TSchema;
  imageRules: ImageRules;
  imageUrls(input: Input): string[];
  /** The engine's request, but for the id, which the worker adds. */
  toEditRequest(input: Input, images: SourceImage[]): Omit<EditRequest, 'id'>;
}
