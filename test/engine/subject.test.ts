/**
 * Subject-aware edits and fusion on synthetic scenes whose truth is known: a shape filled with one
 * real photo on another's texture (test/segment/scenes.ts).
 */
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderScene, SPECS, type Scene } from '../segment/scenes.js';
import { Segmenter } from '../../src/engine/builtin/segment/index.js';
import { decodeFirst, luma, mean, run, type Pixels } from './helpers.js';

// 1024x768 scenes: 2304x1728 is the same 4:3, so an output pixel maps straight onto the truth.
const SIZE = { width: 2304, height: 1728 };
const k = 2304 / 1024;

let scene: Scene;
let sceneJpeg: Buffer;
const inTruth = (s: Scene, x: number, y: number) => s.truth[Math.min(s.height - 1, Math.floor(y / k)) * s.width + Math.min(s.width - 1, Math.floor(x / k))]! >= 250;
const outsideTruth = (s: Scene, x: number, y: number) => s.truth[Math.min(s.height - 1, Math.floor(y / k)) * s.width + Math.min(s.width - 1, Math.floor(x / k))]! <= 5;

beforeAll(async () => {
  scene = await renderScene(SPECS[0]!); // the astronaut ellipse on grass
  sceneJpeg = await sharp(scene.data, { raw: { width: scene.width, height: scene.height, channels: 3 } }).png().toBuffer();
  // The segmenters load here, not inside the first test's time.
  await Promise.all([Segmenter.shared(), Segmenter.coarse(), Segmenter.forSubjects()]);
}, 60_000);

describe('background', () => {
  it('removed: a PNG whose background is transparent and whose subject is opaque', async () => {
    const result = await run([sceneJpeg], 'remove the background', SIZE);
    expect(result.images[0]!.format).toBe('png');
    const p = await decodeFirst(result);
    expect(p.channels).toBe(4);
    expect(mean(p, (_r, _g, _b, a) => a, (x, y) => outsideTruth(scene, x, y))).toBeLessThan(8);
    expect(mean(p, (_r, _g, _b, a) => a, (x, y) => inTruth(scene, x, y))).toBeGreaterThan(247);
  });

  it('replaced by a named colour: the background becomes that colour, the subject stays', async () => {
    const p = await decodeFirst(await run([sceneJpeg], 'put it on a white background', SIZE));
    expect(p.channels).toBe(3);
    expect(mean(p, luma, (x, y) => outsideTruth(scene, x, y))).toBeGreaterThan(245);
    const before = await decodeFirst(await run([sceneJpeg], 'nothing', { ...SIZE, scale: 0 }));
    const subjectNow = mean(p, luma, (x, y) => inTruth(scene, x, y));
    expect(Math.abs(subjectNow - mean(before, luma, (x, y) => inTruth(scene, x, y)))).toBeLessThan(3);
  });

  it('replaced by another reference: the grass gives way to the brick photo', async () => {
    const p = await decodeFirst(await run([sceneJpeg, 'brick.png'], 'replace the background with image 2', SIZE));
    const brick = await sharp((await import('../helpers/paths.js')).photo('brick.png')).resize(SIZE.width, SIZE.height, { fit: 'cover' }).raw().toBuffer();
    let diff = 0;
    let n = 0;
    for (let y = 0; y < p.height; y += 4) {
      for (let x = 0; x < p.width; x += 4) {
        if (!outsideTruth(scene, x, y)) continue;
        const i = (y * p.width + x) * p.channels;
        const j = (y * p.width + x) * 3;
        diff += Math.abs(luma(p.data[i]!, p.data[i + 1]!, p.data[i + 2]!) - luma(brick[j]!, brick[j + 1]!, brick[j + 2]!));
        n++;
      }
    }
    expect(diff / n).toBeLessThan(25);
  });

  it('blurred (portrait mode): detail goes from the background and stays on the subject', async () => {
    const plain = await decodeFirst(await run([sceneJpeg], 'nothing', { ...SIZE, scale: 0 }));
    const blurred = await decodeFirst(await run([sceneJpeg], 'blur the background', SIZE));
    const detail = (p: Pixels, region: (x: number, y: number) => boolean) => {
      let sum = 0;
      let n = 0;
      for (let y = 2; y < p.height - 2; y += 3) {
        for (let x = 2; x < p.width - 2; x += 3) {
          if (!region(x, y)) continue;
          const L = (dx: number, dy: number) => {
            const i = ((y + dy) * p.width + x + dx) * p.channels;
            return luma(p.data[i]!, p.data[i + 1]!, p.data[i + 2]!);
          };
          sum += Math.abs(4 * L(0, 0) - L(-1, 0) - L(1, 0) - L(0, -1) - L(0, 1));
          n++;
        }
      }
      return sum / n;
    };
    const bg = (x: number, y: number) => outsideTruth(scene, x, y);
    const fg = (x: number, y: number) => inTruth(scene, x, y);
    expect(detail(blurred, bg)).toBeLessThan(detail(plain, bg) * 0.5);
    expect(detail(blurred, fg)).toBeGreaterThan(detail(plain, fg) * 0.9);
  });
});

