/** Rotations, flips, zooms and crops; image sets and their determinism. */
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeFirst, luma, mean, pixels, run } from './helpers.js';

/** Left half red, right half blue, a green bar along the top: every turn and flip shows. */
let marked: Buffer;
beforeAll(async () => {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="800"><rect width="400" height="800" fill="#d01010"/><rect x="400" width="400" height="800" fill="#1010d0"/><rect width="800" height="120" fill="#10c010"/></svg>`;
  marked = await sharp(Buffer.from(svg)).png().toBuffer();
});

/** Mean R, G, B of a region (sharp's stats() reads the input, not the extract, so it is done here). */
const channelMean = async (data: Buffer, region: { left: number; top: number; width: number; height: number }) => {
  const p = await pixels(await sharp(data).extract(region).png().toBuffer());
  return [0, 1, 2].map((c) => mean(p, (...rgb) => rgb[c]!));
};

describe('geometry', () => {
  it('rotates 90° clockwise: the red left side ends up on top, the green top on the right', async () => {
    const out = (await run([marked], 'rotate 90 degrees clockwise')).images[0]!.data;
    const [r, , b] = await channelMean(out, { left: 300, top: 20, width: 400, height: 300 });
    expect(r).toBeGreaterThan(b! + 100);
    const [, g] = await channelMean(out, { left: 960, top: 300, width: 40, height: 400 });
    expect(g).toBeGreaterThan(150);
  });

  it('flips horizontally: red and blue change sides', async () => {
    const out = (await run([marked], 'mirror the image')).images[0]!.data;
    const [r, , b] = await channelMean(out, { left: 20, top: 400, width: 300, height: 300 });
    expect(b).toBeGreaterThan(r! + 100);
  });

  it('flips vertically: the green bar goes to the bottom', async () => {
    const out = (await run([marked], 'flip it upside down vertically')).images[0]!.data;
    const [, gBottom] = await channelMean(out, { left: 100, top: 920, width: 800, height: 80 });
    expect(gBottom).toBeGreaterThan(150);
  });

  it('rotates a few degrees with the corners filled from the image, not black', async () => {
    const result = await run(['coffee.png'], 'rotate it 8 degrees', { width: 1200, height: 800 });
    const p = await decodeFirst(result);
    for (const [x, y] of [[2, 2], [p.width - 3, 2], [2, p.height - 3], [p.width - 3, p.height - 3]] as const) {
      const i = (y * p.width + x) * 3;
      expect(luma(p.data[i]!, p.data[i + 1]!, p.data[i + 2]!)).toBeGreaterThan(25);
    }
    expect(result.edits).toMatchObject([{ kind: 'rotate', params: { degrees: 8 } }]);
  });

  it('zooms in on the middle and out with the canvas extended', async () => {
    const zoomedIn = await decodeFirst(await run([marked], 'zoom in 2x'));
    // The green top bar is out of the frame.
    expect(mean(zoomedIn, (_r, g) => g, (_x, y) => y < 40)).toBeLessThan(80);
    const zoomedOut = await run([marked], 'zoom out');
    expect(zoomedOut.edits[0]).toMatchObject({ kind: 'zoom' });
    expect(zoomedOut.images[0]!.width).toBe(1024);
  });
});

describe('image sets', () => {
  it('a prompt asking for several images gets that many, all different, the same every time', async () => {
    const a = await run(['coffee.png'], 'three variations, warmer');
    expect(a.images).toHaveLength(3);
    const hashes = a.images.map((i) => i.data.toString('base64').slice(-200));
    expect(new Set(hashes).size).toBe(3);
    const b = await run(['coffee.png'], 'three variations, warmer');
    b.images.forEach((img, i) => expect(img.data.equals(a.images[i]!.data)).toBe(true));
    for (const img of a.images) expect((await pixels(img.data)).width).toBe(1024);
  });

  it('force_single always gives exactly one', async () => {
    const result = await run(['coffee.png'], 'a set of 4 images', { forceSingle: true });
    expect(result.images).toHaveLength(1);
  });

  it('a set is capped at 15 minus the number of inputs', async () => {
    const result = await run(['coffee.png', 'chelsea.png'], 'a series of 20 variations', { width: 1024, height: 1024 });
    expect(result.images).toHaveLength(13);
  }, 60_000);
});
