import type { Raster } from '../raster.js';
import { distanceFromPlane, fitPlane, INSIDE, patchAround, regions, type Patch } from './background.js';
import { components, dilate, distanceTo, otsu } from './binary.js';
import { inflate, type Frame, type OrientedBox } from './geometry.js';
import { baselineTilt, levelGlyphs, measureInk, refineAngle, type Ink, type Upright } from './level.js';

/**
 * The glyphs of one found phrase, measured: which pixels are ink, their colour, the exact angle, the
 * baseline and the height of the letters, and the mask to erase.
 *
 * The background comes from a ring around the word box (background.ts). Inside the box, a pixel's
 * distance from it separates ink from background (Otsu's threshold); the ink colour is the median of the
 * ink pixels farthest from the background, which skips the anti-aliased edges that a box-wide average
 * would mix in. Each step is a small function of its own (see background.ts for why).
 */

export type Rgb = [number, number, number];

export interface Crop {
  x0: number;
  y0: number;
  width: number;
  height: number;
}

export interface GlyphAnalysis {
  /** Centred on the OCR box, at the measured angle. */
  frame: Frame;
  colour: Rgb;
  /** The background model at the frame's origin. */
  background: Rgb;
  ink: Ink;
  upright: Upright;
  /** Pixels to erase, 1 = erase, over `crop` of the image. */
  erase: Crop & { data: Uint8Array };
}

export type GlyphResult = { ok: true; glyphs: GlyphAnalysis } | { ok: false; reason: string };

/** Below this distance between ink and background (RGB, 0..441) there is nothing reliable to separate. */
const MIN_CONTRAST = 18;

export function analyseGlyphs(image: Raster, box: OrientedBox, avoid: readonly OrientedBox[]): GlyphResult {
  const h = box.height;
  const inner = inflate(box, Math.max(2, 0.15 * h));
  const outer = inflate(inner, Math.max(4, 0.4 * h));
  const patch = patchAround(image, outer);
  if (!patch) return { ok: false, reason: 'the text lies outside the image' };
  const region = regions(patch, inner, outer, avoid);
  const plane = fitPlane(patch, region, box.cx, box.cy);
  if (!plane) return { ok: false, reason: 'there is no background around the text to measure' };
  const { bg, dist, max } = distanceFromPlane(patch, region, plane);
  if (max < MIN_CONTRAST) return { ok: false, reason: 'the text does not stand out from its background' };
  const threshold = Math.max(MIN_CONTRAST / 2, otsuOf(dist, region, max), 2 * plane.noise);

  const colour = inkColour(patch, region, dist, threshold);
  if (!colour) return { ok: false, reason: 'no letters could be told from the background' };
  const background = plane.coef.map((p) => Math.round(Math.min(255, Math.max(0, p[0]!)))) as Rgb;
  const contrast = Math.hypot(colour[0] - background[0], colour[1] - background[1], colour[2] - background[2]);
  if (contrast < MIN_CONTRAST) return { ok: false, reason: 'the text does not stand out from its background' };

  const core = inkMask(patch, region, dist, bg, colour, threshold / 2);
  const { labels, areas } = components(core, patch.width, patch.height);
  dropStrays(core, labels, areas, patch, box);
  if (countSet(core) < 8) return { ok: false, reason: 'no letters could be told from the background' };

  // The angle from coverage (distance from the background ÷ contrast), edges included: a binary mask of
  // small text is too coarse to tell 0° from 0.5°.
  const toCore = distanceTo(core, patch.width, patch.height);
  const profiled = box.angle + refineAngle(coverage(patch, region, dist, toCore, contrast, box), box.angle, h);
  const alpha = alphaNear(core, toCore, dist, contrast);
  let frame: Frame = { ox: box.cx, oy: box.cy, angle: profiled };
  let upright = levelGlyphs(alpha, patch, frame);
  // On turned text the profile gets within half a degree; the baseline itself, fitted through the
  // letters' feet, within a tenth or two (half a degree is 3 px over a 400 px word: enough to tilt the new
  // text visibly). Level text stays level: there, round letters' overshoot would pass for a tilt.
  const tilt = profiled !== 0 ? baselineTilt(upright) : 0;
  if (tilt !== 0) {
    frame = { ...frame, angle: profiled + tilt };
    upright = levelGlyphs(alpha, patch, frame);
  }
  let ink = measureInk(upright);
  if (!ink) return { ok: false, reason: 'no letters could be told from the background' };
  // The word's box is fitted to its letters: ink over a small part of it is something else (a stripe
  // of the same colour behind the text), and erasing that would damage the picture, not edit the text.
  if (ink.right - ink.left < 0.6 * box.width) return { ok: false, reason: 'the letters could not be told from what is behind them' };
  const angle = frame.angle;
  if (dropBelowBaseline(core, labels, areas, patch, frame, ink)) {
    upright = levelGlyphs(alphaNear(core, distanceTo(core, patch.width, patch.height), dist, contrast), patch, frame);
    ink = measureInk(upright);
    if (!ink) return { ok: false, reason: 'no letters could be told from the background' };
  }

  // Erase: the ink, plus pixels still off the background close to it (anti-aliasing, a thin outline or
  // shadow), grown by a couple of pixels so no fringe survives to ghost through the fill.
  const toInk = distanceTo(core, patch.width, patch.height);
  const seed = fringe(core, region, dist, toInk, Math.max(2, 0.1 * h), Math.max(6, 2 * plane.noise));
  const erase = dilate(seed, patch.width, patch.height, 2 + Math.round(0.03 * h));
  return {
    ok: true,
    glyphs: { frame, colour, background, ink, upright, erase: { x0: patch.x0, y0: patch.y0, width: patch.width, height: patch.height, data: erase } },
  };
}

