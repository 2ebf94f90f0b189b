import type { Raster } from '../raster.js';
import { gaussianBlur } from './blur.js';
import { fillHarmonic } from './membrane.js';
import type { Crop } from './mask.js';
import { SMOOTH, synthesise } from './texture.js';

/**
 * Filling erased glyphs from their surroundings, in two layers.
 *
 * Structure: a membrane (harmonic) fill (membrane.ts), which continues flat colours and gradients
 * exactly. On a flat colour or a gradient that is the whole fill.
 *
 * Texture, when the background around the hole has any: a smooth fill on wood, grass or film grain reads
 * as a smudge. The image minus a low-pass of the membrane-filled image is the texture layer, copied into
 * the hole from nearby background (texture.ts). The result is low-pass + copied texture, so a copy never
 * brings its own brightness or colour cast with it.
 *
 * Limits: structure crossing the text (a rim, a horizon, mortar lines) is continued smoothly by the
 * membrane and only approximately by the copies; a regular pattern like bricks shows where it broke.
 */

export interface InpaintRegion extends Crop {
  /** 1 = to fill. */
  hole: Uint8Array;
  /** 1 = never copy texture from here (other text), in addition to the hole. */
  avoid: Uint8Array;
  /** Height of the text, which sets the scale of the texture and of the search. */
  textHeight: number;
}

export function inpaint(image: Raster, r: InpaintRegion): void {
  const bounds = holeBounds(r.hole, r.width, r.height, Math.max(8, Math.round(0.5 * r.textHeight)));
  if (!bounds) return;
  // Structure, on the hole's bounds plus a margin: the membrane needs only a ring of context.
  const sub: Area = {
    ...bounds,
    planes: planesOf(image, r.x0 + bounds.x0, r.y0 + bounds.y0, bounds.w, bounds.h),
    known: new Uint8Array(bounds.w * bounds.h),
  };
  for (let y = 0; y < sub.h; y++) {
    for (let x = 0; x < sub.w; x++) sub.known[y * sub.w + x] = r.hole[(sub.y0 + y) * r.width + sub.x0 + x] ? 0 : 1;
  }
  const before = sub.planes.map((p) => p.slice());
  fillHarmonic(sub.planes, sub.known, sub.w, sub.h);

  // Is there texture to continue? The RMS of image − low-pass just around the hole. A flat colour or a
  // gradient stops here, with the membrane.
  if (edgeTexture(sub, before, Math.min(16, Math.max(1.5, 0.2 * r.textHeight)), r) < SMOOTH) {
    writeHole(image, r.x0 + sub.x0, r.y0 + sub.y0, sub.w, sub.h, sub.known, sub.planes);
    return;
  }

  // Texture: detail = image − low-pass of the filled image, copied cell by cell over the whole region.
  const { width: w, height: h } = r;
  const original = planesOf(image, r.x0, r.y0, w, h);
  const filled = original.map((p) => p.slice());
  for (let c = 0; c < 3; c++) paste(filled[c]!, w, sub.planes[c]!, sub);
  const source = new Uint8Array(w * h);
  for (let i = 0; i < source.length; i++) source[i] = !r.hole[i] && !r.avoid[i] ? 1 : 0;
  // The low-pass of the membrane-filled image (a fifth of the letter height) keeps the large structure,
  // continuous with the hole's edge, which a copy from elsewhere would get wrong (a saucer's rim, a
  // shadow: tried with a wider low-pass, copies put blotches of shadow into the rim); the copies bring
  // the finer texture.
  const sigma = Math.min(16, Math.max(1.5, 0.2 * r.textHeight));
  const low = filled.map((p) => gaussianBlur(p, w, h, sigma));
  const detail = original.map((p, c) => subtract(p, low[c]!, source));
  const texture = synthesise(r.hole, source, detail, low, w, h, r.textHeight);
  const result = low.map((l, c) => add(l, texture[c]!));
  const known = new Uint8Array(w * h);
  for (let i = 0; i < known.length; i++) known[i] = r.hole[i] ? 0 : 1;
  writeHole(image, r.x0, r.y0, w, h, known, result);
}

