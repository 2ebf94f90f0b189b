/**
 * Edge-aware upsampling of a low-resolution mask: the colour guided filter of He, Sun and Tang
 * ("Guided Image Filtering", TPAMI 2013), in its fast form for upsampling (He and Sun, "Fast Guided
 * Filter", 2015). Around every pixel the mask is modelled as a linear function of the colour,
 * q = a·I + b; a and b are fitted by least squares over a (2r+1)² window of the low-resolution guide
 * and mask, averaged over the windows that cover the pixel, then bilinearly upsampled and applied to
 * the full-resolution colour. Where the mask is flat a ≈ 0 and q is the smooth mask; along its edge the
 * full-resolution colour decides, so hair and soft edges follow the photo instead of the model's grid.
 *
 * All box means use running sums (O(N) whatever the radius). The fit runs on the small grid (the
 * model's 512², ~13 box means over 0.26 Mpx); the full-resolution pass is one sweep with four
 * bilinear lookups per pixel, so its cost is linear in output pixels and independent of the radius.
 */

export interface LowResolution {
  /** RGB, 3 bytes per pixel, row-major. */
  rgb: Uint8Array;
  /** The mask to refine, 0..1. */
  mask: Float32Array;
  width: number;
  height: number;
}

export interface FullResolution {
  /** The guide at the output size: 3 or 4 bytes per pixel (alpha ignored). */
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3 | 4;
}

export interface GuidedFilterOptions {
  /** Window radius on the low-resolution grid. */
  radius: number;
  /** Regularisation: colour variance (in 0..1 units²) below which an edge is treated as flat. */
  eps: number;
  /**
   * Output levels: q ≤ low becomes 0 and q ≥ high becomes 1, linearly between. The fast guided filter
   * leaves faint tails (a few percent) up to 2r cells from an edge wherever the model's edge and the
   * photo's edge disagree by a cell; a small `low` removes them. Default [0, 1].
   */
  levels?: [number, number];
}

/** Coefficients of q = ar·R + ag·G + ab·B + b on the low-resolution grid, already window-averaged. */
export interface Coefficients {
  ar: Float32Array;
  ag: Float32Array;
  ab: Float32Array;
  b: Float32Array;
  width: number;
  height: number;
}

/** 1 / (number of indices of [i − r, i + r] inside [0, n)), for each i. */
function inverseCounts(n: number, r: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = 1 / (Math.min(i + r, n - 1) - Math.max(i - r, 0) + 1);
  return out;
}

/** Mean over the (2r+1)² window clipped to the image, by running sums; dst may be src. */
export function boxMean(src: Float32Array, width: number, height: number, r: number, dst: Float32Array, tmp: Float32Array): void {
  const invX = inverseCounts(width, r);
  const invY = inverseCounts(height, r);
  // Horizontal pass into tmp: the running sum gains src[x + r + 1] and loses src[x − r].
  for (let y = 0, row = 0; y < height; y++, row += width) {
    let sum = 0;
    for (let x = 0; x <= r && x < width; x++) sum += src[row + x]!;
    for (let x = 0; x < width; x++) {
      tmp[row + x] = sum * invX[x]!;
      if (x + r + 1 < width) sum += src[row + x + r + 1]!;
      if (x - r >= 0) sum -= src[row + x - r]!;
    }
  }
  // Vertical pass into dst, one running sum per column, a whole row at a time.
  const sums = new Float64Array(width);
  for (let y = 0; y <= r && y < height; y++) {
    for (let x = 0, p = y * width; x < width; x++, p++) sums[x] = sums[x]! + tmp[p]!;
  }
  for (let y = 0; y < height; y++) {
    const inv = invY[y]!;
    const row = y * width;
    for (let x = 0; x < width; x++) dst[row + x] = sums[x]! * inv;
    if (y + r + 1 < height) {
      for (let x = 0, p = (y + r + 1) * width; x < width; x++, p++) sums[x] = sums[x]! + tmp[p]!;
    }
    if (y - r >= 0) {
      for (let x = 0, p = (y - r) * width; x < width; x++, p++) sums[x] = sums[x]! - tmp[p]!;
    }
  }
}

