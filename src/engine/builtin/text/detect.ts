import sharp from 'sharp';
import { fromRaster, type Raster } from '../raster.js';
import type { OrientedBox, Point } from './geometry.js';
import { minAreaRect } from './rotated-rect.js';

/**
 * Text-line detection with PP-OCRv4's DB network (Liao et al., "Real-time Scene Text Detection with
 * Differentiable Binarization"), pre- and post-processed as PaddleOCR's own inference code does
 * (ppocr/data/imaug/operators.py DetResizeForTest and NormalizeImage, ppocr/postprocess/db_postprocess.py):
 *
 * - the image resized so both sides are multiples of 32, channels in OpenCV's BGR order, each value
 *   /255 then normalised with ImageNet's mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225);
 * - the network's probability map binarised at 0.3; each connected region's minimum-area rectangle,
 *   dropped when its shorter side is under 3 px or the mean probability inside it under 0.6 (box_thresh);
 * - the rectangle grown back by DB's unclip, a distance of area × 1.5 / perimeter (unclip_ratio 1.5;
 *   for a rectangle the offset polygon's minimum-area rectangle is the rectangle grown by that distance
 *   on every side), dropped when its shorter side is then under 5 px; scaled back to the image.
 *
 * One departure: PaddleOCR caps the longer side at 960 px, which suits documents photographed whole but
 * loses the 16 px print of a 2048 px poster. Here the longer side is brought to 960–1600 px (enlarging
 * at most 2×): the DB network is fully convolutional and was trained on crops of 640 px, so what matters
 * is the letters' size in pixels, not the page's.
 */

export interface DetectedLine {
  box: OrientedBox;
  /** Mean probability inside the shrunk text region, 0..1. */
  score: number;
}

export type RunModel = (input: Float32Array, dims: number[]) => Promise<{ output: Float32Array; dims: number[] }>;

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
const THRESH = 0.3;
const BOX_THRESH = 0.6;
const UNCLIP_RATIO = 1.5;
const MIN_SIZE = 3;
const MAX_CANDIDATES = 1000;
const MIN_SIDE = 960;
const MAX_SIDE = 1600;
const MAX_UPSCALE = 2;

/** The size the detector sees: longer side within [960, 1600] (at most 2× enlarged), both sides multiples of 32. */
export function detectionSize(width: number, height: number): { width: number; height: number } {
  const long = Math.max(width, height);
  const ratio = long > MAX_SIDE ? MAX_SIDE / long : long < MIN_SIDE ? Math.min(MAX_UPSCALE, MIN_SIDE / long) : 1;
  const to32 = (v: number) => Math.max(32, Math.round((v * ratio) / 32) * 32);
  return { width: to32(width), height: to32(height) };
}

export async function detectLines(image: Raster, run: RunModel): Promise<DetectedLine[]> {
  const size = detectionSize(image.width, image.height);
  let pipeline = fromRaster(image);
  if (image.channels === 4) pipeline = pipeline.flatten({ background: '#ffffff' });
  const rgb = await pipeline.resize(size.width, size.height, { fit: 'fill', kernel: 'cubic' }).removeAlpha().raw().toBuffer();
  const { output, dims } = await run(toTensor(rgb, size.width, size.height), [1, 3, size.height, size.width]);
  const mapHeight = dims[2]!;
  const mapWidth = dims[3]!;
  return linesFromMap(output, mapWidth, mapHeight, image.width / mapWidth, image.height / mapHeight);
}

/** RGB bytes, HWC → BGR floats, CHW, normalised. */
function toTensor(rgb: Buffer, width: number, height: number): Float32Array {
  const n = width * height;
  const out = new Float32Array(3 * n);
  // BGR: plane 0 is blue, normalised with the first mean and std, as PaddleOCR does on OpenCV's images.
  const k = [0, 1, 2].map((c) => ({ scale: 1 / (255 * STD[c]!), shift: MEAN[c]! / STD[c]! }));
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    out[i] = rgb[j + 2]! * k[0]!.scale - k[0]!.shift;
    out[n + i] = rgb[j + 1]! * k[1]!.scale - k[1]!.shift;
    out[2 * n + i] = rgb[j]! * k[2]!.scale - k[2]!.shift;
  }
  return out;
}

/**
 * The DB post-processing on a probability map of `width` × `height`; boxes are scaled by (sx, sy) into
 * the image. Sorted top to bottom, then left to right, as PaddleOCR sorts them.
 */
