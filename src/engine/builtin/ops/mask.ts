/** Working with subject masks (1 channel, 0..255, 255 = subject) beside the rasters they belong to. */
import sharp, { type Sharp } from 'sharp';
import type { Raster } from '../raster.js';
import { fromRaster, toRaster } from '../raster.js';
import { dilate } from '../text/binary.js';

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
 *
 * Only the boxes of the dropped regions are touched at full size (each pixel takes the small copy's
 * nearest cell, then 2 px of growth to take the region's soft edge too): stray bits are small, and a
 * pass over the whole mask cost 20–30 ms of a fusion for a few hundred pixels. (That pass grew the
 * drop with sharp's dilate, which shrinks white shapes: it kept the soft edges of dropped regions and
 * every region thinner than 5 px.)
 */
export async function keepMainRegions(m: Mask, minShare = 0.1): Promise<Mask> {
  const k = Math.min(1, 256 / Math.max(m.width, m.height));
  const w = Math.max(1, Math.round(m.width * k));
  const h = Math.max(1, Math.round(m.height * k));
  const small = await resizeMask(m, w, h);
  const { label, areas } = regions(small);
  const largest = areas.reduce((a, b) => Math.max(a, b), 0);
  const dropped = areas.map((a) => a > 0 && a < largest * minShare);
  if (!dropped.includes(true)) return m;

  // Each dropped region's box on the small grid.
  const boxes = areas.map(() => ({ x0: w, y0: h, x1: -1, y1: -1 }));
  for (let p = 0; p < w * h; p++) {
    const id = label[p]!;
    if (!dropped[id]) continue;
    const b = boxes[id]!;
    const x = p % w;
    const y = (p - x) / w;
    if (x < b.x0) b.x0 = x;
    if (x > b.x1) b.x1 = x;
    if (y < b.y0) b.y0 = y;
    if (y > b.y1) b.y1 = y;
  }
  const data = new Uint8Array(m.data);
  const { width: W, height: H } = m;
  const GROW = 2;
  const cellOf = (v: number, full: number, part: number) => Math.min(part - 1, Math.floor(((v + 0.5) * part) / full));
  boxes.forEach((b, id) => {
    if (!dropped[id]) return;
    // The full-size pixels whose nearest cell is in the box, and GROW around them.
    const left = Math.max(0, Math.floor((b.x0 * W) / w) - GROW - 1);
    const right = Math.min(W - 1, Math.ceil(((b.x1 + 1) * W) / w) + GROW);
    const top = Math.max(0, Math.floor((b.y0 * H) / h) - GROW - 1);
    const bottom = Math.min(H - 1, Math.ceil(((b.y1 + 1) * H) / h) + GROW);
    const bw = right - left + 1;
    const bh = bottom - top + 1;
    // In the region (nearest cell), then grown by GROW.
    const inRegion = new Uint8Array(bw * bh);
    const cols = new Int32Array(bw);
    for (let x = 0; x < bw; x++) cols[x] = cellOf(left + x, W, w);
    for (let y = 0; y < bh; y++) {
      const row = cellOf(top + y, H, h) * w;
      for (let x = 0; x < bw; x++) if (label[row + cols[x]!] === id) inRegion[y * bw + x] = 1;
    }
    // A chamfer distance of GROW·√2 (and a little for float32 sums) is the (2·GROW + 1)² square.
    const grown = dilate(inRegion, bw, bh, GROW * Math.SQRT2 + 0.01);
    for (let y = 0; y < bh; y++) {
      for (let x = 0; x < bw; x++) if (grown[y * bw + x]) data[(top + y) * W + left + x] = 0;
    }
  });
  return { ...m, data };
}

/** 4-connected regions of the mask at or above 128: a label per pixel (0: none) and each label's area. */
function regions(m: Mask): { label: Int32Array; areas: number[] } {
  const { width: w, height: h, data } = m;
  const label = new Int32Array(w * h);
  const areas: number[] = [0];
  const stack = new Int32Array(w * h);
  for (let start = 0; start < w * h; start++) {
    if (label[start] || data[start]! < 128) continue;
    const id = areas.length;
    let area = 0;
    let top = 0;
    label[start] = id;
    stack[top++] = start;
    while (top > 0) {
      const p = stack[--top]!;
      area++;
      const x = p % w;
      if (x > 0 && !label[p - 1] && data[p - 1]! >= 128) (label[p - 1] = id), (stack[top++] = p - 1);
      if (x < w - 1 && !label[p + 1] && data[p + 1]! >= 128) (label[p + 1] = id), (stack[top++] = p + 1);
      if (p >= w && !label[p - w] && data[p - w]! >= 128) (label[p - w] = id), (stack[top++] = p - w);
      if (p + w < w * h && !label[p + w] && data[p + w]! >= 128) (label[p + w] = id), (stack[top++] = p + w);
    }
    areas.push(area);
  }
  return { label, areas };
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
