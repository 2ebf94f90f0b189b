import sharp from 'sharp';
import type { Line, Page } from 'tesseract.js';
import { fromRaster, type Raster } from '../raster.js';
import { boxAround, corners, DEG, toFrame, type OrientedBox, type Point } from './geometry.js';
import { ocrPool } from './ocr-pool.js';

/**
 * Reading the image: a grey copy at a bounded resolution, optionally turned so that text at some angle
 * lies level (tesseract reads lines within a few degrees of horizontal and nothing at 15°), handed to the
 * pool in bands, and the words mapped back to the image's own coordinates as oriented boxes.
 */

export interface OcrWord {
  text: string;
  /** Tesseract's word confidence, 0..100. */
  confidence: number;
  /** In image coordinates, along the line's direction. */
  box: OrientedBox;
}

export interface OcrLine {
  words: OcrWord[];
  /** Direction of the line in the image: the pass's turn plus the baseline slope tesseract saw. */
  angle: number;
}

export interface OcrReading {
  lines: OcrLine[];
  /** A line too tall for the bands' overlap was cut and dropped: a single-band read may find more. */
  cut: boolean;
}

/** A grey copy of the image at the resolution OCR works at. */
export interface OcrImage {
  data: Uint8Array;
  width: number;
  height: number;
  /** OCR pixels per image pixel, horizontally and vertically. */
  sx: number;
  sy: number;
}

/**
 * Bounds of the OCR copy. Above ~2 Mpx tesseract's time grows faster than what it reads; a 2048² poster
 * comes down to 1448², where 20 px capitals still measure 14 px, which the LSTM reads. Small images are
 * enlarged (at most 2×) because tesseract misses text under ~10 px x-height.
 */
export const MAX_OCR_PIXELS = 1448 * 1448;
const MAX_UPSCALE = 2;

export async function ocrImage(image: Raster, maxPixels = MAX_OCR_PIXELS): Promise<OcrImage> {
  const scale = Math.min(MAX_UPSCALE, Math.sqrt(maxPixels / (image.width * image.height)));
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  let pipeline = fromRaster(image);
  if (image.channels === 4) pipeline = pipeline.flatten({ background: '#ffffff' });
  if (width !== image.width || height !== image.height) pipeline = pipeline.resize(width, height, { fit: 'fill', kernel: 'lanczos3' });
  const data = await pipeline.greyscale().raw().toBuffer();
  return { data, width, height, sx: width / image.width, sy: height / image.height };
}

/** Blank border around the page: tesseract misreads glyphs that touch the edge. */
const PAD = 12;

interface Sheet {
  /** Grey pixels, `width` × `height`. */
  pixels: Uint8Array;
  width: number;
  height: number;
  /** OCR-page point → point on the OCR copy. */
  toCopy(p: Point): Point;
}

/** The page handed to tesseract: the copy turned by −angle (so text at +angle lies level), on a blank of the copy's median grey. */
function page(copy: OcrImage, angle: number): Sheet {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const w = Math.ceil(Math.abs(copy.width * c) + Math.abs(copy.height * s)) + 2 * PAD;
  const h = Math.ceil(Math.abs(copy.width * s) + Math.abs(copy.height * c)) + 2 * PAD;
  const px = new Uint8Array(w * h).fill(median(copy.data));
  const ccx = copy.width / 2;
  const ccy = copy.height / 2;
  const pcx = w / 2;
  const pcy = h / 2;
  // Page → copy: rotate by +angle about the centres.
  const toCopy = (p: Point): Point => {
    const dx = p.x - pcx;
    const dy = p.y - pcy;
    return { x: ccx + dx * c - dy * s, y: ccy + dx * s + dy * c };
  };
  const src = copy.data;
  const sw = copy.width;
  const sh = copy.height;
  if (angle === 0) {
    for (let y = 0; y < sh; y++) px.set(src.subarray(y * sw, (y + 1) * sw), (y + PAD) * w + PAD);
  } else {
    for (let y = 0; y < h; y++) {
      const dy = y + 0.5 - pcy;
      for (let x = 0; x < w; x++) {
        const dx = x + 0.5 - pcx;
        const fx = ccx + dx * c - dy * s - 0.5;
        const fy = ccy + dx * s + dy * c - 0.5;
        if (fx < 0 || fy < 0 || fx > sw - 1 || fy > sh - 1) continue;
        const x0 = Math.floor(fx);
        const y0 = Math.floor(fy);
        const x1 = Math.min(x0 + 1, sw - 1);
        const y1 = Math.min(y0 + 1, sh - 1);
        const ax = fx - x0;
        const ay = fy - y0;
        const top = src[y0 * sw + x0]! * (1 - ax) + src[y0 * sw + x1]! * ax;
        const bottom = src[y1 * sw + x0]! * (1 - ax) + src[y1 * sw + x1]! * ax;
        px[y * w + x] = Math.round(top * (1 - ay) + bottom * ay);
      }
    }
  }
  return { pixels: px, width: w, height: h, toCopy };
}

