import { distanceTo } from './binary.js';

/**
 * The texture layer of a fill: the image minus its low-pass, copied into the hole from nearby background,
 * in cells about half a letter high, filled from the outside in, each from one offset chosen so that the
 * texture around the cell (the background, or cells already filled) matches the texture around the
 * source: the offset search of patch-based methods with one offset per cell instead of per pixel, which
 * keeps copies coherent and costs tens of milliseconds. A single offset for the whole hole is tried first
 * by every cell, so a regular pattern stays in phase; cells overlap and fade into each other; a copy that
 * matches its surroundings worse than no texture at all is not made.
 */

/** Below this RMS texture (levels) around the hole the background is smooth: no texture to copy. */
export const SMOOTH = 1.5;
/** Weight of the tone difference between the hole and a source, against the band's texture error. */
const TONE_WEIGHT = 0.5;
/** A preferred offset wins unless another fits clearly better. */
const PREFERRED_BONUS = 0.5;

/**
 * Texture for the hole, cell by cell from the outside in (cells about half a letter high). Each cell
 * copies the texture of the background at one offset: every hole pixel of the cell, shifted, must land on
 * usable background, and the texture in a band around the cell (background, or cells already done) must
 * match the texture around the source. A coarse grid of offsets first, then finer steps around the best;
 * a mild preference for short shifts, since texture changes with distance. A cell with no valid
 * offset keeps no texture (the low-pass alone).
 */
export function synthesise(
  hole: Uint8Array,
  source: Uint8Array,
  detail: Float32Array[],
  low: Float32Array[],
  w: number,
  h: number,
  textHeight: number,
): Float32Array[] {
  const n = w * h;
  const known = new Uint8Array(n);
  for (let i = 0; i < n; i++) known[i] = hole[i] ? 0 : 1;
  const toKnown = distanceTo(known, w, h);
  const cell = Math.max(6, Math.round(0.5 * textHeight));
  const cols = Math.ceil(w / cell);
  const cells = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    if (!hole[i]) continue;
    const x = i % w;
    const key = Math.floor((i - x) / w / cell) * cols + Math.floor(x / cell);
    let list = cells.get(key);
    if (!list) cells.set(key, (list = []));
    list.push(i);
  }
  const order = [...cells.entries()]
    .map(([key, list]) => ({ key, list, depth: list.reduce((m, i) => Math.min(m, toKnown[i]!), Infinity) }))
    .sort((a, b) => a.depth - b.depth || a.key - b.key);

  const out = detail.map(() => new Float32Array(n));
  const have = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (!source[i]) continue;
    have[i] = 1;
    for (let c = 0; c < 3; c++) out[c]![i] = detail[c]![i]!;
  }
  const sum = detail.map(() => new Float32Array(n));
  const weight = new Float32Array(n);
  const feather = Math.max(2, Math.round(cell / 4));
  // Stamps instead of sets: cell k marks its own pixels with 2k+1 and its band with 2k+2.
  const stamp = new Int32Array(n);
  const radius = Math.round(0.75 * textHeight + cell / 2);
  const step = Math.max(1, Math.round(cell / 3));
  // One offset for the whole hole first: on a regular texture (bricks, tiles, stripes) the cells should
  // agree on it, or every cell boundary breaks the pattern. Cells try it (and its neighbours) first.
  const whole = globalOffset(hole, source, detail, low, w, h, step, cell);
  const preferred: number[] = [];
  if (whole !== undefined) {
    const gy = Math.round(whole / w);
    const gx = whole - gy * w;
    for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) preferred.push(gx + dx, gy + dy);
  }
  for (let k = 0; k < order.length; k++) {
    const pixels = order[k]!.list;
    const own = 2 * k + 1;
    const banded = 2 * k + 2;
    for (const i of pixels) stamp[i] = own;
    // The band: pixels with texture within 2 px of the cell's hole pixels.
    const band: number[] = [];
    for (const i of pixels) {
      const x = i % w;
      const y = (i - x) / w;
      for (let dy = -2; dy <= 2; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -2; dx <= 2; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w) continue;
          const j = yy * w + xx;
          if (have[j] && stamp[j] !== own && stamp[j] !== banded) {
            stamp[j] = banded;
            band.push(j);
          }
        }
      }
    }
    const offset = bestOffset(pixels, band, source, out, detail, low, w, h, radius, step, preferred);
    if (offset === undefined) continue;
    // The copy covers the cell and a margin around it, fading out over the margin, so neighbouring
    // cells blend instead of meeting at a seam.
    const key = order[k]!.key;
    const cx0 = (key % cols) * cell - feather;
    const cy0 = Math.floor(key / cols) * cell - feather;
    const span = cell + 2 * feather;
    for (let y = Math.max(0, cy0); y < Math.min(h, cy0 + span); y++) {
      const wy = Math.min(1, (y - cy0 + 0.5) / (2 * feather), (cy0 + span - y - 0.5) / (2 * feather));
      for (let x = Math.max(0, cx0); x < Math.min(w, cx0 + span); x++) {
        const i = y * w + x;
        if (!hole[i] || !source[i + offset]) continue;
        const wt = wy * Math.min(1, (x - cx0 + 0.5) / (2 * feather), (cx0 + span - x - 0.5) / (2 * feather));
        if (wt <= 0) continue;
        weight[i]! += wt;
        for (let c = 0; c < 3; c++) {
          sum[c]![i]! += wt * detail[c]![i + offset]!;
          out[c]![i] = sum[c]![i]! / weight[i]!;
        }
        have[i] = 1;
      }
    }
  }
  return out;
}

