/**
 * Tone and colour edits on a raster, each a pure function of the raster and its strength. The
 * strengths arrive already multiplied by scale/0.5 (see prompt/types.ts for the units) and are
 * clamped here to what still looks like a photo.
 *
 * Per-channel curves (brightness, exposure, contrast, warmth, tint, fading) are folded into one
 * lookup table per channel and applied in a single pass; colour mixing (saturation, grey, sepia) is
 * one 3x3 matrix. Both are exact and monotonic, so a stronger edit always moves further.
 */
import type { Raster } from '../raster.js';
import { fromRaster, toRaster } from '../raster.js';

/** One step of a tone edit is a 15 % change (the interpreter's unit). */
const STEP = 0.15;

export const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

const toLinear = (v: number) => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
};
const toSrgb = (l: number) => {
  const c = l <= 0.0031308 ? l * 12.92 : 1.055 * l ** (1 / 2.4) - 0.055;
  return clamp(c * 255, 0, 255);
};

/** A per-channel curve: input level (0..255) to output level, for R, G and B. */
export type Curve = (v: number, channel: 0 | 1 | 2) => number;

export interface CurveEdits {
  /** Steps; + brighter. Lifts mid-tones along a gamma curve, keeping black and white. */
  brightness?: number;
  /** Stops (EV), in linear light. */
  exposure?: number;
  /** Steps; + more contrast, an S-curve around mid-grey. */
  contrast?: number;
  /** Steps; + warmer (more red, less blue). */
  warmth?: number;
  /** Steps; + magenta (less green), − green. */
  tint?: number;
  /** 0..1: raised blacks and lowered whites of faded film. */
  fade?: number;
}

/** Folds the curve edits into one function of (level, channel). */
export function curveFor(e: CurveEdits): Curve {
  const brightness = clamp(e.brightness ?? 0, -4, 4);
  // gamma < 1 brightens: each step moves mid-grey by about 15 % of its level.
  const gamma = Math.exp(-Math.log(1 + STEP) * brightness * 1.25);
  const gain = 2 ** clamp(e.exposure ?? 0, -3, 3);
  const contrast = clamp(e.contrast ?? 0, -4, 4);
  // The curve's steepness at mid-grey; never flat, however much contrast is taken away.
  const k = Math.max(0.35, 1 + STEP * contrast * 1.6);
  const warmth = clamp(e.warmth ?? 0, -4, 4);
  const tint = clamp(e.tint ?? 0, -4, 4);
  const channelGain: [number, number, number] = [
    1 + 0.06 * warmth + 0.02 * tint,
    1 - 0.045 * tint,
    1 - 0.08 * warmth + 0.02 * tint,
  ];
  const fade = clamp(e.fade ?? 0, 0, 1);
  return (v, ch) => {
    let x = v;
    if (gain !== 1) x = toSrgb(toLinear(x) * gain);
    if (gamma !== 1) x = 255 * (x / 255) ** gamma;
    if (contrast !== 0) x = sCurve(x / 255, k) * 255;
    x *= channelGain[ch];
    if (fade > 0) x = 18 * fade + x * (1 - (18 + 14) * fade / 255);
    return clamp(x, 0, 255);
  };
}

/** Contrast around mid-grey that never clips: steeper than the identity for k > 1, flatter below. */
function sCurve(t: number, k: number): number {
  if (k === 1) return t;
  const p = t ** k;
  return p / (p + (1 - t) ** k);
}

/** Applies a curve to every pixel through a 256-entry table per channel; alpha is left alone. */
export function applyCurve(r: Raster, curve: Curve): Raster {
  const tables = [0, 1, 2].map((ch) => {
    const t = new Uint8Array(256);
    for (let v = 0; v < 256; v++) t[v] = Math.round(curve(v, ch as 0 | 1 | 2));
    return t;
  }) as [Uint8Array, Uint8Array, Uint8Array];
  const out = Buffer.from(r.data);
  const n = r.channels;
  const [t0, t1, t2] = tables;
  for (let i = 0; i < out.length; i += n) {
    out[i] = t0[out[i]!]!;
    out[i + 1] = t1[out[i + 1]!]!;
    out[i + 2] = t2[out[i + 2]!]!;
  }
  return { ...r, data: out };
}

