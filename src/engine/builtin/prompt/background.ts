/**
 * Subject-aware edits: remove the background (to alpha or a flat colour), replace it with another
 * reference, blur it; and the choice of which reference is the scene ("use image 3 as the background").
 *
 * One representation per result: a flat colour behind the subject is always `remove_background` with a
 * `fill` ("white background", "put it on a blue background", "replace the background with red");
 * `replace_background` is only for another reference image behind the subject.
 */
import { alt, f, rx } from './pattern.js';
import { COLOUR, parseColour } from './colours.js';
import { IMAGE_REF, parseImageRef } from './images.js';
import { OBJECT } from './lexicon.js';
import { edits, unusable, type Found, type Outcome, type Rule, type RuleContext } from './rules.js';

const BG = f`(?:background|backdrop|bg|back[\s-]ground|backround|backgound)`;
/** "the background noise", "the background people" are things in the background, not the background. */
const NOT_A_THING_IN_IT = f`(?! (?:noise|grain|people|person|persons|crowd|objects?|clutter|text|elements|details|stuff|items|cars?|trees?|buildings?|music|figures?|distractions?))`;
const REMOVE = f`(?:remove|delete|erase|drop|strip|lose|clear|eliminate|get rid of|take (?:out|away)|knock out|cut out|cut away|ditch)`;
const PLAIN = f`(?:(?:plain|solid|flat|pure|clean|simple|uniform|neutral|studio|bright|seamless|blank|empty)[\s-]+)*`;
const HOLDER = f`(?:(?:the|its|her|his|their|this|that) )?`;
const SCENE_WORD = f`(?:${BG}|scene|setting|backplate|base(?: image)?|location|environment|canvas|main image|base photo|stage)`;

function refOutcome(found: Found, ctx: RuleContext, make: (image: number | 'other') => Outcome): Outcome | null {
  const ref = parseImageRef(found.g('img') ?? '', ctx.imageCount);
  return ref === undefined ? null : make(ref);
}

function fillWith(found: Found): Outcome | null {
  const colour = parseColour(found.g('colour') ?? '');
  return colour ? edits({ kind: 'remove_background', params: { fill: colour } }) : null;
}

const transparent = () => edits({ kind: 'remove_background', params: { fill: 'transparent' } });

const removeRules: Rule[] = [
  {
    id: 'remove_background',
    pattern: rx`${alt`
      (?:${REMOVE} ${HOLDER}${BG}|(?:no |without (?:a |the |any )?)${BG})${NOT_A_THING_IN_IT}
      ${BG}[\s-]*(?:removal|removed|remover|free) | remove[\s-]?bg
    `}`,
    build: transparent,
  },
  {
    id: 'remove_background:transparent',
    pattern: rx`${alt`
      (?:(?:make|turn|set|render) ${HOLDER}${BG} )?(?:fully |completely )?transparent(?: ${BG}| png)?
      (?:with |on )?(?:an )?alpha(?: channel| background| transparency)?
      (?:a )?png with (?:a )?transparen(?:cy|t background) | transparen(?:cy|t png)
    `}`,
    build: transparent,
  },
  {
    id: 'remove_background:cut-out',
    pattern: rx`${alt`
      cut out ${HOLDER}(?<subj>[\p{L}-]+(?: [\p{L}-]+)?) | cut ${HOLDER}[\p{L}-]+ out | cut[\s-]?out
      (?:isolate|extract|mask out|separate) ${HOLDER}(?:main )?[\p{L}-]+(?: from ${HOLDER}${BG})?
    `}`,
    build: (found) => (/background|surroundings/i.test(found.g('subj') ?? '') ? null : transparent()),
  },
  {
    id: 'remove_background:colour',
    pattern: rx`${alt`
      (?:(?:put|place|set|show|isolate|have|shoot)(?: ${OBJECT})? )?(?:on|against|over|in front of|with|onto) (?:a |an )?${PLAIN}(?<colour>${COLOUR})(?: colou?red)? ${BG}
      (?:a |an )?${PLAIN}(?<colour2>${COLOUR}) ${BG}
    `}`,
    build: (found) => fillWith({ ...found, g: (n) => (n === 'colour' ? found.g('colour') ?? found.g('colour2') : found.g(n)) }),
  },
  {
    id: 'remove_background:make',
    pattern: rx`(?:make|turn|paint|colou?r|set|fill|change|replace|swap|switch|recolou?r) ${HOLDER}${BG}(?: colou?r)? (?:to |into |with |in |for |by )?(?:a |an )?${PLAIN}(?<colour>${COLOUR})(?: colou?r| one| ${BG})?`,
    build: fillWith,
  },
  {
    // "remove the background and replace it with white": "it" is the background just removed.
    id: 'remove_background:it',
    pattern: rx`(?:replace|fill|swap|make|turn|paint|change) (?:it|that|this) (?:with |to |into )?(?:a |an )?${PLAIN}(?<colour>${COLOUR})(?: colou?r| one| ${BG})?`,
    build: (found, ctx) => (ctx.previousKind === 'remove_background' ? fillWith(found) : null),
  },
  {
    id: 'remove_background:colour-after',
    pattern: rx`${HOLDER}${BG}(?: colou?r)? (?:to|in|of|should be|is|=|:) (?:a |an )?${PLAIN}(?<colour>${COLOUR})`,
    build: fillWith,
  },
];

