/**
 * Multi-reference fusion: reading placements ("put the cat from image 2 into image 1 on the left",
 * "A beautiful girl is sitting on the boat") and resolving every reference once the whole prompt is read
 * (which image is the scene, which reference "the other one" and "the dog" are, what is left over).
 */
import type { Anchor, Edit, Position, Span, Unused } from './types.js';
import { alt, f, matchesOf } from './pattern.js';
import { MOD, modifierFactor } from './amounts.js';
import { NUM, parseNumber } from './numbers.js';
import { IMAGE_REF, IMAGE_REFS, parseImageRefs } from './images.js';
import { LEAD, words, FILLER } from './lexicon.js';
import type { Draft, PlaceDraft, Ref } from './rules.js';

const round = (n: number) => Math.round(n * 1000) / 1000;

const SIZE_WORD = alt`
  bigger | larger | smaller | tinier | huge | tiny | giant | enormous | big | small | large | little
  scaled (?:up|down) | enlarged | shrunk(?:en)? | reduced | more prominent | less prominent
`;

/** "on the left", "in the top right corner", "in the foreground", "centred"; not "in front of the car". */
const POSITION = alt`
  (?:(?:on|to|at|in|towards?|into|over|along) (?:the )?(?:far |very )?)?(?<pos>(?:top|upper|bottom|lower)[\s-]?(?:left|right)|left|right|cent(?:er|re)|middle|foreground|front|background|back|top|bottom|distance)(?: (?:hand )?(?:side|corner|part|half|edge|third|area))?(?: of (?:the )?(?:scene|image|picture|photo|frame|it|composition))?(?! of\b)
  (?<pos2>centered|centred|centrally|far away|far off|up top|in front)(?! of\b)
`;
/** "bigger", "much smaller", "twice as big", "2x bigger", "50% smaller", "half the size", "tiny". */
const SIZE = alt`
  (?<sx>${NUM})\s*(?:x|×|times) (?:bigger|larger|as big|as large|the size)
  (?<twice>twice|double)(?: as (?:big|large)| the size| the scale| size)?
  (?<half>half)(?: the)? (?:size|scale) | half as (?:big|large)
  (?<sp>\d+)\s*(?:%|percent) (?<spd>bigger|larger|smaller)
  (?:(?<mod>${MOD}) )?(?<cmp>${SIZE_WORD})
  (?<same>(?:the )?same size)
`;
/** Prepositions that relate a placed subject to something in the scene ("on the boat"). */
const REL_WORDS = alt`
  on top of | in front of | next to | beside | alongside | behind | underneath | under | beneath | below | above
  over | onto | on | upon | inside | into | in | at | near | by | against | among | between | across | along
  through | within
`;
/** Words that end the name of a thing in the scene ("the boat from image 1" → "the boat"). */
const STOP_WORDS = new Set(
  `on top of in front next to beside alongside behind underneath under beneath below above over onto upon inside
   into at near by against among between across along through within from of with and while who which that is
   are was were`.split(/\s+/),
);

