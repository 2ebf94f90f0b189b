/**
 * Images for the tests: real ones made with sharp from the fixture photos, and hand-built headers
 * for the malicious cases (a header is all a bomb needs; the rest is whatever follows).
 */
import { readFileSync } from 'node:fs';
import { crc32, gzipSync } from 'node:zlib';
import sharp from 'sharp';

import { PHOTOS } from '../helpers/paths.js';

export { PHOTOS };

export function photo(name: string): Buffer {
  return readFileSync(`${PHOTOS}/${name}`);
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** PNG signature, IHDR (8-bit RGB), then the start of an IDAT as long as the caller will stream. */
export function pngHeader(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const idat = Buffer.alloc(8);
  idat.writeUInt32BE(0x7ffffff0, 0);
  idat.write('IDAT', 4, 'latin1');
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr), idat]);
}

/** SOI, optional EXIF orientation, SOF0 with the given size, SOS: all the probe reads. */
export function jpegHeader(width: number, height: number, orientation?: number): Buffer {
  const parts: Buffer[] = [Buffer.from([0xff, 0xd8])];
  if (orientation !== undefined) parts.push(exifApp1(orientation));
  const sof = Buffer.from([0xff, 0xc0, 0, 17, 8, 0, 0, 0, 0, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  sof.writeUInt16BE(height, 5);
  sof.writeUInt16BE(width, 7);
  parts.push(sof, Buffer.from([0xff, 0xda, 0, 12, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3f, 0]));
  return Buffer.concat(parts);
}

/** A big-endian EXIF APP1 segment holding only an Orientation tag. */
export function exifApp1(orientation: number): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  tiff.write('MM', 0, 'latin1');
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4);
  tiff.writeUInt16BE(1, 8);
  tiff.writeUInt16BE(0x0112, 10);
  tiff.writeUInt16BE(3, 12);
  tiff.writeUInt32BE(1, 14);
  tiff.writeUInt16BE(orientation, 18);
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([head, body]);
}

/**
 * The parts of a gzip bomb: one member holding a valid-looking PNG header, then a member of 1 MB of
 * zeros (about 1 KB on the wire) to repeat as often as wanted (gzip allows concatenated members).
 */
export function gzipBombParts(): { head: Buffer; zeros: Buffer } {
  return { head: gzipSync(pngHeader(2000, 1000)), zeros: gzipSync(Buffer.alloc(1024 * 1024), { level: 9 }) };
}

export async function solid(width: number, height: number, format: 'jpeg' | 'png'): Promise<Buffer> {
  const img = sharp({ create: { width, height, channels: 3, background: { r: 200, g: 120, b: 40 } } });
  return format === 'jpeg' ? img.jpeg({ quality: 70 }).toBuffer() : img.png({ compressionLevel: 1 }).toBuffer();
}

/** The kinds of real file that must be accepted (issue 3), made from the fixture photos. */
export async function variants(): Promise<Record<string, { data: Buffer; width: number; height: number }>> {
  const coffee = `${PHOTOS}/coffee.png`; // 600x400
  const brick = `${PHOTOS}/brick.png`; // 512x512 grey
  const out: Record<string, { data: Buffer; width: number; height: number }> = {};
  out['CMYK JPEG'] = { data: await sharp(coffee).toColourspace('cmyk').jpeg().toBuffer(), width: 600, height: 400 };
  out['16-bit PNG'] = { data: await sharp(coffee).toColourspace('rgb16').png().toBuffer(), width: 600, height: 400 };
  out['grey PNG'] = { data: await sharp(coffee).greyscale().png().toBuffer(), width: 600, height: 400 };
  out['grey+alpha PNG'] = {
    data: await sharp(brick).ensureAlpha(0.5).toColourspace('b-w').png().toBuffer(),
    width: 512,
    height: 512,
  };
  out['palette PNG'] = { data: await sharp(coffee).png({ palette: true }).toBuffer(), width: 600, height: 400 };
  out['grey JPEG'] = { data: await sharp(coffee).greyscale().jpeg().toBuffer(), width: 600, height: 400 };
  out['progressive JPEG'] = { data: await sharp(coffee).jpeg({ progressive: true }).toBuffer(), width: 600, height: 400 };
  // Stored 600x400, displayed 400x600.
  out['EXIF-rotated JPEG (orientation 6)'] = {
    data: await sharp(coffee).jpeg().withMetadata({ orientation: 6 }).toBuffer(),
    width: 400,
    height: 600,
  };
  out['EXIF-rotated PNG (eXIf orientation 8)'] = {
    data: await sharp(coffee).png().withMetadata({ orientation: 8 }).toBuffer(),
    width: 400,
    height: 600,
  };
  return out;
}