describe('fusion', () => {
  /** Where the output differs from the plain scene: the share of the difference in the left half. */
  async function leftShare(prompt: string): Promise<number> {
    const plain = await decodeFirst(await run(['brick.png'], 'nothing', { scale: 0 }));
    const fused = await decodeFirst(await run(['brick.png', sceneJpeg], prompt));
    let left = 0;
    let all = 0;
    for (let y = 0; y < fused.height; y += 2) {
      for (let x = 0; x < fused.width; x += 2) {
        const i = (y * fused.width + x) * 3;
        const d = Math.abs(fused.data[i]! - plain.data[i]!) + Math.abs(fused.data[i + 1]! - plain.data[i + 1]!) + Math.abs(fused.data[i + 2]! - plain.data[i + 2]!);
        all += d;
        if (x < fused.width / 2) left += d;
      }
    }
    return left / all;
  }

  it('puts the subject of image 2 where the prompt says: left', async () => {
    expect(await leftShare('put the astronaut from image 2 on the left')).toBeGreaterThan(0.85);
  });

  it('puts the subject of image 2 where the prompt says: right', async () => {
    expect(await leftShare('place image 2 on the right side')).toBeLessThan(0.15);
  });

  it('a subject placed behind the scene\'s own object is hidden by it', async () => {
    const disc = await renderScene(SPECS[3]!); // the coffee disc on brick
    const discPng = await sharp(disc.data, { raw: { width: disc.width, height: disc.height, channels: 3 } }).png().toBuffer();
    const horse = await sharp((await import('../helpers/paths.js')).photo('horse.png')).flatten({ background: '#ffffff' }).png().toBuffer();
    const plain = await decodeFirst(await run([discPng], 'nothing', { ...SIZE, scale: 0 }));
    const result = await run([discPng, horse], 'the horse from image 2 is standing behind the disc', SIZE);
    expect(result.edits[0]).toMatchObject({ kind: 'place', params: { anchor: { relation: 'behind' } } });
    const fused = await decodeFirst(result);
    const change = (region: (x: number, y: number) => boolean) =>
      mean(fused, (r, g, b) => r + g + b, region) - mean(plain, (r, g, b) => r + g + b, region);
    // In front, the disc is untouched; around it, the dark horse shows.
    expect(Math.abs(change((x, y) => inTruth(disc, x, y)))).toBeLessThan(3);
    const box = result.edits[0]!.params.box as { left: number; top: number; width: number; height: number };
    const scaleX = SIZE.width / disc.width;
    const inBoxOutsideDisc = (x: number, y: number) =>
      outsideTruth(disc, x, y) && x >= box.left * scaleX && x < (box.left + box.width) * scaleX && y >= box.top * scaleX && y < (box.top + box.height) * scaleX;
    expect(change(inBoxOutsideDisc)).toBeLessThan(-20);
  });

  // Two full 2048² runs, each with a quick look at both pictures and two full masks: allowed a minute.
  it('the seed example fuses the two references, the scene chosen from the pictures, and says what it did', { timeout: 60_000 }, async () => {
    const result = await run(['coffee.png', sceneJpeg], 'A beautiful girl is sitting on the boat', { width: 2048, height: 2048 });
    expect(result.images).toHaveLength(1);
    expect(result.edits.map((e) => e.kind)).toContain('place');
    expect(result.edits.find((e) => e.kind === 'scene')?.params).toMatchObject({ chosen: 'from the pictures' });
    const again = await run(['coffee.png', sceneJpeg], 'A beautiful girl is sitting on the boat', { width: 2048, height: 2048 });
    expect(again.images[0]!.data.equals(result.images[0]!.data)).toBe(true);
  });
});
