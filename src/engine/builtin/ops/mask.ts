/** Working with subject masks (1 channel, 0..255, 255 = subject) beside the rasters they belong to. */
import sharp, { type Sharp } from 'sharp';
import type { Raster } from '../raster.js';
import { fromRaster, toRaster } from '../raster.js';

export interface Mask {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The smallest box holding every pixel at or above `threshold`; undefined when there is none. */
export function boundingBox(m: Mask, threshold = 128): Box | undefined {
  let minX = m.width;
  let minY = m.height;
  let maxX = -1;
  let maxY = -1;
  for (let y = 0; y < m.height; y++) {
    const row = y * m.width;
    for (let x = 0; x < m.width; x++) {
      if (m.data[row + x]! >= threshold) {
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
      }
    }
  }
  return maxX < 0 ? undefined : { left: minX, top: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
}

/** The subject's centre of mass as fractions of width and height. */
export function centroid(m: Mask): { x: number; y: number } | undefined {
  let sum = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < m.height; y++) {
    for (let x = 0; x < m.width; x++) {
      const v = m.data[y * m.width + x]!;
      if (v < 128) continue;
      sum += v;
      sx += v * x;
      sy += v * y;
    }
  }
  return sum === 0 ? undefined : { x: sx / sum / m.width, y: sy / sum / m.height };
}

/** Share of the mask that is subject. */
export function coverage(m: Mask): number {
  let n = 0;
  for (const v of m.data) if (v >= 128) n++;
  return n / m.data.length;
}

/** A sharp pipeline reading the mask. */
export function maskPipeline(m: Mask): Sharp {
  return sharp(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength), { raw: { width: m.width, height: m.height, channels: 1 } });
}

/**
 * Runs a pipeline to a mask. sharp writes one-band raw input back out as three sRGB bands unless
 * told that it is grey: without this, a mask comes back three times too long, read as stripes.
 */
export async function toMask(s: Sharp): Promise<Mask> {
  const { data, info } = await s.toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new Error(`a mask came back with ${info.channels} channels`);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export async function resizeMask(m: Mask, width: number, height: number): Promise<Mask> {
  if (m.width === width && m.height === height) return m;
  return toMask(maskPipeline(m).resize(width, height, { fit: 'fill', kernel: 'lanczos3' }));
}

export async function extractMask(m: Mask, box: Box): Promise<Mask> {
  return toMask(maskPipeline(m).extract(box));
}

/** Softens the mask's edge by `sigma` pixels, so that a cut-out blends instead of showing a seam. */
export async function featherMask(m: Mask, sigma: number): Promise<Mask> {
  if (sigma < 0.3) return m;
  return toMask(maskPipeline(m).blur(sigma));
}

/** The raster with the mask as its alpha (multiplied into any alpha it had). */
export async function withAlpha(r: Raster, m: Mask): Promise<Raster> {
  const alpha = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
  const rgb = r.channels === 4 ? await toRaster(fromRaster(r).removeAlpha()) : r;
  return toRaster(fromRaster(rgb).joinChannel(alpha, { raw: { width: m.width, height: m.height, channels: 1 } }));
}

/** out = a·mask + b·(1 − mask), per pixel; a and b are the same size, RGB. */
export function blend(a: Raster, b: Raster, m: Mask): Raster {
  const n = a.channels;
  const out = Buffer.alloc(a.data.length);
  for (let p = 0, i = 0; p < m.data.length; p++, i += n) {
    const t = m.data[p]! / 255;
    for (let c = 0; c < n; c++) out[i + c] = Math.round(a.data[i + c]! * t + b.data[i + c]! * (1 - t));
  }
  return { ...a, data: out };
}

/**
 * Keeps the main subject: connected regions of the mask (found on a small copy) smaller than a tenth
 * of the largest are dropped. A salient-object model also lights up stray bits (a reflection, a
 * corner of a poster) that would otherwise be cut out, placed or cropped to with the subject.
 */
export async function keepMainRegions(m: Mask, minShare = 0.1): Promise<Mask> {
  const k = Math.min(1, 256 / Math.max(m.width, m.height));
  const w = Math.max(1, Math.round(m.width * k));
  const h = Math.max(1, Math.round(m.height * k));
  const small = await resizeMask(m, w, h);
  const label = new Int32Array(w * h);
  const areas: number[] = [0];
  const stack: number[] = [];
  for (let start = 0; start < w * h; start++) {
    if (label[start] || small.data[start]! < 128) continue;
    const id = areas.length;
    let area = 0;
    label[start] = id;
    stack.push(start);
    while (stack.length) {
      const p = stack.pop()!;
      area++;
      const x = p % w;
      const y = (p - x) / w;
      const visit = (q: number) => {
        if (!label[q] && small.data[q]! >= 128) {
          label[q] = id;
          stack.push(q);
        }
      };
      if (x > 0) visit(p - 1);
      if (x < w - 1) visit(p + 1);
      if (y > 0) visit(p - w);
      if (y < h - 1) visit(p + w);
    }
    areas.push(area);
  }
  const largest = Math.max(...areas);
  if (largest === 0 || areas.every((a) => a === 0 || a >= largest * minShare)) return m;
  // What to drop, at full size: a small region's pixels (and its soft edge) go to zero.
  const drop = new Uint8Array(w * h);
  for (let p = 0; p < w * h; p++) if (label[p] && areas[label[p]!]! < largest * minShare) drop[p] = 255;
  const dropFull = await toMask(maskPipeline({ width: w, height: h, data: drop }).resize(m.width, m.height, { fit: 'fill', kernel: 'nearest' }).dilate(2));
  const data = new Uint8Array(m.data.length);
  for (let i = 0; i < data.length; i++) data[i] = dropFull.data[i]! > 0 ? 0 : m.data[i]!;
  return { ...m, data };
}

/** The subject's box without its outliers: `trim` of the mask's weight is ignored on each side. */
export function robustBox(m: Mask, trim = 0.005): Box | undefined {
  const cols = new Float64Array(m.width);
  const rows = new Float64Array(m.height);
  let total = 0;
  for (let y = 0; y < m.height; y++) {
    for (let x = 0; x < m.width; x++) {
      const v = m.data[y * m.width + x]!;
      if (v < 128) continue;
      cols[x]! += v;
      rows[y]! += v;
      total += v;
    }
  }
  if (total === 0) return undefined;
  const range = (hist: Float64Array): [number, number] => {
    let acc = 0;
    let lo = 0;
    while (lo < hist.length - 1 && (acc += hist[lo]!) < total * trim) lo++;
    acc = 0;
    let hi = hist.length - 1;
    while (hi > lo && (acc += hist[hi]!) < total * trim) hi--;
    return [lo, hi];
  };
  const [left, right] = range(cols);
  const [top, bottom] = range(rows);
  return { left, top, width: right - left + 1, height: bottom - top + 1 };
}
