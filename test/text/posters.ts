import path from 'node:path';
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import sharp from 'sharp';
import { toRaster, type Raster } from '../../src/engine/builtin/raster.js';
import { faceOf, fontString, registerFonts, type FaceKind } from '../../src/engine/builtin/text/fonts.js';

/**
 * Posters for the text tests: a background (flat, gradient, or a crop of a fixture photo) with text drawn
 * by the canvas in the shipped fonts. Each poster keeps its background without text, so a test knows
 * exactly what the erased area should look like, and each text item's own ink mask and box.
 */

export type Rgb = [number, number, number];

/** A plain rectangle under the text (a sign's panel on a photo). */
export interface Panel {
  x: number;
  y: number;
  width: number;
  height: number;
  colour: Rgb;
}

export type Background = (
  | { kind: 'flat'; colour: Rgb }
  | { kind: 'gradient'; from: Rgb; to: Rgb; angle: number }
  /** `night` darkens the photo to a dim blue, as a street at night. */
  | { kind: 'photo'; name: string; night?: boolean }
) & { panel?: Panel };

export interface PosterText {
  text: string;
  /** Where the baseline starts (align left) or its middle (align centre). */
  x: number;
  y: number;
  size: number;
  kind?: FaceKind;
  weight?: 400 | 700 | 900;
  colour: Rgb;
  /** Degrees clockwise. */
  angle?: number;
  align?: 'left' | 'center';
}

export interface DrawnText extends PosterText {
  /** Pixels this text covers (alpha > 0), row-major over the poster. */
  mask: Uint8Array;
  /** Axis-aligned bounds of the mask. */
  bounds: { x0: number; y0: number; x1: number; y1: number };
  /** The word box: the mask's bounds in the text's own turned frame (angle in degrees, about its centre). */
  box: { x: number; y: number; width: number; height: number; angle: number };
  /** Cap height in pixels, measured by the canvas for "H". */
  capHeight: number;
}

export interface Poster {
  image: Raster;
  background: Raster;
  texts: DrawnText[];
}

const PHOTOS = path.resolve(import.meta.dirname, '../fixtures/photos');

export async function backgroundRaster(bg: Background, width: number, height: number): Promise<Raster> {
  const raster = await plainBackground(bg, width, height);
  const p = bg.panel;
  if (p) {
    for (let y = Math.max(0, p.y); y < Math.min(height, p.y + p.height); y++) {
      for (let x = Math.max(0, p.x); x < Math.min(width, p.x + p.width); x++) {
        for (let c = 0; c < 3; c++) raster.data[(y * width + x) * 3 + c] = p.colour[c]!;
      }
    }
  }
  return raster;
}

async function plainBackground(bg: Background, width: number, height: number): Promise<Raster> {
  if (bg.kind === 'photo') {
    let image = sharp(path.join(PHOTOS, `${bg.name}.png`)).removeAlpha().toColourspace('srgb').resize(width, height, { fit: 'cover' });
    if (bg.night) image = image.linear([0.25, 0.3, 0.45], [0, 4, 18]);
    return toRaster(image);
  }
  const data = Buffer.alloc(width * height * 3);
  const rad = ((bg.kind === 'gradient' ? bg.angle : 0) * Math.PI) / 180;
  const dx = Math.cos(rad);
  const dy = Math.sin(rad);
  const span = Math.abs(width * dx) + Math.abs(height * dy);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      if (bg.kind === 'flat') {
        data[o] = bg.colour[0];
        data[o + 1] = bg.colour[1];
        data[o + 2] = bg.colour[2];
        continue;
      }
      const t = Math.min(1, Math.max(0, ((x - width / 2) * dx + (y - height / 2) * dy) / span + 0.5));
      for (let c = 0; c < 3; c++) data[o + c] = Math.round(bg.from[c]! + (bg.to[c]! - bg.from[c]!) * t);
    }
  }
  return { data, width, height, channels: 3 };
}

function drawOne(g: SKRSContext2D, t: PosterText, fill: string): void {
  const face = faceOf(t.kind ?? 'sans', t.weight ?? 700);
  g.save();
  g.translate(t.x, t.y);
  g.rotate(((t.angle ?? 0) * Math.PI) / 180);
  g.font = fontString(face, t.size);
  g.textAlign = t.align === 'center' ? 'center' : 'left';
  g.fillStyle = fill;
  g.fillText(t.text, 0, 0);
  g.restore();
}

export async function makePoster(bg: Background, width: number, height: number, texts: PosterText[]): Promise<Poster> {
  registerFonts();
  const background = await backgroundRaster(bg, width, height);
  const image: Raster = { ...background, data: Buffer.from(background.data) };
  const drawn: DrawnText[] = [];
  for (const t of texts) {
    const canvas = createCanvas(width, height);
    const g = canvas.getContext('2d');
    drawOne(g, t, '#fff');
    const alpha = g.getImageData(0, 0, width, height).data;
    const mask = new Uint8Array(width * height);
    const bounds = { x0: width, y0: height, x1: 0, y1: 0 };
    for (let i = 0; i < mask.length; i++) {
      const a = alpha[i * 4 + 3]! / 255;
      if (a <= 0) continue;
      mask[i] = 1;
      const x = i % width;
      const y = Math.floor(i / width);
      bounds.x0 = Math.min(bounds.x0, x);
      bounds.y0 = Math.min(bounds.y0, y);
      bounds.x1 = Math.max(bounds.x1, x + 1);
      bounds.y1 = Math.max(bounds.y1, y + 1);
      for (let c = 0; c < 3; c++) image.data[i * 3 + c] = Math.round(t.colour[c]! * a + image.data[i * 3 + c]! * (1 - a));
    }
    const probe = createCanvas(1, 1).getContext('2d');
    probe.font = fontString(faceOf(t.kind ?? 'sans', t.weight ?? 700), t.size);
    drawn.push({ ...t, mask, bounds, box: turnedBounds(mask, width, t.angle ?? 0), capHeight: probe.measureText('H').actualBoundingBoxAscent });
  }
  return { image, background, texts: drawn };
}

export async function savePng(r: Raster, file: string): Promise<void> {
  await sharp(r.data, { raw: { width: r.width, height: r.height, channels: r.channels } }).png().toFile(file);
}

function turnedBounds(mask: Uint8Array, width: number, angle: number): DrawnText['box'] {
  const a = (angle * Math.PI) / 180;
  const c = Math.cos(a);
  const s = Math.sin(a);
  let u0 = Infinity, u1 = -Infinity, v0 = Infinity, v1 = -Infinity;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const x = (i % width) + 0.5;
    const y = Math.floor(i / width) + 0.5;
    const u = x * c + y * s;
    const v = -x * s + y * c;
    u0 = Math.min(u0, u - 0.5);
    u1 = Math.max(u1, u + 0.5);
    v0 = Math.min(v0, v - 0.5);
    v1 = Math.max(v1, v + 0.5);
  }
  const uc = (u0 + u1) / 2;
  const vc = (v0 + v1) / 2;
  const cx = uc * c - vc * s;
  const cy = uc * s + vc * c;
  return { x: cx - (u1 - u0) / 2, y: cy - (v1 - v0) / 2, width: u1 - u0, height: v1 - v0, angle };
}