// Patterns are made once, here: one made inside a function is compiled again after garbage collections
// (see matchesOf in pattern.ts).
const POSITION_RE = new RegExp(`(?<![\\p{L}])(?:${POSITION})(?![\\p{L}])`, 'iu');
const SIZE_RE = new RegExp(`(?<![\\p{L}])(?:${SIZE})(?![\\p{L}])`, 'iu');
const EVERY_POSITION = new RegExp(POSITION_RE.source, 'giu');
const EVERY_SIZE = new RegExp(SIZE_RE.source, 'giu');
/** A text that is only a reference ("image 1"), not a thing in the scene. */
const JUST_A_REF = new RegExp(`^(?:${IMAGE_REF})$`, 'iu');
/** Where the subject of a placement or description ends: "A beautiful girl | is sitting on the boat". */
const SUBJECT_END = new RegExp(
  `\\s+(?=(?:${REL_WORDS}|${alt`
    from | of | out of | with | wearing | who | which | that | is | are | was | were | sits | sit | stands | stand
    lies | lie | looks | holds | while
  `}|${SIZE})(?![\\p{L}]))|\\s*,`,
  'iu',
);
/** "image 3 on the left", "the subject of image 1 …": the placed thing is a reference itself. */
const LEADING_REFS = new RegExp(
  f`^(?:the (?:subject|person|object|main subject) (?:of|from|in) )?(${IMAGE_REFS})(?![\p{L}])`,
  'iu',
);
/** "the cat | from image 2": where the subject comes from. */
const SOURCE_REFS = new RegExp(f`^\s*(?:from|of|in|out of) (?:the )?(${IMAGE_REFS})(?![\p{L}])`, 'iu');
/** Any reference later on: "into image 1", "on the boat from image 1" — the scene. */
const ANY_REFS = new RegExp(
  f`(?<![\p{L}])(?:(?<prep>into|onto|in|on|to|inside|within|from|of|at|with) )?(?:the )?(?<refs>${IMAGE_REFS})(?![\p{L}])`,
  'giu',
);
/** "on the boat", "next to the man": a relation and the thing it relates to. */
const REL_RE = new RegExp(
  f`(?<![\p{L}])(?<rel>${REL_WORDS}) (?<obj>(?:the|a|an|her|his|their|its|this|that|some|my|your) [\p{L}'’-]+(?: [\p{L}'’-]+){0,3})`,
  'giu',
);
/** Words for "the thing in the reference" that name nothing in particular. */
const PRONOUN = new RegExp(
  `^${alt`
    it | her | him | them | this | that | she | he | they | these | those | everything | everyone | one
    the subject | the main subject | the person | the object | the people | the subjects
  `}$`,
  'iu',
);
/** "these photos", "both images", "all of them": the references themselves, not a subject in them. */
const IMAGES_THEMSELVES =
  /^(?:together|both|all|them(?: all)?|all of them|(?:(?:all )?(?:of )?(?:the|these|those|both|my|all)\s+)?(?:(?:two|three|four|five|six|seven|eight|nine|ten|\d+)\s+)?(?:images|photos|pictures|pics|references|shots|inputs))(?:\s+together)?$/iu;
const DESCRIPTION_LEAD = /^(?:(?:a|an|the) )?(?:photo(?:graph)?|picture|image|shot|scene|portrait) of /iu;

const RELATIONS: [RegExp, Anchor['relation']][] = [
  [/^(?:on top of|on|onto|upon)$/i, 'on'],
  [/^(?:in front of)$/i, 'in_front_of'],
  [/^(?:next to|beside|alongside|near|by|against|among|between)$/i, 'beside'],
  [/^behind$/i, 'behind'],
  [/^(?:under|underneath|beneath|below)$/i, 'under'],
  [/^(?:above|over)$/i, 'above'],
  [/^(?:in|inside|into|within|at|across|along|through)$/i, 'in'],
];

export function positionOf(text: string): Position | undefined {
  const m = POSITION_RE.exec(text);
  if (!m?.groups) return undefined;
  const p = (m.groups.pos ?? m.groups.pos2 ?? '').toLowerCase().replace(/[\s-]+/g, ' ');
  const corner = /^(top|upper|bottom|lower) ?(left|right)$/.exec(p);
  if (corner) return `${/top|upper/.test(corner[1]!) ? 'top' : 'bottom'}-${corner[2]}` as Position;
  if (p === 'left' || p === 'right' || p === 'top' || p === 'bottom') return p;
  if (/cent|middle/.test(p)) return 'center';
  if (/front|foreground/.test(p)) return 'front';
  if (/back|distance|far/.test(p)) return 'background';
  if (/up top/.test(p)) return 'top';
  return undefined;
}

export function sizeOf(text: string): number | undefined {
  const m = SIZE_RE.exec(text);
  if (!m?.groups) return undefined;
  const g = m.groups;
  if (g.sx) return round(parseNumber(g.sx) ?? 1);
  if (g.twice) return 2;
  if (g.half || /^half as/i.test(m[0])) return 0.5;
  if (g.sp) {
    const p = Number(g.sp) / 100;
    return round(/smaller/i.test(g.spd ?? '') ? Math.max(0.1, 1 - p) : 1 + p);
  }
  if (g.same) return 1;
  const cmp = (g.cmp ?? '').toLowerCase();
  const base =
    /huge|giant|enormous/.test(cmp) ? 2
    : /tiny|tinier/.test(cmp) ? 0.5
    : /small|little|down|shrunk|reduced|less/.test(cmp) ? 1 / 1.5
    : 1.5;
  return round(Math.pow(base, modifierFactor(g.mod)));
}

