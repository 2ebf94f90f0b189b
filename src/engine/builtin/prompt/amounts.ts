/**
 * How strong an edit is: modifiers ("slightly" ×0.5, "a lot" ×2) and explicit amounts ("by 20%", "+30",
 * "2 stops", "15°", "2x"), found next to an edit's words.
 */
import { alt, alternatives, f, latin1 } from './pattern.js';
import { NUM, parseNumber } from './numbers.js';
import { OBJECT } from './lexicon.js';
import type { Span } from './types.js';

export type Unit = 'percent' | 'points' | 'stops' | 'degrees' | 'factor' | 'kelvin';

export interface Intensity {
  /** Multiplies the nominal amount; 1 when the prompt says nothing. */
  factor: number;
  /** An explicit amount, which replaces the nominal one. `value` carries its own sign. */
  explicit?: { value: number; unit: Unit };
}

const MODIFIERS: Record<string, number> = {};
const table: [string[], number][] = [
  [['very slightly', 'ever so slightly', 'a tiny bit', 'a teeny bit', 'the tiniest bit', 'a hint', 'a hair',
    'barely', 'just a hint'], 0.25],
  [['slightly', 'a little bit', 'a little', 'a bit', 'a touch', 'a tad', 'somewhat', 'subtly', 'gently', 'lightly',
    'mildly', 'a smidge', 'marginally', 'kind of', 'sort of', 'just a bit', 'just a little', 'just a touch',
    'subtle', 'gentle', 'light', 'mild', 'small', 'soft'], 0.5],
  [['much', 'a lot', 'lots', 'very', 'really', 'way', 'far', 'significantly', 'strongly', 'heavily',
    'considerably', 'dramatically', 'substantially', 'greatly', 'seriously', 'noticeably', 'a great deal',
    'a good deal', 'quite a bit', 'quite', 'strong', 'heavy', 'intense', 'deep', 'bold'], 2],
  [['extremely', 'super', 'hugely', 'massively', 'drastically', 'insanely', 'incredibly', 'very very',
    'really really', 'ultra', 'extra', 'maximum', 'max'], 3],
];
for (const [phrases, factor] of table) for (const p of phrases) MODIFIERS[p] = factor;

/** Any modifier phrase. */
export const MOD = alternatives(Object.keys(MODIFIERS).map((p) => p.replace(/ /g, '\\s+')));

export function modifierFactor(text: string | undefined): number {
  if (!text) return 1;
  return MODIFIERS[text.trim().toLowerCase().replace(/\s+/g, ' ')] ?? 1;
}

const UNITS: [RegExp, Unit][] = [
  [/^(?:%|percent|per\s*cent|pct)$/i, 'percent'],
  [/^(?:f-?stops?|stops?|ev)$/i, 'stops'],
  [/^(?:degrees?|deg|°|º)$/i, 'degrees'],
  [/^(?:x|×|times)$/i, 'factor'],
  [/^(?:k|kelvin)$/i, 'kelvin'],
  [/^(?:points?|pts?)$/i, 'points'],
];
export const UNIT = f`(?:%|percent|per\s*cent|pct|f-?stops?|stops?|ev|degrees?|deg|°|º|x|×|times|kelvin|k|points?|pts?)`;

/** Reads "20%", "+30", "2 stops", "half" into an explicit amount. */
export function parseAmount(numberText: string, unitText: string | undefined): Intensity['explicit'] {
  const value = parseNumber(numberText.replace(/\s+/g, ''));
  const spelled = parseNumber(numberText);
  const n = value ?? spelled;
  if (n === undefined) return undefined;
  const unit = unitText ? UNITS.find(([re]) => re.test(unitText.trim()))?.[1] : undefined;
  if (!unit && n > 0 && n < 1 && /half|quarter/i.test(numberText)) return { value: n * 100, unit: 'percent' };
  return { value: n, unit: unit ?? 'points' };
}

const SIGNED = f`[+\-−]\s*\d+(?:[.,]\d+)?`;

/** Just before an edit's words: "slightly", "a lot", "20%", "2 stops", "+30". */
const LEFT = new RegExp(
  latin1(f`(?<![\p{L}\p{N}])${alt`(?<mod>${MOD}) | (?<num>${NUM})\s*(?<unit>${UNIT}) | (?<snum>${SIGNED})`}\s+$`),
  'd',
);
/** Just after them, maybe past an object: "a bit", "by 20%", "by half", "at 50%", "+20", "to +0.7", "2x". */
const RIGHT = new RegExp(
  latin1(
    f`^\s*[,:]?\s*(?:(?<obj>${OBJECT})\s+)?${alt`
      (?:by|at)\s+(?<n1>${NUM})(?:\s*(?<u1>${UNIT}))?
      (?:to\s+)?(?<n2>${SIGNED})(?:\s*(?<u2>${UNIT}))?
      (?<n3>\d+(?:[.,]\d+)?)\s*(?<u3>${UNIT})
      (?:by\s+)?(?<mod>${MOD})
    `}(?![\p{L}\p{N}])`,
  ),
  'd',
);

/**
 * Looks left and right of a match for a modifier or an explicit amount and widens the match to cover it.
 * `obj` is an object phrase skipped on the right ("brighten the image by 20%").
 */
export function extendAmount(
  masked: string,
  start: number,
  end: number,
): { start: number; end: number; intensity: Intensity; obj?: Span } {
  let factor = 1;
  let explicit: Intensity['explicit'];
  let obj: Span | undefined;
  const left = LEFT.exec(masked.slice(0, start));
  if (left?.groups) {
    const g = left.groups;
    if (g.mod) factor *= modifierFactor(g.mod);
    else explicit = parseAmount(g.num ?? g.snum ?? '', g.unit);
    start = left.index;
  }
  const right = RIGHT.exec(masked.slice(end));
  if (right?.groups) {
    const g = right.groups;
    if (g.mod) factor *= modifierFactor(g.mod);
    else explicit ??= parseAmount(g.n1 ?? g.n2 ?? g.n3 ?? '', g.u1 ?? g.u2 ?? g.u3);
    const objAt = right.indices?.groups?.obj;
    if (objAt) obj = [end + objAt[0], end + objAt[1]];
    end += right[0].length;
  }
  return explicit ? { start, end, intensity: { factor, explicit }, obj } : { start, end, intensity: { factor }, obj };
}
