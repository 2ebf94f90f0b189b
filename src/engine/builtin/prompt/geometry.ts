/** Geometry: rotate, flip or mirror, zoom, crop to the subject; and the size requests the prompt cannot make. */
import { alt, f, rx } from './pattern.js';
import { MOD, modifierFactor } from './amounts.js';
import { NUM, parseNumber } from './numbers.js';
import { OBJECT } from './lexicon.js';
import { isWholeImage } from './objects.js';
import { edits, unusable, type Found, type Outcome, type Rule, type RuleContext } from './rules.js';

const round = (n: number) => Math.round(n * 1000) / 1000;

/** The object of a geometry verb must be the whole image; "rotate the cat" is not something we can do. */
function wholeOr(found: Found, ctx: RuleContext, make: () => Outcome): Outcome {
  for (const name of ['obj', 'obj2']) {
    const obj = found.g(name);
    if (obj && !isWholeImage(obj, ctx.imageCount)) return unusable('region', obj);
  }
  if (found.obj && !isWholeImage(found.obj, ctx.imageCount)) return unusable('region', found.obj);
  return make();
}

const DIRECTION = f`(?:clockwise|cw|counter[\s-]?clockwise|anti[\s-]?clockwise|ccw|(?:to (?:the )?)?(?:left|right))`;
const DEGREES = f`(?:degrees?|deg|°|º)`;
/** Made once: a pattern made inside a function is compiled again after garbage collections (see matchesOf). */
const DEGREES_RE = new RegExp(DEGREES, 'iu');
/** " 90", " about 45 degrees"; not "3 times". */
const ANGLE = f`(?:(?: (?:about|around))? (?<deg>${NUM})(?!\s*(?:times|x)(?![\p{L}]))\s*(?:${DEGREES})?)?`;

/** Degrees clockwise, normalised to (−180, 180]. */
function normalise(degrees: number): number {
  let d = degrees % 360;
  if (d > 180) d -= 360;
  if (d <= -180) d += 360;
  return round(d) + 0;
}

function rotation(found: Found): number {
  const direction = (found.g('dir') ?? found.g('dir2') ?? '').toLowerCase();
  const sign = /counter|anti|ccw|left/.test(direction) ? -1 : 1;
  const fraction = found.g('frac')?.toLowerCase();
  if (fraction) return normalise(sign * (fraction.startsWith('half') ? 180 : fraction.startsWith('three') ? 270 : 90));
  const text = found.g('deg');
  if (text !== undefined) return normalise(sign * (parseNumber(text) ?? 90));
  const explicit = found.intensity.explicit;
  if (explicit && (explicit.unit === 'degrees' || explicit.unit === 'points')) return normalise(sign * explicit.value);
  // No number: a tilt is 5°, "slightly" a few degrees, a plain "rotate" a quarter turn.
  const factor = found.intensity.factor * modifierFactor(found.g('mod'));
  if (/tilt|twist/i.test(found.g('verb') ?? '')) return normalise(sign * round(5 * factor));
  if (factor < 1) return normalise(sign * round(6 * factor));
  return normalise(sign * 90);
}

