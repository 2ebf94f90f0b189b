/**
 * Structure-aware fitting of one image to an exact output size. When the aspect ratios are close,
 * the image covers the frame and the crop keeps what matters (a focus point such as the subject's
 * centre, or libvips' attention strategy). When they are far apart, cropping would throw away too
 * much, so the whole image is kept and the canvas around it is extended with content that
 * continues it: its own edges mirrored outwards and blurred, blended in over a soft seam.
 */
import sharp, { type Sharp } from 'sharp';
import { fromRaster, toRaster, type Raster } from './raster.js';

/** Cover when at most this share of the image's area would be cropped away. */
export const MAX_CROP_LOSS = 0.2;

export interface FitOptions {
  /** Where the important content is, as fractions of width and height (0..1). */
  focus?: { x: number; y: number } | undefined;
}

export function cropLoss(width: number, height: number, targetWidth: number, targetHeight: number): number {
  const a = width / height;
  const b = targetWidth / targetHeight;
  return 1 - Math.min(a, b) / Math.max(a, b);
}

export async function fitRaster(src: Raster, width: number, height: number, options: FitOptions = {}): Promise<Raster> {
  if (src.width === width && src.height === height) return src;
  return cropLoss(src.width, src.height, width, height) <= MAX_CROP_LOSS
    ? cover(src, width, height, options.focus)
    : extendCanvas(src, width, height);
}

/** Lanczos resampling; when enlarging, a sharpening that grows with the factor restores crispness. */
function resized(src: Raster, width: number, height: number): Sharp {
  const factor = Math.max(width / src.width, height / src.height);
  return sharpenedFor(fromRaster(src).resize(width, height, { fit: 'fill', kernel: 'lanczos3' }), factor);
}

/**
 * A 3x3 unsharp kernel whose strength follows the enlargement. libvips' sigma-based sharpen works
 * in Lab and costs over a second at 6K; this costs a tenth of that and is enough to undo the
 * softness of Lanczos at these factors.
 */
function sharpenedFor(image: Sharp, factor: number): Sharp {
  if (factor <= 1.15) return image;
  const k = Math.min(0.1 + 0.04 * factor, 0.35);
  return image.convolve({ width: 3, height: 3, kernel: [0, -k, 0, -k, 1 + 4 * k, -k, 0, -k, 0] });
}

async function cover(src: Raster, width: number, height: number, focus: FitOptions['focus']): Promise<Raster> {
  if (!focus) {
    const image = fromRaster(src).resize(width, height, { fit: 'cover', position: sharp.strategy.attention, kernel: 'lanczos3' });
    return toRaster(sharpenedFor(image, Math.max(width / src.width, height / src.height)));
  }
  const scale = Math.max(width / src.width, height / src.height);
  const w = Math.max(width, Math.round(src.width * scale));
  const h = Math.max(height, Math.round(src.height * scale));
  const left = clamp(Math.round(focus.x * w - width / 2), 0, w - width);
  const top = clamp(Math.round(focus.y * h - height / 2), 0, h - height);
  const big = await toRaster(resized(src, w, h));
  return toRaster(fromRaster(big).extract({ left, top, width, height }));
}

/**
 * The whole image, as large as fits (or `scale` times its size), centred on a `width`×`height`
 * canvas whose rest continues the image. A transparent image (a cut-out subject) is centred on
 * transparency instead: there is no background to continue.
 */
