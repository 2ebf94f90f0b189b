/**
 * References to the input images: "image 2", "img2", "image #2", "picture two", "the second image",
 * "the 2nd photo", "the last image", "the other one", and lists ("images 2 and 3").
 * Indices are 0-based; the prompt's "image 1" is index 0.
 */
import { f, matchesOf } from './pattern.js';
import { ORDINAL, SMALL_NUM, parseNumber, parseOrdinal } from './numbers.js';
import type { Ref } from './rules.js';

const NOUN = f`(?:image|img|picture|pic|photo|photograph|reference|ref|input|shot)`;

/** One reference. */
export const IMAGE_REF = f`(?:(?:the )?(?:${ORDINAL}|last|final) (?:${NOUN}|one)|${NOUN}s?\s*(?:#|no\.?\s*|number )?${SMALL_NUM}|the other (?:${NOUN}|one))`;

/** One reference or a list of them: "images 2 and 3", "image 2, image 3 and the fourth image". */
export const IMAGE_REFS = f`(?:${IMAGE_REF}(?:(?:\s*,\s*|\s*,?\s+(?:and|&)\s+)(?:${IMAGE_REF}|${SMALL_NUM}(?![\p{L}\p{N}])))*)`;

// Made once: a pattern made inside a function is compiled again after garbage collections (see matchesOf).
const ORDINAL_REF = new RegExp(`^(?:the\\s+)?(${ORDINAL})\\b`, 'iu');
const NUMBERED_REF = new RegExp(`(${SMALL_NUM})$`, 'iu');
const SINGLE_REF = new RegExp(`(?<![\\p{L}\\p{N}])(?:${IMAGE_REF}|${SMALL_NUM})(?![\\p{L}\\p{N}])`, 'giu');

/** The 0-based index a single reference names (possibly out of range), or 'other'. */
export function parseImageRef(text: string, imageCount: number): Ref | undefined {
  const t = text.trim().toLowerCase();
  if (/^the other\b/.test(t)) return 'other';
  if (/^(?:the )?(?:last|final)\b/.test(t)) return imageCount - 1;
  const ordinal = ORDINAL_REF.exec(t);
  if (ordinal) {
    const n = parseOrdinal(ordinal[1]!);
    return n === undefined ? undefined : n - 1;
  }
  const numbered = NUMBERED_REF.exec(t);
  if (numbered) {
    const n = parseNumber(numbered[1]!);
    return n === undefined ? undefined : n - 1;
  }
  return undefined;
}

/** Every reference in a (possibly list-shaped) text, in order. */
export function parseImageRefs(text: string, imageCount: number): Ref[] {
  const refs: Ref[] = [];
  for (const m of matchesOf(SINGLE_REF, text)) {
    const ref = parseImageRef(m[0], imageCount);
    if (ref !== undefined) refs.push(ref);
  }
  return refs;
}
