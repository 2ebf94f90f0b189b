import type { Patch } from './background.js';
import { percentile } from './binary.js';
import { DEG, type Frame } from './geometry.js';

/**
 * The glyphs turned level: the exact angle of the line (a projection profile, then the baseline through
 * the letters' feet), the glyphs resampled into the line's own frame, and their column statistics
 * (where the letters start and end, their height, the baseline) with sub-pixel edges.
 */

/** The glyphs turned level: pixel (i, j) is frame point (u0 + (i + ½)/scale, v0 + (j + ½)/scale). */
export interface Upright {
  /** Ink (coverage of at least a half), 0/1. */
  data: Uint8Array;
  /** Coverage 0..1, for sub-pixel edges. */
  cover: Float32Array;
  width: number;
  height: number;
  scale: number;
  u0: number;
  v0: number;
}

/** Frame coordinates (pixels) of the ink: v grows downwards, so top < baseline ≤ bottom. */
export interface Ink {
  left: number;
  right: number;
  /** The highest ink. */
  peak: number;
  /**
   * Where the tall letters end: the 3rd percentile of the columns' tops, i.e. capitals and ascenders
   * but not a speck (thin capitals such as a light M cover only a tenth of the columns of "Monday").
   */
  top: number;
  /** The median of the columns' bottoms: descenders are a minority. */
  baseline: number;
  bottom: number;
}

/** The angle search around the OCR's (see refineAngle). */
const ANGLE_RANGE = 20 * DEG;
const ANGLE_STEP = 0.5 * DEG;
const MIN_GAIN = 1.015;

/**
 * The angle at which the ink's profile across the line is sharpest: capitals, x-height and baseline
 * pile up into narrow peaks only when the line is level (the classic projection-profile deskew). A
 * coarse sweep over ±20° (the detector's box can be a few degrees off on a short word with a
 * descender, and a reader may call a 15° line level), then a fine one around the best; ties go to the smaller
 * correction, and a correction that sharpens the profile by less than 1.5 % is noise (seen: 0.5° on a
 * 100 px "Monday" for +0.4 %).
 */
export function refineAngle(points: Float64Array, base: number, h: number): number {
  const bin = Math.max(1, h / 48);
  const counts = new Float64Array(Math.ceil((4 * h) / bin) + 8);
  const mid = counts.length / 2;
  const score = (delta: number): number => {
    const s = Math.sin(base + delta) / bin;
    const c = Math.cos(base + delta) / bin;
    counts.fill(0);
    // Linear splatting between the two nearest bins: a profile that does not depend on where the
    // baseline falls between bins, so half a pixel of phase cannot pass for a tilt.
    for (let o = 0; o < points.length; o += 3) {
      const f = -points[o]! * s + points[o + 1]! * c + mid;
      const k = Math.floor(f);
      if (k < 0 || k + 1 >= counts.length) continue;
      const a = f - k;
      const wt = points[o + 2]!;
      counts[k]! += wt * (1 - a);
      counts[k + 1]! += wt * a;
    }
    let sum = 0;
    for (let k = 0; k < counts.length; k++) sum += counts[k]! * counts[k]!;
    return sum;
  };
  const sweep = (centre: number, range: number, step: number): number => {
    let best = centre;
    let bestScore = score(centre);
    for (let k = 1; k * step <= range + 1e-9; k++) {
      for (const d of [centre + k * step, centre - k * step]) {
        const sc = score(d);
        if (sc > bestScore * 1.0005) {
          bestScore = sc;
          best = d;
        }
      }
    }
    return best;
  };
  const coarse = sweep(0, ANGLE_RANGE, ANGLE_STEP);
  const fine = sweep(coarse, ANGLE_STEP, ANGLE_STEP / 5);
  // A short word's profile is nearly flat within a degree of level: only a clear gain overrides OCR.
  return score(fine) > score(0) * MIN_GAIN ? fine : 0;
}

/** Below this height the level copy keeps the image's resolution; above, it is scaled to it. */
const UPRIGHT_HEIGHT = 96;

