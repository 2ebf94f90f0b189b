/**
 * Reading one clause: run the rules, apply a negation, tell a placement ("put the cat from image 2 on the
 * left") from an edit, and classify every stretch no rule used.
 */
import type { Span, ToneKind, Unused } from './types.js';
import type { Clause } from './clauses.js';
import { matchClause, type Outcome, type Rule, type Selected } from './rules.js';
import { textRules } from './text.js';
import { unsupportedRules } from './unsupported.js';
import { backgroundRules } from './background.js';
import { geometryRules } from './geometry.js';
import { toneRules } from './tone.js';
import { countRules } from './count.js';
import { isPlacementModifier, parseFusion, placementOf, type Entry } from './fusion.js';
import { IMAGE_REFS, parseImageRefs } from './images.js';
import { matchesOf } from './pattern.js';
import {
  COMBINE_VERBS, FILLER, GENERATIVE_HINT, GENERATIVE_VERBS, KEEP_VERBS, LEAD, PART_NOUNS, PLACE_VERBS, WHOLE_IMAGE,
  headVerb, isFiller, words,
} from './lexicon.js';

/** Every rule; on a tie (same start, same length) the earlier family wins. */
const RULES: Rule[] = [
  ...textRules, ...unsupportedRules, ...backgroundRules, ...geometryRules, ...toneRules, ...countRules,
];

/** Edits of the whole picture: aimed at one part of it ("brighten her face") they cannot be applied. */
export const WHOLE_IMAGE_KINDS = new Set<string>([
  'brightness', 'exposure', 'contrast', 'saturation', 'warmth', 'tint', 'grayscale', 'sepia', 'vintage', 'sharpen',
  'soften', 'denoise', 'vignette', 'rotate', 'flip', 'zoom',
] satisfies (ToneKind | 'rotate' | 'flip' | 'zoom')[]);

/** Edits that say what a clause with "put"/"add" is about ("put it on a white background"). */
const STRUCTURAL_KINDS = new Set<string>([
  'remove_background', 'replace_background', 'blur_background', 'scene', 'replace_text', 'remove_text', 'add_text',
]);