function countSet(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i]!;
  return n;
}

/** Otsu's threshold on the distances inside the box, in distance units. */
function otsuOf(dist: Float32Array, region: Uint8Array, max: number): number {
  const hist = new Float64Array(256);
  for (let i = 0; i < dist.length; i++) if (region[i] === INSIDE) hist[Math.min(255, Math.floor((dist[i]! / max) * 255))]!++;
  return ((otsu(hist) + 1) / 256) * max;
}

/**
 * The ink colour: per-channel median of the farthest 40 % of the pixels beyond the threshold. Medians
 * by histogram: channels are whole levels, and distances are binned finely enough (1/4 level).
 */
function inkColour(patch: Patch, region: Uint8Array, dist: Float32Array, threshold: number): Rgb | undefined {
  const bins = new Float64Array(1800);
  let count = 0;
  for (let i = 0; i < dist.length; i++) {
    if (region[i] !== INSIDE || dist[i]! <= threshold) continue;
    bins[Math.min(bins.length - 1, Math.floor(dist[i]! * 4))]!++;
    count++;
  }
  if (count < 8) return undefined;
  const cut = quantileOf(bins, 0.6) / 4;
  const channels = [0, 1, 2].map(() => new Float64Array(256));
  for (let i = 0; i < dist.length; i++) {
    if (region[i] !== INSIDE || dist[i]! < cut || dist[i]! <= threshold) continue;
    for (let c = 0; c < 3; c++) channels[c]![patch.rgb[i * 3 + c]!]!++;
  }
  return channels.map((h) => quantileOf(h, 0.5)) as Rgb;
}

/** The bin at which the running count passes the fraction p of the total. */
function quantileOf(hist: Float64Array, p: number): number {
  let total = 0;
  for (let i = 0; i < hist.length; i++) total += hist[i]!;
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i]!;
    if (seen > p * total) return i;
  }
  return hist.length - 1;
}

/** Ink = nearer the ink colour than the background (a two-class nearest-colour rule), and off the background. */
function inkMask(patch: Patch, region: Uint8Array, dist: Float32Array, bg: Float32Array, colour: Rgb, minDist: number): Uint8Array {
  const core = new Uint8Array(dist.length);
  const rgb = patch.rgb;
  const [cr, cg, cb] = colour;
  for (let i = 0; i < dist.length; i++) {
    if (region[i] !== INSIDE || dist[i]! <= minDist) continue;
    const k = i * 3;
    const dInk = (rgb[k]! - cr) ** 2 + (rgb[k + 1]! - cg) ** 2 + (rgb[k + 2]! - cb) ** 2;
    const dBg = (rgb[k]! - bg[k]!) ** 2 + (rgb[k + 1]! - bg[k + 1]!) ** 2 + (rgb[k + 2]! - bg[k + 2]!) ** 2;
    if (dInk < dBg) core[i] = 1;
  }
  return core;
}

