/**
 * The file rules: type from magic bytes, the seed's size/resolution/aspect rules on the header,
 * then a full decode. `HeaderGate` applies the header part to a download as it streams in (so a
 * bad file is refused on its first bytes); `checkImage` applies everything to bytes already in
 * memory (uploads, data URIs, retouch's own storage).
 */
import { decodeCheck, DecodeError } from './decode.js';
import { CORRUPT_RULE, ImageInputError } from './errors.js';
import { CorruptHeaderError, createProbe, type Dimensions, type HeaderProbe } from './probe.js';
import { checkAspect, checkSides, checkSize, FORMAT_RULE } from './rules.js';
import { sniff } from './sniff.js';
import type { InputPolicy, SourceImage } from './types.js';

export interface CheckedHeader {
  format: 'jpeg' | 'png';
  /** As displayed, after EXIF orientation. */
  width: number;
  height: number;
}

/**
 * Feed it everything received so far after each chunk; it throws an ImageInputError as soon as the
 * bytes break a rule, and does nothing more once the header has passed.
 */
export class HeaderGate {
  private format: 'jpeg' | 'png' | undefined;
  private probe: HeaderProbe | undefined;
  private header: CheckedHeader | undefined;
  private sidesChecked = false;

  constructor(
    private readonly index: number,
    private readonly policy: InputPolicy,
  ) {}

  feed(received: Buffer): void {
    if (!this.header) this.step(received, false);
  }

  /** The download is over: the header must be complete now. */
  finish(data: Buffer): CheckedHeader {
    if (!this.header) this.step(data, true);
    if (!this.header) throw this.corrupt('a file that ends inside its header');
    return this.header;
  }

  private step(buf: Buffer, complete: boolean): void {
    if (!this.format) {
      const s = sniff(buf, complete);
      switch (s.kind) {
        case 'need_more':
          return;
        case 'empty':
          throw new ImageInputError(this.index, 'empty', FORMAT_RULE, 'an empty file');
        case 'truncated':
          throw this.corrupt('a file that ends inside its signature');
        case 'other':
          throw new ImageInputError(this.index, 'unsupported_format', FORMAT_RULE, s.name);
      }
      this.format = s.kind;
      this.probe = createProbe(s.kind);
    }
    let state;
    try {
      state = this.probe!.update(buf);
    } catch (err) {
      if (err instanceof CorruptHeaderError) throw this.corrupt(err.message);
      throw err;
    }
    if (state.stored && !this.sidesChecked) {
      // A side over the limit is over it whatever the orientation: refuse before waiting for more.
      checkSides(state.stored.width, state.stored.height, this.index, this.policy);
      this.sidesChecked = true;
    }
    if (state.state === 'done') {
      checkAspect(state.displayed.width, state.displayed.height, this.index, this.policy);
      this.header = { format: this.format, ...state.displayed };
    }
  }

  private corrupt(found: string): ImageInputError {
    return new ImageInputError(this.index, 'corrupt', CORRUPT_RULE, found);
  }
}

/**
 * Every rule on a file already in memory. `index` is the position in `image_urls` that messages
 * name; for an upload, which has none, pass 0 and word the message from the error's `rule` and
 * `found`.
 */
export async function checkImage(data: Buffer, index: number, policy: InputPolicy): Promise<SourceImage> {
  checkSize(data.length, index, policy);
  const gate = new HeaderGate(index, policy);
  return verifyImage(data, gate.finish(data), index, policy);
}

/**
 * The decode check, after the header has passed: libvips must read the whole file, and its own
 * view of the size must pass the rules too (the engine will see the image as libvips does).
 */
export async function verifyImage(
  data: Buffer,
  header: CheckedHeader,
  index: number,
  policy: InputPolicy,
): Promise<SourceImage> {
  let decoded: Dimensions & { format: string };
  try {
    decoded = await decodeCheck(data, policy.maxSide * policy.maxSide);
  } catch (err) {
    if (err instanceof DecodeError) {
      throw new ImageInputError(index, 'corrupt', CORRUPT_RULE, err.message, { cause: err });
    }
    throw err;
  }
  if (decoded.format !== header.format) {
    throw new ImageInputError(index, 'corrupt', CORRUPT_RULE, `a ${header.format} header over ${decoded.format} data`);
  }
  checkSides(decoded.width, decoded.height, index, policy);
  checkAspect(decoded.width, decoded.height, index, policy);
  return { index, data, format: header.format, width: decoded.width, height: decoded.height };
}