/**
 * The offset for the whole hole: its pixels (a sample) must land on usable background (97 % of them:
 * the cells check strictly), and the texture around the hole must match around the source.
 */
function globalOffset(
  hole: Uint8Array,
  source: Uint8Array,
  detail: Float32Array[],
  low: Float32Array[],
  w: number,
  h: number,
  step: number,
  cell: number,
): number | undefined {
  const pixels: number[] = [];
  const band: number[] = [];
  let bx0 = w, by0 = h, bx1 = 0, by1 = 0;
  for (let i = 0; i < hole.length; i++) {
    const x = i % w;
    const y = (i - x) / w;
    if (hole[i]) {
      pixels.push(i);
      if (x < bx0) bx0 = x;
      if (y < by0) by0 = y;
      if (x > bx1) bx1 = x;
      if (y > by1) by1 = y;
    } else if (source[i] && ((x > 1 && hole[i - 2]) || (x < w - 2 && hole[i + 2]) || (y > 1 && hole[i - 2 * w]) || (y < h - 2 && hole[i + 2 * w]))) {
      band.push(i);
    }
  }
  if (pixels.length === 0 || band.length === 0) return undefined;
  const radius = Math.min(bx1 - bx0, by1 - by0) + cell;
  return bestOffset(pixels, band, source, detail, detail, low, w, h, radius, step, [], 0.03);
}

