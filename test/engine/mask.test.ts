import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { coverage, keepMainRegions, robustBox, type Mask } from '../../src/engine/builtin/ops/mask.js';
import { renderScene, SPECS } from '../segment/scenes.js';
import { decodeFirst, run } from './helpers.js';

function blobs(): Mask {
  const width = 400;
  const height = 300;
  const data = new Uint8Array(width * height);
  const disc = (cx: number, cy: number, r: number) => {
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) data[y * width + x] = 255;
  };
  disc(150, 150, 100);
  disc(360, 30, 12);
  return { width, height, data };
}

describe('subject mask clean-up', () => {
  it('drops a stray region far smaller than the subject, keeps the subject whole', async () => {
    const m = blobs();
    const cleaned = await keepMainRegions(m);
    expect(cleaned.data[30 * 400 + 360]).toBe(0);
    expect(cleaned.data[150 * 400 + 150]).toBe(255);
    expect(coverage(cleaned)).toBeCloseTo((Math.PI * 100 * 100) / (400 * 300), 2);
  });

  it('drops a stray region thinner than 5 px, and the soft edges of stray regions, whole', async () => {
    // (sharp's dilate shrinks white shapes: growing the drop with it left these behind.)
    const m = blobs();
    // A 3-px line along the top edge, with a soft fringe under it; a soft ring around the small disc.
    for (let x = 300; x < 390; x++) {
      for (let y = 0; y < 3; y++) m.data[y * 400 + x] = 255;
      m.data[3 * 400 + x] = 100;
    }
    for (let y = 0; y < 300; y++) {
      for (let x = 300; x < 400; x++) {
        const d = Math.hypot(x - 360, y - 30);
        if (d > 12 && d <= 13.5) m.data[y * 400 + x] = 90;
      }
    }
    const cleaned = await keepMainRegions(m);
    let left = 0;
    for (let y = 0; y < 50; y++) for (let x = 300; x < 400; x++) if (cleaned.data[y * 400 + x]) left++;
    expect(left).toBe(0);
    expect(cleaned.data[150 * 400 + 150]).toBe(255);
    expect(coverage(cleaned)).toBeCloseTo((Math.PI * 100 * 100) / (400 * 300), 2);
  });

  it('keeps two subjects of similar size', async () => {
    const m = blobs();
    for (let y = 0; y < 300; y++) for (let x = 300; x < 390; x++) if ((x - 345) ** 2 + (y - 200) ** 2 <= 45 ** 2) m.data[y * 400 + x] = 255;
    const cleaned = await keepMainRegions(m);
    expect(cleaned.data[200 * 400 + 345]).toBe(255);
  });

  it('a box that ignores the outermost specks', () => {
    const m = blobs();
    m.data[299 * 400 + 399] = 255;
    const box = robustBox(m)!;
    expect(box.left).toBeGreaterThanOrEqual(50);
    expect(box.left + box.width).toBeLessThan(380);
  });
});

describe('crop to the subject', () => {
  it('frames the subject: far more of the output is subject than of the input', async () => {
    const scene = await renderScene(SPECS[3]!); // the coffee disc on brick, off-centre
    const input = await sharp(scene.data, { raw: { width: scene.width, height: scene.height, channels: 3 } }).png().toBuffer();
    const result = await run([input], 'crop to the subject', { width: 1024, height: 1024 });
    expect(result.edits).toMatchObject([{ kind: 'crop_subject' }]);
    // The disc is coffee-brown on grey brick: count brown pixels.
    const p = await decodeFirst(result);
    let brown = 0;
    for (let i = 0; i < p.data.length; i += 3) if (p.data[i]! - p.data[i + 2]! > 30) brown++;
    const before = scene.truth.reduce((s, v) => s + (v > 128 ? 1 : 0), 0) / scene.truth.length;
    expect(brown / (p.data.length / 3)).toBeGreaterThan(before * 1.8);
  });
});
