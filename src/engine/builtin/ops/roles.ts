/**
 * What each reference is, read from the picture itself: a scene (a place, with a wide and varied
 * background around its main object) or a subject to cut out (a figure on a plain backdrop, a bust, a
 * close-up). Used when the prompt's words do not say which picture is which ("A beautiful girl is
 * sitting on the boat" with two pictures), and to decide how cleanly a subject can be cut out.
 */
import type { Raster } from '../raster.js';
import type { Mask } from './mask.js';

export interface Reading {
  /** Share of the frame that is subject (mask at least half on). */
  coverage: number;
  /** Frame edges the subject touches (top, right, bottom, left), at least 2 % of the edge's length each. */
  edges: { top: boolean; right: boolean; bottom: boolean; left: boolean };
  /** Spread of the background's luma (0..255): a studio backdrop is near 0, a landscape 30 or more. */
  backgroundDetail: number;
  /** Share of the subject's pixels whose mask is neither clearly on nor clearly off. */
  unsure: number;
}

/** What the picture is, from its subject mask (which may be smaller than the image: it is mapped onto it). */
export function readPicture(image: Raster, mask: Mask): Reading {
  const { width: w, height: h } = mask;
  const kx = image.width / w;
  const ky = image.height / h;
  let on = 0;
  let soft = 0;
  let any = 0;
  let sum = 0;
  let sq = 0;
  let bg = 0;
  // Some 100,000 samples: these are shares and spreads, not edges.
  const step = Math.max(1, Math.round(Math.sqrt((w * h) / 100_000)));
  for (let y = 0; y < h; y += step) {
    for (let x = 0; x < w; x += step) {
      const p = y * w + x;
      const m = mask.data[p]!;
      if (m >= 128) on++;
      if (m > 24) {
        any++;
        if (m < 230) soft++;
      }
      if (m < 64) {
        const i = (Math.floor(y * ky) * image.width + Math.floor(x * kx)) * image.channels;
        const l = 0.2126 * image.data[i]! + 0.7152 * image.data[i + 1]! + 0.0722 * image.data[i + 2]!;
        sum += l;
        sq += l * l;
        bg++;
      }
    }
  }
  const total = Math.ceil(w / step) * Math.ceil(h / step);
  const edgeShare = (count: number, length: number) => count / length >= 0.02;
  let top = 0, bottom = 0, left = 0, right = 0;
  for (let x = 0; x < w; x++) {
    if (mask.data[x]! >= 128) top++;
    if (mask.data[(h - 1) * w + x]! >= 128) bottom++;
  }
  for (let y = 0; y < h; y++) {
    if (mask.data[y * w]! >= 128) left++;
    if (mask.data[y * w + w - 1]! >= 128) right++;
  }
  const mean = bg ? sum / bg : 0;
  return {
    coverage: on / total,
    edges: { top: edgeShare(top, w), right: edgeShare(right, h), bottom: edgeShare(bottom, w), left: edgeShare(left, h) },
    backgroundDetail: bg > 16 ? Math.sqrt(Math.max(0, sq / bg - mean * mean)) : 0,
    unsure: any ? soft / any : 1,
  };
}

const edgeCount = (r: Reading) => Number(r.edges.top) + Number(r.edges.right) + Number(r.edges.bottom) + Number(r.edges.left);

/**
 * How much a picture looks like a scene rather than a subject to cut out: the share of background,
 * less a quarter for every frame edge the subject runs into (a bust or a close-up is a subject), plus
 * up to 0.3 for a varied background (a plain backdrop is where subjects are photographed to be cut out).
 */
export function sceneScore(r: Reading): number {
  return 1 - r.coverage - 0.25 * edgeCount(r) + 0.3 * Math.min(1, r.backgroundDetail / 40);
}

/**
 * A subject that cannot be cut out cleanly: it runs into three or more frame edges (a close-up fills
 * its frame, so its "outline" is mostly the frame), or a good part of its mask is undecided.
 */
export function cutsBadly(r: Reading): string | undefined {
  if (edgeCount(r) >= 3) return 'it fills its frame';
  if (r.unsure > 0.35) return 'its outline is unclear';
  return undefined;
}

/** The reference that is most a scene, and a sentence saying why (for the applied edit). */
export function chooseScene(readings: readonly Reading[]): { scene: number; reason: string } {
  const scores = readings.map(sceneScore);
  let scene = 0;
  scores.forEach((s, i) => {
    if (s > scores[scene]!) scene = i;
  });
  const describe = (i: number) => {
    const r = readings[i]!;
    const parts = [`its subject covers ${Math.round(r.coverage * 100)}% of the frame`];
    const edges = edgeCount(r);
    if (edges) parts.push(`reaches ${edges} edge${edges > 1 ? 's' : ''}`);
    parts.push(r.backgroundDetail >= 20 ? 'its background is varied' : 'its background is plain');
    return `image ${i + 1}: ${parts.join(', ')}`;
  };
  const others = readings.map((_, i) => i).filter((i) => i !== scene);
  return {
    scene,
    reason: `image ${scene + 1} has the widest, most varied background, so it is the scene (${describe(scene)}; ${others.map(describe).join('; ')})`,
  };
}
