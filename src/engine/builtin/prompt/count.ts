/** Image sets: "three variations", "a set of 4", "a series", "give me 2 versions", "a couple of options". */
import { alt, f, rx } from './pattern.js';
import { NUM, parseNumber } from './numbers.js';
import type { Outcome, Rule } from './rules.js';

/** "a series", "several versions", "variations" without a number. */
export const DEFAULT_SET_SIZE = 4;

const KINDS = alt`
  variations? | versions? | variants? | options? | alternatives? | takes | iterations | outputs | results | looks
  renditions | interpretations | edits | ideas | candidates | choices
`;
const PICTURES = f`(?:images?|pictures?|photos?|pics|shots|frames|renders|outputs)`;
const QUALIFIER = f`(?:${alt`different | distinct | unique | alternative | more | other | separate | new | varied | slightly different | random`} )?`;

const ASK = alt`
  generate | create | make | give me | produce | output | render | return | show me | send me | get me | i want
  i need | i'd like | i would like | need | try
`;

function count(text: string | undefined): Outcome | null {
  const n = text === undefined ? DEFAULT_SET_SIZE : parseNumber(text);
  if (n === undefined || !Number.isInteger(n) || n < 1) return null;
  return text === undefined ? { type: 'count', count: n, vague: true } : { type: 'count', count: n };
}

export const countRules: Rule[] = [
  {
    id: 'count',
    pattern: rx`(?:${ASK} )?(?<n>${NUM}) ${QUALIFIER}${KINDS}`,
    build: (found) => count(found.g('n')),
  },
  {
    // "three warmer versions", "4 black and white variations": the words between stay readable as edits.
    id: 'count:gap',
    pattern: rx`(?:${ASK} )?(?<n>${NUM})(?=(?: [\p{L}&'-]+){1,4} ${KINDS}(?![\p{L}]))`,
    build: (found) => count(found.g('n')),
  },
  {
    id: 'count:set',
    pattern: rx`(?:an? )(?:set|series|batch|grid|collection|pack|bunch|group|range|selection|sequence|carousel|gallery)(?: of (?<n>${NUM}))?(?: ${QUALIFIER}(?:${KINDS}|${PICTURES}))?`,
    build: (found) => count(found.g('n')),
  },
  {
    id: 'count:pictures',
    pattern: rx`${ASK} (?<n>${NUM}) ${QUALIFIER}${PICTURES}`,
    build: (found) => count(found.g('n')),
  },
  {
    id: 'count:vague',
    pattern: rx`(?:${ASK} )?(?:multiple|some|various|different|assorted) ${KINDS}|(?:${ASK} )?(?:variations|variants)`,
    build: () => count(undefined),
  },
  {
    id: 'count:single',
    pattern: rx`(?:only |just )?(?:one|a single|1) (?:image|picture|photo|version|output|result)(?: only)?`,
    build: () => ({ type: 'count', count: 1 }),
  },
];
