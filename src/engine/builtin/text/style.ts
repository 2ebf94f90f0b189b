import { FACES, renderLevel, type Face, type Rendered } from './fonts.js';
import type { Ink, Upright } from './level.js';

/**
 * Which of our faces looks most like the original lettering, and at what size.
 *
 * The rule: set the words OCR read in every candidate face (sans, serif and condensed, each regular, bold
 * and black), scale each rendering so its letter height and ink width equal the original's, and overlay
 * it on the original glyph mask. The face with the largest overlap (intersection over union) wins, less
 * two penalties: for the stretch the width needed (a face of the wrong proportions can overlap well once
 * stretched), and for a different amount of ink (the weight: a pixel of misregistration costs thin
 * strokes more overlap than thick ones, so overlap alone drifts towards bold). Overlap decides what
 * stroke statistics would have to approximate: serifs and the thick/thin contrast of a serif face miss a
 * sans mask.
 *
 * The size then follows from the same measurement: both the original and the rendering have their letter
 * height taken with one statistic (baseline to the 15th percentile of the columns' tops), so capitals,
 * ascenders and x-height letters are compared like for like, whatever the words' case.
 */

export interface FaceMatch {
  face: Face;
  /** Font size in image pixels that reproduces the original's letter height. */
  size: number;
  /** Overlap score, higher is better. */
  score: number;
  /** Original ink width ÷ this face's ink width at that size (> 1: the original is wider). */
  widthRatio: number;
}

const TEMPLATE_SIZE = 100;
const STRETCH_PENALTY = 0.25;
const INK_PENALTY = 0.5;
/** How many of the best faces are set again at the size found, to refine size and score. */
const REFINED = 3;

export function matchFaces(upright: Upright, ink: Ink, read: string): FaceMatch[] {
  const oHeight = ink.baseline - ink.top;
  const oWidth = ink.right - ink.left;
  let oInk = 0;
  for (let i = 0; i < upright.data.length; i++) oInk += upright.data[i]!;
  if (oHeight <= 0 || oWidth <= 0 || oInk === 0) return [];
  const judge = (face: Face, size: number): FaceMatch | undefined => {
    const t = renderLevel(read, face, size);
    if (!t) return undefined;
    const tHeight = t.ink.baseline - t.ink.top;
    const tWidth = t.ink.right - t.ink.left;
    if (tHeight <= 0 || tWidth <= 0) return undefined;
    const fv = oHeight / tHeight;
    const fh = oWidth / tWidth;
    let tInk = 0;
    for (let i = 0; i < t.data.length; i++) tInk += t.data[i]!;
    const widthRatio = fh / fv;
    const inkRatio = (tInk * fv * fh * upright.scale * upright.scale) / oInk;
    const score = overlap(upright, ink, t, fv, fh) - STRETCH_PENALTY * Math.abs(Math.log(widthRatio)) - INK_PENALTY * Math.abs(Math.log(inkRatio));
    return { face, size: size * fv, score, widthRatio };
  };
  // Every face at a fixed size first; the best few again at the size found, because hinting makes
  // letter heights not quite proportional to the size (±1 px: several per cent at small sizes).
  const first = FACES.flatMap((face) => judge(face, TEMPLATE_SIZE) ?? []).sort((a, b) => b.score - a.score);
  const refined = first.slice(0, REFINED).map((m) => judge(m.face, m.size) ?? m);
  // Stable: FACES order breaks ties.
  return [...refined.sort((a, b) => b.score - a.score), ...first.slice(REFINED)];
}

/** Intersection over union of the original's level glyphs and the rendering scaled by (fh, fv) onto them. */
function overlap(upright: Upright, ink: Ink, t: Rendered, fv: number, fh: number): number {
  let both = 0;
  let either = 0;
  for (let j = 0; j < upright.height; j++) {
    const v = upright.v0 + (j + 0.5) / upright.scale;
    const ty = Math.floor(t.ink.baseline + (v - ink.baseline) / fv - t.v0);
    const inRows = ty >= 0 && ty < t.height;
    for (let i = 0; i < upright.width; i++) {
      const u = upright.u0 + (i + 0.5) / upright.scale;
      const tx = Math.floor(t.ink.left + (u - ink.left) / fh - t.u0);
      const a = upright.data[j * upright.width + i]!;
      const b = inRows && tx >= 0 && tx < t.width ? t.data[ty * t.width + tx]! : 0;
      if (a && b) both++;
      if (a || b) either++;
    }
  }
  return either > 0 ? both / either : 0;
}
