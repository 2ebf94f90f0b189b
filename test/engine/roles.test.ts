/**
 * Fusion roles with known truth (test/engine/fusion-scenes.ts): a wide scene with one main object (the
 * boat), a figure on a plain backdrop, a close-up, the horse silhouette. The roles the engine reports,
 * and where it put the subject against the scene's truth.
 */
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EngineResult } from '../../src/engine/types.js';
import { boatScene, catCloseUp, coveredShare, personOnBackdrop, type Reference } from './fusion-scenes.js';
import { Segmenter } from '../../src/engine/builtin/segment/index.js';
import { run } from './helpers.js';

interface Placed {
  source: number;
  into: number;
  box: { left: number; top: number; width: number; height: number };
}

const placed = (r: EngineResult) => r.edits.filter((e) => e.kind === 'place').map((e) => e.params as unknown as Placed);
const fuse = (refs: Reference[], prompt: string, scene: Reference) => run(refs.map((r) => r.png), prompt, { width: scene.width, height: scene.height });
/** The middle of a placed box: a cut-out's box has soft margins and the figure's narrower parts. */
const core = (b: Placed['box']) => ({ left: b.left + b.width * 0.2, top: b.top + b.height * 0.15, width: b.width * 0.6, height: b.height * 0.7 });

let boat: Reference;
let person: Reference;
let cat: Reference;

beforeAll(async () => {
  [boat, person, cat] = await Promise.all([boatScene(), personOnBackdrop(), catCloseUp()]);
  // The segmenters load here, not inside the first test's time.
  await Promise.all([Segmenter.shared(), Segmenter.coarse(), Segmenter.forSubjects()]);
}, 60_000);

describe("the seed's sentence, in both image orders", () => {
  for (const order of ['girl first', 'boat first'] as const) {
    it(`${order}: the girl's picture goes onto the boat, and the edit says why`, async () => {
      const refs = order === 'girl first' ? [person, boat] : [boat, person];
      const sceneIndex = refs.indexOf(boat);
      const result = await fuse(refs, 'A beautiful girl is sitting on the boat', boat);
      const [p] = placed(result);
      expect(p).toMatchObject({ source: refs.indexOf(person), into: sceneIndex });
      expect(result.edits.find((e) => e.kind === 'scene')?.params).toMatchObject({ image: sceneIndex, chosen: 'from the pictures' });
      // Resting on the top of the boat: the feet within the boat's upper part, over it, not tiny.
      const o = boat.box;
      const bottom = p!.box.top + p!.box.height;
      expect(bottom).toBeGreaterThanOrEqual(o.top - 0.05 * o.height);
      expect(bottom).toBeLessThanOrEqual(o.top + 0.6 * o.height);
      expect(p!.box.left + p!.box.width / 2).toBeGreaterThan(o.left);
      expect(p!.box.left + p!.box.width / 2).toBeLessThan(o.left + o.width);
      expect(p!.box.height).toBeGreaterThan(0.5 * o.height);
      // The scene is the boat's picture: away from the girl, the output is the boat scene.
      const out = await sharp(result.images[0]!.data).raw().toBuffer();
      const ref = await sharp(boat.png).raw().toBuffer();
      let diff = 0;
      let n = 0;
      for (let y = 0; y < 200; y += 4) for (let x = 0; x < boat.width; x += 4, n++) diff += Math.abs(out[(y * boat.width + x) * 3]! - ref[(y * boat.width + x) * 3]!);
      expect(diff / n).toBeLessThan(6);
    });
  }
});

describe('placements', () => {
  it('a placement without a position is never over the scene\'s main object', async () => {
    const result = await fuse([boat, person], 'put the person from image 2 into image 1', boat);
    const [p] = placed(result);
    expect(p).toMatchObject({ source: 1, into: 0 });
    expect(coveredShare(boat, core(p!.box))).toBeLessThan(0.05);
  });

  it('with no words to go by, the picture with the widest background is the scene', async () => {
    const result = await fuse([person, boat], 'combine the two images', boat);
    expect(placed(result)).toMatchObject([{ source: 0, into: 1 }]);
    expect(String(result.edits.find((e) => e.kind === 'scene')?.params.reason)).toMatch(/image 2 .*scene/);
  });

  it('a close-up is placed with a soft, faded edge and a warning, never as a hard rectangle', async () => {
    const result = await fuse([boat, cat], 'put the cat from image 2 into image 1', boat);
    expect(result.warnings.join(' ')).toMatch(/image 2 could not be cut out cleanly \(it fills its frame\)/);
    const [p] = placed(result);
    const out = await sharp(result.images[0]!.data).raw().toBuffer();
    const ref = await sharp(boat.png).raw().toBuffer();
    // Along the placed box's border the scene shows through: nothing of the cat's rectangle edge.
    const { left, top, width, height } = p!.box;
    const border: number[] = [];
    for (let x = left; x < left + width; x += 2) border.push((top + 1) * boat.width + x, (top + height - 2) * boat.width + x);
    for (let y = top; y < top + height; y += 2) border.push(y * boat.width + left + 1, y * boat.width + left + width - 2);
    const change = border.reduce((s, i) => s + Math.abs(out[i * 3]! - ref[i * 3]!) + Math.abs(out[i * 3 + 1]! - ref[i * 3 + 1]!), 0) / (2 * border.length);
    expect(change).toBeLessThan(6);
    // And the cat is there, in the middle of its box.
    const mid = (Math.round(top + height / 2) * boat.width + Math.round(left + width / 2)) * 3;
    expect(Math.abs(out[mid]! - ref[mid]!) + Math.abs(out[mid + 1]! - ref[mid + 1]!)).toBeGreaterThan(20);
  });
});
