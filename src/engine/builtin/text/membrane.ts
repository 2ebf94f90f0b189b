/**
 * The membrane (harmonic) fill, solved coarse to fine: a pyramid of the known pixels gives every hole
 * pixel a first value from the nearest coarser level that has data there, and over-relaxed Gauss–Seidel
 * sweeps on each level then solve Laplace's equation with the known pixels as the boundary. A linear
 * gradient is harmonic, so flat colours and gradients are continued exactly, not smeared.
 */

/**
 * Over-relaxation factor, and sweeps per pyramid level: the coarse levels carry the solution across the
 * hole and are cheap, so they get many; the finest starts from an upsampled solution that is already
 * close and only needs its local error smoothed.
 */
const OMEGA = 1.8;
const SWEEPS_COARSE = 40;
const SWEEPS_FINE = [4, 10];

/**
 * Fills the unknown pixels of each plane in place with the harmonic interpolation of the known ones
 * (the planes share one mask).
 */
export function fillHarmonic(planes: Float32Array[], known: Uint8Array, w: number, h: number): void {
  type Level = { v: Float32Array[]; k: Uint8Array; w: number; h: number };
  const levels: Level[] = [{ v: planes, k: known, w, h }];
  for (;;) {
    const top = levels[levels.length - 1]!;
    if (top.k.indexOf(0) < 0 || (top.w === 1 && top.h === 1)) break;
    const w2 = Math.ceil(top.w / 2);
    const h2 = Math.ceil(top.h / 2);
    const v2 = top.v.map(() => new Float32Array(w2 * h2));
    const k2 = new Uint8Array(w2 * h2);
    const sums = new Float64Array(top.v.length);
    for (let y = 0; y < h2; y++) {
      for (let x = 0; x < w2; x++) {
        sums.fill(0);
        let count = 0;
        for (let dy = 0; dy < 2; dy++) {
          const yy = 2 * y + dy;
          if (yy >= top.h) continue;
          for (let dx = 0; dx < 2; dx++) {
            const xx = 2 * x + dx;
            if (xx >= top.w) continue;
            const i = yy * top.w + xx;
            if (!top.k[i]) continue;
            for (let c = 0; c < sums.length; c++) sums[c]! += top.v[c]![i]!;
            count++;
          }
        }
        if (count === 0) continue;
        for (let c = 0; c < sums.length; c++) v2[c]![y * w2 + x] = sums[c]! / count;
        k2[y * w2 + x] = 1;
      }
    }
    levels.push({ v: v2, k: k2, w: w2, h: h2 });
  }
  const coarsest = levels[levels.length - 1]!;
  for (const plane of coarsest.v) {
    let sum = 0;
    let count = 0;
    for (let i = 0; i < plane.length; i++) if (coarsest.k[i]) { sum += plane[i]!; count++; }
    for (let i = 0; i < plane.length; i++) if (!coarsest.k[i]) plane[i] = count > 0 ? sum / count : 0;
  }
  relax(coarsest, SWEEPS_COARSE);
  for (let l = levels.length - 2; l >= 0; l--) {
    const fine = levels[l]!;
    const coarse = levels[l + 1]!;
    for (let y = 0; y < fine.h; y++) {
      for (let x = 0; x < fine.w; x++) {
        const i = y * fine.w + x;
        if (fine.k[i]) continue;
        for (let c = 0; c < fine.v.length; c++) {
          fine.v[c]![i] = bilinear(coarse.v[c]!, coarse.w, coarse.h, (x + 0.5) / 2 - 0.5, (y + 0.5) / 2 - 0.5);
        }
      }
    }
    relax(fine, SWEEPS_FINE[l] ?? SWEEPS_COARSE);
  }
}

/** Over-relaxed Gauss–Seidel on the unknown pixels, neighbours outside the level left out (Neumann). */
function relax(level: { v: Float32Array[]; k: Uint8Array; w: number; h: number }, sweeps: number): void {
  const { k, w, h } = level;
  let count = 0;
  for (let i = 0; i < k.length; i++) if (!k[i]) count++;
  if (count === 0) return;
  const at = new Int32Array(count);
  const nb = new Int32Array(count * 4).fill(-1);
  const inv = new Float32Array(count);
  for (let i = 0, m = 0; i < k.length; i++) {
    if (k[i]) continue;
    const x = i % w;
    at[m] = i;
    let c = 0;
    if (x > 0) nb[m * 4 + c++] = i - 1;
    if (x < w - 1) nb[m * 4 + c++] = i + 1;
    if (i >= w) nb[m * 4 + c++] = i - w;
    if (i < (h - 1) * w) nb[m * 4 + c++] = i + w;
    inv[m] = c > 0 ? 1 / c : 0;
    m++;
  }
  for (const v of level.v) {
    for (let s = 0; s < sweeps; s++) {
      for (let m = 0; m < count; m++) {
        const q = m * 4;
        let sum = 0;
        for (let t = 0; t < 4; t++) {
          const j = nb[q + t]!;
          if (j < 0) break;
          sum += v[j]!;
        }
        const i = at[m]!;
        const old = v[i]!;
        v[i] = old + OMEGA * (sum * inv[m]! - old);
      }
    }
  }
}

function bilinear(v: Float32Array, w: number, h: number, fx: number, fy: number): number {
  const x = Math.min(Math.max(fx, 0), w - 1);
  const y = Math.min(Math.max(fy, 0), h - 1);
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const x1 = Math.min(x0 + 1, w - 1);
  const y1 = Math.min(y0 + 1, h - 1);
  const ax = x - x0;
  const ay = y - y0;
  return (v[y0 * w + x0]! * (1 - ax) + v[y0 * w + x1]! * ax) * (1 - ay) + (v[y1 * w + x0]! * (1 - ax) + v[y1 * w + x1]! * ax) * ay;
}
