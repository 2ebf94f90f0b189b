/**
 * The one EXIF field the rules need: Orientation (tag 0x0112 in IFD0), which decides whether the
 * displayed image is the stored one turned a quarter. Everything is bounds-checked; a broken EXIF
 * block yields "no orientation" rather than an error, the way decoders treat it.
 */

const ORIENTATION_TAG = 0x0112;
const SHORT = 3;

/**
 * `block` is a TIFF structure, optionally preceded by "Exif\0\0" (JPEG APP1 always has it; PNG eXIf
 * should not, but some writers add it). Returns 1..8, or undefined when absent or unreadable.
 */
export function readExifOrientation(block: Buffer): number | undefined {
  let tiff = block;
  if (tiff.length >= 6 && tiff.toString('latin1', 0, 6) === 'Exif\0\0') tiff = tiff.subarray(6);
  if (tiff.length < 8) return undefined;
  const order = tiff.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return undefined;
  const le = order === 'II';
  const u16 = (o: number) => (le ? tiff.readUInt16LE(o) : tiff.readUInt16BE(o));
  const u32 = (o: number) => (le ? tiff.readUInt32LE(o) : tiff.readUInt32BE(o));
  if (u16(2) !== 42) return undefined;
  const ifd = u32(4);
  if (ifd < 8 || ifd + 2 > tiff.length) return undefined;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return undefined;
    if (u16(entry) !== ORIENTATION_TAG) continue;
    if (u16(entry + 2) !== SHORT || u32(entry + 4) < 1) return undefined;
    // A single SHORT sits in the first two bytes of the value field, in the file's byte order.
    const value = u16(entry + 8);
    return value >= 1 && value <= 8 ? value : undefined;
  }
  return undefined;
}

/** Orientations 5 to 8 turn the image a quarter: the displayed width is the stored height. */
export function swapsSides(orientation: number | undefined): boolean {
  return orientation !== undefined && orientation >= 5 && orientation <= 8;
}
