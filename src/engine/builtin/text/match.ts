import type { OcrLine, OcrWord } from './ocr.js';

/**
 * Finding the prompt's phrase among the words OCR read: case-insensitive, across word boundaries (a run
 * of consecutive words of one line, compared without spaces, so "BIGSALE" or "SA LE" still match
 * "BIG SALE"), and tolerant of OCR's typical mistakes through an edit distance in which look-alike
 * characters (0/O, 1/l/I, 5/S, 8/B…) cost less than other substitutions.
 */

export interface PhraseMatch {
  line: OcrLine;
  /** Words [start, end) of the line. */
  start: number;
  end: number;
  words: OcrWord[];
  /** What OCR read, words joined by single spaces. */
  read: string;
  distance: number;
  /** Punctuation around the read words that the phrase did not include ("SALE!" for "SALE"): kept. */
  lead: string;
  trail: string;
}

const EDGE_PUNCTUATION = /^["'“”‘’«»()[\]{}.,;:!?…*]+|["'“”‘’«»()[\]{}.,;:!?…*]+$/gu;
const LEAD = /^["'“”‘’«»()[\]{}.,;:!?…*]+/u;
const TRAIL = /["'“”‘’«»()[\]{}.,;:!?…*]+$/u;

function fold(s: string): string {
  return s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[‐‑‒–—]/gu, '-')
    .replace(/\s+/gu, '');
}

/** Look-alikes in OCR output, as unordered pairs of folded characters. */
const CONFUSABLE = new Set(
  ['o0', 'l1', 'i1', 'il', 's5', 'b8', 'z2', 'g9', 'q9', 'ce', 'uv', 'ft', 'a4', 'g6', 'b6', 'd0', 'q0', 'jl', 'ij', 'l|', 'i|', '1|'].flatMap(
    (p) => [p, p[1]! + p[0]!],
  ),
);
const CONFUSION_COST = 0.4;

/** Weighted Levenshtein distance: look-alike substitutions cost 0.4, everything else 1. */
export function ocrDistance(a: string, b: string): number {
  let prev = new Float64Array(b.length + 1);
  let cur = new Float64Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    const ca = a[i - 1]!;
    for (let j = 1; j <= b.length; j++) {
      const cb = b[j - 1]!;
      const sub = ca === cb ? 0 : CONFUSABLE.has(ca + cb) ? CONFUSION_COST : 1;
      cur[j] = Math.min(prev[j - 1]! + sub, prev[j]! + 1, cur[j - 1]! + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/**
 * How far a reading may be from the phrase: nothing but look-alikes for 1–3 characters (a short word
 * with one real error is too often another word), one error up to 5, a fifth of the length beyond.
 */
export function tolerance(length: number): number {
  if (length <= 3) return CONFUSION_COST;
  if (length <= 5) return 1;
  return 0.2 * length;
}

/** Fuzzy readings of low confidence are usually texture that OCR took for letters. */
const MIN_CONFIDENCE_FUZZY = 50;
const MIN_CONFIDENCE_EXACT = 15;

/**
 * Every occurrence of the phrase, best first, none sharing a word with another or with `taken`
 * (words already claimed by an earlier edit).
 */
export function findPhrase(lines: readonly OcrLine[], phrase: string, taken: ReadonlySet<OcrWord> = new Set()): PhraseMatch[] {
  const tokens = phrase.trim().split(/\s+/u).filter(Boolean);
  const target = fold(phrase.replace(EDGE_PUNCTUATION, ''));
  if (!target) return [];
  const tol = tolerance(target.length);
  const candidates: PhraseMatch[] = [];
  for (const line of lines) {
    const n = line.words.length;
    for (let start = 0; start < n; start++) {
      for (let k = Math.max(1, tokens.length - 1); k <= tokens.length + 1 && start + k <= n; k++) {
        const words = line.words.slice(start, start + k);
        if (words.some((w) => taken.has(w))) continue;
        const read = words.map((w) => w.text).join(' ');
        const distance = ocrDistance(fold(read.replace(EDGE_PUNCTUATION, '')), target);
        if (distance > tol) continue;
        const confidence = Math.min(...words.map((w) => w.confidence));
        if (confidence < (distance > 0 ? MIN_CONFIDENCE_FUZZY : MIN_CONFIDENCE_EXACT)) continue;
        candidates.push({
          line,
          start,
          end: start + k,
          words,
          read,
          distance,
          lead: LEAD.test(phrase.trim()) ? '' : (read.match(LEAD)?.[0] ?? ''),
          trail: TRAIL.test(phrase.trim()) ? '' : (read.match(TRAIL)?.[0] ?? ''),
        });
      }
    }
  }
  // Best first: closest reading, then the most confident; ties in reading order keep it deterministic.
  candidates.sort(
    (a, b) =>
      a.distance - b.distance ||
      Math.min(...b.words.map((w) => w.confidence)) - Math.min(...a.words.map((w) => w.confidence)) ||
      lines.indexOf(a.line) - lines.indexOf(b.line) ||
      a.start - b.start,
  );
  const used = new Set<OcrWord>();
  const chosen: PhraseMatch[] = [];
  for (const c of candidates) {
    if (c.words.some((w) => used.has(w))) continue;
    for (const w of c.words) used.add(w);
    chosen.push(c);
  }
  return chosen;
}

/**
 * The replacement in the original's case pattern: SALE → DEAL, Sale → Deal, sale → deal, Big Sale →
 * Great Deal. A mixed pattern (eBay, McDONALD) has no rule to carry over: the text stays as written.
 */
export function caseLike(to: string, original: string): string {
  const letters = [...original].filter((ch) => ch.toLowerCase() !== ch.toUpperCase());
  if (letters.length === 0) return to;
  const isUpper = (ch: string) => ch === ch.toUpperCase() && ch !== ch.toLowerCase();
  const uppers = letters.filter(isUpper).length;
  if (uppers === 0) return to.toLowerCase();
  if (uppers === letters.length && letters.length > 1) return to.toUpperCase();
  const words = original.split(/\s+/u).filter((w) => /\p{L}/u.test(w));
  const capitalised = (w: string) => {
    const ls = [...w].filter((ch) => ch.toLowerCase() !== ch.toUpperCase());
    return ls.length > 0 && isUpper(ls[0]!) && ls.slice(1).every((ch) => !isUpper(ch));
  };
  const capitalise = (w: string) => {
    const chars = [...w.toLowerCase()];
    const i = chars.findIndex((ch) => ch.toLowerCase() !== ch.toUpperCase());
    if (i >= 0) chars[i] = chars[i]!.toUpperCase();
    return chars.join('');
  };
  if (words.every(capitalised)) return to.split(/(\s+)/u).map(capitalise).join('');
  if (capitalised(words[0] ?? '') && words.slice(1).every((w) => w === w.toLowerCase())) return capitalise(to);
  return to;
}
