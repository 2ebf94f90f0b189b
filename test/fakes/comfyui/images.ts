/**
 * ComfyUI's IMAGE and MASK values as the fake holds them: a batch of frames of raw 8-bit RGB (ComfyUI
 * keeps float tensors [B,H,W,C]; bytes are enough for weightless graphs), with the resampling and PNG
 * writing its image nodes need, done with sharp.
 */
import zlib from 'node:zlib';
import sharp, { type KernelEnum } from 'sharp';

export interface Frame {
  data: Buffer;
  width: number;
  height: number;
}

/** A batch: ComfyUI's IMAGE. */
export type Image = Frame[];

/** One channel per pixel, 0..255, for ComfyUI's MASK. */
export type Mask = Frame[];

export const UPSCALE_METHODS = ['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos'] as const;
const KERNELS: Record<string, keyof KernelEnum> = {
  'nearest-exact': 'nearest',
  bilinear: 'linear',
  area: 'mitchell',
  bicubic: 'cubic',
  lanczos: 'lanczos3',
};

const LIMIT = 16384 * 16384;

/** LoadImage: the file's pixels after EXIF orientation, as RGB, and 1 − alpha as the mask (64x64 zeros without alpha). */
export async function decode(file: Buffer): Promise<{ image: Frame; mask: Frame }> {
  const hasAlpha = (await sharp(file, { limitInputPixels: LIMIT }).metadata()).hasAlpha === true;
  const { data, info } = await sharp(file, { limitInputPixels: LIMIT }).autoOrient().ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const pixels = info.width * info.height;
  const rgb = Buffer.alloc(pixels * 3);
  const mask = Buffer.alloc(pixels);
  for (let i = 0; i < pixels; i++) {
    rgb[i * 3] = data[i * 4]!;
    rgb[i * 3 + 1] = data[i * 4 + 1]!;
    rgb[i * 3 + 2] = data[i * 4 + 2]!;
    mask[i] = 255 - data[i * 4 + 3]!;
  }
  return {
    image: { data: rgb, width: info.width, height: info.height },
    mask: hasAlpha ? { data: mask, width: info.width, height: info.height } : { data: Buffer.alloc(64 * 64), width: 64, height: 64 },
  };
}

/** comfy.utils.common_upscale: to exactly width x height; `center` crops the source to the target's shape first. */
export async function scale(frame: Frame, width: number, height: number, method: string, crop: 'disabled' | 'center'): Promise<Frame> {
  if (frame.width === width && frame.height === height) return frame;
  const data = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 }, limitInputPixels: LIMIT })
    .resize(width, height, { fit: crop === 'center' ? 'cover' : 'fill', position: 'centre', kernel: KERNELS[method] ?? 'lanczos3' })
    .raw()
    .toBuffer();
  return { data, width, height };
}

export function solid(width: number, height: number, rgb: [number, number, number]): Frame {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return { data, width, height };
}

/** Copies `src` into `dst` at (x, y), clipped. */
export function paste(dst: Frame, src: Frame, x: number, y: number): void {
  for (let row = 0; row < src.height; row++) {
    const ty = y + row;
    if (ty < 0 || ty >= dst.height) continue;
    const from = Math.max(0, -x);
    const to = Math.min(src.width, dst.width - x);
    if (to <= from) continue;
    src.data.copy(dst.data, (ty * dst.width + x + from) * 3, (row * src.width + from) * 3, (row * src.width + to) * 3);
  }
}

/** ImageBlend's modes (comfy_extras/nodes_post_processing.py), on 0..1 values. */
export function blendPixel(a: number, b: number, mode: string): number {
  switch (mode) {
    case 'multiply':
      return a * b;
    case 'screen':
      return 1 - (1 - a) * (1 - b);
    case 'overlay':
      return a <= 0.5 ? 2 * a * b : 1 - 2 * (1 - a) * (1 - b);
    case 'soft_light': {
      const g = a <= 0.25 ? ((16 * a - 12) * a + 4) * a : Math.sqrt(a);
      return b <= 0.5 ? a - (1 - 2 * b) * a * (1 - a) : a + (2 * b - 1) * (g - a);
    }
    case 'difference':
      return a - b;
    default:
      return b;
  }
}

/**
 * SaveImage's file: a PNG with the graph in a tEXt chunk named `prompt` (and the client's
 * extra_pnginfo entries), as ComfyUI writes it unless --disable-metadata.
 */
export async function png(frame: Frame, text: Record<string, string>): Promise<Buffer> {
  const encoded = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 }, limitInputPixels: LIMIT })
    .png({ compressionLevel: 4 })
    .toBuffer();
  const chunks = Object.entries(text).map(([key, value]) => chunk('tEXt', Buffer.concat([Buffer.from(key, 'latin1'), Buffer.from([0]), Buffer.from(value, 'latin1')])));
  // IHDR is always first: 8 bytes of signature, then length, type, 13 bytes, CRC.
  const ihdrEnd = 8 + 8 + 13 + 4;
  return Buffer.concat([encoded.subarray(0, ihdrEnd), ...chunks, encoded.subarray(ihdrEnd)]);
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}