/** "make the girl", "move image 2": what a size or position change applies to. */
const PLACEMENT_OBJECT = new RegExp(
  `^\\s*(?:make|move|put|place|scale|resize|shift|set|have)\\s+(?:${IMAGE_REF}|(?:the|her|his|its|their|this|that)\\s+[\\p{L}'’-]+(?:\\s+(?:from|in|of)\\s+(?:${IMAGE_REF}))?|it|her|him|them)(?![\\p{L}])`,
  'iu',
);

/** True when the text only says where or how big ("bigger", "on the left", "a bit smaller, in the centre"). */
export function isPlacementModifier(text: string): boolean {
  if (positionOf(text) === undefined && sizeOf(text) === undefined) return false;
  const rest = text
    .replace(PLACEMENT_OBJECT, ' ')
    .replace(EVERY_POSITION, ' ')
    .replace(EVERY_SIZE, ' ');
  return words(rest).every((w) => FILLER.has(w) || PRONOUN.test(w) || w === 'make' || w === 'move' || w === 'place' || w === 'put');
}

/** A placement's where and how big, from any text. */
export function placementOf(text: string): Pick<PlaceDraft, 'position' | 'size'> {
  const out: Pick<PlaceDraft, 'position' | 'size'> = { size: sizeOf(text) ?? 1 };
  const position = positionOf(text);
  if (position) out.position = position;
  return out;
}

function anchorOf(tail: string, skip: Span[]): Anchor | undefined {
  for (const m of matchesOf(REL_RE, tail)) {
    const objectWords: string[] = [];
    for (const w of m.groups!.obj!.split(/\s+/)) {
      if (objectWords.length > 0 && STOP_WORDS.has(w.toLowerCase())) break;
      objectWords.push(w);
    }
    const object = objectWords.join(' ');
    const end = m.index + m[0].indexOf(m.groups!.obj!) + object.length;
    if (skip.some(([s, e]) => m.index < e && s < end)) continue;
    if (JUST_A_REF.test(object) || positionOf(object)) continue;
    const relation = RELATIONS.find(([re]) => re.test(m.groups!.rel!.replace(/\s+/g, ' ')))?.[1];
    if (relation) return { relation, object };
  }
  return undefined;
}

/** Drops a trailing "-ing" verb from a described subject ("a girl sitting" → "a girl"). */
function trimSubject(subject: string): string {
  const list = subject.trim().split(/\s+/);
  const content = list.filter((w) => !/^(?:a|an|the)$/i.test(w));
  if (content.length >= 2 && /ing$/i.test(list[list.length - 1]!)) list.pop();
  return list.join(' ').replace(/[,.;:]+$/, '');
}

/**
 * Reads one placement instruction or scene description. `mode`: 'place' (after a verb such as "put"),
 * 'combine' ("merge image 1 and image 2"), 'describe' (a sentence without a verb of ours).
 */