const rotateRules: Rule[] = [
  {
    id: 'rotate',
    // rotate [it] [by] [slightly] [90 [degrees]] [clockwise]
    pattern: rx`(?<verb>rotate|turn|spin|tilt|twist)(?: (?<obj>${OBJECT}))?(?: (?:by|through))?(?: (?<mod>${MOD}))?${ANGLE}(?: (?<dir>${DIRECTION}))?`,
    amount: true,
    build: (found, ctx) => {
      const verb = found.g('verb')!.toLowerCase();
      // "turn" and "spin" are rotations only with an angle or a direction ("turn it into…" is not).
      const hasAngle = DEGREES_RE.test(found.text) || found.intensity.explicit?.unit === 'degrees';
      if ((verb === 'turn' || verb === 'spin') && !hasAngle && !found.g('dir')) return null;
      return wholeOr(found, ctx, () => edits({ kind: 'rotate', params: { degrees: rotation(found) } }));
    },
  },
  {
    id: 'rotate:angle',
    pattern: rx`${alt`
      (?<deg>${NUM})\s*${DEGREES} (?<dir>${DIRECTION})
      (?:a )?(?<frac>quarter|half|three[\s-]quarters?)[\s-]turn(?: (?<dir2>${DIRECTION}))?
    `}`,
    build: (found) => edits({ kind: 'rotate', params: { degrees: rotation(found) } }),
  },
  {
    id: 'rotate:upside-down',
    pattern: rx`(?:(?:turn|flip|rotate|put|make)(?: (?<obj>${OBJECT}))? )?upside[\s-]down`,
    build: (found, ctx) => wholeOr(found, ctx, () => edits({ kind: 'rotate', params: { degrees: 180 } })),
  },
  {
    id: 'rotate:sideways',
    pattern: rx`(?:turn|rotate|put|lay)(?: (?<obj>${OBJECT}))? (?:on its side|sideways)`,
    build: (found, ctx) => wholeOr(found, ctx, () => edits({ kind: 'rotate', params: { degrees: 90 } })),
  },
  {
    id: 'straighten',
    pattern: rx`${alt`
      straighten(?: (?:out|up))?(?: ${OBJECT})? | level (?:the |out the )?horizon | deskew | de-skew
      (?:fix|correct) (?:the )?(?:tilt|horizon|perspective|keystone|skew) | make (?:the horizon|it) (?:level|straight)
    `}`,
    build: () => unusable('unsupported', 'straightening needs the horizon or lines found in the image'),
  },
];

const FLIP_DIRECTION = alt`
  horizontally | vertically | sideways | side[\s-]to[\s-]side | on the (?:horizontal|vertical|x|y)[\s-]axis
  left[\s-]to[\s-]right | right[\s-]to[\s-]left | top[\s-]to[\s-]bottom | bottom[\s-]to[\s-]top
`;

const flipRules: Rule[] = [
  {
    id: 'flip',
    pattern: rx`(?:flip|mirror|flop|reflect)(?: (?<obj>${OBJECT}))?(?: (?<dir>${FLIP_DIRECTION}))?`,
    build: (found, ctx) => {
      const dir = (found.g('dir') ?? '').toLowerCase();
      const vertical = /vertical|top|bottom|x[\s-]axis/.test(dir) && !/vertical[\s-]axis/.test(dir);
      return wholeOr(found, ctx, () =>
        edits({ kind: 'flip', params: { direction: vertical ? 'vertical' : 'horizontal' } }),
      );
    },
  },
  {
    id: 'flip:noun',
    pattern: rx`(?<dir>horizontal|vertical) (?:flip|mirror)|mirror(?:ed)? (?:image|version|effect)|mirrored`,
    build: (found) =>
      edits({ kind: 'flip', params: { direction: /vertical/i.test(found.g('dir') ?? '') ? 'vertical' : 'horizontal' } }),
  },
];

/** A zoom factor from a direction, a modifier and an optional "2x" / "by 50%". */
function zoomFactor(found: Found, zoomIn: boolean): number {
  const e = found.intensity.explicit;
  let factor: number;
  if (e?.unit === 'factor') factor = zoomIn ? e.value : 1 / e.value;
  else if (e?.unit === 'percent' || (e && e.unit === 'points')) {
    factor = zoomIn ? 1 + e.value / 100 : Math.max(0.1, 1 - e.value / 100);
  } else {
    factor = Math.pow(zoomIn ? 1.5 : 1 / 1.5, found.intensity.factor);
  }
  return round(factor);
}

const SUBJECT = f`(?:the |her |his |their |its |a |an )?(?:[\p{L}'’-]+)(?: (?!from|to|and|with|by|in|on|at|then|so|for)[\p{L}'’-]+)?`;
const SHAPE = /^(?:a )?(?:square|landscape|portrait|widescreen|\d+\s*[:x]\s*\d+|instagram|story|banner)/iu;

/** Crop margins: around the subject's box, as a fraction of its size. */
function margin(text: string | undefined): number {
  const t = (text ?? '').toLowerCase();
  if (/tight|close/.test(t)) return 0.03;
  if (/loose|room|space|breathing/.test(t)) return 0.25;
  return 0.1;
}

function cropSubject(found: Found, ctx: RuleContext): Outcome | null {
  const subject = found.g('subj')?.trim();
  if (subject && SHAPE.test(subject)) return null;
  const params: { margin: number; subject?: string } = { margin: margin(`${found.g('tight') ?? ''} ${found.text}`) };
  if (subject && !/^(?:the )?(?:subject|main subject)$/i.test(subject)) {
    if (isWholeImage(subject, ctx.imageCount) && !/^(?:her|his|their|its)\b/i.test(subject)) return null;
    params.subject = subject;
  }
  return edits({ kind: 'crop_subject', params });
}