/** Negation words, on the reading text (lowercase Latin-1, see clauses.ts). "stop"/"avoid" only lead. */
const NEGATOR =
  /(?<![a-z\u00c0-\u00ff])(?:don'?t|do not|dont|never|not|no|without|except|apart from|other than|shouldn'?t|mustn'?t|nothing|neither|nor|(?<=^\s*(?:please\s+)?)(?:stop|avoid))(?![a-z\u00c0-\u00ff])/g;

const PREPOSITIONS = new Set(
  'for so because to in on at like as but while when if since until into onto from by with without of than and or'.split(
    ' ',
  ),
);
const DETERMINERS = '(?:the|her|his|its|their|this|that|these|those|my|your|our)';
/** "make the background", "her face", "in the sky": an object phrase next to an edit. */
const OBJECT_PHRASE = new RegExp(
  `^(?:(?:make|render|get|turn|keep|leave|have|set|let)\\s+)?(?:(?:in|on|of|for|to|at|around|across|under)\\s+(?=${DETERMINERS}\\s))?` +
    `((?<det>${DETERMINERS}\\s+)?[\\p{L}'’-]+(?:\\s+[\\p{L}'’-]+){0,2})(?:\\s+(?:look|looks|appear|seem|a bit|slightly|more|less))*$`,
  'iu',
);
const MENTIONED = new RegExp(`(?<![\\p{L}\\p{N}])(?:${IMAGE_REFS})(?![\\p{L}\\p{N}])`, 'giu');
/** Words that start a description: articles, numbers, "photo (of)". */
const DESCRIPTION_START = new Set('a an the one two three four five some many several photo picture image portrait'.split(' '));

/** A stretch of a clause, in clause offsets. */
interface Segment {
  start: number;
  end: number;
  text: string;
}

/** What the reader has gathered so far. */
export interface Reading {
  prompt: string;
  imageCount: number;
  entries: Entry[];
  unused: Unused[];
  counts: { count: number; span: Span; vague: boolean }[];
  /** Description stretches, merged when adjacent ("A girl" + "and a dog on the boat"). */
  descriptions: Span[];
  /** Whether the last thing read was a description (so the next one extends it). */
  afterDescription: boolean;
  /** What the previous clause was, for clauses that continue it without a verb. */
  lastClause: 'place' | 'generative' | 'other';
  lastPlace?: Entry;
  /** The kind of the last edit read (for `"A" with "B"` after a replacement). */
  previousKind?: string;
}

export function addUnused(r: Reading, span: Span, reason: Unused['reason'], detail?: string): void {
  const u: Unused = { span, text: r.prompt.slice(...span), reason };
  if (detail !== undefined) u.detail = detail;
  r.unused.push(u);
}

/** The images a text names explicitly ("image 2", "the second photo"), 0-based. */
export function mentionedImages(text: string, imageCount: number): number[] {
  return matchesOf(MENTIONED, text)
    .flatMap((m) => parseImageRefs(m[0], imageCount))
    .filter((ref): ref is number => typeof ref === 'number');
}

export function readClause(clause: Clause, r: Reading): void {
  let matches = matchClause(clause, RULES, { imageCount: r.imageCount, previousKind: r.previousKind });

  // A negation takes the rest of its clause ("don't make it darker", "… without changing the colours").
  const negation = negationStart(clause, matches);
  const limit = negation ?? clause.text.length;
  matches = matches.filter((m) => m.end <= limit);
  const body = clause.text.slice(0, limit);
  const head = headVerb(clause.text);
  const lastClause = r.lastClause;
  r.lastClause = 'other';

  // "put the cat from image 2 on the left" is a placement, even if a rule reads a word inside it ("darker
  // dog"); "put a white background", "add a soft glow", "put the text 'NEW' on top" are what their rules say.
  const placing =
    head !== undefined &&
    head.start < limit &&
    (PLACE_VERBS.has(head.verb) || COMBINE_VERBS.has(head.verb)) &&
    !matches.some((m) => m.start <= head.start || isStructural(m.outcome)) &&
    !leftovers(clause, matches, limit).every((s) => isFiller(s.text));

  if (placing) {
    readPlacement(clause, body, head.verb, r);
  } else if (r.imageCount > 1 && body.trim() !== '' && matches.every((m) => m.rule.id === 'size') && isPlacementModifier(body)) {
    modifyPlacement(clause, body, r);
  } else {
    matches = keepStandalone(clause, matches, limit);
    const rest = leftovers(clause, matches, limit).filter((s) => !isFiller(s.text) && !aimAtPart(clause, s, matches));
    const items = [
      ...matches.map((m) => ({ start: m.start, match: m })),
      ...rest.map((s) => ({ start: s.start, segment: s })),
    ].sort((a, b) => a.start - b.start);
    for (const item of items) {
      if ('match' in item) emit(r, item.match.outcome, [clause.start + item.match.start, clause.start + item.match.end]);
      else classify(clause, item.segment, matches.length > 0, head, lastClause, r);
    }
  }
  if (negation !== undefined) {
    r.afterDescription = false;
    addUnused(r, [clause.start + negation, clause.end], 'negation');
  }
}

/** Descriptions become placements when there are references to place, else they are reported. */
export function readDescriptions(r: Reading): void {
  for (const span of r.descriptions) {
    if (r.imageCount < 2) {
      addUnused(r, span, 'description');
      continue;
    }
    for (const params of parseFusion(r.prompt.slice(...span), r.imageCount, 'describe')) {
      r.entries.push({ draft: { kind: 'place', params }, span });
    }
  }
}

function isStructural(outcome: Outcome): boolean {
  return outcome.type === 'edits' && outcome.edits.some((e) => STRUCTURAL_KINDS.has(e.kind));
}

function emit(r: Reading, outcome: Outcome, span: Span): void {
  r.afterDescription = false;
  if (outcome.type === 'edits') {
    for (const draft of outcome.edits) {
      r.entries.push({ draft, span });
      r.previousKind = draft.kind;
    }
  } else if (outcome.type === 'count') {
    r.counts.push({ count: outcome.count, span, vague: outcome.vague === true });
  } else {
    addUnused(r, span, outcome.reason, outcome.detail);
  }
}

function addPlacement(r: Reading, entry: Entry): void {
  r.entries.push(entry);
  r.lastPlace = entry;
  r.lastClause = 'place';
}

/** "put the cat from image 2 into image 1", "merge the two images", "add a hat". */
function readPlacement(clause: Clause, body: string, verb: string, r: Reading): void {
  const span: Span = [clause.start, clause.start + body.trimEnd().length];
  r.afterDescription = false;
  const combine = COMBINE_VERBS.has(verb);
  if (r.imageCount < 2) {
    // With one image there is nothing to place: the thing must be generated.
    const missing = mentionedImages(body, r.imageCount).find((ref) => ref >= r.imageCount);
    if (missing !== undefined) addUnused(r, span, 'unknown_image', `there is no image ${missing + 1} (one image was given)`);
    else if (combine) addUnused(r, span, 'unknown_image', 'only one image was given');
    else addUnused(r, span, 'generative');
    r.lastClause = 'generative';
    return;
  }
  for (const params of parseFusion(body, r.imageCount, combine ? 'combine' : 'place')) {
    addPlacement(r, { draft: { kind: 'place', params }, span });
  }
}

/**
 * "bigger", "on the left", "make image 2 a bit smaller": changes the placement of the image it names,
 * else the last placement (whose span then reaches this far), else places the next reference.
 */
function modifyPlacement(clause: Clause, body: string, r: Reading): void {
  const change = placementOf(body);
  const end = clause.start + body.trimEnd().length;
  const [named] = mentionedImages(body, r.imageCount);
  // "image 2, tiny, in the centre": the description just before is still being read; it takes this too.
  const description = r.descriptions[r.descriptions.length - 1];
  if (r.afterDescription && description && named === undefined) {
    description[1] = end;
    return;
  }
  r.afterDescription = false;
  const target =
    named === undefined ? r.lastPlace : r.entries.find((e) => e.draft.kind === 'place' && e.draft.params.source === named);
  if (target?.draft.kind === 'place') {
    const params = { ...target.draft.params };
    if (/big|large|small|size|huge|tiny|twice|double|half|scale|giant|little|prominent/i.test(body)) params.size = change.size;
    if (change.position) params.position = change.position;
    target.draft = { kind: 'place', params };
    target.span = [target.span[0], end];
    r.lastClause = 'place';
  } else {
    addPlacement(r, { draft: { kind: 'place', params: { source: named ?? 'next', ...change } }, span: [clause.start, end] });
  }
}

/** A stretch of a clause no rule used and that is not filler: what is it? */
function classify(
  clause: Clause,
  segment: Segment,
  clauseHasEdits: boolean,
  head: ReturnType<typeof headVerb>,
  lastClause: Reading['lastClause'],
  r: Reading,
): void {
  const span: Span = [clause.start + segment.start, clause.start + segment.end];
  const continues = clause.joiner === 'and' || clause.joiner === 'comma';
  const report = (reason: Unused['reason']) => {
    r.afterDescription = false;
    addUnused(r, span, reason);
    if (reason === 'generative') r.lastClause = 'generative';
  };

  if (GENERATIVE_HINT.test(segment.text)) return report('generative');
  // The clause's own verb, with nothing of ours after it: "make her smile", "keep the colours", "fix it".
  if (head && segment.start <= head.start) {
    const object = segment.text.slice(head.start - segment.start + head.verb.length).trim();
    const aboutWholeImage = /^(?:it|this|the (?:image|photo|picture|whole thing))\b/i.test(object);
    if (KEEP_VERBS.has(head.verb)) return report('nothing_to_do');
    if (GENERATIVE_VERBS.has(head.verb) && !(head.verb === 'make' && aboutWholeImage)) return report('generative');
    return report('unrecognised');
  }
  if (head || (clauseHasEdits && !looksDescriptive(segment.text)) || (segment.start === 0 && unknownVerb(segment.text))) {
    return report('unrecognised');
  }
  // A clause without a verb continues the previous one: "add the cat from image 2 and the dog from image 3".
  if (!clauseHasEdits && continues && lastClause === 'place' && r.imageCount > 1) {
    r.afterDescription = false;
    for (const params of parseFusion(segment.text, r.imageCount, 'describe')) {
      const source = params.source === 'others' ? 'next' : params.source;
      addPlacement(r, { draft: { kind: 'place', params: { ...params, source } }, span });
    }
    return;
  }
  if (!clauseHasEdits && continues && lastClause === 'generative') return report('generative');

  // A description, merged with one just before it ("A girl" + "and a dog are sitting on the boat").
  const last = r.descriptions[r.descriptions.length - 1];
  if (r.afterDescription && last) last[1] = span[1];
  else r.descriptions.push(span);
  r.afterDescription = true;
}

/**
 * "Pixelate the license plate": an unknown first word followed by "the"/"it" reads as a verb and its
 * object, so the clause is an instruction we did not understand, not a description ("Girl on a boat").
 */
function unknownVerb(text: string): boolean {
  const [first, second] = words(text.replace(LEAD, ''));
  return (
    first !== undefined &&
    second !== undefined &&
    !DESCRIPTION_START.has(first) &&
    /^(?:the|it|them|her|him|his|their|its|this|that|these|those|everything|all|my|your|our)$/.test(second)
  );
}

/** A description has a noun phrase of some length; "for instagram" after an edit is just not understood. */
function looksDescriptive(text: string): boolean {
  const list = words(text);
  return list.filter((w) => !FILLER.has(w)).length >= 2 && !PREPOSITIONS.has(list[0] ?? '');
}

/** The first negation word no rule has used, as a clause offset. */
function negationStart(clause: Clause, matches: Selected[]): number | undefined {
  for (const m of matchesOf(NEGATOR, clause.masked)) {
    if (!matches.some((x) => m.index >= x.start && m.index < x.end)) return m.index;
  }
  return undefined;
}

/** The parts of a clause (up to `limit`) that no match covers, trimmed of spaces and punctuation. */
function leftovers(clause: Clause, matches: Selected[], limit: number): Segment[] {
  const out: Segment[] = [];
  let from = 0;
  const cut = (to: number) => {
    let s = from;
    let e = to;
    while (s < e && /[\s,.;:!?()\-–—]/.test(clause.text[s]!)) s++;
    while (e > s && /[\s,.;:!?()\-–—]/.test(clause.text[e - 1]!)) e--;
    if (e > s) out.push({ start: s, end: e, text: clause.text.slice(s, e) });
  };
  for (const m of [...matches].sort((a, b) => a.start - b.start)) {
    cut(m.start);
    from = Math.max(from, m.end);
  }
  cut(limit);
  return out;
}

/** The object phrase of a leftover ("make the background", "her face") when it names one part of the image. */
function partOfImage(text: string): string | undefined {
  const m = OBJECT_PHRASE.exec(text.trim());
  if (!m) return undefined;
  const list = words(m[1]!);
  if (list.some((w) => PREPOSITIONS.has(w))) return undefined;
  // Without "the"/"her"…, only a word for a part of a picture counts ("darker background", not "portraits").
  if (!m.groups?.det && !list.some((w) => PART_NOUNS.has(w))) return undefined;
  if (list.every((w) => FILLER.has(w) || WHOLE_IMAGE.has(w))) return undefined;
  return m[1]!;
}

/**
 * "make the background darker", "brighten her face": a whole-image edit next to an object phrase naming
 * one part of the image becomes unused (reason region) instead of being applied to everything.
 */
function aimAtPart(clause: Clause, segment: Segment, matches: Selected[]): boolean {
  const part = partOfImage(segment.text);
  if (!part) return false;
  const blank = (a: number, b: number) => a <= b && clause.text.slice(a, b).trim() === '';
  const target = matches.find(
    (m) =>
      m.outcome.type === 'edits' &&
      m.outcome.edits.every((e) => WHOLE_IMAGE_KINDS.has(e.kind)) &&
      (blank(segment.end, m.start) || blank(m.end, segment.start)),
  );
  if (!target) return false;
  target.outcome = { type: 'unused', reason: 'region', detail: part };
  target.start = Math.min(target.start, segment.start);
  target.end = Math.max(target.end, segment.end);
  return true;
}

/** A bare adjective ("warm", "vivid") is an instruction only when the rest of its clause is filler. */
function keepStandalone(clause: Clause, matches: Selected[], limit: number): Selected[] {
  if (!matches.some((m) => m.rule.standalone)) return matches;
  const others = matches.filter((m) => !m.rule.standalone);
  return matches.filter(
    (m) =>
      !m.rule.standalone ||
      leftovers(clause, [...others, m], limit).every((s) => isFiller(s.text) || partOfImage(s.text) !== undefined),
  );
}
