/**
 * What must be accepted, fetched over real HTTP from the local server: every fixture photo (one of
 * which is deliberately broken), the colour models and bit depths of issue 3, EXIF-rotated files
 * (rules on the displayed size), the size limits exactly, and data URIs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageInputError } from '../../src/inputs/errors.js';
import { loadImages } from '../../src/inputs/load.js';
import { defaultInputPolicy } from '../../src/inputs/policy.js';
import { PHOTOS, solid, variants } from './images.js';
import { safeOptions } from './net.js';
import { startServer, type TestServer } from './server.js';

let server: TestServer;
let made: Awaited<ReturnType<typeof variants>>;
const policy = defaultInputPolicy();

beforeAll(async () => {
  server = await startServer();
  for (const name of readdirSync(PHOTOS)) {
    server.file(`/photo/${name}`, readFileSync(`${PHOTOS}/${name}`), name.endsWith('.png') ? 'image/png' : 'image/jpeg');
  }
  made = await variants();
  for (const [name, v] of Object.entries(made)) server.file(`/made/${encodeURIComponent(name)}`, v.data, 'application/octet-stream');
  server.file('/edge/1365x4096.jpg', await solid(1365, 4096, 'jpeg'));
  server.file('/edge/4096x1366.png', await solid(4096, 1366, 'png'), 'image/png');
});
afterAll(async () => {
  await server.close();
});

describe('fixture photos', () => {
  const photos = readdirSync(PHOTOS).filter((n) => /\.(png|jpe?g)$/.test(n));

  for (const name of photos) {
    if (name === 'truncated.jpg') {
      it(`${name} is refused as corrupt (it is truncated on purpose)`, async () => {
        const err = await loadImages([`${server.base}/photo/${name}`], policy, safeOptions()).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ImageInputError);
        expect((err as ImageInputError).reason).toBe('corrupt');
      });
      continue;
    }
    it(`${name} is accepted with the size libvips reads`, async () => {
      const [img] = await loadImages([`${server.base}/photo/${name}`], policy, safeOptions());
      const meta = await sharp(`${PHOTOS}/${name}`).metadata();
      expect(img).toMatchObject({ index: 0, format: meta.format, width: meta.width, height: meta.height });
    });
  }

  it('all the good photos in one request come back in input order', async () => {
    const good = photos.filter((n) => n !== 'truncated.jpg');
    const opts = safeOptions();
    const images = await loadImages(
      good.map((n) => `${server.base}/photo/${n}`),
      policy,
      opts,
    );
    expect(images.map((i) => i.index)).toEqual(good.map((_, i) => i));
    for (const [i, n] of good.entries()) {
      const meta = await sharp(`${PHOTOS}/${n}`).metadata();
      expect([images[i]!.width, images[i]!.height]).toEqual([meta.width, meta.height]);
    }
    // Only the test server was ever dialled.
    expect(new Set(opts.guard.dialled)).toEqual(new Set(['127.0.0.1']));
  });
});

describe('colour models, bit depths, orientation', () => {
  const names = [
    'CMYK JPEG',
    '16-bit PNG',
    'grey PNG',
    'grey+alpha PNG',
    'palette PNG',
    'grey JPEG',
    'progressive JPEG',
    'EXIF-rotated JPEG (orientation 6)',
    'EXIF-rotated PNG (eXIf orientation 8)',
  ];
  for (const name of names) {
    it(`accepts a ${name}, served as application/octet-stream`, async () => {
      const v = made[name]!;
      const [img] = await loadImages([`${server.base}/made/${encodeURIComponent(name)}`], policy, safeOptions());
      expect(img).toMatchObject({ format: name.includes('JPEG') ? 'jpeg' : 'png', width: v.width, height: v.height });
      expect(img!.data.equals(v.data)).toBe(true);
      // And it decodes as what it claims to be.
      const meta = await sharp(img!.data).metadata();
      if (name === 'CMYK JPEG') expect(meta.space).toBe('cmyk');
      if (name === '16-bit PNG') expect(meta.depth).toBe('ushort');
      if (name === 'grey+alpha PNG') expect(meta.channels).toBe(2);
      if (name === 'palette PNG') expect(meta.isPalette).toBe(true);
    });
  }

  it('reports the displayed size of an EXIF-rotated JPEG, not the stored one', async () => {
    const v = made['EXIF-rotated JPEG (orientation 6)']!;
    const meta = await sharp(v.data).metadata();
    expect([meta.width, meta.height]).toEqual([600, 400]);
    const [img] = await loadImages([`${server.base}/made/${encodeURIComponent('EXIF-rotated JPEG (orientation 6)')}`], policy, safeOptions());
    expect([img!.width, img!.height]).toEqual([400, 600]);
  });
});

describe('limits, exactly', () => {
  it('accepts 1365x4096 (JPEG) and 4096x1366 (PNG): the seed means [1/3, 3]', async () => {
    const images = await loadImages([`${server.base}/edge/1365x4096.jpg`, `${server.base}/edge/4096x1366.png`], policy, safeOptions());
    expect(images.map((i) => [i.width, i.height])).toEqual([
      [1365, 4096],
      [4096, 1366],
    ]);
  });
});

describe('data URIs', () => {
  it('accepts data:image/png;base64, data:image/jpeg;base64 and a lying media type, mixed with URLs', async () => {
    const png = made['palette PNG']!.data;
    const jpeg = made['grey JPEG']!.data;
    const images = await loadImages(
      [
        `data:image/png;base64,${png.toString('base64')}`,
        `${server.base}/photo/chelsea.png`,
        `data:image/jpeg;base64,${jpeg.toString('base64')}`,
        `data:image/png;charset=utf-8;base64,${jpeg.toString('base64')}`,
        `data:;base64,${png.toString('base64')}`,
      ],
      policy,
      safeOptions(),
    );
    expect(images.map((i) => i.format)).toEqual(['png', 'png', 'jpeg', 'jpeg', 'png']);
    expect(images[3]!.data.equals(jpeg)).toBe(true);
  });
});
