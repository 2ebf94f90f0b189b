/**
 * Tone and colour: brightness, exposure, contrast, saturation, warmth, tint, black and white, sepia,
 * vintage, sharpen, soften, denoise, vignette. Four shapes of words cover most prompts:
 * adjectives ("brighter", "more vivid", "less saturated", "too dark"), verbs ("brighten", "warm it up"),
 * quantities ("increase the contrast", "contrast +20", "reduce noise") and named looks ("sepia", "noir").
 */
import type { ToneKind } from './types.js';
import { alt, alternatives, f, rx } from './pattern.js';
import { MOD, modifierFactor, type Intensity } from './amounts.js';
import { OBJECT } from './lexicon.js';
import { edits, unusable, type Draft, type Found, type Outcome, type Rule, type RuleContext } from './rules.js';
import { isWholeImage } from './objects.js';

interface Direction {
  kind: ToneKind;
  sign: 1 | -1;
  /** A bare quantity ("contrast -10"): an explicit number keeps its own sign. Otherwise the words decide
   * the direction and "−20% darker" is read as 20 % darker. */
  neutral?: boolean;
  /** Overrides the kind's nominal amount ("golden hour" is warmer than "warmer"). */
  nominal?: number;
}
const up = (kind: ToneKind, nominal?: number): Direction => ({ kind, sign: 1, nominal });
const down = (kind: ToneKind, nominal?: number): Direction => ({ kind, sign: -1, nominal });

/** The nominal amount of each kind, in its unit (see types.ts). */
const NOMINAL: Record<ToneKind, number> = {
  brightness: 1, exposure: 0.5, contrast: 1, saturation: 1, warmth: 1, tint: 1, grayscale: 1, sepia: 1,
  vintage: 1, sharpen: 1, soften: 1, denoise: 1, vignette: 1,
};
const FILTERS = new Set<ToneKind>(['grayscale', 'sepia', 'vintage']);
/** One step is a 15 % change (15 points on a ±100 slider); one warmth step is about 500 K. */
const PERCENT_PER_STEP = 15;
const KELVIN_PER_STEP = 500;

const round = (n: number) => Math.round(n * 1000) / 1000;

/** The edit for a direction and intensity, in the kind's unit, normalised to non-negative detail edits. */
export function toneOutcome(dir: Direction, intensity: Intensity): Outcome {
  let kind = dir.kind;
  let amount: number;
  const explicit = intensity.explicit;
  const e = explicit && !dir.neutral ? { ...explicit, value: Math.abs(explicit.value) } : explicit;
  if (!e) {
    amount = dir.sign * (dir.nominal ?? NOMINAL[kind]) * intensity.factor;
  } else if (e.unit === 'stops' && (kind === 'brightness' || kind === 'exposure')) {
    kind = 'exposure';
    amount = dir.sign * e.value;
  } else if (e.unit === 'factor' && kind === 'brightness') {
    kind = 'exposure';
    amount = dir.sign * Math.log2(Math.max(e.value, 0.01));
  } else if (kind === 'exposure') {
    const stops =
      e.unit === 'percent' ? Math.log2(Math.max(1 + e.value / 100, 0.01))
      : e.unit === 'factor' ? Math.log2(Math.max(e.value, 0.01))
      : Math.max(-5, Math.min(5, e.value));
    amount = dir.sign * stops;
  } else if (FILTERS.has(kind)) {
    amount = dir.sign * (e.unit === 'factor' ? e.value : e.value / 100);
  } else if (e.unit === 'kelvin' && kind === 'warmth') {
    amount = dir.sign * (e.value / KELVIN_PER_STEP);
  } else if (e.unit === 'factor') {
    amount = dir.sign * (((e.value - 1) * 100) / PERCENT_PER_STEP);
  } else {
    amount = dir.sign * (e.value / PERCENT_PER_STEP);
  }

  if (kind === 'sharpen' && amount < 0) [kind, amount] = ['soften', -amount];
  else if (kind === 'soften' && amount < 0) [kind, amount] = ['sharpen', -amount];
  if (kind === 'denoise' && amount < 0) return unusable('unsupported', 'adding noise or grain');
  if (FILTERS.has(kind) && amount < 0) return unusable('unsupported', `reducing a ${kind} look`);
  amount = round(amount);
  if (amount === 0) return unusable('nothing_to_do');
  return edits({ kind, params: { amount } } as Draft);
}

