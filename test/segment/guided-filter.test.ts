/** The guided filter on its own: box means against brute force, and edges that follow the guide. */
import { describe, expect, it } from 'vitest';
import { applyCoefficients, boxMean, fitCoefficients, guidedUpsample } from '../../src/engine/builtin/segment/guided-filter.js';

/** Deterministic pseudo-random bytes. */
function noise(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

describe('boxMean', () => {
  it.each([
    [7, 5, 1],
    [16, 9, 3],
    [5, 4, 10], // a window larger than the image
  ])('%ix%i, radius %i: equals the brute-force mean over the clamped window', (w, h, r) => {
    const src = Float32Array.from(noise(w * h), (v) => v / 255);
    const dst = new Float32Array(w * h);
    boxMean(src, w, h, r, dst, new Float32Array(w * h));
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let sum = 0;
        let n = 0;
        for (let v = Math.max(0, y - r); v <= Math.min(h - 1, y + r); v++) {
          for (let u = Math.max(0, x - r); u <= Math.min(w - 1, x + r); u++) {
            sum += src[v * w + u]!;
            n++;
          }
        }
        expect(dst[y * w + x]).toBeCloseTo(sum / n, 5);
      }
    }
  });
});

/** A vertical colour edge at column `edge` (of `width`): red on the left, grey on the right. */
function edgeImage(width: number, height: number, edge: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      out.set(x < edge ? [200, 40, 30] : [90, 90, 90], p);
    }
  }
  return out;
}

describe('guidedUpsample', () => {
  const lw = 64, lh = 48, W = 512, H = 384, edge = 203;
  // The low-resolution mask is a soft ramp 3 cells wide around the edge, as a model's output is.
  const lowEdge = (edge * lw) / W;
  const mask = new Float32Array(lw * lh);
  for (let y = 0; y < lh; y++) for (let x = 0; x < lw; x++) mask[y * lw + x] = Math.min(1, Math.max(0, (lowEdge - (x + 0.5)) / 3 + 0.5));
  const low = { rgb: edgeImage(lw, lh, Math.round(lowEdge)), mask, width: lw, height: lh };
  const full = { data: edgeImage(W, H, edge), width: W, height: H, channels: 3 as const };

  it('puts the edge where the full-resolution photo has it, sharply', () => {
    const row = (levels?: [number, number]) => Array.from(guidedUpsample(low, full, { radius: 4, eps: 1e-3, levels }).subarray(100 * W, 101 * W));
    const midTones = (r: number[]) => r.filter((v) => v > 64 && v < 191).length;
    // The mask's ramp is 24 px wide at full resolution; the photo's edge is one step, and so is the
    // refined mask's, at the same column.
    for (const r of [row(), row([0.06, 0.94])]) {
      expect(midTones(r)).toBe(0);
      expect(r[edge - 1]! - r[edge]!).toBeGreaterThan(150);
    }
    // The levels remove the filter's faint tails on either side.
    const plain = row();
    const levelled = row([0.06, 0.94]);
    const faint = (r: number[]) => r.filter((v) => (v > 0 && v < 20) || (v > 235 && v < 255)).length;
    expect(faint(levelled)).toBeLessThan(faint(plain));
    expect(plain[edge + 32]).toBeGreaterThan(0);
    expect(levelled[edge + 32]).toBe(0);
    expect(levelled[edge - 32]).toBe(255);
  });

  it('keeps a flat mask flat', () => {
    const ones = { ...low, mask: new Float32Array(lw * lh).fill(1), rgb: noise(lw * lh * 3) };
    const out = guidedUpsample(ones, { ...full, data: noise(W * H * 3, 7) }, { radius: 4, eps: 1e-3 });
    expect(out.every((v) => v === 255)).toBe(true);
  });

  it('takes the shortcut for decided cells without changing any pixel', () => {
    // Reference: the same formula evaluated at every pixel, with no cell skipped.
    const k = fitCoefficients({ ...low, rgb: noise(lw * lh * 3, 3) }, { radius: 2, eps: 1e-3 });
    const guide = { ...full, data: noise(W * H * 3, 5), channels: 3 as const };
    const out = applyCoefficients(k, guide);
    const lerp = (plane: Float32Array, u: number, v: number) => {
      const x0 = Math.floor(u), y0 = Math.floor(v), x1 = Math.min(x0 + 1, lw - 1), y1 = Math.min(y0 + 1, lh - 1);
      const fx = u - x0, fy = v - y0;
      const top = plane[y0 * lw + x0]! + (plane[y0 * lw + x1]! - plane[y0 * lw + x0]!) * fx;
      const bottom = plane[y1 * lw + x0]! + (plane[y1 * lw + x1]! - plane[y1 * lw + x0]!) * fx;
      return top + (bottom - top) * fy;
    };
    let worst = 0;
    for (let y = 0; y < H; y += 3) {
      for (let x = 0; x < W; x++) {
        const u = Math.min(Math.max(((x + 0.5) * lw) / W - 0.5, 0), lw - 1);
        const v = Math.min(Math.max(((y + 0.5) * lh) / H - 0.5, 0), lh - 1);
        const p = (y * W + x) * 3;
        const q = (lerp(k.ar, u, v) * guide.data[p]! + lerp(k.ag, u, v) * guide.data[p + 1]! + lerp(k.ab, u, v) * guide.data[p + 2]!) / 255 + lerp(k.b, u, v);
        const expected = Math.round(Math.min(1, Math.max(0, q)) * 255);
        worst = Math.max(worst, Math.abs(out[y * W + x]! - expected));
      }
    }
    expect(worst).toBeLessThanOrEqual(1); // float32 rounding of the interpolated rows, at most
  });
});
