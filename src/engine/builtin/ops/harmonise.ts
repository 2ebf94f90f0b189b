/**
 * Colour harmonisation of a pasted subject to its new scene: the mean and spread of each CIELAB
 * channel of the subject move towards those of the scene (Reinhard et al.'s transfer). `strength`
 * 0 keeps the subject as it was, 1 adopts the scene's statistics fully; lightness moves less than
 * colour so that a dark object stays dark.
 */
import type { Raster } from '../raster.js';
import type { Mask } from './mask.js';

interface Stats {
  mean: [number, number, number];
  sd: [number, number, number];
}

const LINEAR = new Float32Array(256).map((_, v) => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
});

const fExact = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
const fInv = (t: number) => {
  // t * t * t, not t ** 3: V8 calls pow for **, and the colour table calls this 100,000 times.
  const cube = t * t * t;
  return cube > 216 / 24389 ? cube : (116 * t - 16) / (24389 / 27);
};

// Per-pixel Lab conversions run over every pixel of a pasted subject (a million or more): the cube
// root and the sRGB power curve go through tables with linear interpolation, exact to well under
// one level, several times faster than Math.cbrt and Math.pow.
const TABLE = 4096;
const F_TABLE = new Float32Array(TABLE + 2).map((_, i) => fExact(Math.min(1, i / TABLE)));
const SRGB_TABLE = new Float32Array(TABLE + 2).map((_, i) => {
  const l = Math.min(1, i / TABLE);
  return (l <= 0.0031308 ? l * 12.92 : 1.055 * l ** (1 / 2.4) - 0.055) * 255;
});

function f(t: number): number {
  if (t <= 0 || t > 1) return fExact(t);
  const x = t * TABLE;
  const i = x | 0;
  return F_TABLE[i]! + (F_TABLE[i + 1]! - F_TABLE[i]!) * (x - i);
}

function toLab(r: number, g: number, b: number, out: Float32Array, o: number): void {
  const R = LINEAR[r]!;
  const G = LINEAR[g]!;
  const B = LINEAR[b]!;
  const x = (0.4124 * R + 0.3576 * G + 0.1805 * B) / 0.95047;
  const y = 0.2126 * R + 0.7152 * G + 0.0722 * B;
  const z = (0.0193 * R + 0.1192 * G + 0.9505 * B) / 1.08883;
  const fy = f(y);
  out[o] = 116 * fy - 16;
  out[o + 1] = 500 * (f(x) - fy);
  out[o + 2] = 200 * (fy - f(z));
}

function toSrgbByte(l: number): number {
  if (l <= 0) return 0;
  if (l >= 1) return 255;
  const x = l * TABLE;
  const i = x | 0;
  return Math.round(SRGB_TABLE[i]! + (SRGB_TABLE[i + 1]! - SRGB_TABLE[i]!) * (x - i));
}

function fromLab(L: number, a: number, b: number, out: Buffer, o: number): void {
  const fy = (L + 16) / 116;
  const x = fInv(fy + a / 500) * 0.95047;
  const y = fInv(fy);
  const z = fInv(fy - b / 200) * 1.08883;
  out[o] = toSrgbByte(3.2406 * x - 1.5372 * y - 0.4986 * z);
  out[o + 1] = toSrgbByte(-0.9689 * x + 1.8758 * y + 0.0415 * z);
  out[o + 2] = toSrgbByte(0.0557 * x - 0.204 * y + 1.057 * z);
}

/** Lab statistics of the pixels where the mask is at least half on (all pixels without a mask), sampled. */
export function labStats(r: Raster, mask?: Mask, step = 2): Stats | undefined {
  const sum = [0, 0, 0];
  const sq = [0, 0, 0];
  let n = 0;
  const lab = new Float32Array(3);
  for (let y = 0; y < r.height; y += step) {
    for (let x = 0; x < r.width; x += step) {
      const p = y * r.width + x;
      if (mask && mask.data[p]! < 128) continue;
      const i = p * r.channels;
      toLab(r.data[i]!, r.data[i + 1]!, r.data[i + 2]!, lab, 0);
      for (let c = 0; c < 3; c++) {
        sum[c]! += lab[c]!;
        sq[c]! += lab[c]! * lab[c]!;
      }
      n++;
    }
  }
  if (n < 16) return undefined;
  const mean = sum.map((s) => s / n) as Stats['mean'];
  const sd = sq.map((s, c) => Math.sqrt(Math.max(1e-6, s / n - mean[c]! ** 2))) as Stats['sd'];
  return { mean, sd };
}