/** Builds a tone edit, unless its object is one part of the image ("brighten her face"). */
function tone(dir: Direction | ((found: Found) => Direction), ...objectGroups: string[]) {
  return (found: Found, ctx: RuleContext): Outcome => {
    for (const name of ['obj', ...objectGroups]) {
      const obj = found.g(name);
      if (obj && !isWholeImage(obj, ctx.imageCount)) return unusable('region', obj);
    }
    if (found.obj && !isWholeImage(found.obj, ctx.imageCount)) return unusable('region', found.obj);
    return toneOutcome(typeof dir === 'function' ? dir(found) : dir, found.intensity);
  };
}

const ADJECTIVES: { dir: Direction; base: string; comparative?: string }[] = [
  { dir: up('brightness'), base: 'bright|light', comparative: 'brighter|lighter' },
  { dir: down('brightness'), base: 'dark|dim|moody', comparative: 'darker|dimmer|moodier' },
  {
    dir: up('contrast'),
    base: f`contrasty|punchy|high[-\s]contrast|contrasted`,
    comparative: f`punchier|contrastier|higher[-\s]contrast`,
  },
  { dir: down('contrast'), base: f`flat|low[-\s]contrast|matte`, comparative: f`flatter|lower[-\s]contrast` },
  { dir: up('saturation'), base: 'vivid|vibrant|colou?rful|saturated|rich|poppy', comparative: 'richer|poppier' },
  {
    dir: down('saturation'),
    base: f`muted|desaturated|dull|washed[-\s]out|subdued|pastel`,
    comparative: 'duller|greyer|grayer',
  },
  { dir: up('warmth'), base: 'warm|golden|yellow|orange', comparative: 'warmer|yellower' },
  { dir: down('warmth'), base: 'cool|cold|icy|blue', comparative: 'cooler|colder|bluer|icier' },
  { dir: up('tint'), base: 'magenta|pink', comparative: 'pinker' },
  { dir: down('tint'), base: 'green', comparative: 'greener' },
  { dir: up('sharpen'), base: 'sharp|crisp|detailed|clear|in focus', comparative: 'sharper|crisper|clearer' },
  { dir: up('soften'), base: 'soft|blurry|blurred|dreamy|hazy|fuzzy', comparative: 'softer|blurrier|dreamier|hazier' },
  { dir: down('denoise'), base: 'noisy|grainy', comparative: 'noisier|grainier' },
  { dir: up('denoise'), base: 'clean', comparative: 'cleaner' },
];