interface Area {
  x0: number;
  y0: number;
  w: number;
  h: number;
  planes: Float32Array[];
  known: Uint8Array;
}

function holeBounds(hole: Uint8Array, w: number, h: number, margin: number): { x0: number; y0: number; w: number; h: number } | undefined {
  let hx0 = w, hy0 = h, hx1 = -1, hy1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!hole[y * w + x]) continue;
      if (x < hx0) hx0 = x;
      if (y < hy0) hy0 = y;
      if (x > hx1) hx1 = x;
      if (y > hy1) hy1 = y;
    }
  }
  if (hx1 < 0) return undefined;
  const x0 = Math.max(0, hx0 - margin);
  const y0 = Math.max(0, hy0 - margin);
  return { x0, y0, w: Math.min(w, hx1 + margin + 1) - x0, h: Math.min(h, hy1 + margin + 1) - y0 };
}

/** RMS of (image − low-pass of the fill) over the known pixels touching the hole, other text left out. */
function edgeTexture(sub: Area, before: Float32Array[], sigma: number, r: InpaintRegion): number {
  const low = sub.planes.map((p) => gaussianBlur(p, sub.w, sub.h, sigma));
  const { w, h, known } = sub;
  let energy = 0;
  let count = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const k = y * w + x;
      if (!known[k] || r.avoid[(sub.y0 + y) * r.width + sub.x0 + x]) continue;
      if (!((x > 0 && !known[k - 1]) || (x < w - 1 && !known[k + 1]) || (y > 0 && !known[k - w]) || (y < h - 1 && !known[k + w]))) continue;
      for (let c = 0; c < 3; c++) energy += (before[c]![k]! - low[c]![k]!) ** 2;
      count += 3;
    }
  }
  return count > 0 ? Math.sqrt(energy / count) : 0;
}

function paste(into: Float32Array, intoWidth: number, from: Float32Array, at: { x0: number; y0: number; w: number; h: number }): void {
  for (let y = 0; y < at.h; y++) into.set(from.subarray(y * at.w, (y + 1) * at.w), (at.y0 + y) * intoWidth + at.x0);
}

function subtract(a: Float32Array, b: Float32Array, where: Uint8Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) if (where[i]) out[i] = a[i]! - b[i]!;
  return out;
}

function add(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + b[i]!;
  return out;
}

/** Writes the unknown pixels of a rectangle back to the image, rounded and clamped. */
function writeHole(image: Raster, x0: number, y0: number, w: number, h: number, known: Uint8Array, planes: Float32Array[]): void {
  const stride = image.channels;
  const [r, g, b] = planes as [Float32Array, Float32Array, Float32Array];
  const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));
  for (let y = 0; y < h; y++) {
    let o = ((y0 + y) * image.width + x0) * stride;
    for (let x = 0; x < w; x++, o += stride) {
      const k = y * w + x;
      if (known[k]) continue;
      image.data[o] = clamp(r[k]!);
      image.data[o + 1] = clamp(g[k]!);
      image.data[o + 2] = clamp(b[k]!);
    }
  }
}

/** Three float planes (R, G, B) of a rectangle of the image. */
function planesOf(image: Raster, x0: number, y0: number, w: number, h: number): Float32Array[] {
  const planes = [0, 1, 2].map(() => new Float32Array(w * h));
  const [r, g, b] = planes as [Float32Array, Float32Array, Float32Array];
  const stride = image.channels;
  for (let y = 0; y < h; y++) {
    let o = ((y0 + y) * image.width + x0) * stride;
    for (let x = 0; x < w; x++, o += stride) {
      const i = y * w + x;
      r[i] = image.data[o]!;
      g[i] = image.data[o + 1]!;
      b[i] = image.data[o + 2]!;
    }
  }
  return planes;
}
