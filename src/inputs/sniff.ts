/**
 * The file type from its first bytes, never from a header or a name. JPEG and PNG are the only
 * answers that matter; everything else is named only so that the refusal can say what was found.
 */

export type Sniffed =
  | { kind: 'jpeg' | 'png' }
  | { kind: 'empty' }
  /** Starts like JPEG or PNG but the file ended first. */
  | { kind: 'truncated' }
  | { kind: 'other'; name: string }
  | { kind: 'need_more' };

const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff]);
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Enough bytes to name what is not JPEG or PNG (text formats may start with some white space). */
const NAMING_BYTES = 64;

/** `complete` says no more bytes will come (end of download, or a buffer already in memory). */
export function sniff(buf: Buffer, complete: boolean): Sniffed {
  if (buf.length === 0) return complete ? { kind: 'empty' } : { kind: 'need_more' };
  for (const [magic, kind] of [
    [JPEG_MAGIC, 'jpeg'],
    [PNG_MAGIC, 'png'],
  ] as const) {
    const n = Math.min(buf.length, magic.length);
    if (buf.subarray(0, n).equals(magic.subarray(0, n))) {
      if (n === magic.length) return { kind };
      return complete ? { kind: 'truncated' } : { kind: 'need_more' };
    }
  }
  if (buf.length < NAMING_BYTES && !complete) return { kind: 'need_more' };
  return { kind: 'other', name: nameOf(buf) };
}

function nameOf(buf: Buffer): string {
  const ascii = (from: number, to: number) => buf.toString('latin1', from, Math.min(to, buf.length));
  const starts = (...bytes: number[]) => bytes.every((b, i) => buf[i] === b);
  if (ascii(0, 4) === 'GIF8') return 'GIF';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'WebP';
  if (ascii(4, 8) === 'ftyp') {
    const brand = ascii(8, 12);
    if (brand === 'avif' || brand === 'avis') return 'AVIF';
    if (['heic', 'heix', 'hevc', 'heim', 'heis', 'mif1', 'msf1'].includes(brand)) return 'HEIF';
    return 'an ISO media file (MP4, QuickTime, …)';
  }
  if (starts(0xff, 0x0a) || starts(0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20)) return 'JPEG XL';
  if (starts(0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20) || starts(0xff, 0x4f, 0xff, 0x51)) return 'JPEG 2000';
  if (ascii(0, 2) === 'BM') return 'BMP';
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'TIFF';
  if (starts(0, 0, 1, 0)) return 'ICO';
  if (ascii(0, 4) === '8BPS') return 'PSD';
  if (ascii(0, 5) === '%PDF-') return 'PDF';
  if (starts(0x1f, 0x8b)) return 'gzip';
  if (ascii(0, 4) === 'PK\x03\x04') return 'ZIP';
  const text = buf
    .toString('utf8', 0, Math.min(buf.length, 256))
    .replace(/^\uFEFF/, '')
    .trimStart()
    .toLowerCase();
  if (text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg'))) return 'SVG';
  if (text.startsWith('<!doctype html') || /^<(html|head|body)[\s>]/.test(text)) return 'HTML';
  if (text.startsWith('<?xml') || text.startsWith('<!doctype')) return 'XML';
  if (text.startsWith('<')) return 'HTML or XML';
  if (text.startsWith('{') || text.startsWith('[')) return 'JSON';
  return 'an unrecognised file';
}
