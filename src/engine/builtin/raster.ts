import sharp, { type Sharp } from 'sharp';

/** Decoded pixels, 8 bits per channel, sRGB, row-major: the engine's working form between steps. */
export interface Raster {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
}

/** Every decode in the engine is bounded: the inputs were checked, but never trust twice-removed data. */
export const MAX_INPUT_PIXELS = 4096 * 4096 + 1;

/** A sharp pipeline reading the raster. */
export function fromRaster(r: Raster): Sharp {
  return sharp(r.data, { raw: { width: r.width, height: r.height, channels: r.channels } });
}

/** Runs a sharp pipeline to a raster (8-bit sRGB). */
export async function toRaster(image: Sharp): Promise<Raster> {
  const { data, info } = await image.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 && info.channels !== 4) throw new Error(`Unexpected channel count ${info.channels}`);
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** Decodes an encoded image upright (EXIF orientation applied) into a raster. */
export async function decode(data: Buffer, options: { flatten?: boolean } = {}): Promise<Raster> {
  let image = sharp(data, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' }).autoOrient().toColourspace('srgb');
  if (options.flatten) image = image.flatten({ background: '#ffffff' });
  return toRaster(image);
}

export async function extractRaster(r: Raster, box: { left: number; top: number; width: number; height: number }): Promise<Raster> {
  return toRaster(fromRaster(r).extract(box));
}