/** Grid points per channel of the colour lookup table (values 0, 8, 16, …, 248, 255). */
const GRID = 33;
const gridValue = (i: number) => Math.min(255, i * 8);

/**
 * Moves the subject's colours towards the scene's; pixels outside the mask are left as they are.
 * The transfer is a fixed function of the colour, so it is computed once on a 33³ grid of colours
 * and each pixel is interpolated from its eight neighbours: a million-pixel subject then costs a
 * fraction of converting every pixel to Lab and back.
 */
export function harmonise(subject: Raster, subjectMask: Mask, scene: Stats, strength: number): Raster {
  // Every third pixel each way is plenty for a mean and a spread.
  const own = labStats(subject, subjectMask, 3);
  if (!own || strength <= 0) return subject;
  const t = Math.min(1, strength);
  // Lightness follows less than colour: a dark coat in a bright scene should stay a dark coat.
  const weights = [0.5 * t, t, t];
  const gain = [0, 1, 2].map((c) => 1 + weights[c]! * (Math.min(2, Math.max(0.5, scene.sd[c]! / own.sd[c]!)) - 1));
  const target = [0, 1, 2].map((c) => own.mean[c]! + weights[c]! * (scene.mean[c]! - own.mean[c]!));
  const [m0, m1, m2] = own.mean;
  const [g0, g1, g2] = gain as [number, number, number];
  const [t0, t1, t2] = target as [number, number, number];

  const table = new Float32Array(GRID * GRID * GRID * 3);
  const lab = new Float32Array(3);
  const rgb = Buffer.alloc(3);
  for (let r = 0, k = 0; r < GRID; r++) {
    for (let g = 0; g < GRID; g++) {
      for (let b = 0; b < GRID; b++, k += 3) {
        toLab(gridValue(r), gridValue(g), gridValue(b), lab, 0);
        fromLab((lab[0]! - m0) * g0 + t0, (lab[1]! - m1) * g1 + t1, (lab[2]! - m2) * g2 + t2, rgb, 0);
        table[k] = rgb[0]!;
        table[k + 1] = rgb[1]!;
        table[k + 2] = rgb[2]!;
      }
    }
  }

  const out = Buffer.from(subject.data);
  const n = subject.channels;
  const G2 = GRID * GRID * 3;
  const G1 = GRID * 3;
  // Cell index and position within the cell, per level (the last cell is 248..255).
  const cell = new Uint8Array(256);
  const frac = new Float32Array(256);
  for (let v = 0; v < 256; v++) {
    const i = Math.min(GRID - 2, v >> 3);
    cell[v] = i;
    frac[v] = (v - gridValue(i)) / (gridValue(i + 1) - gridValue(i));
  }
  for (let p = 0, i = 0; p < subjectMask.data.length; p++, i += n) {
    if (subjectMask.data[p] === 0) continue;
    const r = out[i]!;
    const g = out[i + 1]!;
    const b = out[i + 2]!;
    const base = cell[r]! * G2 + cell[g]! * G1 + cell[b]! * 3;
    const fr = frac[r]!;
    const fg = frac[g]!;
    const fb = frac[b]!;
    for (let c = 0; c < 3; c++) {
      const o = base + c;
      const c00 = table[o]! + (table[o + 3]! - table[o]!) * fb;
      const c01 = table[o + G1]! + (table[o + G1 + 3]! - table[o + G1]!) * fb;
      const c10 = table[o + G2]! + (table[o + G2 + 3]! - table[o + G2]!) * fb;
      const c11 = table[o + G2 + G1]! + (table[o + G2 + G1 + 3]! - table[o + G2 + G1]!) * fb;
      const c0 = c00 + (c01 - c00) * fg;
      const c1 = c10 + (c11 - c10) * fg;
      // In 0..255 (a blend of table entries), where adding ½ and truncating is Math.round.
      out[i + c] = (c0 + (c1 - c0) * fr + 0.5) | 0;
    }
  }
  return { ...subject, data: out };
}
