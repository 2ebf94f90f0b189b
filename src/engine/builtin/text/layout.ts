import { inkExtent } from './fonts.js';
import { corners, DEG, toFrame, type Frame, type OrientedBox } from './geometry.js';
import type { GlyphAnalysis } from './mask.js';
import type { PhraseMatch } from './match.js';
import type { OcrLine } from './ocr.js';
import type { Setting } from './render.js';
import type { FaceMatch } from './style.js';

/**
 * How far new text may run past the old ink: into free space (no other text, inside the image less a
 * margin), up to this many times the old width; beyond that the condensed face (when more than 20 %
 * too wide), then a smaller size.
 */
const MAX_GROWTH = 1.75;
const CONDENSE_AT = 1.2;

/** Where new text sits: the side of the old ink it keeps. */
export type Alignment = 'left' | 'right' | 'centre';

/**
 * How a replacement lines up with the old words. Inside a line, it keeps its distance to the words that
 * stay: after other words it starts where the old text started, before them it ends where the old text
 * ended. A whole line follows its neighbour lines (the edge they share: left, right or centre), and on
 * its own it is centred, as poster lines usually are.
 */
export function alignmentOf(match: PhraseMatch, lines: readonly OcrLine[]): Alignment {
  const before = match.start > 0;
  const after = match.end < match.line.words.length;
  if (before && !after) return 'left';
  if (after && !before) return 'right';
  if (before && after) return 'centre';
  const edges = (line: OcrLine, frame: Frame) => {
    const us = line.words.flatMap((w) => {
      const f = { ox: w.box.cx, oy: w.box.cy, angle: w.box.angle };
      return [-1, 1].map((side) => {
        const c = Math.cos(f.angle);
        const s = Math.sin(f.angle);
        return toFrame(frame, f.ox + (side * w.box.width * c) / 2, f.oy + (side * w.box.width * s) / 2);
      });
    });
    const left = Math.min(...us.map((p) => p.x));
    const right = Math.max(...us.map((p) => p.x));
    return { left, right, centre: (left + right) / 2, v: us.reduce((a, p) => a + p.y, 0) / us.length };
  };
  const height = Math.max(...match.words.map((w) => w.box.height));
  const frame: Frame = { ox: match.words[0]!.box.cx, oy: match.words[0]!.box.cy, angle: match.line.angle };
  const own = edges(match.line, frame);
  let best: { delta: number; align: Alignment } | undefined;
  for (const line of lines) {
    if (line === match.line || Math.abs(line.angle - match.line.angle) > 3 * DEG) continue;
    const other = edges(line, frame);
    if (Math.abs(other.v - own.v) > 3.5 * height) continue;
    for (const align of ['centre', 'left', 'right'] as const) {
      const delta = Math.abs(other[align] - own[align]);
      if (delta < 0.4 * height && (!best || delta < best.delta)) best = { delta, align };
    }
  }
  return best?.align ?? 'centre';
}

/**
 * The new text set like the old: the best-matching face at the measured letter height, on the measured
 * baseline and angle, in the measured colour, aligned like the old ink. Longer text keeps its size as
 * long as there is free space on its open side(s) (see MAX_GROWTH); a sans replacement that is still far
 * too wide switches to the condensed face at the same letter height, and whatever does not fit then is
 * scaled down, keeping the baseline.
 */
export function fitReplacement(
  text: string,
  glyphs: GlyphAnalysis,
  faces: readonly FaceMatch[],
  align: Alignment,
  others: readonly OrientedBox[],
  image: { width: number; height: number },
): Setting | undefined {
  const best = faces[0];
  if (!best) return undefined;
  const old = glyphs.ink.right - glyphs.ink.left;
  const free = freeSpace(glyphs, others, image);
  const open = align === 'left' ? free.right : align === 'right' ? free.left : 2 * Math.min(free.left, free.right);
  const room = Math.max(old, Math.min(old * MAX_GROWTH, old + open));
  const widthAt = (m: FaceMatch, size: number) => {
    const e = inkExtent(text, m.face, size);
    return e.right - e.left;
  };
  let chosen = best;
  let size = best.size;
  if (widthAt(best, size) > room * CONDENSE_AT && best.face.kind === 'sans') {
    const condensed = faces.find((m) => m.face.kind === 'condensed' && m.face.weight === best.face.weight);
    if (condensed) {
      chosen = condensed;
      size = condensed.size;
    }
  }
  const fitted = widthAt(chosen, size);
  if (fitted > room) size *= room / fitted;
  const e = inkExtent(text, chosen.face, size);
  const width = e.right - e.left;
  const inkLeft =
    align === 'left' ? glyphs.ink.left : align === 'right' ? glyphs.ink.right - width : (glyphs.ink.left + glyphs.ink.right - width) / 2;
  return {
    text,
    face: chosen.face,
    size,
    colour: glyphs.colour,
    frame: glyphs.frame,
    penU: inkLeft - e.left,
    baselineV: glyphs.ink.baseline,
  };
}

/**
 * Free space beside the old ink along its line, in pixels: up to the nearest other text whose box
 * crosses the line's band, and to the image's edge less a margin of a quarter of the letter height.
 */
function freeSpace(glyphs: GlyphAnalysis, others: readonly OrientedBox[], image: { width: number; height: number }): { left: number; right: number } {
  const { frame, ink } = glyphs;
  const height = ink.bottom - ink.peak;
  const gap = 0.35 * height;
  let left = Infinity;
  let right = Infinity;
  for (const box of others) {
    const us: number[] = [];
    const vs: number[] = [];
    for (const p of corners(box)) {
      const q = toFrame(frame, p.x, p.y);
      us.push(q.x);
      vs.push(q.y);
    }
    if (Math.max(...vs) < ink.peak - 0.2 * height || Math.min(...vs) > ink.bottom + 0.2 * height) continue;
    if (Math.min(...us) >= ink.right) right = Math.min(right, Math.min(...us) - ink.right - gap);
    else if (Math.max(...us) <= ink.left) left = Math.min(left, ink.left - Math.max(...us) - gap);
    else return { left: 0, right: 0 };
  }
  // Where the band's top and bottom edges leave the image (less the margin), along u.
  const margin = 0.25 * height;
  const c = Math.cos(frame.angle);
  const s = Math.sin(frame.angle);
  let uMin = -Infinity;
  let uMax = Infinity;
  for (const v of [ink.peak, ink.bottom]) {
    const x0 = frame.ox - v * s;
    const y0 = frame.oy + v * c;
    for (const [p0, d, lo, hi] of [
      [x0, c, margin, image.width - margin],
      [y0, s, margin, image.height - margin],
    ] as const) {
      if (Math.abs(d) < 1e-9) continue;
      const a = (lo - p0) / d;
      const b = (hi - p0) / d;
      uMin = Math.max(uMin, Math.min(a, b));
      uMax = Math.min(uMax, Math.max(a, b));
    }
  }
  return { left: Math.max(0, Math.min(left, ink.left - uMin)), right: Math.max(0, Math.min(right, uMax - ink.right)) };
}