const replaceRules: Rule[] = [
  {
    id: 'replace_background',
    pattern: rx`(?:replace|swap|change|switch|substitute|exchange) ${HOLDER}${BG} (?:with|for|to|by|into|from) (?:(?:the|a) (?:one|${BG}|scene) (?:from|in|of) )?(?<img>${IMAGE_REF})(?:'s (?:${BG}|scene)| ${BG})?`,
    build: (found, ctx) => refOutcome(found, ctx, (image) => edits({ kind: 'replace_background', params: { source: { image } } })),
  },
  {
    id: 'replace_background:use',
    pattern: rx`${alt`
      (?:(?:use|take|borrow|apply|copy)(?: ${OBJECT})? |(?:(?:put|place|set|show)(?: ${OBJECT})? )?(?:on|in front of|against|over|onto|with|into) )the ${BG} (?:from|of|in) (?<img>${IMAGE_REF})
      (?:on|in front of|against|over|onto) (?<img2>${IMAGE_REF})'s ${BG}
    `}`,
    build: (found, ctx) =>
      refOutcome({ ...found, g: (n) => (n === 'img' ? found.g('img') ?? found.g('img2') : found.g(n)) }, ctx, (image) =>
        edits({ kind: 'replace_background', params: { source: { image } } }),
      ),
  },
];

const sceneRules: Rule[] = [
  {
    id: 'scene',
    pattern: rx`${alt`
      (?:use|make|set|take|treat|choose|pick|keep|have)(?: (?<img>${IMAGE_REF}))? (?:as|for|to be) (?:the )?${SCENE_WORD}
      (?<img2>${IMAGE_REF})\s*(?:is|as|should be|will be|becomes|serves as|for|=|:|-) (?:the )?${SCENE_WORD}(?! (?:of|from|in) )
      (?:the )?${SCENE_WORD}\s*(?:is|should be|will be|=|:|-) (?<img3>${IMAGE_REF})
    `}`,
    build: (found, ctx) => {
      const text = found.g('img') ?? found.g('img2') ?? found.g('img3');
      const ref = text === undefined ? undefined : parseImageRef(text, ctx.imageCount);
      return ref === undefined ? null : edits({ kind: 'scene', params: { image: ref } });
    },
  },
];

const blurRules: Rule[] = [
  {
    id: 'blur_background',
    pattern: rx`${alt`
      (?:blur|blurr|defocus|soften|smudge)(?: out)? ${HOLDER}${BG}
      (?:blurr?(?:y|ed)|defocused|soft|softer|out[\s-]of[\s-]focus) ${BG} | ${BG} (?:blur|bokeh)
      (?:make|render|turn|throw|put|get) ${HOLDER}${BG} (?:(?:more |a bit |slightly )?(?:blurry|blurred|blurrier|soft|softer|fuzzy|defocused)|out of focus)
      ${HOLDER}${BG} (?:out of focus|blurred|blurry)
      portrait (?:mode|effect|look|style|blur) | (?:a )?bokeh(?: effect| look| background)?
      (?:a )?(?:shallow|narrow|short) depth[\s-]of[\s-]field | depth[\s-]of[\s-]field(?: effect)? | (?:a )?dof(?: effect)?
      f\/?1\.[0-9] | wide aperture
    `}`,
    amount: true,
    build: (found) => {
      const amount = Math.round(found.intensity.factor * 1000) / 1000;
      return edits({ kind: 'blur_background', params: { amount } });
    },
  },
  {
    id: 'background:other',
    // "make the background darker/brighter/black and white": one part of the image, not supported.
    pattern: rx`(?:make|turn|render) ${HOLDER}${BG} (?:more |less |a bit |slightly )?(?:darker|brighter|lighter|black[\s-]*(?:and|&)[\s-]*white|gr[ae]y(?:scale)?|monochrome|warmer|cooler|dark|bright|sepia|vintage)`,
    build: () => unusable('region', 'the background'),
  },
];

export const backgroundRules: Rule[] = [...replaceRules, ...sceneRules, ...removeRules, ...blurRules];
