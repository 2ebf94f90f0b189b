/** Shared word lists: filler, determiners, verbs, and what counts as "the whole image". */
import { alt, f } from './pattern.js';
import { IMAGE_REF } from './images.js';

/** Words that carry no instruction of their own once the edit words around them are understood. */
export const FILLER = new Set(
  `please pls plz kindly thanks thank you can could would will should i i'd id i'm im me my we us let let's lets
   want wanna need like love just also then now again and or with of for to into onto as so too really quite
   it its it's this that the a an some any image images photo photos photograph picture pictures pic pics shot
   version one whole entire overall everything thing look looks looking appear appears seem seems feel feels
   make makes made give get turn render apply use using do go set convert change switch put add keep bit little
   more effect filter style vibe aesthetic treatment finish grade grading mood tone tones colours colors colour
   color edit result output slightly somewhat lot much very way nice nicely gently subtly lightly here there is
   are be being been should overall ok okay hey hi yes sure try maybe perhaps possible possibly bit touch tad
   instead all over even still in on at from portrait portraits selfie selfies snapshot
   snapshots shots finally next lastly first firstly secondly afterwards variations variation versions
   variants options alternatives takes`.split(/\s+/),
);

/** Parts of a picture that a bare noun can name ("darker background", "brighter skin"). */
export const PART_NOUNS = new Set(
  `background foreground sky skies subject person people face faces skin hair eyes eye shadows shadow highlights
   highlight water sea grass trees tree clothes dress shirt teeth lips sun clouds ground floor wall walls building
   buildings car cars edges corners left right top bottom middle centre center`.split(/\s+/),
);

/** Object words that mean the whole picture, so an edit aimed at them is a whole-image edit. */
export const WHOLE_IMAGE = new Set(
  `it this that everything image images photo photos photograph picture pictures pic pics shot frame scene thing
   whole entire colours colors colour color tones tone look feel mood lighting result output version
   composition one all them overall details detail textures texture`.split(/\s+/),
);

export const DETERMINER = f`(?:the|her|his|its|their|this|that|these|those|my|your|our)`;

/** Words that end an object phrase: prepositions, modifiers, units, directions. */
const STOP = alt`
  by | to | a | an | and | or | with | without | more | less | too | up | down | in | on | at | for | from | of | into
  onto | so | than | until | while | but | then | also | please
  slightly | bit | little | lot | much | very | really | way | degrees? | deg | percent | stops?
  clockwise | counterclockwise | anticlockwise | counter | anti | left | right | horizontally | vertically
`;
const WORD = f`(?!${STOP}(?![\p{L}\p{N}]))[\p{L}'’-]+`;

/** The object of a verb: "it", "the image", "her face", "image 2". */
export const OBJECT = f`(?:it|them|everything|this|${IMAGE_REF}|${DETERMINER}(?: whole| entire)? ${WORD}(?: ${WORD})?)`;

/** Verbs that start an instruction; a clause starting with one is imperative, not a description. */
export const PLACE_VERBS = new Set(
  'put place add insert paste bring move drop position include superimpose overlay stick sit stand seat'.split(' '),
);
export const COMBINE_VERBS = new Set('combine merge blend fuse composite mix join integrate'.split(' '));
export const GENERATIVE_VERBS = new Set(
  `add put place insert include give make change turn transform convert replace swap remove erase delete draw
   paint create generate dress show have open close restore colorize colourize colorise colourise extend expand
   outpaint fill age swap move style stylize stylise animate wear hold smile raise`.split(/\s+/),
);
export const KEEP_VERBS = new Set('keep preserve maintain retain leave'.split(' '));
const OTHER_VERBS = `fix improve edit adjust correct enhance clean crop rotate flip zoom mirror use try apply set do go
  tilt brighten darken lighten sharpen soften blur denoise warm cool saturate desaturate reduce increase decrease
  boost raise lower cut tone bump crank pump push select choose pick take write type print label caption title
  straighten level resize upscale enlarge shrink scale frame isolate extract cutout get`.split(/\s+/);
export const VERBS = new Set([
  ...PLACE_VERBS, ...COMBINE_VERBS, ...GENERATIVE_VERBS, ...KEEP_VERBS, ...OTHER_VERBS,
]);

/** Politeness and framing before the first verb: "please", "can you", "I'd like you to". */
export const LEAD = new RegExp(
  `^(?:${alt`
    please | pls | kindly | now | then | also | and | just | ok(?:ay)? | so | finally | next | lastly | first
    firstly | secondly | afterwards | can you | could you | would you | will you | i want you to | i want to
    i(?:'|’)?d like you to | i would like you to | i(?:'|’)?d like to | let(?:'|’)?s | let us | try to
    go ahead and | help me
  `}\\s+)*`,
  'iu',
);

/** Styles and other things only a generative model can produce. */
export const GENERATIVE_HINT = new RegExp(
  `(?<![\\p{L}])(?:${[
    'painting', 'painted', 'paint', 'cartoon', 'anime', 'manga', 'sketch', 'drawing', 'drawn', 'watercolou?r',
    'illustration', 'pixel art', '3d', 'render(?:ed|ing)?', 'comic', 'ghibli', 'pixar', 'disney', 'van gogh',
    'picasso', 'monet', 'impressionis[mt]', 'cyberpunk', 'claymation', 'lego', 'in the style of',
    'look(?:s|ing)? like', 'as if', 'into an? ',
  ].join('|')})(?![\\p{L}])`,
  'iu',
);

/** Lowercase words of a text, without punctuation. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'’&#%°+-]*/gu) ?? [];
}

/** True when every word is filler, i.e. the text asks for nothing by itself. */
export function isFiller(text: string): boolean {
  return words(text).every((w) => FILLER.has(w.replace('’', "'")));
}

/** The leading verb of an instruction, after politeness ("please", "can you"). */
export function headVerb(text: string): { verb: string; start: number } | undefined {
  const lead = LEAD.exec(text)?.[0].length ?? 0;
  const m = /^[\p{L}-]+/u.exec(text.slice(lead));
  if (!m) return undefined;
  const verb = m[0].toLowerCase();
  return VERBS.has(verb) ? { verb, start: lead } : undefined;
}
