import type { Raster } from '../raster.js';
import { percentile } from './binary.js';
import { frameOf, inflate, overlaps, pixelBounds, type OrientedBox } from './geometry.js';

/**
 * The background around a word, as a plane per channel (a flat colour or a linear gradient; on a photo,
 * the local average), fitted to a ring around the word box, three times with outliers dropped so that a
 * neighbouring graphic in the ring does not tint it. Other words are kept out of the ring.
 *
 * Each loop is its own small function: V8 optimises a small hot function quickly, while one large
 * function full of loops ran them unoptimised (10–50× slower, seen on 200k-pixel crops).
 */

/** The pixels around one word, copied out of the image as floats, RGB interleaved. */
export interface Patch {
  x0: number;
  y0: number;
  width: number;
  height: number;
  rgb: Float32Array;
}

export interface Plane {
  /** Per channel: value = c0 + c1·(x − cx) + c2·(y − cy), x and y pixel centres. */
  coef: number[][];
  cx: number;
  cy: number;
  /** Robust spread of the ring around the plane (RGB distance). */
  noise: number;
}

/** Region codes: inside the (inflated) word box, in the background ring, or neither. */
export const INSIDE = 1;
export const RING = 2;

export function patchAround(image: Raster, outer: OrientedBox): Patch | undefined {
  const b = pixelBounds(outer, image.width, image.height);
  const width = b.x1 - b.x0;
  const height = b.y1 - b.y0;
  if (width <= 2 || height <= 2) return undefined;
  const rgb = new Float32Array(width * height * 3);
  const stride = image.channels;
  const data = image.data;
  for (let y = 0; y < height; y++) {
    let o = ((b.y0 + y) * image.width + b.x0) * stride;
    let k = y * width * 3;
    for (let x = 0; x < width; x++, o += stride, k += 3) {
      rgb[k] = data[o]!;
      rgb[k + 1] = data[o + 1]!;
      rgb[k + 2] = data[o + 2]!;
    }
  }
  return { x0: b.x0, y0: b.y0, width, height, rgb };
}

/** INSIDE for pixels in `inner`, RING for those in `outer` but not `inner` nor in another word's box. */
export function regions(patch: Patch, inner: OrientedBox, outer: OrientedBox, avoid: readonly OrientedBox[]): Uint8Array {
  const { width: w, height: h } = patch;
  const region = new Uint8Array(w * h);
  const f = frameOf(inner);
  const c = Math.cos(f.angle);
  const s = Math.sin(f.angle);
  const iw = inner.width / 2;
  const ih = inner.height / 2;
  const ow = outer.width / 2;
  const oh = outer.height / 2;
  for (let y = 0; y < h; y++) {
    const dy = patch.y0 + y + 0.5 - f.oy;
    for (let x = 0; x < w; x++) {
      const dx = patch.x0 + x + 0.5 - f.ox;
      const u = Math.abs(dx * c + dy * s);
      const v = Math.abs(-dx * s + dy * c);
      if (u <= iw && v <= ih) region[y * w + x] = INSIDE;
      else if (u <= ow && v <= oh) region[y * w + x] = RING;
    }
  }
  for (const a of avoid) if (overlaps(a, outer)) clearRing(region, patch, inflate(a, 2));
  return region;
}

function clearRing(region: Uint8Array, patch: Patch, a: OrientedBox): void {
  const ca = Math.cos(a.angle);
  const sa = Math.sin(a.angle);
  const ab = pixelBounds(a, patch.x0 + patch.width, patch.y0 + patch.height);
  for (let y = Math.max(ab.y0, patch.y0); y < ab.y1; y++) {
    for (let x = Math.max(ab.x0, patch.x0); x < ab.x1; x++) {
      const i = (y - patch.y0) * patch.width + x - patch.x0;
      if (region[i] !== RING) continue;
      const dx = x + 0.5 - a.cx;
      const dy = y + 0.5 - a.cy;
      if (Math.abs(dx * ca + dy * sa) <= a.width / 2 && Math.abs(-dx * sa + dy * ca) <= a.height / 2) region[i] = 0;
    }
  }
}

/** At most this many ring pixels feed the fit: plenty for three numbers per channel. */
const MAX_RING_SAMPLES = 20000;