/**
 * Specks go, and so do blobs centred outside the OCR box: the word's box holds every glyph, while a
 * highlight of the ink's colour next to it only reaches into the margin.
 */
function dropStrays(core: Uint8Array, labels: Int32Array, areas: number[], patch: Patch, box: OrientedBox): void {
  const minArea = Math.max(3, Math.round(0.0015 * box.height * box.height));
  const c = Math.cos(box.angle);
  const s = Math.sin(box.angle);
  const sumU = new Float64Array(areas.length);
  const sumV = new Float64Array(areas.length);
  for (let i = 0; i < core.length; i++) {
    if (!core[i]) continue;
    const dx = patch.x0 + (i % patch.width) + 0.5 - box.cx;
    const dy = patch.y0 + Math.floor(i / patch.width) + 0.5 - box.cy;
    sumU[labels[i]!]! += dx * c + dy * s;
    sumV[labels[i]!]! += -dx * s + dy * c;
  }
  const keep = areas.map(
    (area, k) => k > 0 && area >= minArea && Math.abs(sumU[k]! / area) <= box.width / 2 && Math.abs(sumV[k]! / area) <= box.height / 2,
  );
  for (let i = 0; i < core.length; i++) if (core[i] && !keep[labels[i]!]) core[i] = 0;
}

/**
 * Nothing in Latin text floats wholly below the baseline (descenders hang from their letters): such a
 * blob is the background's, and is left alone. True when something was dropped.
 */
function dropBelowBaseline(core: Uint8Array, labels: Int32Array, areas: number[], patch: Patch, frame: Frame, ink: Ink): boolean {
  const c = Math.cos(frame.angle);
  const s = Math.sin(frame.angle);
  const floor = ink.baseline + 0.1 * (ink.baseline - ink.top);
  const tops = new Float64Array(areas.length).fill(Infinity);
  for (let i = 0; i < core.length; i++) {
    if (!core[i]) continue;
    const dx = patch.x0 + (i % patch.width) + 0.5 - frame.ox;
    const dy = patch.y0 + Math.floor(i / patch.width) + 0.5 - frame.oy;
    const k = labels[i]!;
    tops[k] = Math.min(tops[k]!, -dx * s + dy * c);
  }
  let dropped = false;
  for (let i = 0; i < core.length; i++) {
    if (core[i] && tops[labels[i]!]! > floor) {
      core[i] = 0;
      dropped = true;
    }
  }
  return dropped;
}

/** Points weighted by coverage, near the ink: (x, y, weight) relative to the box centre. */
function coverage(patch: Patch, region: Uint8Array, dist: Float32Array, toCore: Float32Array, contrast: number, box: OrientedBox): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < dist.length; i++) {
    if (region[i] !== INSIDE || toCore[i]! > 1.5) continue;
    const alpha = Math.min(1, dist[i]! / contrast);
    if (alpha < 0.15) continue;
    out.push(patch.x0 + (i % patch.width) + 0.5 - box.cx, patch.y0 + Math.floor(i / patch.width) + 0.5 - box.cy, alpha);
  }
  return Float64Array.from(out);
}

/** Coverage (distance from the background ÷ contrast) of the ink and the pixels within 1.5 px of it. */
function alphaNear(core: Uint8Array, toCore: Float32Array, dist: Float32Array, contrast: number): Float32Array {
  const alpha = new Float32Array(core.length);
  for (let i = 0; i < core.length; i++) if (toCore[i]! <= 1.5) alpha[i] = Math.min(1, dist[i]! / contrast);
  return alpha;
}

/** The ink, and pixels off the background (by more than `low`) within `reach` of it. */
function fringe(core: Uint8Array, region: Uint8Array, dist: Float32Array, toInk: Float32Array, reach: number, low: number): Uint8Array {
  const seed = new Uint8Array(core.length);
  for (let i = 0; i < core.length; i++) seed[i] = core[i] || (region[i] === INSIDE && toInk[i]! <= reach && dist[i]! > low) ? 1 : 0;
  return seed;
}