function bestOffset(
  pixels: number[],
  band: number[],
  source: Uint8Array,
  target: Float32Array[],
  detail: Float32Array[],
  low: Float32Array[],
  w: number,
  h: number,
  radius: number,
  step: number,
  /** (dx, dy) pairs tried first, with a bonus: the whole hole's offset and its neighbours. */
  preferred: number[] = [],
  /** Fraction of (sampled) hole pixels allowed to miss usable background. */
  slack = 0,
): number | undefined {
  let bx0 = w, by0 = h, bx1 = 0, by1 = 0;
  for (const list of [pixels, band]) {
    for (const i of list) {
      const x = i % w;
      const y = (i - x) / w;
      bx0 = Math.min(bx0, x);
      by0 = Math.min(by0, y);
      bx1 = Math.max(bx1, x);
      by1 = Math.max(by1, y);
    }
  }
  const holeStep = Math.max(1, Math.floor(pixels.length / (slack > 0 ? 2000 : 300)));
  const bandStep = Math.max(1, Math.floor(band.length / (slack > 0 ? 2000 : 200)));
  const [t0, t1, t2] = target as [Float32Array, Float32Array, Float32Array];
  const [d0, d1, d2] = detail as [Float32Array, Float32Array, Float32Array];
  const [l0, l1, l2] = low as [Float32Array, Float32Array, Float32Array];

  const score = (dx: number, dy: number, full: boolean): number => {
    if (bx0 + dx < 0 || by0 + dy < 0 || bx1 + dx >= w || by1 + dy >= h) return Infinity;
    const d = dy * w + dx;
    const hs = full && slack === 0 ? 1 : holeStep;
    let tone = 0;
    let toneCount = 0;
    let misses = 0;
    const allowed = slack * (pixels.length / hs);
    for (let k = 0; k < pixels.length; k += hs) {
      const i = pixels[k]!;
      const j = i + d;
      if (!source[j] && ++misses > allowed) return Infinity;
      if (k % holeStep === 0) {
        tone += (l0[i]! - l0[j]!) ** 2 + (l1[i]! - l1[j]!) ** 2 + (l2[i]! - l2[j]!) ** 2;
        toneCount++;
      }
    }
    let sum = 0;
    let count = 0;
    for (let k = 0; k < band.length; k += bandStep) {
      const i = band[k]!;
      const j = i + d;
      if (!source[j]) continue;
      const e0 = t0[i]! - d0[j]!;
      const e1 = t1[i]! - d1[j]!;
      const e2 = t2[i]! - d2[j]!;
      sum += e0 * e0 + e1 * e1 + e2 * e2;
      count++;
    }
    // Texture that fits the band, taken from a source of similar tone: the same material, not the
    // saucer's glaze copied into the table's wood.
    const fit = (count > 0 ? sum / count : 0) + TONE_WEIGHT * (toneCount > 0 ? tone / toneCount : 0);
    fits.set(d, fit);
    return (fit + 1) * (1 + Math.hypot(dx, dy) / (4 * radius));
  };
  const fits = new Map<number, number>();
  // What no texture at all would cost on the band: a copy must beat it, or it brings in structure
  // from elsewhere (an edge, a shadow) and a smooth fill is the lesser evil.
  let plain = 0;
  let plainCount = 0;
  for (let k = 0; k < band.length; k += bandStep) {
    const i = band[k]!;
    plain += t0[i]! ** 2 + t1[i]! ** 2 + t2[i]! ** 2;
    plainCount++;
  }
  plain = plainCount > 0 ? plain / plainCount : 0;
  const accept = (b: [number, number] | undefined): number | undefined => {
    if (!b) return undefined;
    const d = b[1] * w + b[0];
    return (fits.get(d) ?? Infinity) < plain ? d : undefined;
  };

  let best: [number, number] | undefined;
  let bestScore = Infinity;
  for (let k = 0; k < preferred.length; k += 2) {
    const s = PREFERRED_BONUS * score(preferred[k]!, preferred[k + 1]!, true);
    if (s < bestScore) {
      bestScore = s;
      best = [preferred[k]!, preferred[k + 1]!];
    }
  }
  const favoured = best;
  for (let dy = -radius; dy <= radius; dy += step) {
    for (let dx = -radius; dx <= radius; dx += step) {
      if (dx === 0 && dy === 0) continue;
      const s = score(dx, dy, false);
      if (s < bestScore) {
        bestScore = s;
        best = [dx, dy];
      }
    }
  }
  if (!best) return undefined;
  if (best === favoured) return accept(best);
  // Halve the step around the best until single pixels; the last round checks every hole pixel.
  for (let k = step; k >= 1; k = k > 1 ? Math.max(1, Math.floor(k / 2)) : 0) {
    const [cx, cy] = best;
    const full = k === 1;
    let roundBest: [number, number] | undefined;
    let roundScore = Infinity;
    for (let dy = cy - k; dy <= cy + k; dy += k) {
      for (let dx = cx - k; dx <= cx + k; dx += k) {
        if (dx === 0 && dy === 0) continue;
        const s = score(dx, dy, full);
        if (s < roundScore) {
          roundScore = s;
          roundBest = [dx, dy];
        }
      }
    }
    if (roundBest) best = roundBest;
    else if (full) return undefined;
  }
  return accept(best);
}
