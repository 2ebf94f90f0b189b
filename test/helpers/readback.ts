/**
 * Reading text back for checks, with an OCR the engine does not use (tesseract.js, its English LSTM data
 * from the npm package `@tesseract.js-data/eng`, never from the network). The engine finds text with
 * PP-OCR; judging its output with the same network would forgive exactly the mistakes it makes.
 *
 * The checker knows where the text was drawn and at what angle, so it reads a crop around that place,
 * turned level and enlarged to a comfortable letter height: the question is "what does this line say
 * now", not "can tesseract find text on a photo" (it often cannot, which is why the engine stopped using it).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import type { Worker } from 'tesseract.js';

const require = createRequire(import.meta.url);

export interface Region {
  /** Centre of the text line, in image pixels. */
  cx: number;
  cy: number;
  /** Extent along and across the line. */
  width: number;
  height: number;
  /** Degrees clockwise. */
  angle: number;
}

export interface RasterLike {
  data: Buffer | Uint8Array;
  width: number;
  height: number;
  channels: number;
}

let worker: Promise<Worker> | undefined;

async function reader(): Promise<Worker> {
  worker ??= (async () => {
    const { createWorker, OEM, PSM } = require('tesseract.js') as typeof import('tesseract.js');
    const langPath = path.join(path.dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0_best_int');
    const w = await createWorker('eng', OEM.LSTM_ONLY, { langPath, cacheMethod: 'none', gzip: true });
    await w.setParameters({ tessedit_pageseg_mode: PSM.SINGLE_BLOCK, debug_file: '/dev/null' });
    return w;
  })();
  return worker;
}

export async function stopReadback(): Promise<void> {
  const w = worker;
  worker = undefined;
  if (w) await (await w).terminate();
}

/**
 * What the region says: the crop (grown by `grow` of the line's length on each side, for a longer
 * replacement, and by its height above and below) turned level, with capitals brought to ~48 px.
 */
export async function readRegion(
  image: RasterLike,
  region: Region,
  opts: { grow?: number; tight?: boolean; key?: readonly [number, number, number] } = {},
): Promise<string> {
  const grow = opts.grow ?? 0.35;
  const w = opts.tight ? region.width * (1 + 2 * grow) + 0.6 * region.height : region.width * (1 + 2 * grow) + 2 * region.height;
  const h = region.height * (opts.tight ? 1.5 : 2.2);
  // Turn the whole image about the region's centre: level the line first, then cut it out.
  const diag = Math.ceil(Math.hypot(w, h)) + 4;
  const left = Math.round(region.cx - diag / 2);
  const top = Math.round(region.cy - diag / 2);
  const raw = { raw: { width: image.width, height: image.height, channels: image.channels as 3 | 4 } };
  // sharp extracts before it extends within one pipeline: two pipelines, in this order.
  const extended = await sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), raw)
    .removeAlpha()
    .extend({ top: diag, bottom: diag, left: diag, right: diag, extendWith: 'copy' })
    .png({ compressionLevel: 0 })
    .toBuffer();
  const padded = await sharp(extended).extract({ left: left + diag, top: top + diag, width: diag, height: diag }).png().toBuffer();
  const turned = await sharp(padded).rotate(-region.angle, { background: '#808080' }).png().toBuffer();
  const meta = await sharp(turned).metadata();
  const cw = Math.min(meta.width!, Math.round(w));
  const ch = Math.min(meta.height!, Math.round(h));
  const scale = Math.min(4, Math.max(1, 48 / (region.height * 0.7)));
  let crop = await sharp(turned)
    .extract({ left: Math.round((meta.width! - cw) / 2), top: Math.round((meta.height! - ch) / 2), width: cw, height: ch })
    .resize(Math.round(cw * scale), Math.round(ch * scale), { kernel: 'lanczos3' })
    .extend({ top: 16, bottom: 16, left: 16, right: 16, extendWith: 'copy' })
    .png()
    .toBuffer();
  if (opts.key) {
    // Keyed on the ink's known colour: black where a pixel is near it, white elsewhere.
    const { data, info } = await sharp(crop).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const grey = Buffer.alloc(info.width * info.height);
    const [r, g, b] = opts.key;
    for (let i = 0; i < grey.length; i++) {
      const d = Math.hypot(data[i * 3]! - r, data[i * 3 + 1]! - g, data[i * 3 + 2]! - b);
      grey[i] = d < 90 ? 0 : 255;
    }
    crop = await sharp(grey, { raw: { width: info.width, height: info.height, channels: 1 } }).png().toBuffer();
  } else {
    crop = await sharp(crop).greyscale().png().toBuffer();
  }
  const { data } = await (await reader()).recognize(crop);
  return data.text.replace(/\s+/g, ' ').trim();
}

