/** Telling the whole picture ("it", "the photo", "the colours") from one part of it ("her face", "the sky"). */
import { WHOLE_IMAGE, words } from './lexicon.js';
import { IMAGE_REF, parseImageRef } from './images.js';

const DETERMINERS = new Set('the a an her his its their this that these those my your our whole entire'.split(' '));
const ONLY_IMAGE_REF = new RegExp(`^(?:${IMAGE_REF})$`, 'iu');

/**
 * True when an edit's object means the whole output: a word such as "it", "the image", "the colours",
 * or a reference to the only input image. Another reference ("image 2" of three) is one part.
 */
export function isWholeImage(object: string, imageCount: number): boolean {
  const text = object.trim();
  if (ONLY_IMAGE_REF.test(text)) return imageCount <= 1 && parseImageRef(text, imageCount) === 0;
  return words(text)
    .map((w) => w.replace(/['’]s$/, ''))
    .every((w) => WHOLE_IMAGE.has(w) || DETERMINERS.has(w));
}
