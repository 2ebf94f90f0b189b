/** The first engine's promise: every output is exactly the requested size, structure-aware, never black bars. */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { BuiltinEngine } from '../../src/engine/builtin/index.js';
import { cropLoss, fitRaster } from '../../src/engine/builtin/fit.js';
import { decode } from '../../src/engine/builtin/raster.js';
import type { EditRequest } from '../../src/engine/types.js';
import { SIZES, parseSize } from '../../src/models/dreamina-4-0-edit.js';
import { createLogger } from '../../src/log.js';
import { photo } from '../helpers/paths.js';

const ctx = () => ({ signal: new AbortController().signal, progress: () => {}, log: createLogger('silent'), checkpoint: async () => {} });

function request(name: string, size: string, extra: Partial<EditRequest> = {}): EditRequest {
  const data = photo(name);
  return { id: 'test', images: [{ index: 0, data, format: 'png', width: 0, height: 0 }], prompt: '', ...parseSize(size), scale: 0.5, forceSingle: false, ...extra };
}

describe('fit to every size', () => {
  it.each(SIZES.map((s) => [s]))('%s is exact, JPEG', async (size) => {
    const result = await new BuiltinEngine().run(request('astronaut.png', size), ctx());
    expect(result.images).toHaveLength(1);
    const meta = await sharp(result.images[0]!.data).metadata();
    expect(meta.format).toBe('jpeg');
    expect([meta.width, meta.height]).toEqual([parseSize(size).width, parseSize(size).height]);
  }, 60_000);

  it('extends a portrait into 21:9 with the image itself, not black bars', async () => {
    const tall = await decode(await sharp(photo('coffee.png')).resize(300, 600, { fit: 'fill' }).png().toBuffer());
    const out = await fitRaster(tall, 2100, 900);
    expect([out.width, out.height]).toEqual([2100, 900]);
    // The side columns continue the photo: no column of them is black, and their colour is the photo's.
    // (Measured on raw pixels: sharp's stats() reads the whole input and ignores an extract.)
    const side = await sharp(out.data, { raw: { width: out.width, height: out.height, channels: out.channels } })
      .extract({ left: 0, top: 0, width: 200, height: 900 })
      .raw()
      .toBuffer();
    const darkest = Math.min(...Array.from({ length: 200 }, (_, x) => {
      let sum = 0;
      for (let y = 0; y < 900; y++) sum += side[(y * 200 + x) * 3]! + side[(y * 200 + x) * 3 + 1]! + side[(y * 200 + x) * 3 + 2]!;
      return sum / 900 / 3;
    }));
    expect(darkest).toBeGreaterThan(40);
    const src = await sharp(tall.data, { raw: { width: 300, height: 600, channels: tall.channels } }).raw().toBuffer();
    const avg = (b: Buffer, c: number) => b.reduce((s, v, i) => (i % 3 === c ? s + v : s), 0) / (b.length / 3);
    for (const c of [0, 1, 2]) expect(Math.abs(avg(side, c) - avg(src, c))).toBeLessThan(60);
    expect(cropLoss(300, 600, 2100, 900)).toBeGreaterThan(0.2);
  });

  it('covers when the aspect is close, keeping the centre of attention', async () => {
    const src = await decode(photo('chelsea.png'));
    expect(cropLoss(src.width, src.height, 2304, 1728)).toBeLessThan(0.2);
    const out = await fitRaster(src, 2304, 1728);
    expect([out.width, out.height]).toEqual([2304, 1728]);
  });

  it('is deterministic: the same request gives the same bytes', async () => {
    const a = await new BuiltinEngine().run(request('coffee.png', '2560x1440(16:9)'), ctx());
    const b = await new BuiltinEngine().run(request('coffee.png', '2560x1440(16:9)'), ctx());
    expect(a.images[0]!.data.equals(b.images[0]!.data)).toBe(true);
  });

  it('stops between steps when the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(new BuiltinEngine().run(request('coffee.png', '1024x1024(1:1)'), { ...ctx(), signal: controller.signal })).rejects.toThrow('stop');
  });

  it('reports progress from 0 to 1', async () => {
    const seen: number[] = [];
    await new BuiltinEngine().run(request('coffee.png', '1024x1024(1:1)'), { ...ctx(), progress: (f) => seen.push(f) });
    expect(seen.at(-1)).toBe(1);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });
});
