import type { Raster } from '../raster.js';
import { faceOf, inkExtent } from './fonts.js';
import type { Rgb } from './mask.js';
import type { Plate, Setting, Shadow } from './render.js';

/** Where add_text puts new words, and in what colour. */

/** Added text: its letters are this fraction of the image height (font size ≈ 7 %, capitals ≈ 5 %). */
const ADDED_SIZE = 0.07;
const MARGIN = 0.05;

/**
 * New text at the top, bottom or centre: bold sans, centred, a readable size (shrunk to fit 90 % of the
 * width), in white or near-black, whichever contrasts more with the pixels under it on average, with a
 * soft shadow of the other colour. Where the picture under it is busy (more than a tenth of those pixels
 * within 3:1 of the text colour: hair, a red saucer against a white cup) a translucent plate of the other
 * colour goes under the words, so every letter keeps its contrast.
 */
export function placeAddition(
  image: Raster,
  text: string,
  position: 'top' | 'bottom' | 'center',
): { setting: Setting; shadow: Shadow; plate?: Plate } {
  const face = faceOf('sans', 700);
  let size = Math.max(14, ADDED_SIZE * image.height);
  let e = inkExtent(text, face, size);
  const maxWidth = 0.9 * image.width;
  if (e.right - e.left > maxWidth) {
    size *= maxWidth / (e.right - e.left);
    e = inkExtent(text, face, size);
  }
  const margin = MARGIN * Math.min(image.width, image.height);
  const pad = PLATE_PADDING * size;
  const baseline =
    position === 'top'
      ? margin + pad + e.ascent
      : position === 'bottom'
        ? image.height - margin - pad - e.descent
        : image.height / 2 + (e.ascent - e.descent) / 2;
  const penU = (image.width - (e.right - e.left)) / 2 - e.left;
  const under = luminances(image, penU + e.left, baseline - e.ascent, penU + e.right, baseline + e.descent);
  const mean = under.reduce((a, b) => a + b, 0) / Math.max(1, under.length);
  const white: Rgb = [255, 255, 255];
  const black: Rgb = [17, 17, 17];
  const colour = contrastRatio(relativeLuminance(white), mean) >= contrastRatio(relativeLuminance(black), mean) ? white : black;
  const other: Rgb = colour === white ? [0, 0, 0] : [255, 255, 255];
  const own = relativeLuminance(colour);
  const weak = under.filter((l) => contrastRatio(own, l) < 3).length;
  const setting: Setting = { text, face, size, colour, frame: { ox: 0, oy: 0, angle: 0 }, penU, baselineV: baseline };
  const shadow: Shadow = { colour: other, opacity: 0.45, offset: Math.max(1, size * 0.035), blur: Math.max(1, size * 0.04) };
  return weak > BUSY * under.length ? { setting, shadow, plate: { colour: other, opacity: 0.55, padding: pad, radius: pad } } : { setting, shadow };
}

const PLATE_PADDING = 0.3;
const BUSY = 0.1;

export function contrastRatio(a: number, b: number): number {
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}

/** WCAG relative luminance of an sRGB colour, 0..1. */
export function relativeLuminance(c: Rgb): number {
  return 0.2126 * LINEAR[c[0]]! + 0.7152 * LINEAR[c[1]]! + 0.0722 * LINEAR[c[2]]!;
}

const LINEAR = Float64Array.from({ length: 256 }, (_, v) => {
  const s = v / 255;
  return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
});

/** Relative luminance of every pixel in a rectangle. */
function luminances(image: Raster, x0: number, y0: number, x1: number, y1: number): number[] {
  const xa = Math.max(0, Math.floor(x0));
  const ya = Math.max(0, Math.floor(y0));
  const xb = Math.min(image.width, Math.ceil(x1));
  const yb = Math.min(image.height, Math.ceil(y1));
  const out: number[] = [];
  for (let y = ya; y < yb; y++) {
    for (let x = xa; x < xb; x++) {
      const o = (y * image.width + x) * image.channels;
      out.push(relativeLuminance([image.data[o]!, image.data[o + 1]!, image.data[o + 2]!]));
    }
  }
  return out;
}

