/**
 * Subject segmentation with the real ISNet model: subject-mask IoU on synthetic scenes of known truth,
 * soft and faithful edges at full resolution, determinism, the shared instance, concurrency, aborts.
 * The model is loaded once for the whole file.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Segmenter, type SegmentedMask } from '../../src/engine/builtin/segment/index.js';
import { SPECS, edgeBand, iou, renderScene, type Scene } from './scenes.js';

const image = (s: Scene) => ({ data: s.data, width: s.width, height: s.height, channels: 3 as const });

let segmenter: Segmenter;
const scenes = new Map<string, Scene>();
const masks = new Map<string, SegmentedMask>();

beforeAll(async () => {
  // Two callers at once share one load.
  const [a, b] = await Promise.all([Segmenter.shared(), Segmenter.shared()]);
  expect(a).toBe(b);
  segmenter = a;
  for (const spec of SPECS) scenes.set(spec.name, await renderScene(spec));
}, 60_000);

describe('subject mask', () => {
  it.each(SPECS.map((s) => [s.name]))('%s: IoU ≥ 0.9 with the true shape', async (name) => {
    const scene = scenes.get(name)!;
    const mask = await segmenter.segment(image(scene));
    masks.set(name, mask);
    expect([mask.width, mask.height]).toEqual([scene.width, scene.height]);
    expect(mask.data).toHaveLength(scene.width * scene.height);
    expect(iou(mask.data, scene.truth)).toBeGreaterThanOrEqual(0.9);
  });

  it('is deterministic: the same input gives the same bytes', async () => {
    const name = SPECS[0]!.name;
    const again = await segmenter.segment(image(scenes.get(name)!));
    expect(Buffer.from(again.data).equals(Buffer.from(masks.get(name)!.data))).toBe(true);
  });

  it('reads RGBA the same as RGB (alpha is ignored)', async () => {
    const scene = scenes.get(SPECS[1]!.name)!;
    const rgba = Buffer.alloc(scene.width * scene.height * 4, 255);
    for (let i = 0, j = 0; i < scene.data.length; i += 3, j += 4) scene.data.copy(rgba, j, i, i + 3);
    const mask = await segmenter.segment({ data: rgba, width: scene.width, height: scene.height, channels: 4 });
    expect(Buffer.from(mask.data).equals(Buffer.from(masks.get(scene.name)!.data))).toBe(true);
  });

  it('gives the mask at another size when asked', async () => {
    const scene = scenes.get(SPECS[3]!.name)!;
    const mask = await segmenter.segment(image(scene), { width: 512, height: 384 });
    expect([mask.width, mask.height, mask.data.length]).toEqual([512, 384, 512 * 384]);
    // The truth at that size: every other pixel of every other row, near enough for IoU.
    const truth = new Uint8Array(512 * 384);
    for (let y = 0; y < 384; y++) for (let x = 0; x < 512; x++) truth[y * 512 + x] = scene.truth[2 * y * scene.width + 2 * x]!;
    expect(iou(mask.data, truth)).toBeGreaterThanOrEqual(0.9);
  });

  it('gives the model its own, unrefined mask for a quick look: the same subject, at the size asked for', async () => {
    const scene = scenes.get(SPECS[3]!.name)!;
    const [coarse, refined] = await Promise.all([
      segmenter.segment(image(scene), { width: 512, height: 384, refine: false }),
      segmenter.segment(image(scene), { width: 512, height: 384 }),
    ]);
    expect([coarse.width, coarse.height, coarse.data.length]).toEqual([512, 384, 512 * 384]);
    const truth = new Uint8Array(512 * 384);
    for (let y = 0; y < 384; y++) for (let x = 0; x < 512; x++) truth[y * 512 + x] = scene.truth[2 * y * scene.width + 2 * x]!;
    expect(iou(coarse.data, truth)).toBeGreaterThanOrEqual(0.9);
    expect(iou(coarse.data, refined.data)).toBeGreaterThanOrEqual(0.95);
    // Not the refined mask under another name: the guided filter was skipped.
    expect(Buffer.from(coarse.data).equals(Buffer.from(refined.data))).toBe(false);
  });
});

describe('full-resolution refinement', () => {
  it('follows the shape at 2048x1536 with soft, narrow edges, not blocks', async () => {
    const scene = await renderScene(SPECS[0]!, 2);
    const mask = await segmenter.segment(image(scene));
    const { data, width, height } = mask;
    expect(iou(data, scene.truth)).toBeGreaterThanOrEqual(0.9);

    const soft = (i: number) => data[i]! > 10 && data[i]! < 245;
    // Along the boundary there are intermediate values (an antialiased, feathered edge)...
    const near = edgeBand(scene.truth, width, height, 3);
    const softNear = near.filter(soft).length;
    expect(softNear).toBeGreaterThan(near.length * 0.05);
    // ...and away from it the mask is decided: the softness is at the edge, not a blur everywhere.
    const inBand = new Uint8Array(width * height);
    for (const i of edgeBand(scene.truth, width, height, 24)) inBand[i] = 1;
    let far = 0;
    let softFar = 0;
    for (let i = 0; i < data.length; i++) {
      if (inBand[i]) continue;
      far++;
      if (soft(i)) softFar++;
    }
    expect(softFar / far).toBeLessThan(0.01);
    // Not blocky: the model's grid is 4 px here, yet the 128 contour does not step in 4-px blocks:
    // along the top of the ellipse, where it is nearly flat, the contour row changes by at most
    // 2 px between neighbouring columns.
    const contour: number[] = [];
    for (let x = width / 2 - 150; x < width / 2 + 150; x++) {
      let y = 0;
      while (y < height && data[y * width + x]! < 128) y++;
      contour.push(y);
    }
    const steps = contour.slice(1).map((y, i) => Math.abs(y - contour[i]!));
    expect(Math.max(...steps)).toBeLessThanOrEqual(2);
  }, 60_000);
});

describe('the shared segmenter', () => {
  it('is loaded once and kept', async () => {
    expect(await Segmenter.shared()).toBe(segmenter);
  });

  it('runs concurrent calls safely, each giving what it gives alone', async () => {
    const names = SPECS.map((s) => s.name);
    const results = await Promise.all(names.map((name) => segmenter.segment(image(scenes.get(name)!))));
    for (const [k, name] of names.entries()) {
      expect(Buffer.from(results[k]!.data).equals(Buffer.from(masks.get(name)!.data))).toBe(true);
    }
    // They took turns at the model instead of fighting over the same cores: the last one waited for
    // at least one whole run of another.
    const queued = Math.max(...results.map((r) => r.timings.queued));
    expect(queued).toBeGreaterThanOrEqual(Math.min(...results.map((r) => r.timings.model)));
  });

  it('runs passes in the order they were asked for, even when a later image is quicker to scale down', async () => {
    // The engine relies on it: a subject's pass first, then the quick look at the scene, whose model run
    // overlaps the subject's refinement and cut-out.
    const side = 3000;
    const big = { data: Buffer.alloc(side * side * 3), width: side, height: side, channels: 3 as const };
    for (let i = 0; i < big.data.length; i++) big.data[i] = (i * 7919) % 251;
    const order: string[] = [];
    await Promise.all([
      segmenter.segment(big, { width: 64, height: 64, refine: false }).then(() => order.push('big, asked first')),
      segmenter.segment(image(scenes.get(SPECS[0]!.name)!), { width: 64, height: 64, refine: false }).then(() => order.push('small')),
    ]);
    expect(order).toEqual(['big, asked first', 'small']);
  });
});

describe('abort and bad input', () => {
  it('refuses an already aborted signal without running the model', async () => {
    const controller = new AbortController();
    controller.abort(new Error('lease lost'));
    await expect(segmenter.segment(image(scenes.get(SPECS[0]!.name)!), { signal: controller.signal })).rejects.toThrow('lease lost');
  });

  it('drops a queued call when its signal aborts, and the others carry on', async () => {
    const scene = scenes.get(SPECS[0]!.name)!;
    const controller = new AbortController();
    const first = segmenter.segment(image(scene));
    const second = segmenter.segment(image(scene), { signal: controller.signal });
    const queuedAt = performance.now();
    setTimeout(() => controller.abort(new Error('cancelled')), 50);
    await expect(second).rejects.toThrow('cancelled');
    const rejectedAfter = performance.now() - queuedAt;
    const done = await first;
    expect(Buffer.from(done.data).equals(Buffer.from(masks.get(scene.name)!.data))).toBe(true);
    // The abort did not wait for the run ahead of it.
    expect(rejectedAfter).toBeLessThan(done.timings.prepare + done.timings.model);
  });

  it('rejects pixels that do not match the size', async () => {
    await expect(segmenter.segment({ data: Buffer.alloc(10), width: 4, height: 4, channels: 3 })).rejects.toThrow(RangeError);
  });

  it('rejects an input size the graph cannot take, before loading anything', async () => {
    await expect(Segmenter.load({ inputSize: 500 })).rejects.toThrow(/multiple of 32/);
  });
});