export function linesFromMap(map: Float32Array, width: number, height: number, sx: number, sy: number): DetectedLine[] {
  const labels = new Int32Array(width * height);
  const lines: DetectedLine[] = [];
  const stack: number[] = [];
  // A region's extreme pixels per row (enough for its convex hull), in arrays reused across regions.
  const rowMin = new Int32Array(height).fill(-1);
  const rowMax = new Int32Array(height).fill(-1);
  const rowsTouched: number[] = [];
  let next = 0;
  for (let start = 0; start < labels.length && lines.length < MAX_CANDIDATES; start++) {
    if (labels[start] || map[start]! <= THRESH) continue;
    next++;
    labels[start] = next;
    stack.push(start);
    while (stack.length) {
      const p = stack.pop()!;
      const x = p % width;
      const y = (p - x) / width;
      if (rowMin[y] === -1) {
        rowMin[y] = x;
        rowMax[y] = x;
        rowsTouched.push(y);
      } else if (x < rowMin[y]!) rowMin[y] = x;
      else if (x > rowMax[y]!) rowMax[y] = x;
      const x0 = x > 0 ? x - 1 : x;
      const x1 = x < width - 1 ? x + 1 : x;
      const y0 = y > 0 ? y - 1 : y;
      const y1 = y < height - 1 ? y + 1 : y;
      for (let yy = y0; yy <= y1; yy++) {
        for (let xx = x0, q = yy * width + x0; xx <= x1; xx++, q++) {
          if (!labels[q] && map[q]! > THRESH) {
            labels[q] = next;
            stack.push(q);
          }
        }
      }
    }
    const points: Point[] = [];
    for (const y of rowsTouched) {
      points.push({ x: rowMin[y]!, y }, { x: rowMax[y]!, y });
      rowMin[y] = -1;
      rowMax[y] = -1;
    }
    rowsTouched.length = 0;
    // Specks of a few pixels are no line (DB drops them below a 3 px side anyway).
    if (points.length < 4) continue;
    const rect = minAreaRect(points);
    if (!rect || Math.min(rect.width, rect.height) < MIN_SIZE) continue;
    const score = meanInside(map, width, height, rect);
    if (score < BOX_THRESH) continue;
    // Unclip: OpenCV's rectangle runs through pixel indices; DB's area and perimeter are of that polygon.
    const d = (rect.width * rect.height * UNCLIP_RATIO) / (2 * (rect.width + rect.height));
    const grown = { ...rect, width: rect.width + 2 * d, height: rect.height + 2 * d };
    if (grown.height < MIN_SIZE + 2) continue;
    lines.push({ box: scaleBox(grown, sx, sy), score });
  }
  return lines.sort((a, b) => (Math.abs(a.box.cy - b.box.cy) < 10 ? a.box.cx - b.box.cx : a.box.cy - b.box.cy));
}

/** PaddleOCR's box_score_fast: the mean of the map over the rectangle's pixels. */
function meanInside(map: Float32Array, width: number, height: number, r: OrientedBox): number {
  const c = Math.cos(r.angle);
  const s = Math.sin(r.angle);
  const reachX = (Math.abs(r.width * c) + Math.abs(r.height * s)) / 2;
  const reachY = (Math.abs(r.width * s) + Math.abs(r.height * c)) / 2;
  const x0 = Math.max(0, Math.floor(r.cx - reachX));
  const x1 = Math.min(width - 1, Math.ceil(r.cx + reachX));
  const y0 = Math.max(0, Math.floor(r.cy - reachY));
  const y1 = Math.min(height - 1, Math.ceil(r.cy + reachY));
  let sum = 0;
  let n = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const dx = x - r.cx;
      const dy = y - r.cy;
      if (Math.abs(dx * c + dy * s) > r.width / 2 + 0.5 || Math.abs(-dx * s + dy * c) > r.height / 2 + 0.5) continue;
      sum += map[y * width + x]!;
      n++;
    }
  }
  return n ? sum / n : 0;
}

/**
 * Map pixels to image pixels. The map's pixel index i covers [i, i + 1) of the map, so centres move by
 * half a pixel; the box is scaled along and across its own axes (sx and sy differ by under 3 % after
 * rounding to multiples of 32, so the angle barely changes).
 */
function scaleBox(b: OrientedBox, sx: number, sy: number): OrientedBox {
  const c = Math.cos(b.angle);
  const s = Math.sin(b.angle);
  const alongScale = Math.hypot(c * sx, s * sy);
  const acrossScale = Math.hypot(s * sx, c * sy);
  return {
    cx: (b.cx + 0.5) * sx,
    cy: (b.cy + 0.5) * sy,
    width: b.width * alongScale,
    height: b.height * acrossScale,
    angle: Math.atan2(s * sy, c * sx),
  };
}
