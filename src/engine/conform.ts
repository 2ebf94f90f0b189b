/**
 * Brings an image an engine received from elsewhere (a ComfyUI graph, a provider) to what retouch
 * promises: exactly the requested size, as JPEG (or PNG when it has transparency), like the
 * built-in engine's outputs. A size change is reported in plain words for the request's warnings.
 */
import sharp, { type Metadata, type Sharp } from 'sharp';
import { EngineUnavailableError } from './errors.js';
import { thumbnailOf } from './thumbnail.js';
import type { OutputImage } from './types.js';

export const JPEG_QUALITY = 92;
/** Decoding bound for images from upstreams: the largest output size with room to spare. */
const MAX_INPUT_PIXELS = 8192 * 8192;

export interface Conformed {
  image: OutputImage;
  /** Set when the image had to be scaled or cropped. */
  warning?: string;
}

/**
 * @param source who made it, for the warning: `ComfyUI`, `Ark`.
 * @param options.thumbnail make its thumbnail too (lists show the first output's only)
 */
export async function conformImage(data: Buffer, width: number, height: number, source: string, options: { thumbnail?: boolean } = {}): Promise<Conformed> {
  let meta: Metadata;
  try {
    meta = await sharp(data, { limitInputPixels: MAX_INPUT_PIXELS }).metadata();
  } catch (err) {
    throw new EngineUnavailableError(`${source} returned an image that cannot be read`, { cause: err });
  }
  const alpha = meta.hasAlpha === true;
  const format: OutputImage['format'] = alpha ? 'png' : 'jpeg';
  const w = meta.autoOrient?.width ?? meta.width ?? 0;
  const h = meta.autoOrient?.height ?? meta.height ?? 0;
  const sameSize = w === width && h === height;
  // Already what a built-in output would be: kept byte for byte.
  if (sameSize && meta.format === format && (meta.orientation ?? 1) === 1) return { image: { data, format, width, height } };
  const decode = () => sharp(data, { limitInputPixels: MAX_INPUT_PIXELS }).autoOrient();
  if (!sameSize) {
    const cropped = Math.abs(w / h - width / height) > 0.01;
    const resized = decode().resize(width, height, { fit: 'cover', position: sharp.strategy.attention, kernel: 'lanczos3' });
    return {
      image: { data: await encode(resized, format), format, width, height },
      warning: `${source} made a ${w}x${h} image; it was ${cropped ? 'scaled and cropped' : 'scaled'} to the requested ${width}x${height}.`,
    };
  }
  // The thumbnail is made beside the output, from a decode of its own, on the other core; else the
  // worker decodes the output again after it (about 10 ms of a 1024x1024 request's critical path).
  // One decode into raw pixels shared by both measured slower: 29 ms against 23.
  if (!options.thumbnail) return { image: { data: await encode(decode(), format), format, width, height } };
  const [out, thumbnail] = await Promise.all([encode(decode(), format), thumbnailOf(decode())]);
  return { image: { data: out, format, width, height, thumbnail } };
}

function encode(pipeline: Sharp, format: OutputImage['format']): Promise<Buffer> {
  return format === 'png' ? pipeline.png({ compressionLevel: 6 }).toBuffer() : pipeline.jpeg({ quality: JPEG_QUALITY, chromaSubsampling: '4:4:4' }).toBuffer();
}