export function levelGlyphs(alpha: Float32Array, patch: Patch, frame: Frame): Upright {
  const { width: cw, height: ch } = patch;
  const c = Math.cos(frame.angle);
  const s = Math.sin(frame.angle);
  let u0 = Infinity, u1 = -Infinity, v0 = Infinity, v1 = -Infinity;
  for (let i = 0; i < alpha.length; i++) {
    if (alpha[i]! < 0.5) continue;
    const dx = patch.x0 + (i % cw) + 0.5 - frame.ox;
    const dy = patch.y0 + Math.floor(i / cw) + 0.5 - frame.oy;
    const u = dx * c + dy * s;
    const v = -dx * s + dy * c;
    if (u < u0) u0 = u;
    if (u > u1) u1 = u;
    if (v < v0) v0 = v;
    if (v > v1) v1 = v;
  }
  const scale = Math.min(1, UPRIGHT_HEIGHT / Math.max(1, v1 - v0));
  const pad = 2 / scale;
  u0 -= pad;
  v0 -= pad;
  if (frame.angle === 0 && scale === 1) {
    // Level and full size: sample at the pixel centres themselves, so thin strokes are not blurred by
    // interpolation (which would make a regular weight look bolder than its template).
    u0 = Math.floor(u0 + frame.ox) - frame.ox;
    v0 = Math.floor(v0 + frame.oy) - frame.oy;
  }
  const width = Math.max(1, Math.ceil((u1 + pad - u0) * scale));
  const height = Math.max(1, Math.ceil((v1 + pad - v0) * scale));
  const data = new Uint8Array(width * height);
  const cover = new Float32Array(width * height);
  const at = (x: number, y: number) => (x >= 0 && y >= 0 && x < cw && y < ch ? alpha[y * cw + x]! : 0);
  for (let j = 0; j < height; j++) {
    const v = v0 + (j + 0.5) / scale;
    for (let i = 0; i < width; i++) {
      const u = u0 + (i + 0.5) / scale;
      const fx = frame.ox + u * c - v * s - patch.x0 - 0.5;
      const fy = frame.oy + u * s + v * c - patch.y0 - 0.5;
      const ix = Math.floor(fx);
      const iy = Math.floor(fy);
      const ax = fx - ix;
      const ay = fy - iy;
      const a = (at(ix, iy) * (1 - ax) + at(ix + 1, iy) * ax) * (1 - ay) + (at(ix, iy + 1) * (1 - ax) + at(ix + 1, iy + 1) * ax) * ay;
      cover[j * width + i] = a;
      data[j * width + i] = a >= 0.5 ? 1 : 0;
    }
  }
  return { data, cover, width, height, scale, u0, v0 };
}

/**
 * The remaining tilt of level glyphs, from a line fitted through the columns' feet that sit on the
 * baseline (within 5 % of the letter height of the median foot: descenders and most overshoots out).
 * Zero when too few columns agree or the fit says more than 2°.
 */
export function baselineTilt(m: Upright): number {
  const us: number[] = [];
  const feet: number[] = [];
  for (let i = 0; i < m.width; i++) {
    let bottom = -1;
    for (let j = m.height - 1; j >= 0; j--) {
      if (m.data[j * m.width + i]) {
        bottom = j;
        break;
      }
    }
    if (bottom < 0) continue;
    const below = bottom + 1 < m.height ? m.cover[(bottom + 1) * m.width + i]! : 0;
    us.push(i + 0.5);
    feet.push(bottom + m.cover[bottom * m.width + i]! + below);
  }
  if (us.length < 8) return 0;
  const median = percentile(feet, 0.5);
  const height = m.height - 4;
  const keep = us.map((_, k) => Math.abs(feet[k]! - median) <= Math.max(1, 0.05 * height));
  let n = 0, su = 0, sf = 0, suu = 0, suf = 0;
  us.forEach((u, k) => {
    if (!keep[k]) return;
    const f = feet[k]!;
    n++;
    su += u;
    sf += f;
    suu += u * u;
    suf += u * f;
  });
  if (n < 8) return 0;
  const slope = (n * suf - su * sf) / (n * suu - su * su);
  const tilt = Math.atan(slope);
  return Number.isFinite(tilt) && Math.abs(tilt) <= 2 * DEG ? tilt : 0;
}

/** Column statistics of level glyphs, in frame coordinates. Shared with the font matching. */
export function measureInk(m: Pick<Upright, 'data' | 'cover' | 'width' | 'height' | 'scale' | 'u0' | 'v0'>): Ink | undefined {
  const tops: number[] = [];
  const bottoms: number[] = [];
  let first = -1;
  let last = -1;
  let lowest = -Infinity;
  let highest = Infinity;
  const cov = (i: number, j: number) => (j >= 0 && j < m.height ? m.cover[j * m.width + i]! : 0);
  for (let i = 0; i < m.width; i++) {
    let top = -1;
    let bottom = -1;
    for (let j = 0; j < m.height; j++) {
      if (!m.data[j * m.width + i]) continue;
      if (top < 0) top = j;
      bottom = j;
    }
    if (top < 0) continue;
    if (first < 0) first = i;
    last = i;
    // Sub-pixel edges from the coverage of the first and last ink rows and their outer neighbours: an
    // edge at a fraction of a pixel covers that fraction of its row. Whole pixels would make the size
    // estimate a few per cent off (a 20 px capital measured as 19 or 21).
    const t = top + (1 - cov(i, top)) - cov(i, top - 1);
    const b = bottom + 1 - (1 - cov(i, bottom)) + cov(i, bottom + 1);
    tops.push(t);
    bottoms.push(b);
    lowest = Math.max(lowest, b);
    highest = Math.min(highest, t);
  }
  if (tops.length === 0) return undefined;
  return {
    left: m.u0 + first / m.scale,
    right: m.u0 + (last + 1) / m.scale,
    peak: m.v0 + highest / m.scale,
    top: m.v0 + percentile(tops, 0.03) / m.scale,
    baseline: m.v0 + percentile(bottoms, 0.5) / m.scale,
    bottom: m.v0 + lowest / m.scale,
  };
}
