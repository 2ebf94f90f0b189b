/**
 * The small picture lists show of a request's first output. Made once, when the request ends:
 * cheaper than resizing 6K images per page view. The worker makes it from the stored output, unless
 * the engine made it beside a conversion of its own (conform.ts).
 */
import type { Sharp } from 'sharp';

export const THUMBNAIL_SIZE = 384;

/** The thumbnail of an image, given as a sharp pipeline (which this ends). */
export function thumbnailOf(image: Sharp): Promise<Buffer> {
  return image
    .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside' })
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: 80 })
    .toBuffer();
}
