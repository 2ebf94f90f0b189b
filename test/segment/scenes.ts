/**
 * Synthetic scenes with a known subject: a shape filled with one real photo, composited onto a
 * contrasting texture (another real photo, resized to cover the canvas so the scene looks the same at
 * any size). The truth is the shape's own antialiased mask.
 */
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { PHOTOS } from '../helpers/paths.js';

export interface Scene {
  name: string;
  width: number;
  height: number;
  /** RGB, 3 bytes per pixel. */
  data: Buffer;
  /** 0..255, 255 inside the shape. */
  truth: Buffer;
}

/** Shapes drawn on a 1024x768 design grid and scaled to the scene's size. */
interface SceneSpec {
  name: string;
  subject: string;
  background: string;
  shape: (s: number) => string | Promise<Buffer>;
}

const grey = (b: Sharp) => b.toColourspace('b-w').raw().toBuffer();

async function photoRgb(file: string, width: number, height: number): Promise<Buffer> {
  const data = await sharp(path.join(PHOTOS, file)).removeAlpha().toColourspace('srgb').resize(width, height, { fit: 'cover' }).raw().toBuffer();
  if (data.length !== width * height * 3) throw new Error(`${file} did not decode to RGB`);
  return data;
}

export const SPECS: SceneSpec[] = [
  {
    name: 'astronaut ellipse on grass',
    subject: 'astronaut.png',
    background: 'grass.png',
    shape: (s) => `<ellipse cx="${512 * s}" cy="${384 * s}" rx="${250 * s}" ry="${300 * s}"/>`,
  },
  {
    name: 'cat rounded rectangle on brick',
    subject: 'chelsea.png',
    background: 'brick.png',
    shape: (s) => `<rect x="${260 * s}" y="${170 * s}" width="${520 * s}" height="${420 * s}" rx="${60 * s}"/>`,
  },
  {
    name: 'coffee-filled horse silhouette on grass',
    subject: 'coffee.png',
    background: 'grass.png',
    // horse.png is a dark horse on white: negated, it is the silhouette's mask.
    shape: async (s) => {
      const horse = await sharp(path.join(PHOTOS, 'horse.png')).extractChannel(0).negate().png().toBuffer();
      const [w, h, left, top] = [700 * s, 574 * s, 162 * s, 120 * s].map(Math.round) as [number, number, number, number];
      return grey(sharp(horse).resize(w, h, { fit: 'fill' }).extend({ left, top, right: 1024 * s - w - left, bottom: 768 * s - h - top, background: '#000' }));
    },
  },
  {
    name: 'coffee disc on brick',
    subject: 'coffee.png',
    background: 'brick.png',
    shape: (s) => `<circle cx="${380 * s}" cy="${420 * s}" r="${230 * s}"/>`,
  },
];

/** Renders a scene at `scale` times the 1024x768 design size. */
export async function renderScene(spec: SceneSpec, scale = 1): Promise<Scene> {
  const width = 1024 * scale;
  const height = 768 * scale;
  const shape = await spec.shape(scale);
  const truth =
    typeof shape === 'string'
      ? await grey(sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="black"/><g fill="white">${shape}</g></svg>`)))
      : shape;
  if (truth.length !== width * height) throw new Error(`${spec.name}: mask is not ${width}x${height}x1`);
  const [fg, bg] = await Promise.all([photoRgb(spec.subject, width, height), photoRgb(spec.background, width, height)]);
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < truth.length; i++) {
    const a = truth[i]!;
    for (let c = 0; c < 3; c++) data[i * 3 + c] = Math.round((bg[i * 3 + c]! * (255 - a) + fg[i * 3 + c]! * a) / 255);
  }
  return { name: spec.name, width, height, data, truth };
}

/** Intersection over union of the two masks, each thresholded at 128. */
export function iou(mask: Uint8Array, truth: Uint8Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < truth.length; i++) {
    const m = mask[i]! >= 128;
    const t = truth[i]! >= 128;
    if (m && t) inter++;
    if (m || t) union++;
  }
  return inter / union;
}

/** Pixels within `radius` of the truth's edge (its box mean over the window is neither 0 nor 255). */
export function edgeBand(truth: Uint8Array, width: number, height: number, radius: number): number[] {
  const band: number[] = [];
  const integral = new Float64Array((width + 1) * (height + 1));
  for (let y = 0; y < height; y++) {
    let row = 0;
    for (let x = 0; x < width; x++) {
      row += truth[y * width + x]!;
      integral[(y + 1) * (width + 1) + x + 1] = integral[y * (width + 1) + x + 1]! + row;
    }
  }
  for (let y = 0; y < height; y++) {
    const y0 = Math.max(0, y - radius), y1 = Math.min(height, y + radius + 1);
    for (let x = 0; x < width; x++) {
      const x0 = Math.max(0, x - radius), x1 = Math.min(width, x + radius + 1);
      const sum = integral[y1 * (width + 1) + x1]! - integral[y0 * (width + 1) + x1]! - integral[y1 * (width + 1) + x0]! + integral[y0 * (width + 1) + x0]!;
      const n = (y1 - y0) * (x1 - x0);
      if (sum > 0 && sum < 255 * n) band.push(y * width + x);
    }
  }
  return band;
}
