/** `scale` is the strength of the prompt: every tone edit moves its measure strictly with scale, and 0 is the plain fit. */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { fitRaster } from '../../src/engine/builtin/fit.js';
import { decode, fromRaster } from '../../src/engine/builtin/raster.js';
import { photo } from '../helpers/paths.js';
import { chroma, decodeFirst, lumaStd, laplacian, luma, mean, pixels, run, type Pixels } from './helpers.js';

const SCALES = [0, 0.25, 0.5, 0.75, 1];

const cornerRatio = (p: Pixels) => {
  const corner = (x: number, y: number) => (x < p.width * 0.12 || x > p.width * 0.88) && (y < p.height * 0.12 || y > p.height * 0.88);
  const centre = (x: number, y: number) => Math.abs(x - p.width / 2) < p.width * 0.15 && Math.abs(y - p.height / 2) < p.height * 0.15;
  return mean(p, luma, corner) / mean(p, luma, centre);
};

/** How far each pixel is from a sepia toning of itself (g/r ≈ 0.89, b/r ≈ 0.69). */
const sepiaDistance = (p: Pixels) => mean(p, (r, g, b) => (r < 30 ? 0 : Math.abs(g / r - 0.89) + Math.abs(b / r - 0.69)));

/**
 * The last column: an effect whose nominal strength is already the whole effect (black and white,
 * sepia, vintage) moves strictly up to scale 0.5 and then stays (the clamp), never backwards.
 */
const cases: [string, string, (p: Pixels) => number, 'up' | 'down', 'saturates'?][] = [
  ['make it brighter', 'coffee.png', (p) => mean(p, luma), 'up'],
  ['darken the photo', 'coffee.png', (p) => mean(p, luma), 'down'],
  ['increase the exposure', 'astronaut.png', (p) => mean(p, luma), 'up'],
  ['more contrast', 'astronaut.png', lumaStd, 'up'],
  ['make the colours pop', 'astronaut.png', (p) => mean(p, chroma), 'up'],
  ['desaturate it', 'astronaut.png', (p) => mean(p, chroma), 'down'],
  ['make it warmer', 'astronaut.png', (p) => mean(p, (r, _g, b) => r - b), 'up'],
  ['cooler tones please', 'astronaut.png', (p) => mean(p, (r, _g, b) => r - b), 'down'],
  ['add a magenta tint', 'astronaut.png', (p) => mean(p, (r, g, b) => (r + b) / 2 - g), 'up'],
  ['black and white', 'astronaut.png', (p) => mean(p, chroma), 'down', 'saturates'],
  ['give it a sepia look', 'astronaut.png', sepiaDistance, 'down', 'saturates'],
  ['vintage film look', 'astronaut.png', lumaStd, 'down', 'saturates'],
  ['add a vignette', 'coffee.png', cornerRatio, 'down'],
  ['sharpen it', 'chelsea.png', laplacian, 'up'],
  ['soften the image', 'chelsea.png', laplacian, 'down'],
];

describe('tone edits follow scale strictly', () => {
  it.each(cases)('"%s" on %s', async (prompt, source, measure, direction, saturates) => {
    const values: number[] = [];
    for (const scale of SCALES) values.push(measure(await decodeFirst(await run([source], prompt, { scale }))));
    const trace = `${prompt}: ${values.map((v) => v.toFixed(3)).join(' → ')}`;
    const sign = direction === 'up' ? 1 : -1;
    for (let i = 1; i < values.length; i++) {
      const step = sign * (values[i]! - values[i - 1]!);
      if (saturates && SCALES[i]! > 0.5) expect(step, trace).toBeGreaterThanOrEqual(-1e-9);
      else expect(step, trace).toBeGreaterThan(0);
    }
  }, 60_000);

  it('"denoise" removes noise, more with scale', async () => {
    const clean = await sharp(photo('coffee.png')).raw().toBuffer({ resolveWithObject: true });
    const noisy = Buffer.from(clean.data);
    let seed = 7;
    for (let i = 0; i < noisy.length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      noisy[i] = Math.max(0, Math.min(255, noisy[i]! + ((seed % 41) - 20)));
    }
    const input = await sharp(noisy, { raw: clean.info }).png().toBuffer();
    const values: number[] = [];
    for (const scale of [0, 0.5, 1]) values.push(laplacian(await decodeFirst(await run([input], 'reduce the noise', { scale, width: 600, height: 400 }))));
    expect(values[1]).toBeLessThan(values[0]! * 0.8);
    expect(values[2]).toBeLessThan(values[1]!);
  });
});

describe('scale 0', () => {
  it('leaves the reference as the plain fit, within one level, and says so', async () => {
    const result = await run(['coffee.png'], 'make it much brighter, more vivid and add a vignette', { scale: 0, width: 2304, height: 1728 });
    expect(result.warnings.join(' ')).toContain('scale is 0');
    expect(result.edits).toEqual([]);
    const plain = await fitRaster(await decode(photo('coffee.png'), { flatten: true }), 2304, 1728);
    const expected = await pixels(await fromRaster(plain).jpeg({ quality: 92, chromaSubsampling: '4:4:4' }).toBuffer());
    const got = await decodeFirst(result);
    let diff = 0;
    for (let i = 0; i < got.data.length; i++) diff += Math.abs(got.data[i]! - expected.data[i]!);
    expect(diff / got.data.length).toBeLessThanOrEqual(1);
  });
});

describe('what was done and what was not', () => {
  it('reports applied edits with their prompt spans, and warns about what it cannot do', async () => {
    const prompt = 'Make her smile and make it brighter';
    const result = await run(['astronaut.png'], prompt);
    const brightness = result.edits.find((e) => e.kind === 'brightness')!;
    expect(brightness).toBeDefined();
    expect(prompt.slice(...brightness.span!)).toMatch(/brighter/);
    expect(result.warnings).toContain("the built-in engine cannot generate new content: 'Make her smile' was not applied");
  });
});
