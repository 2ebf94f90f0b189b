/**
 * The file rules on bytes in memory: magic bytes, the header probe (PNG IHDR/eXIf, JPEG SOFn/APP1
 * EXIF), the seed's limits and their exact words, data URIs, and the decode check.
 */
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { checkImage, HeaderGate } from '../../src/inputs/check.js';
import { decodeDataUri } from '../../src/inputs/data-uri.js';
import { ImageInputError } from '../../src/inputs/errors.js';
import { readExifOrientation } from '../../src/inputs/exif.js';
import { defaultInputPolicy, MIB, validateInputPolicy } from '../../src/inputs/policy.js';
import { createProbe } from '../../src/inputs/probe.js';
import { aspectRule, checkAspect, resolutionRule, sizeRule } from '../../src/inputs/rules.js';
import { sniff } from '../../src/inputs/sniff.js';
import path from 'node:path';
import { exifApp1, jpegHeader, photo, PHOTOS, pngHeader, solid } from './images.js';

const policy = defaultInputPolicy();

async function refusal(p: Promise<unknown>): Promise<ImageInputError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ImageInputError) return err;
    throw err;
  }
  throw new Error('accepted');
}

describe('policy', () => {
  it('has the seed limits and the issue-3 fetch limits', () => {
    expect(policy).toEqual({
      allowPrivateUrls: false,
      allowedHosts: null,
      maxBytes: 15 * MIB,
      maxSide: 4096,
      minAspect: 1 / 3,
      maxAspect: 3,
      maxRedirects: 3,
      connectTimeoutMs: 5000,
      firstByteTimeoutMs: 10000,
      totalTimeoutMs: 30000,
      concurrency: 4,
    });
    expect(() => validateInputPolicy(policy)).not.toThrow();
    expect(() => validateInputPolicy({ ...policy, concurrency: 0 })).toThrow(/concurrency/);
    expect(() => validateInputPolicy({ ...policy, allowedHosts: ['a.*.com'] })).toThrow(/allowed host/);
  });

  it("words the rules exactly as the seed's validation_error", () => {
    expect(sizeRule(policy)).toBe('Each image file must be ≤ 15 MB.');
    expect(resolutionRule(policy)).toBe('Maximum resolution is 4096x4096.');
    expect(aspectRule(policy)).toBe('The input image aspect ratio must be within [1/3, 3].');
  });
});

describe('aspect ratio bounds', () => {
  const ok = (w: number, h: number) => () => checkAspect(w, h, 0, policy);
  it.each([
    [1365, 4096],
    [4096, 1366],
    [4096, 1365],
    [1000, 3000],
    [3000, 1000],
    [1364, 4096],
    [100, 300],
    [1, 3],
    [1, 1],
  ])('accepts %ix%i', (w, h) => {
    expect(ok(w, h)).not.toThrow();
  });
  it.each([
    [1363, 4096],
    [4096, 1363],
    [99, 300],
    [301, 100],
    [1, 4],
    [3900, 1000],
  ])('refuses %ix%i', (w, h) => {
    expect(ok(w, h)).toThrow(`(found ${w}x${h})`);
  });
});

describe('sniff', () => {
  it('decides JPEG and PNG from the magic bytes alone', () => {
    expect(sniff(Buffer.from([0xff, 0xd8, 0xff, 0xe0]), false).kind).toBe('jpeg');
    expect(sniff(Buffer.from('89504e470d0a1a0a', 'hex'), false).kind).toBe('png');
    expect(sniff(Buffer.from([0xff, 0xd8]), false).kind).toBe('need_more');
    expect(sniff(Buffer.from([0xff, 0xd8]), true).kind).toBe('truncated');
    expect(sniff(Buffer.alloc(0), true).kind).toBe('empty');
  });
  it.each([
    ['GIF89a......', 'GIF'],
    ['RIFF\0\0\0\0WEBPVP8 ', 'WebP'],
    ['\0\0\0\x1cftypavif', 'AVIF'],
    ['\0\0\0\x18ftypheic', 'HEIF'],
    ['BM6\0\0\0', 'BMP'],
    ['II*\0\x08\0', 'TIFF'],
    ['%PDF-1.7', 'PDF'],
    ['\uFEFF  <svg xmlns="http://www.w3.org/2000/svg">', 'SVG'],
    ['<!doctype html><title>x</title>', 'HTML'],
    ['<html><body>', 'HTML'],
    ['{"error":"nope"}', 'JSON'],
    ['hello world', 'an unrecognised file'],
  ])('names %j as %s', (text, name) => {
    expect(sniff(Buffer.from(text, 'utf8'), true)).toEqual({ kind: 'other', name });
  });
});

