import { describe, expect, it } from 'vitest';
import type { Raster } from '../../src/engine/builtin/raster.js';
import { inpaint } from '../../src/engine/builtin/text/inpaint.js';
import { fillHarmonic } from '../../src/engine/builtin/text/membrane.js';

/** The fill alone, on synthetic holes where the right answer is known. */

function ring(w: number, h: number): Uint8Array {
  // A hole shaped like a thick letter O and a bar: interior islands, thin and thick parts.
  const hole = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const r = Math.hypot(x - w * 0.35, y - h / 2);
      if ((r > 14 && r < 30) || (x > w * 0.6 && x < w * 0.8 && y > h * 0.2 && y < h * 0.8)) hole[y * w + x] = 1;
    }
  }
  return hole;
}

describe('fillHarmonic', () => {
  it('continues a linear gradient exactly', () => {
    const w = 120;
    const h = 90;
    const truth = Float32Array.from({ length: w * h }, (_, i) => 40 + 0.8 * (i % w) + 0.5 * Math.floor(i / w));
    const values = truth.slice();
    const hole = ring(w, h);
    const known = Uint8Array.from(hole, (v) => 1 - v);
    for (let i = 0; i < values.length; i++) if (hole[i]) values[i] = 0;
    fillHarmonic([values], known, w, h);
    let worst = 0;
    for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(values[i]! - truth[i]!));
    expect(worst).toBeLessThan(0.5);
  });
});

describe('inpaint', () => {
  const w = 200;
  const h = 140;
  /** Stripes plus a ramp: structure the membrane cannot invent and the texture pass must copy. */
  const textured = (): Raster => {
    const data = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = 90 + 0.3 * x + (Math.floor((x + 2 * y) / 6) % 2 === 0 ? 30 : 0);
        for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = Math.round(v - 10 * c);
      }
    }
    return { data, width: w, height: h, channels: 3 };
  };

  it('gives the hole the texture of its surroundings, deterministically', () => {
    const original = textured();
    const hole = ring(w, h);
    const damaged: Raster = { ...original, data: Buffer.from(original.data) };
    for (let i = 0; i < hole.length; i++) if (hole[i]) damaged.data.fill(255, i * 3, i * 3 + 3);
    const region = { x0: 0, y0: 0, width: w, height: h, hole, avoid: new Uint8Array(w * h), textHeight: 40 };
    const a: Raster = { ...damaged, data: Buffer.from(damaged.data) };
    const b: Raster = { ...damaged, data: Buffer.from(damaged.data) };
    inpaint(a, region);
    inpaint(b, region);
    expect(a.data.equals(b.data)).toBe(true);

    // The stripes' contrast survives: the filled pixels spread as widely as the real ones there would.
    const spread = (r: Raster) => {
      const vs: number[] = [];
      for (let i = 0; i < hole.length; i++) if (hole[i]) vs.push(r.data[i * 3]!);
      const mean = vs.reduce((s, v) => s + v, 0) / vs.length;
      return Math.sqrt(vs.reduce((s, v) => s + (v - mean) ** 2, 0) / vs.length);
    };
    expect(spread(a)).toBeGreaterThan(0.7 * spread(original));
    // And outside the hole nothing moves.
    for (let i = 0; i < hole.length; i++) if (!hole[i]) expect(a.data[i * 3]).toBe(original.data[i * 3]);
  });
});