/**
 * Rows [top, bottom) of the page as binary PGM. The header carries a long comment because tesseract.js
 * looks for an EXIF orientation in the first 500 bytes of any input, pixels included. (Bands are cut
 * here rather than with tesseract's `rectangle`, which reads the wrong rows on this input path.)
 */
function pgm(p: Sheet, top: number, bottom: number): Buffer {
  const header = Buffer.from(`P5\n#${' '.repeat(512)}\n${p.width} ${bottom - top}\n255\n`, 'latin1');
  return Buffer.concat([header, p.pixels.subarray(top * p.width, bottom * p.width)]);
}

/**
 * What tesseract is shown: the grey copy, or only its darkest or lightest tones as black on white.
 *
 * Tesseract binarises the page with one global Otsu threshold. On a photo that threshold often falls
 * between two background tones (brick and mortar, a suit and its shadows), and text of a third tone
 * merges with one of them and is never segmented. Text is usually the darkest or the lightest thing
 * around it, so the three-class Otsu split of the histogram gives two more pages, each keeping one
 * extreme class as ink; they are read only when the grey page did not have a phrase.
 */
export type Tone = 'grey' | 'dark' | 'light';

function extremes(copy: OcrImage, tone: 'dark' | 'light'): OcrImage {
  const hist = new Float64Array(256);
  for (let i = 0; i < copy.data.length; i++) hist[copy.data[i]!]!++;
  const [low, high] = otsu3(hist);
  const data = new Uint8Array(copy.data.length);
  for (let i = 0; i < data.length; i++) {
    const v = copy.data[i]!;
    data[i] = (tone === 'dark' ? v < low : v > high) ? 0 : 255;
  }
  return { ...copy, data };
}

/** Two thresholds maximising the between-class variance of three classes, [0, a), [a, b), [b, 256). */
function otsu3(hist: Float64Array): [number, number] {
  const P = new Float64Array(257);
  const S = new Float64Array(257);
  for (let i = 0; i < 256; i++) {
    P[i + 1] = P[i]! + hist[i]!;
    S[i + 1] = S[i]! + i * hist[i]!;
  }
  let best = -1;
  let result: [number, number] = [85, 170];
  for (let a = 1; a < 255; a++) {
    const w0 = P[a]!;
    if (w0 === 0) continue;
    const m0 = S[a]! * S[a]! / w0;
    for (let b = a + 1; b < 256; b++) {
      const w1 = P[b]! - P[a]!;
      const w2 = P[256]! - P[b]!;
      if (w1 === 0 || w2 === 0) continue;
      const s1 = S[b]! - S[a]!;
      const s2 = S[256]! - S[b]!;
      const v = m0 + (s1 * s1) / w1 + (s2 * s2) / w2;
      if (v > best) {
        best = v;
        result = [a, b];
      }
    }
  }
  return result;
}

function median(data: Uint8Array): number {
  const hist = new Uint32Array(256);
  for (let i = 0; i < data.length; i += 7) hist[data[i]!]!++;
  let total = 0;
  for (const n of hist) total += n;
  let seen = 0;
  for (let v = 0; v < 256; v++) {
    seen += hist[v]!;
    if (seen * 2 >= total) return v;
  }
  return 128;
}

/**
 * Reads the copy turned by −angle. With `bands` > 1 the page is split into horizontal bands that overlap
 * by a fifth of its height and run on separate workers at once; a line belongs to the band holding its
 * centre, and is dropped from a band whose cut edge it touches (the neighbour has it whole). Lines taller
 * than the overlap are lost that way, which `cut` reports.
 */
export async function readText(copy: OcrImage, angle: number, bands: number, tone: Tone = 'grey'): Promise<OcrReading> {
  const pool = await ocrPool();
  const p = page(tone === 'grey' ? copy : extremes(copy, tone), angle);
  const n = Math.max(1, Math.min(bands, pool.size));
  const overlap = n > 1 ? Math.round(p.height * 0.1) : 0;
  const jobs = Array.from({ length: n }, (_, i) => {
    const own0 = Math.round((p.height * i) / n);
    const own1 = Math.round((p.height * (i + 1)) / n);
    const top = Math.max(0, own0 - overlap);
    const bottom = Math.min(p.height, own1 + overlap);
    // The tone pages are black on white by construction: tesseract's second, inverted attempt at every
    // doubtful line would only double the time on a textured photo (2–4× seen on grass).
    const params: Record<string, string> = tone === 'grey' ? {} : { tessedit_do_invert: '0' };
    return pool.recognize(pgm(p, top, bottom), params).then((result) => ({ result, own0, own1, top, bottom }));
  });
  const lines: OcrLine[] = [];
  let cut = false;
  for (const { result, own0, own1, top, bottom } of await Promise.all(jobs)) {
    for (const line of linesOf(result, top)) {
      const ys = line.words.flatMap((w) => [w.bbox.y0, w.bbox.y1]);
      const y0 = Math.min(...ys);
      const y1 = Math.max(...ys);
      const centre = (y0 + y1) / 2;
      if (centre < own0 || centre >= own1) continue;
      if ((top > 0 && y0 <= top + 1) || (bottom < p.height && y1 >= bottom - 1)) {
        // Only a line with a word worth the name makes a whole-page reading worthwhile; on a textured
        // photo some junk line always touches the cut.
        if (line.words.some((w) => w.confidence >= 50 && (w.text.match(/[\p{L}\p{N}]/gu)?.length ?? 0) >= 2)) cut = true;
        continue;
      }
      lines.push(mapLine(line, angle, p, copy));
    }
  }
  return { lines: joinLines(lines), cut };
}