describe('header probe', () => {
  it('reads PNG IHDR', () => {
    const state = createProbe('png').update(pngHeader(1234, 567));
    expect(state).toMatchObject({ state: 'done', displayed: { width: 1234, height: 567 } });
  });

  it('reports the stored size of a PNG before its first IDAT has arrived', () => {
    const head = pngHeader(30000, 30000).subarray(0, 33);
    expect(createProbe('png').update(head)).toEqual({ state: 'need_more', stored: { width: 30000, height: 30000 } });
  });

  it('reads JPEG SOF and EXIF orientation, swapping for 5..8', () => {
    expect(createProbe('jpeg').update(jpegHeader(640, 480))).toMatchObject({ displayed: { width: 640, height: 480 } });
    for (const o of [1, 2, 3, 4]) {
      expect(createProbe('jpeg').update(jpegHeader(640, 480, o))).toMatchObject({ orientation: o, displayed: { width: 640, height: 480 } });
    }
    for (const o of [5, 6, 7, 8]) {
      expect(createProbe('jpeg').update(jpegHeader(640, 480, o))).toMatchObject({ orientation: o, displayed: { width: 480, height: 640 } });
    }
  });

  it('resumes where it stopped when fed a growing prefix byte by byte', () => {
    const file = jpegHeader(800, 600, 6);
    const probe = createProbe('jpeg');
    let last;
    for (let n = 3; n <= file.length; n++) last = probe.update(file.subarray(0, n));
    expect(last).toMatchObject({ state: 'done', displayed: { width: 600, height: 800 } });
  });

  it('reads real files as libvips does, including EXIF in PNG (eXIf)', async () => {
    const coffee = path.join(PHOTOS, 'coffee.png');
    for (const [format, o] of [
      ['jpeg', 6],
      ['png', 8],
      ['jpeg', 3],
    ] as const) {
      const data = await sharp(coffee)[format]().withMetadata({ orientation: o }).toBuffer();
      const meta = await sharp(data).metadata();
      const state = createProbe(format).update(data);
      expect(state).toMatchObject({ state: 'done', orientation: o, displayed: meta.autoOrient });
    }
  });

  it('skips long metadata segments without reading them and survives fill bytes', () => {
    const com = Buffer.alloc(60000 + 4);
    com.writeUInt16BE(0xfffe, 0);
    com.writeUInt16BE(60002, 2);
    const head = jpegHeader(300, 200);
    const file = Buffer.concat([head.subarray(0, 2), com, com, Buffer.from([0xff, 0xff, 0xff]), head.subarray(2)]);
    expect(createProbe('jpeg').update(file)).toMatchObject({ displayed: { width: 300, height: 200 } });
  });

  it('refuses impossible headers', () => {
    const zeroHeight = jpegHeader(300, 0);
    expect(() => createProbe('jpeg').update(zeroHeight)).toThrow(/300x0/);
    const scanFirst = Buffer.from([0xff, 0xd8, 0xff, 0xda, 0, 2]);
    expect(() => createProbe('jpeg').update(scanFirst)).toThrow(/scan before its frame/);
    const noMarker = Buffer.from([0xff, 0xd8, 0x12, 0x34]);
    expect(() => createProbe('jpeg').update(noMarker)).toThrow(/no JPEG marker/);
  });

  it('reads EXIF orientation in both byte orders and ignores broken EXIF', () => {
    expect(readExifOrientation(exifApp1(6).subarray(4))).toBe(6);
    const le = Buffer.from('II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x08\0\0\0', 'latin1');
    expect(readExifOrientation(le)).toBe(8);
    expect(readExifOrientation(Buffer.from('Exif\0\0MM\0*\xff\xff\xff\xff', 'latin1'))).toBeUndefined();
    expect(readExifOrientation(Buffer.alloc(3))).toBeUndefined();
  });
});

