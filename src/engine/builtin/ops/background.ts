/** What is behind the subject: removed, replaced, or blurred as a portrait lens would. */
import sharp from 'sharp';
import { fitRaster } from '../fit.js';
import type { Raster } from '../raster.js';
import { toRaster } from '../raster.js';
import { harmonise, labStats } from './harmonise.js';
import { blend, featherMask, withAlpha, type Mask } from './mask.js';

/** The subject on transparency (fill 'transparent') or on a flat colour. */
export async function removeBackground(image: Raster, subject: Mask, fill: 'transparent' | string): Promise<Raster> {
  if (fill === 'transparent') return withAlpha(image, subject);
  const flat = await toRaster(sharp({ create: { width: image.width, height: image.height, channels: 3, background: fill } }));
  return blend(image, flat, subject);
}

/**
 * The subject in front of another picture, which covers the frame. The subject's colours move
 * towards the new background's (by `harmony`, 0..1) so that it looks lit by the same light.
 */
export async function replaceBackground(image: Raster, subject: Mask, background: Raster, harmony: number): Promise<Raster> {
  const behind = await fitRaster(background, image.width, image.height);
  const stats = labStats(behind);
  const front = stats ? harmonise(image, subject, stats, harmony) : image;
  const soft = await featherMask(subject, Math.max(0.6, Math.max(image.width, image.height) / 1500));
  return blend(front, behind, soft);
}

/**
 * Portrait mode. The background is blurred by normalised convolution (the blur of the background
 * alone divided by the blur of its mask), so the subject's colours do not bleed into it as a halo;
 * the sharp subject is then laid over it through its soft mask.
 */
export async function blurBackground(image: Raster, subject: Mask, steps: number): Promise<Raster> {
  const s = Math.min(4, Math.max(0, steps));
  if (s === 0) return image;
  const sigma = (Math.max(image.width, image.height) / 200) * (1 + s);
  const { width, height } = image;
  const n = width * height;
  const bgOnly = Buffer.alloc(n * 3);
  const weight = Buffer.alloc(n);
  for (let p = 0, i = 0, j = 0; p < n; p++, i += image.channels, j += 3) {
    const w = 255 - subject.data[p]!;
    weight[p] = w;
    bgOnly[j] = (image.data[i]! * w) / 255;
    bgOnly[j + 1] = (image.data[i + 1]! * w) / 255;
    bgOnly[j + 2] = (image.data[i + 2]! * w) / 255;
  }
  // Float output keeps the division exact where the background is thin.
  const [num, den] = await Promise.all([
    sharp(bgOnly, { raw: { width, height, channels: 3 } }).blur(sigma).raw({ depth: 'float' }).toBuffer(),
    sharp(weight, { raw: { width, height, channels: 1 } }).blur(sigma).toColourspace('b-w').raw({ depth: 'float' }).toBuffer(),
  ]);
  const nums = new Float32Array(num.buffer, num.byteOffset, n * 3);
  const dens = new Float32Array(den.buffer, den.byteOffset, n);
  const blurred = Buffer.alloc(n * image.channels);
  for (let p = 0, i = 0, j = 0; p < n; p++, i += image.channels, j += 3) {
    const d = dens[p]!;
    for (let ch = 0; ch < 3; ch++) {
      blurred[i + ch] = d > 1 ? Math.min(255, Math.round((nums[j + ch]! * 255) / d)) : image.data[i + ch]!;
    }
    if (image.channels === 4) blurred[i + 3] = image.data[i + 3]!;
  }
  const soft = await featherMask(subject, Math.max(0.8, Math.max(width, height) / 1200));
  return blend(image, { ...image, data: blurred }, soft);
}

