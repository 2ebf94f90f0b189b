import { createCanvas } from '@napi-rs/canvas';
import type { Raster } from '../raster.js';
import { fontString, inkExtent, registerFonts, type Face } from './fonts.js';
import { fromFrame, type Frame } from './geometry.js';
import { gaussianBlur } from './blur.js';
import type { Rgb } from './mask.js';

/**
 * Drawing new text onto the raster. The canvas (Skia) only rasterises coverage, white on transparent,
 * already turned to the line's angle; the colour is composited here, in 8-bit sRGB like a browser would,
 * so the ink has exactly the estimated colour and the background outside the coverage stays untouched
 * byte for byte.
 */

export interface Setting {
  text: string;
  face: Face;
  /** Font size in image pixels. */
  size: number;
  colour: Rgb;
  /** The line's frame: u along the text, v down across it. */
  frame: Frame;
  /** Where the pen starts (u) on the baseline (v), in frame coordinates. */
  penU: number;
  baselineV: number;
}

export interface Shadow {
  colour: Rgb;
  /** Opacity at full coverage, 0..1. */
  opacity: number;
  /** Offset down and right, and blur sigma, in pixels. */
  offset: number;
  blur: number;
}

/** A rounded rectangle under the words, `padding` beyond their ink on every side. */
export interface Plate {
  colour: Rgb;
  opacity: number;
  padding: number;
  radius: number;
}

/** The ink's extent in frame coordinates (u left/right, v top/bottom). */
export function settingExtent(s: Setting): { left: number; right: number; top: number; bottom: number } {
  const e = inkExtent(s.text, s.face, s.size);
  return {
    left: s.penU + e.left,
    right: s.penU + e.right,
    top: s.baselineV - e.ascent,
    bottom: s.baselineV + e.descent,
  };
}

export function drawText(image: Raster, s: Setting, shadow?: Shadow, plate?: Plate): void {
  registerFonts();
  const e = settingExtent(s);
  const margin = 2 + Math.max(shadow ? shadow.offset + 3 * shadow.blur : 0, plate ? plate.padding : 0);
  const cornersUV: [number, number][] = [
    [e.left - margin, e.top - margin],
    [e.right + margin, e.top - margin],
    [e.right + margin, e.bottom + margin],
    [e.left - margin, e.bottom + margin],
  ];
  const pts = cornersUV.map(([u, v]) => fromFrame(s.frame, u, v));
  const x0 = Math.max(0, Math.floor(Math.min(...pts.map((p) => p.x))));
  const y0 = Math.max(0, Math.floor(Math.min(...pts.map((p) => p.y))));
  const x1 = Math.min(image.width, Math.ceil(Math.max(...pts.map((p) => p.x))));
  const y1 = Math.min(image.height, Math.ceil(Math.max(...pts.map((p) => p.y))));
  const w = x1 - x0;
  const h = y1 - y0;
  if (w <= 0 || h <= 0) return;

  const canvas = createCanvas(w, h);
  const g = canvas.getContext('2d');
  g.translate(s.frame.ox - x0, s.frame.oy - y0);
  g.rotate(s.frame.angle);
  if (plate) {
    const under = createCanvas(w, h).getContext('2d');
    under.setTransform(g.getTransform());
    under.beginPath();
    const p = plate.padding;
    under.roundRect(e.left - p, e.top - p, e.right - e.left + 2 * p, e.bottom - e.top + 2 * p, plate.radius);
    under.fillStyle = '#fff';
    under.fill();
    const rgba = under.getImageData(0, 0, w, h).data;
    const cover = new Float32Array(w * h);
    for (let i = 0; i < cover.length; i++) cover[i] = rgba[i * 4 + 3]! / 255;
    composite(image, x0, y0, w, h, cover, plate.colour, plate.opacity);
  }
  g.translate(s.penU, s.baselineV);
  g.font = fontString(s.face, s.size);
  g.fillStyle = '#fff';
  g.fillText(s.text, 0, 0);
  const rgba = g.getImageData(0, 0, w, h).data;
  const cover = new Float32Array(w * h);
  for (let i = 0; i < cover.length; i++) cover[i] = rgba[i * 4 + 3]! / 255;

  if (shadow) {
    const shifted = new Float32Array(w * h);
    const d = Math.round(shadow.offset);
    for (let y = d; y < h; y++) for (let x = d; x < w; x++) shifted[y * w + x] = cover[(y - d) * w + x - d]!;
    const soft = shadow.blur > 0 ? gaussianBlur(shifted, w, h, shadow.blur) : shifted;
    composite(image, x0, y0, w, h, soft, shadow.colour, shadow.opacity);
  }
  composite(image, x0, y0, w, h, cover, s.colour, 1);
}

function composite(image: Raster, x0: number, y0: number, w: number, h: number, cover: Float32Array, colour: Rgb, opacity: number): void {
  const stride = image.channels;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const a = cover[y * w + x]! * opacity;
      if (a <= 0) continue;
      const o = ((y0 + y) * image.width + x0 + x) * stride;
      for (let c = 0; c < 3; c++) image.data[o + c] = Math.round(colour[c]! * a + image.data[o + c]! * (1 - a));
      if (stride === 4) image.data[o + 3] = Math.max(image.data[o + 3]!, Math.round(255 * a));
    }
  }
}