export function parseFusion(text: string, imageCount: number, mode: 'place' | 'combine' | 'describe'): PlaceDraft[] {
  let body = text.trim();
  if (mode !== 'describe') {
    body = body.replace(LEAD, '').replace(/^[\p{L}-]+\s*/u, '');
    if (mode === 'combine') body = body.replace(/^together\s*/i, '');
  }
  body = body.replace(DESCRIPTION_LEAD, '');

  let subjects: string[] = [];
  let sources: Ref[] = [];
  let tail: string;
  const leading = LEADING_REFS.exec(body);
  if (leading) {
    sources = parseImageRefs(leading[1]!, imageCount);
    tail = body.slice(leading[0].length);
  } else {
    const end = SUBJECT_END.exec(body);
    const subjectText = end ? body.slice(0, end.index) : body;
    tail = end ? body.slice(end.index) : '';
    subjects = subjectText
      .split(/\s*(?:,|\band\b|&)\s*/iu)
      .map(trimSubject)
      .filter((s) => s !== '' && !IMAGES_THEMSELVES.test(s));
    const from = SOURCE_REFS.exec(tail);
    if (from) {
      sources = parseImageRefs(from[1]!, imageCount);
      tail = tail.slice(from[0].length);
    }
  }

  const skip: Span[] = [];
  let target: Ref | undefined;
  for (const m of matchesOf(ANY_REFS, tail)) {
    skip.push([m.index, m.index + m[0].length]);
    const refs = parseImageRefs(m.groups!.refs!, imageCount);
    if (mode === 'combine' && !/^(?:into|onto|in|to)$/i.test(m.groups!.prep ?? '')) sources.push(...refs);
    else if (target === undefined && refs[0] !== undefined) target = refs[0];
  }
  const position = positionOf(tail);
  const positionMatch = POSITION_RE.exec(tail);
  if (positionMatch) skip.push([positionMatch.index, positionMatch.index + positionMatch[0].length]);
  const common: Omit<PlaceDraft, 'source'> = { size: sizeOf(tail) ?? 1 };
  if (position) common.position = position;
  // "combine them into a collage": a layout word, not a thing in the scene.
  const anchor = mode === 'combine' ? undefined : anchorOf(tail, skip);
  if (anchor) common.anchor = anchor;
  if (target !== undefined) common.target = target;
  if (mode === 'combine') common.combine = true;

  const namedSubjects = subjects.filter((s) => !PRONOUN.test(s) && !/^(?:image|images|photos?|pictures?)$/i.test(s));
  if (sources.length > 0) {
    const subject = namedSubjects.join(' and ');
    return sources.map((source) => (subject ? { ...common, source, subject } : { ...common, source }));
  }
  if (namedSubjects.length > 0) {
    return namedSubjects.map((subject) => ({ ...common, source: 'next', subject }));
  }
  return [{ ...common, source: mode === 'place' ? 'next' : 'others' }];
}

/** A read instruction with the part of the prompt it came from. */
export interface Entry {
  draft: Draft;
  span: Span;
}

/**
 * Settles the scene and every reference: validates indices, resolves "the other image", "next" and
 * "others", and places each reference the prompt did not use, by default.
 */
