/**
 * The last check on a source: decode it whole, once, with libvips, so that a truncated or corrupt
 * file is refused here with a clear message rather than failing later inside the engine. The only
 * file of this module that touches sharp.
 *
 * Runs only after the header rules have passed, so the pixel count is already bounded. The decode is
 * sequential and shrinks as it reads to a 64-pixel thumbnail that is thrown away, so four of these
 * at once stay small. (Not `stats()`: under concurrent decodes it sometimes loses libvips's
 * truncation error and reports success on half a file; a resize pipeline does not.)
 */
import sharp from 'sharp';

/**
 * How sources are decoded. 'error' refuses truncation and hard decoder errors but accepts files
 * that libjpeg recovers from with a warning (some cameras write a few stray bytes), as browsers do.
 * The engine should decode with a failOn no stricter than this, or it may fail on accepted files.
 */
export const SOURCE_FAIL_ON = 'error' as const;

export interface Decoded {
  format: string;
  /** As displayed, after EXIF orientation. */
  width: number;
  height: number;
}

/** libvips said no. The message is libvips's first line, without its loader prefix. */
export class DecodeError extends Error {}

export async function decodeCheck(data: Buffer, maxPixels: number): Promise<Decoded> {
  const image = sharp(data, { failOn: SOURCE_FAIL_ON, limitInputPixels: maxPixels, sequentialRead: true });
  try {
    const meta = await image.metadata();
    // Every pixel at full resolution (no shrink-on-load), reduced to nothing worth keeping.
    await image
      .clone()
      .resize(64, 64, { fit: 'inside', kernel: 'nearest', fastShrinkOnLoad: false })
      .raw()
      .toBuffer();
    const width = meta.autoOrient?.width ?? meta.width;
    const height = meta.autoOrient?.height ?? meta.height;
    if (!width || !height) throw new DecodeError('no image size');
    return { format: meta.format ?? 'unknown', width, height };
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    throw new DecodeError(cleanMessage(err), { cause: err });
  }
}

function cleanMessage(err: unknown): string {
  const first = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
  const text = first
    .replace(/^Input (buffer|file) (has corrupt header|is missing)?:?\s*/i, '')
    .replace(/^(Vips\w+|vips\w+):\s*/, '')
    .trim();
  // libvips keeps one error buffer per process: with decodes running side by side the text is
  // sometimes lost ("Unknown error") though the failure is not.
  if (text === '' || /^unknown error$/i.test(text)) return 'data that does not decode (truncated or corrupt)';
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}