/** Fits the guided filter's linear coefficients on the low-resolution grid. */
export function fitCoefficients(low: LowResolution, { radius, eps, levels = [0, 1] }: GuidedFilterOptions): Coefficients {
  if (!Number.isInteger(radius) || radius < 1 || !(eps > 0) || !(levels[1] > levels[0])) {
    throw new RangeError(`Bad guided filter settings: radius ${radius}, eps ${eps}, levels ${levels.join('..')}`);
  }
  const { width, height, rgb, mask } = low;
  const n = width * height;
  const plane = (): Float32Array => new Float32Array(n);
  const r = plane(), g = plane(), b = plane();
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    r[i] = rgb[j]! / 255;
    g[i] = rgb[j + 1]! / 255;
    b[i] = rgb[j + 2]! / 255;
  }
  const products = (x: Float32Array, y: Float32Array): Float32Array => {
    const out = plane();
    for (let i = 0; i < n; i++) out[i] = x[i]! * y[i]!;
    return out;
  };
  const tmp = plane();
  const mean = (x: Float32Array): Float32Array => {
    boxMean(x, width, height, radius, x, tmp);
    return x;
  };
  // Second moments first (they need the raw planes), then the planes' own means.
  const rr = mean(products(r, r)), rg = mean(products(r, g)), rb = mean(products(r, b));
  const gg = mean(products(g, g)), gb = mean(products(g, b)), bb = mean(products(b, b));
  const rp = mean(products(r, mask)), gp = mean(products(g, mask)), bp = mean(products(b, mask));
  const mr = mean(r), mg = mean(g), mb = mean(b);
  const mp = mean(Float32Array.from(mask));

  // a = (Σ + eps·I)⁻¹ cov(I, p), b = mean(p) − a·mean(I); results reuse the moment planes.
  const ar = rr, ag = rg, ab = rb, bOut = gg;
  for (let i = 0; i < n; i++) {
    const mR = mr[i]!, mG = mg[i]!, mB = mb[i]!, mP = mp[i]!;
    const s11 = rr[i]! - mR * mR + eps, s12 = rg[i]! - mR * mG, s13 = rb[i]! - mR * mB;
    const s22 = gg[i]! - mG * mG + eps, s23 = gb[i]! - mG * mB, s33 = bb[i]! - mB * mB + eps;
    const cr = rp[i]! - mR * mP, cg = gp[i]! - mG * mP, cb = bp[i]! - mB * mP;
    // Inverse of the symmetric 3x3 by cofactors; eps > 0 keeps it positive definite.
    const c11 = s22 * s33 - s23 * s23, c12 = s13 * s23 - s12 * s33, c13 = s12 * s23 - s13 * s22;
    const c22 = s11 * s33 - s13 * s13, c23 = s12 * s13 - s11 * s23, c33 = s11 * s22 - s12 * s12;
    const inv = 1 / (s11 * c11 + s12 * c12 + s13 * c13);
    const aR = (c11 * cr + c12 * cg + c13 * cb) * inv;
    const aG = (c12 * cr + c22 * cg + c23 * cb) * inv;
    const aB = (c13 * cr + c23 * cg + c33 * cb) * inv;
    ar[i] = aR;
    ag[i] = aG;
    ab[i] = aB;
    bOut[i] = mP - aR * mR - aG * mG - aB * mB;
  }
  mean(ar);
  mean(ag);
  mean(ab);
  mean(bOut);
  // The output levels are linear, so they fold into the coefficients: no per-pixel cost.
  const [lo, hi] = levels;
  if (lo !== 0 || hi !== 1) {
    const gain = 1 / (hi - lo);
    for (let i = 0; i < n; i++) {
      ar[i] = ar[i]! * gain;
      ag[i] = ag[i]! * gain;
      ab[i] = ab[i]! * gain;
      bOut[i] = (bOut[i]! - lo) * gain;
    }
  }
  return { ar, ag, ab, b: bOut, width, height };
}

/**
 * q = a·I + b at full resolution, with a and b bilinearly upsampled (pixel centres aligned, as sharp
 * resizes), clamped and quantised to 0..255.
 *
 * Most of a mask is plainly in or out: wherever a and b at both ends of a low-resolution cell give
 * q ≤ 0 (or ≥ 1) for every possible colour, the whole run of output pixels in that cell is filled
 * without touching the guide, since q there is a convex combination of the two ends' values. Only
 * the cells along edges pay the per-pixel cost.
 */
