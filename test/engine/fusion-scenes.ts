/**
 * References for fusion checks whose roles are unambiguous and whose truth is known: a wide scene with
 * one main object (a "boat" on water under a sky), a full-figure subject on a plain studio backdrop, a
 * close-up that fills its frame, and the horse silhouette. Every shape is filled with a real photo so
 * the segmentation model sees photographic texture, and each comes with its own mask.
 */
import path from 'node:path';
import sharp from 'sharp';
import { PHOTOS } from '../helpers/paths.js';

export interface Reference {
  name: string;
  png: Buffer;
  width: number;
  height: number;
  /** 0..255, 255 on the main object. */
  truth: Uint8Array;
  /** Bounds of the main object. */
  box: { left: number; top: number; width: number; height: number };
}

/** A sample photo covering width × height, its channels scaled by `tint` (multipliers; grey photos get colour). */
async function photo(file: string, width: number, height: number, tint?: [number, number, number]): Promise<Buffer> {
  let p = sharp(path.join(PHOTOS, file)).removeAlpha().toColourspace('srgb').resize(width, height, { fit: 'cover' });
  if (tint) p = sharp(await p.raw().toBuffer(), { raw: { width, height, channels: 3 } }).linear(tint, [0, 0, 0]);
  return p.raw().toBuffer();
}

async function maskOf(svgShapes: string, width: number, height: number): Promise<Uint8Array> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="black"/><g fill="white">${svgShapes}</g></svg>`;
  const data = await sharp(Buffer.from(svg)).toColourspace('b-w').raw().toBuffer();
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

function bounds(truth: Uint8Array, width: number): Reference['box'] {
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  for (let i = 0; i < truth.length; i++) {
    if (truth[i]! < 128) continue;
    const x = i % width;
    const y = (i - x) / width;
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  return { left: x0, top: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

async function compose(name: string, width: number, height: number, background: Buffer, fill: Buffer, truth: Uint8Array): Promise<Reference> {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < truth.length; i++) {
    const a = truth[i]!;
    for (let c = 0; c < 3; c++) data[i * 3 + c] = Math.round((background[i * 3 + c]! * (255 - a) + fill[i * 3 + c]! * a) / 255);
  }
  const png = await sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer();
  return { name, png, width, height, truth, box: bounds(truth, width) };
}

/** Sky above water, a brown hull with a cabin in the lower middle: the scene of "on the boat". */
export async function boatScene(): Promise<Reference> {
  const W = 1024;
  const H = 768;
  const sky = await sharp({ create: { width: W, height: H, channels: 3, background: '#9cc4e8' } }).raw().toBuffer();
  const water = await photo('grass.png', W, H, [0.35, 0.6, 0.95]);
  const background = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      const src = y < H * 0.45 ? sky : water;
      // The sky brightens towards the horizon, as it does.
      const lift = y < H * 0.45 ? Math.round((y / (H * 0.45)) * 30) : 0;
      for (let c = 0; c < 3; c++) background[i + c] = Math.min(255, src[i + c]! + lift);
    }
  }
  const hull = `<path d="M 300 520 L 740 520 L 690 610 L 350 610 Z"/><rect x="440" y="470" width="150" height="55" rx="6"/>`;
  const truth = await maskOf(hull, W, H);
  const wood = await photo('coffee.png', W, H, [1.1, 0.8, 0.6]);
  return compose('boat scene', W, H, background, wood, truth);
}

/** A standing figure (head and body) filled with the astronaut photo, on a plain pale backdrop. */
export async function personOnBackdrop(): Promise<Reference> {
  const W = 600;
  const H = 800;
  const backdrop = await sharp({ create: { width: W, height: H, channels: 3, background: '#ece8e2' } }).raw().toBuffer();
  const figure = `<circle cx="300" cy="190" r="95"/><path d="M 170 330 Q 300 270 430 330 L 460 700 L 140 700 Z"/>`;
  const truth = await maskOf(figure, W, H);
  const fill = await photo('astronaut.png', W, H);
  return compose('person on a backdrop', W, H, backdrop, fill, truth);
}

/** A close-up: the cat's face filling the frame, touching three of its edges. */
export async function catCloseUp(): Promise<Reference> {
  const W = 640;
  const H = 640;
  const background = await photo('brick.png', W, H, [1, 0.75, 0.6]);
  const face = `<ellipse cx="320" cy="360" rx="330" ry="300"/>`;
  const truth = await maskOf(face, W, H);
  const cat = await sharp(path.join(PHOTOS, 'chelsea.png')).extract({ left: 150, top: 20, width: 240, height: 240 }).resize(W, H).raw().toBuffer();
  return compose('cat close-up', W, H, background, cat, truth);
}

/** The horse silhouette, filled with a dark coat, on a white ground. */
export async function horseOnWhite(): Promise<Reference> {
  const W = 800;
  const H = 656;
  const alpha = await sharp(path.join(PHOTOS, 'horse.png')).resize(W, H, { fit: 'fill' }).extractChannel(0).negate().raw().toBuffer();
  const truth = new Uint8Array(alpha.buffer, alpha.byteOffset, alpha.length);
  const white = Buffer.alloc(W * H * 3, 250);
  const coat = await photo('coffee.png', W, H, [0.6, 0.45, 0.35]);
  return compose('horse on white', W, H, white, coat, truth);
}

/** Share of the truth's pixels inside a box. */
export function coveredShare(ref: Reference, box: { left: number; top: number; width: number; height: number }): number {
  let inside = 0;
  let all = 0;
  for (let y = 0; y < ref.height; y++) {
    for (let x = 0; x < ref.width; x++) {
      if (ref.truth[y * ref.width + x]! < 128) continue;
      all++;
      if (x >= box.left && x < box.left + box.width && y >= box.top && y < box.top + box.height) inside++;
    }
  }
  return all ? inside / all : 0;
}

/** A sample photo as it is (astronaut.png: a bust that fills much of its frame); its truth is not known. */
export async function samplePhoto(file: string): Promise<Reference> {
  const { data, info } = await sharp(path.join(PHOTOS, file)).flatten({ background: '#ffffff' }).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const png = await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels as 3 } }).png().toBuffer();
  return { name: file, png, width: info.width, height: info.height, truth: new Uint8Array(info.width * info.height), box: { left: 0, top: 0, width: info.width, height: info.height } };
}