export async function extendCanvas(src: Raster, width: number, height: number, scale = Math.min(width / src.width, height / src.height)): Promise<Raster> {
  const w = Math.min(width, Math.max(1, Math.round(src.width * scale)));
  const h = Math.min(height, Math.max(1, Math.round(src.height * scale)));
  const left = Math.floor((width - w) / 2);
  const top = Math.floor((height - h) / 2);
  if (src.channels === 4) {
    return toRaster(
      resized(src, w, h).extend({ left, top, right: width - w - left, bottom: height - h - top, background: { r: 0, g: 0, b: 0, alpha: 0 } }),
    );
  }
  const [fitted, surround] = await Promise.all([
    toRaster(resized(src, w, h).removeAlpha()),
    surroundFor(src, { width, height, w, h, left, top }),
  ]);
  const feather = Math.max(2, Math.round(Math.min(w, h) * 0.015));
  const alpha = featheredAlpha(w, h, feather, { horizontal: w < width, vertical: h < height });
  const overlay = await fromRaster(fitted).joinChannel(alpha, { raw: { width: w, height: h, channels: 1 } }).raw().toBuffer();
  const composed = fromRaster(surround).composite([{ input: overlay, raw: { width: w, height: h, channels: 4 }, left, top }]);
  return toRaster(composed.removeAlpha());
}

interface Layout {
  width: number;
  height: number;
  w: number;
  h: number;
  left: number;
  top: number;
}

/**
 * The canvas around the image: its edges mirrored outwards for a band (so that textures and
 * gradients continue), then the border colours carried on to the frame, all blurred so that it
 * reads as out-of-focus continuation rather than as a copy. Worked at low resolution: a heavy blur
 * needs no detail, and it costs a few milliseconds there instead of seconds at 6K.
 */
async function surroundFor(src: Raster, l: Layout): Promise<Raster> {
  const k = Math.min(1, SURROUND_WORK_SIDE / Math.max(l.width, l.height));
  const sw = Math.max(1, Math.round(l.w * k));
  const sh = Math.max(1, Math.round(l.h * k));
  const frameW = Math.max(sw, Math.round(l.width * k));
  const frameH = Math.max(sh, Math.round(l.height * k));
  const sLeft = Math.round(l.left * k);
  const sTop = Math.round(l.top * k);
  // Mirror at most a tenth of the image outwards: further out, a mirror would show recognisable
  // copies (a second face); the border colours carry on instead.
  const band = (room: number, size: number) => Math.min(room, Math.round(size * 0.1));
  const mirror = {
    left: band(sLeft, sw),
    right: band(frameW - sw - sLeft, sw),
    top: band(sTop, sh),
    bottom: band(frameH - sh - sTop, sh),
  };
  const small = await toRaster(
    fromRaster(src).resize(sw, sh, { fit: 'fill' }).removeAlpha().extend({ ...mirror, extendWith: 'mirror' }),
  );
  const rest = {
    left: sLeft - mirror.left,
    top: sTop - mirror.top,
    right: frameW - small.width - (sLeft - mirror.left),
    bottom: frameH - small.height - (sTop - mirror.top),
  };
  const sigma = Math.max(2, Math.max(frameW, frameH) / 30);
  const blurred = await toRaster(fromRaster(small).extend({ ...rest, extendWith: 'copy' }).blur(sigma).linear(0.92, 0));
  return toRaster(fromRaster(blurred).resize(l.width, l.height, { fit: 'fill', kernel: 'cubic' }));
}

const SURROUND_WORK_SIDE = 768;

/** An alpha channel fading to transparent over `feather` pixels on the sides that were extended. */
function featheredAlpha(w: number, h: number, feather: number, sides: { horizontal: boolean; vertical: boolean }): Buffer {
  const alpha = Buffer.alloc(w * h, 255);
  const ramp = (d: number) => (d >= feather ? 1 : (d + 0.5) / feather);
  for (let y = 0; y < h; y++) {
    const fy = sides.vertical ? ramp(Math.min(y, h - 1 - y)) : 1;
    const nearX = sides.horizontal ? feather : 0;
    if (fy === 1 && nearX === 0) continue;
    for (let x = 0; x < w; x++) {
      if (fy === 1 && x >= nearX && x < w - nearX) {
        x = w - nearX - 1;
        continue;
      }
      const fx = sides.horizontal ? ramp(Math.min(x, w - 1 - x)) : 1;
      alpha[y * w + x] = Math.round(255 * fx * fy);
    }
  }
  return alpha;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
