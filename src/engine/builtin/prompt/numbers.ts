/** Numbers and ordinals in digits or words: "3", "-10", "1.5", "three", "twenty-five", "a couple of". */
import { f } from './pattern.js';

const ONES = [
  'zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve',
  'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen',
];
const TENS: Record<string, number> = {
  twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90,
};
const VAGUE: Record<string, number> = {
  'a couple': 2, 'a couple of': 2, 'a pair of': 2, 'a few': 3, several: 4, 'a dozen': 12, half: 0.5,
  'half a': 0.5, 'half an': 0.5,
  'a half': 0.5, 'a quarter': 0.25,
};
const ORDINALS: Record<string, number> = {
  first: 1, second: 2, third: 3, fourth: 4, fifth: 5, sixth: 6, seventh: 7, eighth: 8, ninth: 9, tenth: 10,
};

const ONES_RE = [...ONES].sort((a, b) => b.length - a.length).join('|');
const TENS_RE = Object.keys(TENS).join('|');
const UNDER_100 = f`(?:(?:${TENS_RE})(?:[-\s](?:${ONES_RE}))?|${ONES_RE})`;

/** A number in digits (optionally signed, decimal) or words. */
export const NUM = f`(?:[+\-−]?\d+(?:[.,]\d+)?|(?:(?:a|one) )?hundred(?: (?:and )?${UNDER_100})?|${UNDER_100}|a couple(?: of)?|a pair of|a few|several|a dozen|a half|half an?|half|a quarter)`;

/** A small whole number in digits or words, as used after "image". */
export const SMALL_NUM = f`(?:\d{1,2}|${ONES_RE})`;

export const ORDINAL = f`(?:${Object.keys(ORDINALS).join('|')}|\d{1,2}(?:st|nd|rd|th))`;

export function parseNumber(text: string): number | undefined {
  const t = text.trim().toLowerCase().replace(/\s+/g, ' ').replace('−', '-');
  if (/^[+-]?\d+(?:[.,]\d+)?$/.test(t)) return Number(t.replace(',', '.'));
  if (t in VAGUE) return VAGUE[t];
  let total = 0;
  let seen = false;
  for (const word of t.split(/[\s-]+/)) {
    if (word === 'a' || word === 'and') continue;
    if (word === 'hundred') {
      total = (total || 1) * 100;
    } else if (word in TENS) {
      total += TENS[word]!;
    } else if (ONES.includes(word)) {
      total += ONES.indexOf(word);
    } else {
      return undefined;
    }
    seen = true;
  }
  return seen ? total : undefined;
}

/** "second" → 2, "3rd" → 3. */
export function parseOrdinal(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  const digits = /^(\d+)(?:st|nd|rd|th)$/.exec(t);
  if (digits) return Number(digits[1]);
  return ORDINALS[t];
}