/**
 * Two readings of the region (three when the ink's colour is given): a tight crop (the line and a little room for a longer replacement) and a
 * wide one. Tesseract binarises a page with one threshold, so a crop that takes in a panel's edge and the
 * dark photo around it can lose letters that a tight crop keeps; a check wants the new words in either
 * reading and the old words in neither.
 */
export async function readBoth(image: RasterLike, region: Region, ink?: readonly [number, number, number]): Promise<string[]> {
  const readings = [await readRegion(image, region, { tight: true, grow: 0.12 }), await readRegion(image, region)];
  // On a busy photo tesseract may see nothing in grey; the ink's own colour, keyed out, it reads.
  if (ink) readings.push(await readRegion(image, region, { tight: true, grow: 0.12, key: ink }));
  return readings;
}

const fold = (s: string) => s.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1), prev[j]! + 1, cur[j - 1]! + 1);
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * Whether `word` appears in what was read, letters and digits only, case folded, allowing one misread
 * letter in words of five or more (tesseract's own slips on a clean rendering: "DEAI" for "DEAL" is not
 * the engine's fault, "SALE" for "DEAL" is).
 */
export function reads(text: string, word: string): boolean {
  const t = fold(text);
  const w = fold(word);
  if (!w) return false;
  if (t.includes(w)) return true;
  const tol = w.length >= 5 ? 1 : 0;
  if (tol === 0) return false;
  for (let i = 0; i + w.length - 1 <= t.length; i++) {
    for (const len of [w.length - 1, w.length, w.length + 1]) {
      if (i + len > t.length || len <= 0) continue;
      if (distance(t.slice(i, i + len), w) <= tol) return true;
    }
  }
  return false;
}

export interface TextJudgement {
  /** The checker reads the old words on the input (without that, "gone" would mean nothing). */
  readable: boolean;
  /** The new words are read in the output (always true when nothing new was asked for). */
  present: boolean;
  /** The old words are read in no reading of the output (unless they live on inside the new ones). */
  gone: boolean;
  /** The reading worth showing: the one with the new words, else the first. */
  shown: string;
  before: string[];
}

/**
 * One text edit judged: the region read on the input and on the output (`scale` maps input pixels to
 * output pixels), the new words wanted, the old ones not.
 */
export async function judgeText(
  input: RasterLike,
  output: RasterLike,
  region: Region,
  scale: number,
  ink: readonly [number, number, number],
  now: string | null,
  old: string,
): Promise<TextJudgement> {
  const before = await readBoth(input, region, ink);
  const scaled = { cx: region.cx * scale, cy: region.cy * scale, width: region.width * scale, height: region.height * scale, angle: region.angle };
  const after = await readBoth(output, scaled, ink);
  const insideNew = now !== null && reads(now, old);
  return {
    readable: before.some((said) => reads(said, old)),
    present: now === null || after.some((said) => reads(said, now)),
    gone: after.every((said) => !reads(said, old) || (insideNew && reads(said, now!))),
    shown: after.find((said) => now !== null && reads(said, now)) ?? after[0]!,
    before,
  };
}
