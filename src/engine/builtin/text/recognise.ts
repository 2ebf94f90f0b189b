import type { Raster } from '../raster.js';
import { fromFrame, frameOf, type OrientedBox } from './geometry.js';
import type { RunModel } from './detect.js';

/**
 * Reading one detected line with PP-OCRv4's recognition network (SVTR-LCNet with a CTC head), pre- and
 * post-processed as PaddleOCR does (tools/infer/predict_rec.py resize_norm_img, ppocr/postprocess/
 * rec_postprocess.py CTCLabelDecode):
 *
 * - the line cut out upright along its box (PaddleOCR's get_rotate_crop_image) and scaled to 48 px high,
 *   its width following the aspect ratio; channels BGR, each value /255, then −0.5 and /0.5; padded on
 *   the right with zeros to at least 320 px, as a batch of one line would be;
 * - the network gives, per time step, a probability for each class: 0 is CTC's blank, 1..6623 the
 *   dictionary's lines (ppocr_keys_v1.txt), and the last the space (use_space_char). The best class per
 *   step, repeats merged and blanks dropped, is the text; a character's confidence is its step's
 *   probability.
 *
 * Each character's time step also says where along the line it stands (a step covers a fixed width of
 * the input), which gives every word its own box: PaddleOCR's return_word_box does the same.
 */

export interface RecognisedChar {
  char: string;
  prob: number;
  /** Along the line's box, from its left end, in image pixels: the character's time steps. */
  u0: number;
  u1: number;
}

export interface RecognisedLine {
  text: string;
  chars: RecognisedChar[];
}

export const REC_HEIGHT = 48;
const REC_MIN_WIDTH = 320;
/** Longer lines are cut by the detector anyway; this bounds one run's memory. */
const REC_MAX_WIDTH = 3200;

export async function recogniseLine(image: Raster, box: OrientedBox, dictionary: readonly string[], run: RunModel): Promise<RecognisedLine> {
  const scale = REC_HEIGHT / Math.max(1, box.height);
  const width = Math.max(1, Math.min(REC_MAX_WIDTH, Math.ceil(box.width * scale)));
  const padded = Math.max(REC_MIN_WIDTH, width);
  const input = cropUpright(image, box, width, padded, scale);
  const { output, dims } = await run(input, [1, 3, REC_HEIGHT, padded]);
  const steps = dims[1]!;
  const classes = dims[2]!;
  // A step covers padded/steps input pixels, i.e. that divided by `scale` image pixels along the box.
  const stepU = padded / steps / scale;
  const chars: RecognisedChar[] = [];
  let previous = 0;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    let prob = output[t * classes]!;
    for (let k = 1; k < classes; k++) {
      const p = output[t * classes + k]!;
      if (p > prob) {
        prob = p;
        best = k;
      }
    }
    if (best !== 0 && best === previous) {
      // The same character held over several steps: it reaches further.
      const last = chars[chars.length - 1]!;
      last.u1 = (t + 1) * stepU;
      last.prob = Math.max(last.prob, prob);
    } else if (best !== 0) {
      const char = best === classes - 1 ? ' ' : (dictionary[best - 1] ?? '');
      chars.push({ char, prob, u0: t * stepU, u1: (t + 1) * stepU });
    }
    previous = best;
  }
  return { text: chars.map((c) => c.char).join(''), chars };
}

/**
 * The box's content turned level, `width` × 48 px, as the normalised BGR tensor padded to `padded`.
 * Each output pixel averages a grid of samples spaced one image pixel apart (at most 4 × 4), so a tall
 * line brought down to 48 px does not alias.
 */
function cropUpright(image: Raster, box: OrientedBox, width: number, padded: number, scale: number): Float32Array {
  const n = REC_HEIGHT * padded;
  const out = new Float32Array(3 * n);
  const f = frameOf(box);
  const taps = Math.max(1, Math.min(4, Math.round(1 / scale)));
  const { data, width: W, height: H, channels } = image;
  const sample = (x: number, y: number, acc: Float64Array) => {
    const fx = Math.min(W - 1, Math.max(0, x - 0.5));
    const fy = Math.min(H - 1, Math.max(0, y - 0.5));
    const x0 = Math.floor(fx);
    const y0 = Math.floor(fy);
    const x1 = Math.min(W - 1, x0 + 1);
    const y1 = Math.min(H - 1, y0 + 1);
    const ax = fx - x0;
    const ay = fy - y0;
    for (let c = 0; c < 3; c++) {
      const a = data[(y0 * W + x0) * channels + c]!;
      const b = data[(y0 * W + x1) * channels + c]!;
      const d = data[(y1 * W + x0) * channels + c]!;
      const e = data[(y1 * W + x1) * channels + c]!;
      acc[c]! += (a * (1 - ax) + b * ax) * (1 - ay) + (d * (1 - ax) + e * ax) * ay;
    }
  };
  const acc = new Float64Array(3);
  for (let j = 0; j < REC_HEIGHT; j++) {
    for (let i = 0; i < width; i++) {
      acc.fill(0);
      for (let ty = 0; ty < taps; ty++) {
        for (let tx = 0; tx < taps; tx++) {
          const u = (i + (tx + 0.5) / taps) / scale - box.width / 2;
          const v = (j + (ty + 0.5) / taps) / scale - box.height / 2;
          const p = fromFrame(f, u, v);
          sample(p.x, p.y, acc);
        }
      }
      const k = j * padded + i;
      const t = taps * taps;
      // BGR planes, (v / 255 − 0.5) / 0.5.
      out[k] = acc[2]! / t / 127.5 - 1;
      out[n + k] = acc[1]! / t / 127.5 - 1;
      out[2 * n + k] = acc[0]! / t / 127.5 - 1;
    }
  }
  return out;
}