const CROP_VERB = f`(?:(?:cent(?:er|re)[\s-])?crop|frame|zoom in|zoom|center|centre)`;
const TIGHTNESS = f`(?:tight(?:ly)?|close(?:ly)?|loose(?:ly)?|in)`;
const CROP_TO = f`(?:to (?:focus|cent(?:er|re)) on|focusing on|to|around|on|onto|in on)`;
const ROOM = f`(?:with (?:some |a (?:little|bit of) )?(?:room|space|breathing room)|tightly|loosely)`;

const zoomRules: Rule[] = [
  {
    id: 'zoom',
    pattern: rx`(?:zoom|zoomed)(?: (?<dir>in|out))?(?! (?:on|onto|to) )`,
    amount: true,
    build: (found) => edits({ kind: 'zoom', params: { factor: zoomFactor(found, found.g('dir')?.toLowerCase() !== 'out') } }),
  },
  {
    id: 'zoom:in',
    pattern: rx`${alt`
      (?:(?:get|move|come|go|bring (?:it|the camera)) )?closer(?: (?:crop|shot|view|framing|in))?
      tighter(?: (?:crop|framing|shot|view))? | crop (?:in )?tighter | crop in | punch in | push in
    `}`,
    amount: true,
    build: (found) => edits({ kind: 'zoom', params: { factor: zoomFactor(found, true) } }),
  },
  {
    id: 'zoom:out',
    pattern: rx`${alt`
      (?:pull|step|move) (?:back|away) | wider(?: (?:shot|view|framing|angle|crop))? | further away
      show more (?:of the )?(?:scene|surroundings)
    `}`,
    amount: true,
    build: (found) => edits({ kind: 'zoom', params: { factor: zoomFactor(found, false) } }),
  },
  {
    id: 'crop_subject',
    // crop [it] [tightly] around [just] the subject [with some room]
    pattern: rx`${CROP_VERB}(?: (?:it|the image|the photo|the picture))?(?: (?<tight>${TIGHTNESS}))? ${CROP_TO}(?: (?:just|only))? (?<subj>${SUBJECT})(?: ${ROOM})?`,
    build: cropSubject,
  },
  {
    id: 'crop_subject:close-up',
    pattern: rx`${alt`
      (?:an? )?(?:extreme )?close[\s-]?up(?: (?:shot|view|crop|photo))?(?: (?:of|on) (?<subj>${SUBJECT}))? | (?:a )?headshot
      crop out (?:the )?(?:background|surroundings) | (?:crop|cut) (?:away )?(?:the )?(?:empty|extra|excess) (?:space|background)
    `}`,
    build: cropSubject,
  },
];

const IT = f`(?:it|the image|the photo|the picture)`;

/** The output size is a request parameter; the prompt cannot change it. */
const sizeRules: Rule[] = [
  {
    id: 'size',
    pattern: rx`${alt`
      upscal(?:e|ed|ing)(?: ${IT})?(?: to ${NUM}\s*k)? | enlarge(?: ${IT})? | shrink(?: ${IT})?
      resize(?: ${IT})?(?: to [^,;.]+)?
      (?:higher|high|increase the|better) (?:resolution|res) | hi[\s-]?res
      (?:in )?(?:${NUM}\s*k|ultra hd|full hd|uhd|hd)(?: resolution| quality)?
      (?:make ${IT} )?(?:square|widescreen)
      (?:crop|make|change|set) (?:${IT} )?(?:in)?to (?:an? )?(?:square|landscape|portrait|widescreen|\d+\s*[:x]\s*\d+)(?: (?:format|aspect|ratio|orientation))?
      \d+\s*:\s*\d+(?: (?:aspect )?ratio| format)? | aspect ratio | (?:landscape|portrait) (?:format|orientation)
      (?:make ${IT} )?(?:bigger|larger|smaller)(?: in size)?
    `}`,
    build: () => unusable('size'),
  },
];

export const geometryRules: Rule[] = [...rotateRules, ...flipRules, ...zoomRules, ...sizeRules];