export function applyCoefficients(k: Coefficients, full: FullResolution): Uint8Array {
  const { width: W, height: H, data, channels } = full;
  const { width: w, height: h } = k;
  const out = new Uint8Array(W * H);
  // Per output column: the two source columns and the weight of the right one; per source column j,
  // the run [spanStart[j], spanStart[j + 1]) of output columns whose left source column is j.
  const x0 = new Int32Array(W), x1 = new Int32Array(W), fx = new Float32Array(W);
  const spanStart = new Int32Array(w + 1).fill(W);
  for (let x = W - 1; x >= 0; x--) {
    const u = Math.min(Math.max(((x + 0.5) * w) / W - 0.5, 0), w - 1);
    const j = Math.floor(u);
    x0[x] = j;
    x1[x] = Math.min(j + 1, w - 1);
    fx[x] = u - j;
    spanStart[j] = x;
  }
  for (let j = w - 1; j >= 0; j--) spanStart[j] = Math.min(spanStart[j]!, spanStart[j + 1]!);

  // One vertically interpolated row of each coefficient (the guide's 1/255 folded in), and the
  // range of q over all colours at each source column.
  const rowR = new Float32Array(w), rowG = new Float32Array(w), rowB = new Float32Array(w), rowK = new Float32Array(w);
  const qMin = new Float32Array(w), qMax = new Float32Array(w);
  const s = 1 / 255;
  const zeroBelow = 0.5 / 255; // q below this rounds to 0
  const fullFrom = 254.5 / 255; // q from this up rounds to 255
  for (let y = 0; y < H; y++) {
    const v = Math.min(Math.max(((y + 0.5) * h) / H - 0.5, 0), h - 1);
    const y0 = Math.floor(v);
    const fy = v - y0;
    const top = y0 * w;
    const bottom = Math.min(y0 + 1, h - 1) * w;
    for (let x = 0; x < w; x++) {
      const r = (k.ar[top + x]! + (k.ar[bottom + x]! - k.ar[top + x]!) * fy) * s;
      const g = (k.ag[top + x]! + (k.ag[bottom + x]! - k.ag[top + x]!) * fy) * s;
      const b = (k.ab[top + x]! + (k.ab[bottom + x]! - k.ab[top + x]!) * fy) * s;
      const c = k.b[top + x]! + (k.b[bottom + x]! - k.b[top + x]!) * fy;
      rowR[x] = r;
      rowG[x] = g;
      rowB[x] = b;
      rowK[x] = c;
      qMin[x] = c + 255 * (Math.min(r, 0) + Math.min(g, 0) + Math.min(b, 0));
      qMax[x] = c + 255 * (Math.max(r, 0) + Math.max(g, 0) + Math.max(b, 0));
    }
    const o = y * W;
    // Consecutive cells that are all subject become one fill (a call per 8-px cell costs more than
    // the filling); cells that are all background need nothing, the output starts at 0.
    let opaqueFrom = -1;
    for (let j = 0; j < w; j++) {
      const from = spanStart[j]!;
      const to = spanStart[j + 1]!;
      if (from >= to) continue;
      const j1 = Math.min(j + 1, w - 1);
      if (Math.min(qMin[j]!, qMin[j1]!) >= fullFrom) {
        if (opaqueFrom < 0) opaqueFrom = from;
        continue;
      }
      if (opaqueFrom >= 0) {
        out.fill(255, o + opaqueFrom, o + from);
        opaqueFrom = -1;
      }
      if (Math.max(qMax[j]!, qMax[j1]!) < zeroBelow) continue;
      let p = (y * W + from) * channels;
      for (let x = from; x < to; x++, p += channels) {
        const i0 = x0[x]!, i1 = x1[x]!, t = fx[x]!;
        const aR = rowR[i0]! + (rowR[i1]! - rowR[i0]!) * t;
        const aG = rowG[i0]! + (rowG[i1]! - rowG[i0]!) * t;
        const aB = rowB[i0]! + (rowB[i1]! - rowB[i0]!) * t;
        const bb = rowK[i0]! + (rowK[i1]! - rowK[i0]!) * t;
        const q = aR * data[p]! + aG * data[p + 1]! + aB * data[p + 2]! + bb;
        // A Uint8Array store truncates and wraps, so clamp first; +0.5 makes the truncation round.
        out[o + x] = q <= 0 ? 0 : q >= 1 ? 255 : q * 255 + 0.5;
      }
    }
    if (opaqueFrom >= 0) out.fill(255, o + opaqueFrom, o + W);
  }
  return out;
}

/** The whole refinement: fit on the low-resolution grid, apply at full resolution. */
export function guidedUpsample(low: LowResolution, full: FullResolution, options: GuidedFilterOptions): Uint8Array {
  return applyCoefficients(fitCoefficients(low, options), full);
}