const COMPLAINT =
  /(?:^|\s)(?:it|this|that|the (?:image|photo|picture|shot)|(?:image|photo|picture))\s*(?:'s|’s|is|looks|seems|feels|appears|was)(?:\s+(?:a bit|slightly|a little|very|really|quite|kind of|so|way))*\s*$/iu;

const flip = (d: Direction): Direction => ({ ...d, sign: d.sign === 1 ? -1 : 1 });

const adjectiveRules: Rule[] = ADJECTIVES.flatMap(({ dir, base, comparative }): Rule[] => [
  ...(comparative
    ? [{ id: `${dir.kind}:comparative`, pattern: rx`${comparative}`, amount: true, build: tone(dir) }]
    : []),
  {
    id: `${dir.kind}:more`,
    pattern: rx`(?<how>more|less|not as) (?:${base})`,
    amount: true,
    build: tone((found) => (/^(?:less|not)/i.test(found.g('how')!) ? flip(dir) : dir)),
  },
  // A complaint asks for the opposite: "too dark" → brighter.
  { id: `${dir.kind}:too`, pattern: rx`too (?:${base})`, amount: true, build: tone(flip(dir)) },
  // "make it warm" asks for it; "it's blurry", "the photo looks dark" complain about it.
  {
    id: `${dir.kind}:bare`,
    pattern: rx`${base}`,
    amount: true,
    standalone: true,
    build: tone((found) => (COMPLAINT.test(found.before) ? flip(dir) : dir)),
  },
]);

interface Verb {
  verbs: string;
  dir: Direction;
  /** Words that are also adjectives ("warm", "dim") need an object or a particle to count as verbs. */
  needsObject?: boolean;
}
const VERBS: Verb[] = [
  { verbs: 'brighten|lighten', dir: up('brightness') },
  { verbs: 'darken', dir: down('brightness') },
  { verbs: 'dim', dir: down('brightness'), needsObject: true },
  { verbs: 'saturate', dir: up('saturation') },
  { verbs: 'desaturate', dir: down('saturation') },
  { verbs: 'mute', dir: down('saturation'), needsObject: true },
  { verbs: 'warm', dir: up('warmth'), needsObject: true },
  { verbs: 'cool', dir: down('warmth'), needsObject: true },
  { verbs: f`sharpen|unblur|deblur|de-blur|crispen`, dir: up('sharpen') },
  { verbs: 'soften|blur|defocus', dir: up('soften') },
  { verbs: f`denoise|de-noise`, dir: up('denoise') },
  { verbs: 'clean', dir: up('denoise'), needsObject: true },
  { verbs: 'punch|pep|liven', dir: up('contrast'), needsObject: true },
];

const verbRules: Rule[] = VERBS.map(({ verbs, dir, needsObject }) => ({
  id: `${dir.kind}:verb`,
  pattern: needsObject
    ? rx`(?:${verbs})(?: (?<obj>${OBJECT}))? (?:up|down)(?: (?<obj2>${OBJECT}))?|(?:${verbs}) (?<obj3>${OBJECT})`
    : rx`(?:${verbs})(?: (?:up|down))?(?: (?<obj>${OBJECT}))?(?: (?:up|down))?`,
  amount: true,
  build: tone(dir, 'obj2', 'obj3'),
}));

/** Nouns for each quantity, and which way "more" of it goes. */
const QUANTITIES: [string, Direction][] = [
  [alt`brightness | lightness | luminosity | light`, up('brightness')],
  [alt`exposure`, up('exposure')],
  [alt`contrast | punch`, up('contrast')],
  [alt`saturation | vibrance | vibrancy | colou?r saturation | colou?r intensity | colou?rs? | pop`, up('saturation')],
  [alt`warmth | colou?r temperature | temperature | warm tones | warm colou?rs | yellow | orange`, up('warmth')],
  [alt`coolness | cool tones | cold tones | blue | blues`, down('warmth')],
  [alt`magenta | pink`, up('tint')],
  [alt`green`, down('tint')],
  [alt`sharpness | detail | details | definition | clarity | crispness | focus`, up('sharpen')],
  [alt`blur | blurriness | softness | haze | haziness`, up('soften')],
  [
    alt`(?:background |image |digital |colou?r |luminance )?noise | (?:film |digital )?grain | graininess
        compression artifacts | artifacts | artefacts | speckles`,
    down('denoise'),
  ],
  [alt`vignette | vignetting`, up('vignette')],
];
const UP = alt`
  increase | boost | raise | add | adding | more | higher | high | strong | stronger | extra | plenty of | lots of
  bump up | turn up | crank up | pump up | bring up | bring out | give it | push | lift | up
  strengthen | intensify | amplify | heighten | enhance | improve
`;
const DOWN = alt`
  decrease | reduce | lower | low | less | fewer | cut | drop | weaken | weaker | kill | lose | suppress
  tone down | turn down | dial down | dial back | pull back | clean up | clear up
  remove | eliminate | minimi[sz]e | get rid of | take out
`;
const DET = f`(?:the|some|a|an|a bit of|a little|a touch of|of the|the overall|its|overall)`;
/** "bump the exposure up", "set the exposure to +0.7". */
const NUDGE = f`(?:bump|turn|crank|pump|push|bring|dial|pull|knock|tone|jack|ramp|set|adjust)`;
/** What follows a bare quantity with a number: "contrast -10", "brightness: +20", "exposure to +0.7". */
const SIGNED_AMOUNT_NEXT = f`\s*:?\s*(?:(?:to\s+)?[+\-−]\s*\d|by\s)`;

const quantityRules: Rule[] = QUANTITIES.flatMap(([nouns, dir]): Rule[] => [
  {
    id: `${dir.kind}:quantity`,
    pattern: rx`(?:(?<up>${UP})|(?<down>${DOWN}))(?: ${DET})?(?: (?<mod>${MOD}))?(?: more)? ${nouns}(?: (?:up|down))?`,
    amount: true,
    build: (found, ctx) => {
      const intensity = { ...found.intensity, factor: found.intensity.factor * modifierFactor(found.g('mod')) };
      return tone(found.g('down') ? flip(dir) : dir)({ ...found, intensity }, ctx);
    },
  },
  {
    id: `${dir.kind}:quantity-after`,
    pattern: rx`(?:${NUDGE}(?: the| its)? )?${nouns}(?: (?<dir>up|down)|(?=${SIGNED_AMOUNT_NEXT}))`,
    amount: true,
    build: tone((found) => {
      const said = found.g('dir')?.toLowerCase();
      return said === 'down' ? flip(dir) : said === 'up' ? dir : { ...dir, neutral: true };
    }),
  },
]);

const CASTS: Record<string, Direction> = {
  green: up('tint'), magenta: down('tint'), pink: down('tint'), purple: down('tint'),
  yellow: down('warmth'), orange: down('warmth'), warm: down('warmth'), red: down('warmth'),
  blue: up('warmth'), cool: up('warmth'), cold: up('warmth'),
};

/** What may follow a named look: "sepia filter", "a vintage film look", "noir style". */
const LOOK_NOUN = f`(?: (?:look|style|effect|filter|feel|vibe|photo|image|picture|version|photography|treatment|aesthetic|conversion|tint|tones?|colou?rs?))?`;

const GRAYSCALE = alt`
  black[\s-]*(?:and|&|n)[\s-]*white | b\s*&\s*w | b/w | bw
  monochrome | monochromatic | mono | gr[ae]y[\s-]?scale | (?:film )?noir | colou?rless
  (?:completely|fully|entirely|totally) desaturated?
  desaturated? (?:(?<obj>${OBJECT}) )?(?:completely|fully|entirely|totally)
  (?:remove|drain|strip|take out|get rid of|lose|kill|no) (?:all )?(?:of )?(?:the )?colou?rs?(?: (?:entirely|completely))?
`;
const SEPIA = alt`sepia(?:[\s-]?tone[ds]?)? | antique | daguerreotype | brown[\s-]?tone[ds]?`;
const VINTAGE = alt`
  (?:vintage |retro )?(?:analog(?:ue)?|35\s?mm|old|classic|vintage|retro) film(?: photo(?:graph)?)?
  vintage | retro | film look | film (?:emulation|stock|look|style) | faded | old[\s-](?:school|fashioned|timey)
  old photo(?:graph)?(?= (?:look|style|effect|feel|vibe|aesthetic))
  (?:look|looks|looking) like (?:an? )?(?:old|vintage|retro) (?:photo(?:graph)?|film|picture|polaroid)
  (?:(?:look|looks|looking) like (?:it was |it's |it is )?(?:taken|shot|photographed|made) in |from )the (?:19)?[5-9]0s
  (?:19)?[5-9]0s | fifties | sixties | seventies | eighties | nineties
  polaroid | lomo(?:graphy)? | kodachrome | nostalgic
`;
const LIGHT_NOUN = f`(?:light|lighting|look|glow|tones?|feel|vibe|colou?rs?|hues?|filter|cast|tint)`;
const WARM_LOOK = alt`
  (?<golden>golden[\s-]hour|magic hour)(?: ${LIGHT_NOUN})?
  (?<sun>sunset|sunrise) ${LIGHT_NOUN}
  golden (?:tones?|light|glow|colou?rs?|hues?)
  warm(?:er)? ${LIGHT_NOUN}
`;
const COOL_LOOK = f`(?:cool(?:er)?|cold(?:er)?|icy|wintry|winter|blue|bluer) ${LIGHT_NOUN}`;
const CAST_COLOUR = f`(?<colour>${alternatives(Object.keys(CASTS))})(?:ish)?`;

const lookRules: Rule[] = [
  { id: 'grayscale', pattern: rx`${GRAYSCALE}${LOOK_NOUN}`, amount: true, build: tone(up('grayscale')) },
  { id: 'sepia', pattern: rx`${SEPIA}${LOOK_NOUN}`, amount: true, build: tone(up('sepia')) },
  { id: 'vintage', pattern: rx`${VINTAGE}${LOOK_NOUN}`, amount: true, build: tone(up('vintage')) },
  { id: 'exposure:under', pattern: rx`under[-\s]?expos(?:ed|ure)`, amount: true, build: tone(up('exposure')) },
  { id: 'exposure:over', pattern: rx`over[-\s]?expos(?:ed|ure)`, amount: true, build: tone(down('exposure')) },
  {
    id: 'exposure:stops',
    pattern: rx`(?<n>[+\-−]\s*\d+(?:[.,]\d+)?)\s*(?:f-?stops?|stops?|ev)`,
    build: (found) => {
      const n = Number(found.g('n')!.replace(/\s+/g, '').replace('−', '-').replace(',', '.'));
      return toneOutcome({ ...up('exposure'), neutral: true }, { factor: 1, explicit: { value: n, unit: 'stops' } });
    },
  },
  {
    id: 'warmth:named',
    pattern: rx`${WARM_LOOK}`,
    amount: true,
    build: tone((found) => up('warmth', found.g('golden') || found.g('sun') ? 1.5 : 1)),
  },
  { id: 'coolness:named', pattern: rx`${COOL_LOOK}`, amount: true, build: tone(down('warmth')) },
  // "remove the green cast", and the complaint "it has a magenta tint": both ask for the opposite colour.
  {
    id: 'cast',
    pattern: rx`(?:fix|correct|neutrali[sz]e|remove|get rid of|reduce|kill|cancel) (?:the |a |that )?${CAST_COLOUR} (?:colou?r )?(?:cast|tint|tinge|hue)`,
    amount: true,
    build: tone((found) => CASTS[found.g('colour')!.toLowerCase()]!),
  },
  {
    id: 'cast:complaint',
    pattern: rx`(?:has|have|with|there(?:'s| is)|shows?|got) (?:a |an )?(?:slight |strong |heavy |weird |ugly )?${CAST_COLOUR} (?:cast|tint|tinge)`,
    amount: true,
    build: tone((found) => CASTS[found.g('colour')!.toLowerCase()]!),
  },
  {
    id: 'saturation:pop',
    pattern: rx`(?:make|let) (?:(?<obj>${OBJECT}) )?pop|colou?rs? pop|pop of colou?r|pop (?:the )?colou?rs|colou?r pop`,
    amount: true,
    build: tone(up('saturation')),
  },
  {
    id: 'saturation:colours',
    pattern: rx`${alt`
      (?<more>punchy|vivid|vibrant|rich|bold|bright|saturated|strong|deep|intense)(?: colou?rs?| hues?| tones)
      (?:muted|dull|washed[\s-]out|pastel|subdued|soft|toned[\s-]down) (?:colou?rs?|hues?|tones)
    `}`,
    amount: true,
    build: tone((found) => (found.g('more') ? up('saturation') : down('saturation'))),
  },
  {
    id: 'soften:named',
    pattern: rx`${alt`
      soft[\s-]?focus | gaussian blur | (?:a )?soft glow | dreamy (?:look|effect|feel|vibe|glow|haze) | out of focus
      blur (?:the )?(?:whole|entire) (?:image|photo|picture|thing|frame) | blur everything
    `}`,
    amount: true,
    build: tone(up('soften')),
  },
  {
    id: 'denoise:named',
    pattern: rx`noise reduction|noise removal|denoising|no (?:noise|grain)|noise[\s-]free|grain[\s-]free`,
    amount: true,
    build: tone(up('denoise')),
  },
  {
    id: 'vignette:edges',
    pattern: rx`(?:(?<dark>dark(?:en|er)?|shade|burn)|brighten|lighten|lighter) (?:the )?(?:edges|corners|borders)`,
    amount: true,
    build: tone((found) => (found.g('dark') ? up('vignette') : down('vignette'))),
  },
  {
    id: 'vignette:noun',
    pattern: rx`(?:(?<light>white|light|bright) |(?:dark|black) )?vignett(?:e|ing)(?: (?:around|on|at|along) (?:the )?(?:edges|corners|borders|sides))?`,
    amount: true,
    build: tone((found) => (found.g('light') ? down('vignette') : up('vignette'))),
  },
];

/** "enhance it", "improve the photo": a mild, general enhancement. */
const enhanceRule: Rule = {
  id: 'enhance',
  pattern: rx`${alt`
    (?:auto[\s-]?enhance|enhance|improve|touch up|polish|retouch|optimi[sz]e)(?: (?<obj>${OBJECT}))?
    make (?:(?<obj2>${OBJECT}) )?(?:look )?(?:better|nicer|prettier|good|great|(?:more )?professional|stunning|amazing|beautiful)
  `}`,
  amount: true,
  build: (found, ctx) => {
    for (const obj of [found.g('obj'), found.g('obj2'), found.obj]) {
      if (obj && !isWholeImage(obj, ctx.imageCount)) return unusable('region', obj);
    }
    const part = (kind: ToneKind): Draft =>
      ({ kind, params: { amount: round(0.5 * found.intensity.factor) } }) as Draft;
    return edits(part('contrast'), part('saturation'), part('sharpen'));
  },
};

/** Looks and named effects come first: on a tie (same start, same length) the earlier rule wins. */
export const toneRules: Rule[] = [...lookRules, ...quantityRules, ...verbRules, ...adjectiveRules, enhanceRule];