export function resolveReferences(
  entries: Entry[],
  imageCount: number,
  prompt: string,
  /** References named by instructions that could not be used: never placed by default. */
  named: Iterable<number> = [],
): { edits: Edit[]; scene: number; unused: Unused[]; rolesOpen: boolean } {
  const unused: Unused[] = [];
  const reject = (entry: Entry, reason: Unused['reason'], detail?: string) => {
    const u: Unused = { span: entry.span, text: prompt.slice(...entry.span), reason };
    if (detail !== undefined) u.detail = detail;
    unused.push(u);
  };
  const exists = (ref: number) => ref >= 0 && ref < imageCount;
  const missing = (ref: number) => `there is no image ${ref + 1} (${imageCount === 1 ? 'one image was' : `${imageCount} images were`} given)`;

  // The scene: the first reference the prompt makes the scene, else the first image.
  let scene = 0;
  let chosen = false;
  const keep = new Set<Entry>(entries);
  for (const entry of entries) {
    const d = entry.draft;
    const ref = d.kind === 'scene' ? d.params.image : d.kind === 'place' ? d.params.target : undefined;
    if (typeof ref !== 'number') continue;
    if (!exists(ref)) {
      reject(entry, 'unknown_image', missing(ref));
      keep.delete(entry);
    } else if (!chosen) {
      scene = ref;
      chosen = true;
    } else if (ref !== scene) {
      reject(entry, 'conflict', `image ${scene + 1} is already the scene`);
      keep.delete(entry);
    }
  }
  // "replace the background with image 1" or "put the subject of image 1 on the left" while image 1
  // would be the scene by default: the scene is the first image the prompt does not use otherwise.
  if (!chosen) {
    const used = new Set(
      entries.flatMap((e) => {
        const d = e.draft;
        const ref = d.kind === 'replace_background' ? d.params.source.image : d.kind === 'place' && !d.params.combine ? d.params.source : undefined;
        return typeof ref === 'number' ? [ref] : [];
      }),
    );
    if (used.has(scene)) {
      const free = [...Array(imageCount).keys()].find((i) => !used.has(i));
      if (free !== undefined) scene = free;
    }
  }
  // Roles are open when no instruction ties a reference to a role by its number.
  const namesAnImage = entries.some((e) => {
    const d = e.draft;
    return d.kind === 'scene' || d.kind === 'replace_background' || (d.kind === 'place' && (typeof d.params.source === 'number' || d.params.source === 'other' || d.params.target !== undefined));
  });
  const rolesOpen = imageCount > 1 && !chosen && !namesAnImage && [...named].length === 0;
  const other = (): number | undefined => [...Array(imageCount).keys()].find((i) => i !== scene);
  const resolve = (ref: Ref): number | undefined => (ref === 'other' ? other() : ref);

  const consumed = new Set<number>([scene, ...named]);
  for (const entry of entries) {
    if (!keep.has(entry)) continue;
    const d = entry.draft;
    const ref =
      d.kind === 'replace_background' ? d.params.source.image
      : d.kind === 'place' && d.params.source !== 'next' && d.params.source !== 'others' ? d.params.source
      : undefined;
    if (ref === undefined) continue;
    const index = resolve(ref);
    if (index !== undefined && exists(index)) consumed.add(index);
  }
  const nextFree = (): number | undefined => {
    const i = [...Array(imageCount).keys()].find((k) => !consumed.has(k));
    if (i !== undefined) consumed.add(i);
    return i;
  };

  const edits: Edit[] = [];
  const emit = (entry: Entry, edit: Edit) => {
    edit.span = entry.span;
    edit.text = prompt.slice(...entry.span);
    edits.push(edit);
  };
  for (const entry of entries) {
    if (!keep.has(entry)) continue;
    const d = entry.draft;
    if (d.kind === 'scene') {
      emit(entry, { kind: 'scene', params: { image: scene } });
    } else if (d.kind === 'replace_background') {
      const index = resolve(d.params.source.image);
      if (index === undefined || !exists(index)) reject(entry, 'unknown_image', index === undefined ? 'there is no other image' : missing(index));
      else if (index === scene) reject(entry, 'conflict', `image ${index + 1} is the scene itself`);
      else emit(entry, { kind: 'replace_background', params: { source: { image: index } } });
    } else if (d.kind === 'place') {
      const { source, target: _target, combine, ...rest } = d.params;
      let indices: number[];
      if (source === 'next') {
        const i = nextFree();
        if (i === undefined) {
          reject(entry, 'generative', imageCount > 1 ? 'every reference image is already used' : undefined);
          continue;
        }
        indices = [i];
      } else if (source === 'others') {
        indices = [];
        for (let i = nextFree(); i !== undefined; i = nextFree()) indices.push(i);
        if (indices.length === 0 && imageCount < 2) reject(entry, 'unknown_image', 'only one image was given');
      } else {
        const i = resolve(source);
        if (i === undefined || !exists(i)) {
          reject(entry, 'unknown_image', i === undefined ? 'there is no other image' : missing(i));
          continue;
        }
        if (i === scene) {
          if (!combine) reject(entry, 'conflict', `image ${i + 1} is the scene itself`);
          continue;
        }
        indices = [i];
      }
      for (const i of indices) emit(entry, { kind: 'place', params: { source: i, into: scene, ...rest } });
    } else {
      emit(entry, { ...d } as Edit);
    }
  }
  // Every reference nobody used goes into the scene, side by side (the engine's default layout).
  if (imageCount > 1) {
    for (let i = nextFree(); i !== undefined; i = nextFree()) {
      edits.push({ kind: 'place', params: { source: i, into: scene, size: 1 } });
    }
  }
  return { edits, scene, unused, rolesOpen: rolesOpen && edits.some((e) => e.kind === 'place') };
}
