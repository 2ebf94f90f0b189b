/**
 * The seed's rules on one image, with its exact `validation_error` words. The sentences are built
 * from the policy so that a changed limit is reported truthfully; with the default policy they are
 * the seed's words to the character.
 */
import { ImageInputError } from './errors.js';
import { MIB } from './policy.js';
import type { InputPolicy } from './types.js';

/** The seed's schema description says "Only JPEG and PNG formats are supported; JPEG is recommended." */
export const FORMAT_RULE = 'Only JPEG and PNG formats are supported.';

export function sizeRule(p: InputPolicy): string {
  return `Each image file must be ≤ ${formatMb(p.maxBytes)} MB.`;
}

export function resolutionRule(p: InputPolicy): string {
  return `Maximum resolution is ${p.maxSide}x${p.maxSide}.`;
}

export function aspectRule(p: InputPolicy): string {
  return `The input image aspect ratio must be within [${formatRatio(p.minAspect)}, ${formatRatio(p.maxAspect)}].`;
}

export function formatMb(bytes: number): string {
  const mb = bytes / MIB;
  return Number.isInteger(mb) ? String(mb) : mb.toFixed(1);
}

export function checkSize(bytes: number, index: number, p: InputPolicy): void {
  if (bytes > p.maxBytes) throw sizeError(bytes, index, p);
}

/** The refusal of a file known to be `bytes` long. */
export function sizeError(bytes: number, index: number, p: InputPolicy): ImageInputError {
  // Just over the limit, "15.0 MB" would read like a pass: give the bytes then.
  const mb = formatMb(bytes);
  const found = Number(mb) <= p.maxBytes / MIB ? `${bytes} bytes` : `${mb} MB`;
  return new ImageInputError(index, 'too_large', sizeRule(p), found);
}

/** A side over the limit: orientation cannot change this, so it is checked on the stored size, at once. */
export function checkSides(width: number, height: number, index: number, p: InputPolicy): void {
  if (width > p.maxSide || height > p.maxSide) {
    throw new ImageInputError(index, 'resolution', resolutionRule(p), `${width}x${height}`);
  }
}

/**
 * Width/height within [minAspect, maxAspect], on the displayed size, with a relative tolerance of
 * 0.1%: 4096/3 is not a whole number, and the seed clearly means 1365x4096 and 4096x1365 to pass
 * (its own rule reads "≥ 0.33"), while 1363x4096, 99x300 or 3900x1000 do not.
 */
export const ASPECT_TOLERANCE = 1e-3;

export function checkAspect(width: number, height: number, index: number, p: InputPolicy): void {
  const ratio = width / height;
  const lowOk = ratio >= p.minAspect * (1 - ASPECT_TOLERANCE);
  const highOk = ratio <= p.maxAspect * (1 + ASPECT_TOLERANCE);
  if (!lowOk || !highOk) {
    throw new ImageInputError(index, 'aspect_ratio', aspectRule(p), `${width}x${height}`);
  }
}

/** 3 -> "3", 1/3 -> "1/3", 0.4 -> "0.4": the way the seed writes its bounds. */
function formatRatio(x: number): string {
  if (Number.isInteger(x)) return String(x);
  const inv = 1 / x;
  if (Math.abs(inv - Math.round(inv)) < 1e-9) return `1/${Math.round(inv)}`;
  return String(Number(x.toFixed(4)));
}