/** Rec. 709 luma weights, as used for grey. */
const LUMA = [0.2126, 0.7152, 0.0722] as const;

export interface MatrixEdits {
  /** Steps; + more colourful, − muted. */
  saturation?: number;
  /** 0..1 of the way to black and white. */
  grayscale?: number;
  /** 0..1 of the way to sepia. */
  sepia?: number;
}

type Matrix = [[number, number, number], [number, number, number], [number, number, number]];

export function matrixFor(e: MatrixEdits): Matrix | undefined {
  const sat = clamp(1 + STEP * 1.4 * (e.saturation ?? 0), 0, 2.2);
  const grey = clamp(e.grayscale ?? 0, 0, 1);
  const sepia = clamp(e.sepia ?? 0, 0, 1);
  if (sat === 1 && grey === 0 && sepia === 0) return undefined;
  const s = sat * (1 - grey);
  let m: Matrix = [0, 1, 2].map((row) => [0, 1, 2].map((col) => (row === col ? s : 0) + (1 - s) * LUMA[col]!)) as Matrix;
  if (sepia > 0) {
    const SEPIA: Matrix = [
      [0.393, 0.769, 0.189],
      [0.349, 0.686, 0.168],
      [0.272, 0.534, 0.131],
    ];
    m = m.map((row, i) => row.map((v, j) => v * (1 - sepia) + SEPIA[i]![j]! * sepia)) as Matrix;
  }
  return m;
}

export async function applyMatrix(r: Raster, m: Matrix): Promise<Raster> {
  return toRaster(fromRaster(r).recomb(m));
}

/** Darkens (amount > 0) or lightens the edges with a smooth radial falloff. */
export function applyVignette(r: Raster, amount: number): Raster {
  const a = clamp(amount, -3, 3) * 0.22;
  if (a === 0) return r;
  const { width: w, height: h, channels: n } = r;
  const out = Buffer.from(r.data);
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  // Normalised so that the corners are at distance 1 whatever the aspect.
  const inv = 1 / Math.hypot(cx, cy);
  const rowFactor = new Float32Array(w);
  for (let y = 0; y < h; y++) {
    const dy = (y - cy) * inv;
    for (let x = 0; x < w; x++) {
      const d2 = ((x - cx) * inv) ** 2 + dy * dy;
      // No change in the middle third; smooth towards the corners.
      const t = clamp((Math.sqrt(d2) - 0.35) / 0.65, 0, 1);
      const s = t * t * (3 - 2 * t);
      rowFactor[x] = a > 0 ? 1 - a * s : 1 + -a * s * 0.6;
    }
    let i = y * w * n;
    for (let x = 0; x < w; x++, i += n) {
      const f = rowFactor[x]!;
      out[i] = clamp(out[i]! * f, 0, 255);
      out[i + 1] = clamp(out[i + 1]! * f, 0, 255);
      out[i + 2] = clamp(out[i + 2]! * f, 0, 255);
    }
  }
  return { ...r, data: out };
}

/** Unsharp masking whose radius follows the image size, so it looks alike at 1K and 6K. */
export async function sharpen(r: Raster, steps: number): Promise<Raster> {
  const s = clamp(steps, 0, 4);
  if (s === 0) return r;
  const sigma = clamp(Math.max(r.width, r.height) / 2048, 0.6, 2.2);
  return toRaster(fromRaster(r).sharpen({ sigma, m1: 0.5 * s, m2: 2 + 2 * s }));
}

/** A soft-focus blur, from a hint to dreamy. */
export async function soften(r: Raster, steps: number): Promise<Raster> {
  const s = clamp(steps, 0, 4);
  if (s === 0) return r;
  const sigma = (Math.max(r.width, r.height) / 1000) * 1.2 * s;
  return toRaster(fromRaster(r).blur(Math.max(0.3, sigma)));
}

/** Median filtering keeps edges while removing speckle; the window grows with strength and size. */
export async function denoise(r: Raster, steps: number): Promise<Raster> {
  const s = clamp(steps, 0, 4);
  if (s === 0) return r;
  const base = Math.max(r.width, r.height) > 3000 ? 5 : 3;
  const size = base + 2 * Math.floor(s / 2);
  return toRaster(fromRaster(r).median(size));
}
