/**
 * The dimensions of a JPEG or PNG from its header, read by hand so that they are known as soon as
 * the header has arrived: before anything is decoded, and before the rest of the file is
 * downloaded. A bomb (a small file declaring 30000x30000) is refused on its first kilobyte.
 *
 * The probe is resumable: feed it the whole prefix received so far, again and again; it remembers
 * where it stopped, so a header behind megabytes of metadata segments costs linear time, not
 * quadratic. It only skips over segments it does not need, without reading them.
 */
import { readExifOrientation, swapsSides } from './exif.js';

export interface Dimensions {
  width: number;
  height: number;
}

export type ProbeState =
  /** `stored` is set as soon as the frame header is read, before orientation is known. */
  | { state: 'need_more'; stored?: Dimensions }
  | { state: 'done'; stored: Dimensions; orientation: number; displayed: Dimensions };

/** The header is impossible, not merely incomplete. The message is safe to show. */
export class CorruptHeaderError extends Error {}

export interface HeaderProbe {
  update(buf: Buffer): ProbeState;
}

export function createProbe(format: 'jpeg' | 'png'): HeaderProbe {
  return format === 'jpeg' ? new JpegProbe() : new PngProbe();
}

function finish(stored: Dimensions, orientation: number | undefined): ProbeState {
  const o = orientation ?? 1;
  const displayed = swapsSides(o) ? { width: stored.height, height: stored.width } : stored;
  return { state: 'done', stored, orientation: o, displayed };
}

/**
 * Walks the marker segments up to the first scan (SOS). The frame header (SOFn) gives the size;
 * EXIF (APP1) may come before or after it, so the answer is final only at SOS, which every
 * decodable JPEG reaches right after its tables.
 */
class JpegProbe implements HeaderProbe {
  private pos = 2; // after SOI, which sniffing has checked
  private stored: Dimensions | undefined;
  private orientation: number | undefined;

  update(buf: Buffer): ProbeState {
    const more = (): ProbeState => (this.stored ? { state: 'need_more', stored: this.stored } : { state: 'need_more' });
    for (;;) {
      if (this.pos >= buf.length) return more();
      if (buf[this.pos] !== 0xff) throw new CorruptHeaderError(`no JPEG marker at byte ${this.pos}`);
      // Any number of 0xFF fill bytes may precede a marker.
      let m = this.pos + 1;
      while (m < buf.length && buf[m] === 0xff) m++;
      if (m >= buf.length) return more();
      const marker = buf[m]!;
      if (marker === 0x00) throw new CorruptHeaderError(`no JPEG marker at byte ${this.pos}`);
      if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
        this.pos = m + 1; // standalone markers: no length
        continue;
      }
      if (marker === 0xd8) throw new CorruptHeaderError('a second JPEG start-of-image marker');
      if (marker === 0xd9) throw new CorruptHeaderError('the JPEG ends before any image data');
      if (m + 2 >= buf.length) return more();
      const length = buf.readUInt16BE(m + 1);
      if (length < 2) throw new CorruptHeaderError(`a JPEG segment of impossible length at byte ${m - 1}`);
      const body = m + 3;
      const end = m + 1 + length;

      if (isSof(marker) && !this.stored) {
        if (end > buf.length) return more();
        if (length < 8) throw new CorruptHeaderError('a JPEG frame header too short to hold a size');
        const height = buf.readUInt16BE(body + 1);
        const width = buf.readUInt16BE(body + 3);
        // Height 0 means "defined later by a DNL marker", which decoders here do not support.
        if (width === 0 || height === 0) throw new CorruptHeaderError(`a JPEG frame of ${width}x${height}`);
        this.stored = { width, height };
      } else if (marker === 0xe1 && this.orientation === undefined) {
        if (end > buf.length) return more();
        const seg = buf.subarray(body, end);
        if (seg.toString('latin1', 0, 6) === 'Exif\0\0') this.orientation = readExifOrientation(seg) ?? 1;
      } else if (marker === 0xda) {
        if (!this.stored) throw new CorruptHeaderError('a JPEG scan before its frame header');
        return finish(this.stored, this.orientation);
      }
      this.pos = end;
    }
  }
}

/** SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
function isSof(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

const PNG_MAX_U31 = 0x7fffffff;

/**
 * IHDR must be the first chunk and gives the size at byte 24. The walk then continues over the
 * chunks before the first IDAT, looking for eXIf (whose orientation decoders honour in PNG too).
 */
class PngProbe implements HeaderProbe {
  private pos = 8; // after the signature
  private stored: Dimensions | undefined;
  private orientation: number | undefined;

  update(buf: Buffer): ProbeState {
    if (!this.stored) {
      if (buf.length < 8 + 8 + 13) return { state: 'need_more' };
      if (buf.readUInt32BE(8) !== 13 || buf.toString('latin1', 12, 16) !== 'IHDR') {
        throw new CorruptHeaderError('a PNG whose first chunk is not a valid IHDR');
      }
      const width = buf.readUInt32BE(16);
      const height = buf.readUInt32BE(20);
      if (width === 0 || height === 0 || width > PNG_MAX_U31 || height > PNG_MAX_U31) {
        throw new CorruptHeaderError(`a PNG header of ${width}x${height}`);
      }
      this.stored = { width, height };
      this.pos = 8 + 12 + 13;
    }
    for (;;) {
      if (this.pos + 8 > buf.length) return { state: 'need_more', stored: this.stored };
      const length = buf.readUInt32BE(this.pos);
      const type = buf.toString('latin1', this.pos + 4, this.pos + 8);
      if (length > PNG_MAX_U31 || !/^[A-Za-z]{4}$/.test(type)) {
        throw new CorruptHeaderError(`a broken PNG chunk at byte ${this.pos}`);
      }
      if (type === 'IDAT') return finish(this.stored, this.orientation);
      if (type === 'IEND') throw new CorruptHeaderError('a PNG without image data');
      if (type === 'eXIf' && this.orientation === undefined) {
        const end = this.pos + 8 + length;
        if (end > buf.length) return { state: 'need_more', stored: this.stored };
        this.orientation = readExifOrientation(buf.subarray(this.pos + 8, end)) ?? 1;
      }
      this.pos += 12 + length; // length, type, data, CRC
    }
  }
}