describe('HeaderGate', () => {
  it('refuses a bomb on its first bytes, before the rest exists', () => {
    const gate = new HeaderGate(4, policy);
    expect(() => gate.feed(pngHeader(30000, 30000).subarray(0, 40))).toThrow('image_urls[4]: Maximum resolution is 4096x4096. (found 30000x30000)');
  });

  it('applies the aspect rule to the displayed size', () => {
    // Stored 1000x3100 is too tall... and so is its quarter turn too wide: the bounds are symmetric.
    // With asymmetric bounds the turn decides.
    const p = { ...policy, minAspect: 1, maxAspect: 3 };
    const gate = new HeaderGate(0, p);
    gate.feed(jpegHeader(1000, 2000, 6)); // displayed 2000x1000: ratio 2, within [1, 3]
    expect(gate.finish(jpegHeader(1000, 2000, 6))).toEqual({ format: 'jpeg', width: 2000, height: 1000 });
    const upright = new HeaderGate(0, p);
    expect(() => upright.feed(jpegHeader(1000, 2000))).toThrow('(found 1000x2000)');
  });

  it('says what an unfinished header is', () => {
    const gate = new HeaderGate(0, policy);
    const part = pngHeader(100, 100).subarray(0, 20);
    gate.feed(part);
    expect(() => gate.finish(part)).toThrow('(found a file that ends inside its header)');
  });
});

describe('checkImage (bytes in memory: uploads, data URIs, own storage)', () => {
  it('accepts a PNG and a JPEG, with format and displayed size', async () => {
    const png = await checkImage(photo('chelsea.png'), 0, policy);
    expect(png).toMatchObject({ index: 0, format: 'png', width: 451, height: 300 });
    const jpeg = await checkImage(await solid(640, 480, 'jpeg'), 1, policy);
    expect(jpeg).toMatchObject({ index: 1, format: 'jpeg', width: 640, height: 480 });
  });

  it('accepts the exact limits: 4096x4096, 1365x4096, 4096x1366', async () => {
    for (const [w, h] of [
      [4096, 4096],
      [1365, 4096],
      [4096, 1366],
    ] as const) {
      const img = await checkImage(await solid(w, h, 'jpeg'), 0, policy);
      expect([img.width, img.height]).toEqual([w, h]);
    }
  });

  it('refuses 4097 pixels a side, in the seed words', async () => {
    const err = await refusal(checkImage(await solid(4097, 2000, 'jpeg'), 2, policy));
    expect(err.reason).toBe('resolution');
    expect(err.message).toBe('image_urls[2]: Maximum resolution is 4096x4096. (found 4097x2000)');
  });

  it('refuses a file over 15 MB on its length alone', async () => {
    const big = Buffer.concat([pngHeader(100, 100), Buffer.alloc(15 * MIB)]);
    const err = await refusal(checkImage(big, 0, policy));
    expect(err.reason).toBe('too_large');
    expect(err.message).toBe(`image_urls[0]: Each image file must be ≤ 15 MB. (found ${big.length} bytes)`);
  });

  it('refuses the truncated fixture and a bit-rotten PNG', async () => {
    expect((await refusal(checkImage(photo('truncated.jpg'), 0, policy))).reason).toBe('corrupt');
    const png = Buffer.from(photo('chelsea.png'));
    // In the middle of the image data (a broken ancillary chunk, like iCCP, is only dropped).
    for (let i = 100_000; i < 100_200; i++) png[i] = 0x55;
    expect((await refusal(checkImage(png, 0, policy))).reason).toBe('corrupt');
  });

  it('refuses a PNG bomb from a buffer in milliseconds', async () => {
    const started = performance.now();
    const err = await refusal(checkImage(Buffer.concat([pngHeader(30000, 30000), Buffer.alloc(1000)]), 0, policy));
    expect(err.reason).toBe('resolution');
    expect(performance.now() - started).toBeLessThan(50);
  });
});

describe('data URIs', () => {
  it('decodes base64 with any media type or parameters, or none', () => {
    const bytes = Buffer.from([1, 2, 3, 250, 251]);
    const b64 = bytes.toString('base64');
    for (const prefix of ['data:image/png;base64,', 'data:image/jpeg;base64,', 'data:;base64,', 'DATA:image/png;charset=utf-8;base64,', ' data:application/octet-stream;base64,']) {
      expect(decodeDataUri(`${prefix}${b64}`, 0, policy)).toEqual(bytes);
    }
    expect(decodeDataUri(`data:image/png;base64,${b64.replace('+', '%2B').replace('/', '%2F')}`, 0, policy)).toEqual(bytes);
    expect(decodeDataUri(`data:image/png;base64,${b64.slice(0, 2)}\n${b64.slice(2)}`, 0, policy)).toEqual(bytes);
  });
});
