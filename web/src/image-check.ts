/**
 * A picked file checked against the model's image rules before it is uploaded, from its first
 * bytes only: the type from the magic bytes and the size from the PNG or JPEG header, as the
 * server does, so a huge file is refused without being decoded. The server checks again.
 */
import type { ImageRules } from './schema.js';

export interface CheckedImage {
  type: string;
  /** 0 when the header could not be read here. */
  width: number;
  height: number;
}

export type CheckResult = { ok: true; image: CheckedImage } | { ok: false; message: string; image?: CheckedImage };

function sniff(b: Uint8Array): string | undefined {
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'image/png';
  if (b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) return 'image/gif';
  if (b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45) return 'image/webp';
  return undefined;
}

function pngSize(b: Uint8Array): { width: number; height: number } | undefined {
  if (b.length < 24) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { width: v.getUint32(16), height: v.getUint32(20) };
}

/** Walks the JPEG markers to the first start-of-frame. */
function jpegSize(b: Uint8Array): { width: number; height: number } | undefined {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    const length = v.getUint16(i + 2);
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) return { height: v.getUint16(i + 5), width: v.getUint16(i + 7) };
    i += 2 + length;
  }
  return undefined;
}

/** Long enough for the EXIF and ICC segments that come before a JPEG's frame header. */
const HEAD_BYTES = 512 * 1024;

export async function checkImageFile(file: Blob, rules: ImageRules): Promise<CheckResult> {
  const head = new Uint8Array(await file.slice(0, HEAD_BYTES).arrayBuffer());
  const type = sniff(head);
  if (rules.formats && (!type || !rules.formats.types.includes(type))) return { ok: false, message: rules.formats.message };
  if (rules.maxBytes && file.size > rules.maxBytes.value) {
    return { ok: false, message: `${rules.maxBytes.message} (found ${(file.size / 1024 / 1024).toFixed(1)} MB)` };
  }
  const size = type === 'image/png' ? pngSize(head) : type === 'image/jpeg' ? jpegSize(head) : undefined;
  // A header this reader cannot place (a JPEG with very large metadata, say): the server will check it.
  if (!type || !size || !size.width || !size.height) return { ok: true, image: { type: type ?? 'application/octet-stream', width: 0, height: 0 } };
  const image = { type, ...size };
  const found = ` (found ${size.width}x${size.height})`;
  if (rules.maxWidth && size.width > rules.maxWidth.value) return { ok: false, message: rules.maxWidth.message + found, image };
  if (rules.maxHeight && size.height > rules.maxHeight.value) return { ok: false, message: rules.maxHeight.message + found, image };
  const aspect = size.width / size.height;
  // A hair of tolerance: the server compares the same ratio in floating point.
  if (rules.minAspect && aspect < rules.minAspect.value - 1e-9) return { ok: false, message: rules.minAspect.message + found, image };
  if (rules.maxAspect && aspect > rules.maxAspect.value + 1e-9) return { ok: false, message: rules.maxAspect.message + found, image };
  return { ok: true, image };
}