export function fitPlane(patch: Patch, region: Uint8Array, cx: number, cy: number): Plane | undefined {
  let total = 0;
  for (let i = 0; i < region.length; i++) if (region[i] === RING) total++;
  if (total < 20) return undefined;
  const every = Math.max(1, Math.ceil(total / MAX_RING_SAMPLES));
  // Samples as (x, y, r, g, b) rows, coordinates relative to (cx, cy).
  const rows: number[] = [];
  for (let i = 0, seen = 0; i < region.length; i++) {
    if (region[i] !== RING || seen++ % every !== 0) continue;
    const x = patch.x0 + (i % patch.width) + 0.5 - cx;
    const y = patch.y0 + Math.floor(i / patch.width) + 0.5 - cy;
    rows.push(x, y, patch.rgb[i * 3]!, patch.rgb[i * 3 + 1]!, patch.rgb[i * 3 + 2]!);
  }
  const samples = Float64Array.from(rows);
  const count = samples.length / 5;
  let keep = new Uint8Array(count).fill(1);
  let coef: number[][] = [];
  let noise = 0;
  const residual = new Float64Array(count);
  for (let pass = 0; pass < 3; pass++) {
    coef = [0, 1, 2].map((c) => solvePlane(samples, keep, c));
    residuals(samples, coef, residual);
    noise = 1.4826 * percentile(residual, 0.5);
    const limit = 3 * noise + 3;
    const next = new Uint8Array(count);
    let kept = 0;
    let before = 0;
    for (let k = 0; k < count; k++) {
      before += keep[k]!;
      if (residual[k]! <= limit) {
        next[k] = 1;
        kept++;
      }
    }
    if (kept < 20 || kept === before) break;
    keep = next;
  }
  return { coef, cx, cy, noise };
}

function residuals(samples: Float64Array, coef: number[][], out: Float64Array): void {
  const [r, g, b] = coef as [number[], number[], number[]];
  for (let k = 0, o = 0; k < out.length; k++, o += 5) {
    const x = samples[o]!;
    const y = samples[o + 1]!;
    const er = samples[o + 2]! - (r[0]! + r[1]! * x + r[2]! * y);
    const eg = samples[o + 3]! - (g[0]! + g[1]! * x + g[2]! * y);
    const eb = samples[o + 4]! - (b[0]! + b[1]! * x + b[2]! * y);
    out[k] = Math.sqrt(er * er + eg * eg + eb * eb);
  }
}

/** Least squares for v ≈ a + b·x + c·y over the kept samples, with a touch of ridge on the slopes for thin rings. */
function solvePlane(samples: Float64Array, keep: Uint8Array, channel: number): number[] {
  let n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0, sv = 0, sxv = 0, syv = 0;
  for (let k = 0, o = 0; k < keep.length; k++, o += 5) {
    if (!keep[k]) continue;
    const x = samples[o]!;
    const y = samples[o + 1]!;
    const v = samples[o + 2 + channel]!;
    n++;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
    syy += y * y;
    sv += v;
    sxv += x * v;
    syv += y * v;
  }
  const ridge = 1e-3 * n;
  const m = [
    [n, sx, sy],
    [sx, sxx + ridge, sxy],
    [sy, sxy, syy + ridge],
  ];
  return solve3(m, [sv, sxv, syv]) ?? [sv / n, 0, 0];
}

function solve3(m: number[][], r: number[]): number[] | undefined {
  const det = (a: number[][]) =>
    a[0]![0]! * (a[1]![1]! * a[2]![2]! - a[1]![2]! * a[2]![1]!) -
    a[0]![1]! * (a[1]![0]! * a[2]![2]! - a[1]![2]! * a[2]![0]!) +
    a[0]![2]! * (a[1]![0]! * a[2]![1]! - a[1]![1]! * a[2]![0]!);
  const d = det(m);
  if (!Number.isFinite(d) || Math.abs(d) < 1e-9) return undefined;
  return [0, 1, 2].map((k) => det(m.map((row, i) => row.map((v, j) => (j === k ? r[i]! : v)))) / d);
}

/** The plane's colour at every INSIDE pixel (RGB interleaved), and each one's distance from it. */
export function distanceFromPlane(patch: Patch, region: Uint8Array, plane: Plane): { bg: Float32Array; dist: Float32Array; max: number } {
  const { width: w, height: h, rgb } = patch;
  const bg = new Float32Array(w * h * 3);
  const dist = new Float32Array(w * h);
  const [r, g, b] = plane.coef as [number[], number[], number[]];
  let max = 0;
  for (let y = 0; y < h; y++) {
    const Y = patch.y0 + y + 0.5 - plane.cy;
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (region[i] !== INSIDE) continue;
      const X = patch.x0 + x + 0.5 - plane.cx;
      const k = i * 3;
      const vr = r[0]! + r[1]! * X + r[2]! * Y;
      const vg = g[0]! + g[1]! * X + g[2]! * Y;
      const vb = b[0]! + b[1]! * X + b[2]! * Y;
      bg[k] = vr;
      bg[k + 1] = vg;
      bg[k + 2] = vb;
      const d = Math.hypot(rgb[k]! - vr, rgb[k + 1]! - vg, rgb[k + 2]! - vb);
      dist[i] = d;
      if (d > max) max = d;
    }
  }
  return { bg, dist, max };
}
