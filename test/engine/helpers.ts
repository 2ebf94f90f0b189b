/** Running the built-in engine directly on real photos, and measuring what comes out. */
import sharp from 'sharp';
import { BuiltinEngine } from '../../src/engine/builtin/index.js';
import type { EditRequest, EngineResult } from '../../src/engine/types.js';
import { createLogger } from '../../src/log.js';
import { photo } from '../helpers/paths.js';

export const engine = new BuiltinEngine();

export const ctx = () => ({ signal: new AbortController().signal, progress: () => {}, log: createLogger('silent'), checkpoint: async () => {} });

export type Source = string | Buffer;

export async function run(sources: Source[], prompt: string, options: Partial<Omit<EditRequest, 'images' | 'prompt'>> = {}): Promise<EngineResult> {
  const images = sources.map((s, index) => ({ index, data: typeof s === 'string' ? photo(s) : s, format: 'png' as const, width: 0, height: 0 }));
  return engine.run({ id: 'test', images, prompt, width: 1024, height: 1024, scale: 0.5, forceSingle: false, ...options }, ctx());
}

export interface Pixels {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}

export async function pixels(encoded: Buffer): Promise<Pixels> {
  const { data, info } = await sharp(encoded).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** Mean of a per-pixel measure over a region (the whole image by default). */
export function mean(p: Pixels, f: (r: number, g: number, b: number, a: number) => number, region?: (x: number, y: number) => boolean): number {
  let sum = 0;
  let n = 0;
  for (let y = 0; y < p.height; y++) {
    for (let x = 0; x < p.width; x++) {
      if (region && !region(x, y)) continue;
      const i = (y * p.width + x) * p.channels;
      sum += f(p.data[i]!, p.data[i + 1]!, p.data[i + 2]!, p.channels === 4 ? p.data[i + 3]! : 255);
      n++;
    }
  }
  return sum / n;
}

export const luma = (r: number, g: number, b: number) => 0.2126 * r + 0.7152 * g + 0.0722 * b;
export const chroma = (r: number, g: number, b: number) => Math.max(r, g, b) - Math.min(r, g, b);

export function lumaStd(p: Pixels): number {
  const m = mean(p, luma);
  return Math.sqrt(mean(p, (r, g, b) => (luma(r, g, b) - m) ** 2));
}

/** Mean absolute Laplacian of the luma: detail and noise. */
export function laplacian(p: Pixels): number {
  const L = (x: number, y: number) => {
    const i = (y * p.width + x) * p.channels;
    return luma(p.data[i]!, p.data[i + 1]!, p.data[i + 2]!);
  };
  let sum = 0;
  for (let y = 1; y < p.height - 1; y += 2) for (let x = 1; x < p.width - 1; x += 2) sum += Math.abs(4 * L(x, y) - L(x - 1, y) - L(x + 1, y) - L(x, y - 1) - L(x, y + 1));
  return sum / (((p.height - 2) / 2) * ((p.width - 2) / 2));
}

export async function decodeFirst(result: EngineResult): Promise<Pixels> {
  return pixels(result.images[0]!.data);
}