/**
 * Sparse-text mode often returns the words of one line as separate lines ("HELLO" and "WORLD" with a
 * wide space between). Lines that continue each other, at the same angle, in the same band across the
 * line and less than two letter heights apart, are joined, left to right along the line.
 */
function joinLines(lines: OcrLine[]): OcrLine[] {
  const out: OcrLine[] = [];
  const extent = (l: OcrLine, f: { ox: number; oy: number; angle: number }) => {
    const ps = l.words.flatMap((w) => corners(w.box)).map((q) => toFrame(f, q.x, q.y));
    return { u0: Math.min(...ps.map((q) => q.x)), u1: Math.max(...ps.map((q) => q.x)), v0: Math.min(...ps.map((q) => q.y)), v1: Math.max(...ps.map((q) => q.y)) };
  };
  for (const line of lines) {
    const f = { ox: line.words[0]!.box.cx, oy: line.words[0]!.box.cy, angle: line.angle };
    const host = out.find((o) => {
      if (Math.abs(o.angle - line.angle) > 2 * DEG) return false;
      const a = extent(o, f);
      const b = extent(line, f);
      // Same band: they overlap across the line by most of the smaller one (a word box swollen by a
      // speck below still qualifies).
      const height = Math.min(a.v1 - a.v0, b.v1 - b.v0);
      const across = Math.min(a.v1, b.v1) - Math.max(a.v0, b.v0);
      const gap = Math.max(a.u0 - b.u1, b.u0 - a.u1);
      return across > 0.6 * height && gap > -0.2 * height && gap < 2 * height;
    });
    if (!host) {
      out.push({ words: [...line.words], angle: line.angle });
      continue;
    }
    const hf = { ox: host.words[0]!.box.cx, oy: host.words[0]!.box.cy, angle: host.angle };
    host.words.push(...line.words);
    host.words.sort((a, b) => toFrame(hf, a.box.cx, a.box.cy).x - toFrame(hf, b.box.cx, b.box.cy).x);
  }
  return out;
}

/** The lines with words, moved down by the band's top to page coordinates. */
function linesOf(result: Page, top: number): Line[] {
  const lines: Line[] = [];
  for (const block of result.blocks ?? []) {
    for (const paragraph of block.paragraphs) {
      for (const line of paragraph.lines) {
        line.words = line.words.filter((w) => w.text.trim() !== '');
        if (line.words.length === 0) continue;
        for (const w of line.words) {
          w.bbox.y0 += top;
          w.bbox.y1 += top;
        }
        if (line.baseline) {
          line.baseline.y0 += top;
          line.baseline.y1 += top;
        }
        lines.push(line);
      }
    }
  }
  return lines;
}

/**
 * Tesseract fits baselines to whole pixels: under 0.3° a slope is rounding (one pixel over a long line),
 * beyond 10° it is noise; both count as level.
 */
const MIN_SLOPE = 0.3 * DEG;
const MAX_SLOPE = 10 * DEG;

function mapLine(line: Line, angle: number, p: Sheet, copy: OcrImage): OcrLine {
  const b = line.baseline;
  let slope = b && b.x1 > b.x0 ? Math.atan2(b.y1 - b.y0, b.x1 - b.x0) : 0;
  if (!Number.isFinite(slope) || Math.abs(slope) > MAX_SLOPE || Math.abs(slope) < MIN_SLOPE) slope = 0;
  const lineAngle = angle + slope;
  const toImage = (x: number, y: number): Point => {
    const q = p.toCopy({ x, y });
    return { x: q.x / copy.sx, y: q.y / copy.sy };
  };
  const words = line.words.map((w): OcrWord => {
    const { x0, y0, x1, y1 } = w.bbox;
    const pts = [toImage(x0, y0), toImage(x1, y0), toImage(x1, y1), toImage(x0, y1)];
    return { text: w.text.trim(), confidence: w.confidence, box: boxAround(pts, lineAngle) };
  });
  return { words, angle: lineAngle };
}
