import type { Raster } from '../raster.js';
import { boxAround, corners, DEG, inflate, overlaps, type OrientedBox } from './geometry.js';
import { findPhrase, type PhraseMatch } from './match.js';
import { ocrImage, readText, type OcrImage, type OcrLine, type OcrWord, type Tone } from './ocr.js';
import { ocrPool } from './ocr-pool.js';

/**
 * Finding phrases on the image, reading as little as possible: one level reading split across the
 * workers; then, only for phrases still missing (or found only with a real misreading, which may be a
 * partial word), a single-band reading if a line was too tall for the bands, the darkest and the
 * lightest tones alone (see `Tone`), then readings turned by ±8° and ±16° (tesseract reads within a few
 * degrees of level, so these cover text up to about ±20°), two at a time, stopping as soon as
 * everything is settled.
 */

export interface Found {
  match: PhraseMatch;
  /** The phrase's words together, along their line. */
  box: OrientedBox;
  /** The lines of the reading it was found in (for alignment with the neighbours). */
  lines: readonly OcrLine[];
}

export interface Search {
  /** Per phrase, in order: every occurrence found (none when missing). */
  found: Found[][];
  /** Every word of every reading, for keeping other text out of backgrounds and texture sources. */
  words: OcrWord[];
  /** Milliseconds: making the OCR copy, then each round of readings. */
  timings: { prepare: number; read: number[] };
  passes: number;
}

/** `null` asks for all the text: every confidently read run of words. */
export type Phrase = string | null;

/** The fallback rounds: each is read two at a time, on both workers. */
const ROUNDS: { angle: number; tone: Tone }[][] = [
  [
    { angle: 0, tone: 'dark' },
    { angle: 0, tone: 'light' },
  ],
  [
    { angle: 8 * DEG, tone: 'grey' },
    { angle: -8 * DEG, tone: 'grey' },
  ],
  [
    { angle: 16 * DEG, tone: 'grey' },
    { angle: -16 * DEG, tone: 'grey' },
  ],
];

const FALLBACK_PIXELS = 1024 * 1024;
const BUSY_WORDS = 150;

/** A reading of all text is only trusted for words read with this confidence and two letters or digits. */
const ALL_TEXT_CONFIDENCE = 80;

export async function findPhrases(image: Raster, phrases: readonly Phrase[], signal?: AbortSignal): Promise<Search> {
  let started = performance.now();
  const pool = await ocrPool();
  const copy = await ocrImage(image);
  const timings = { prepare: performance.now() - started, read: [] as number[] };
  signal?.throwIfAborted();

  const found: Found[][] = phrases.map(() => []);
  const words: OcrWord[] = [];
  let passes = 0;

  /**
   * Every reading of a round competes: the closest reading of a phrase wins, not the first reading's.
   * A closer reading of the same place replaces an earlier one of the same phrase ("Pen ing" for
   * "Opening" misses the O; a later "Opening" there takes over).
   */
  const search = (readings: readonly (readonly OcrLine[])[], level: boolean) => {
    for (const lines of readings) words.push(...lines.flatMap((l) => l.words));
    phrases.forEach((phrase, k) => {
      if (settled(k)) return;
      const candidates = readings.flatMap((lines) => {
        const taken = new Set<OcrWord>();
        return (phrase === null ? (level ? allText(lines, taken) : []) : findPhrase(lines, phrase, taken)).map((match) => ({ match, lines }));
      });
      candidates.sort((a, b) => a.match.distance - b.match.distance);
      for (const { match, lines } of candidates) {
        const box = boxAround(match.words.flatMap((w) => corners(w.box)), match.line.angle);
        // A turned reading sees the level text again, skewed: what is claimed stays claimed.
        const core = inflate(box, -0.1 * box.height);
        const clashes = found.flatMap((list, j) => list.filter((f) => overlaps(f.box, core)).map((f) => ({ f, j })));
        if (clashes.some(({ f, j }) => j !== k || f.match.distance <= match.distance)) continue;
        found[k] = found[k]!.filter((f) => !clashes.some((c) => c.f === f));
        found[k]!.push({ match, box, lines });
      }
    });
  };
  /** A phrase is settled once read with nothing worse than look-alike characters; null never searches on. */
  const settled = (k: number) => phrases[k] === null ? found[k]!.length > 0 : found[k]!.some((f) => f.match.distance < 1);
  const missing = () => phrases.some((p, k) => p !== null && !settled(k));

  started = performance.now();
  const level = await readText(copy, 0, pool.size);
  timings.read.push(performance.now() - started);
  passes++;
  search([level.lines], true);

  if (missing() && level.cut && pool.size > 1) {
    signal?.throwIfAborted();
    started = performance.now();
    const whole = await readText(copy, 0, 1);
    timings.read.push(performance.now() - started);
    passes++;
    search([whole.lines], true);
  }
  // The fallback rounds read a smaller copy: on a textured photo a reading costs seconds at full size,
  // and text that only these readings find (turned, or in a tone the grey page merged) is seldom small.
  let small: OcrImage | undefined;
  // A texture that tesseract reads as hundreds of junk words (grass, gravel) costs seconds per turned
  // reading and hides turned text anyway: there, the turned rounds are skipped.
  const junk = level.lines.flatMap((l) => l.words);
  const busy = junk.length > BUSY_WORDS && junk.filter((w) => w.confidence >= 60).length < 0.1 * junk.length;
  for (const round of ROUNDS) {
    if (!missing()) break;
    if (busy && round.some((r) => r.angle !== 0)) break;
    signal?.throwIfAborted();
    started = performance.now();
    small ??= await ocrImage(image, FALLBACK_PIXELS);
    const page = small;
    const readings = await Promise.all(round.map((r) => readText(page, r.angle, 1, r.tone)));
    timings.read.push(performance.now() - started);
    passes += round.length;
    search(
      readings.map((r) => r.lines),
      false,
    );
  }
  return { found, words, timings, passes };
}

/** Runs of confidently read words (two or more letters or digits each), one match per run. */
function allText(lines: readonly OcrLine[], taken: ReadonlySet<OcrWord>): PhraseMatch[] {
  const good = (w: OcrWord) => !taken.has(w) && w.confidence >= ALL_TEXT_CONFIDENCE && (w.text.match(/[\p{L}\p{N}]/gu)?.length ?? 0) >= 2;
  const matches: PhraseMatch[] = [];
  for (const line of lines) {
    let start = -1;
    for (let i = 0; i <= line.words.length; i++) {
      const ok = i < line.words.length && good(line.words[i]!);
      if (ok && start < 0) start = i;
      if (!ok && start >= 0) {
        const ws = line.words.slice(start, i);
        matches.push({ line, start, end: i, words: ws, read: ws.map((w) => w.text).join(' '), distance: 0, lead: '', trail: '' });
        start = -1;
      }
    }
  }
  return matches;
}

/**
 * Other text worth keeping out of backgrounds and texture sources: words read with some confidence, with
 * two letters or digits that are not all strokes. Texture that OCR tried to read (mortar lines as "Il",
 * grass as "ll") would otherwise fence off the very background the fill needs.
 */
export function isConfidentWord(w: OcrWord): boolean {
  const chars = w.text.match(/[\p{L}\p{N}]/gu) ?? [];
  return w.confidence >= OTHER_TEXT_CONFIDENCE && chars.length >= 2 && !chars.every((c) => /[Il1|i!jJ]/u.test(c));
}

const OTHER_TEXT_CONFIDENCE = 60;
