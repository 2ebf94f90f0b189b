import type { Raster } from '../raster.js';
import { boxAround, corners, frameOf, fromFrame, inflate, overlaps, type OrientedBox } from './geometry.js';
import { findPhrase, type PhraseMatch } from './match.js';
import { TextReader, type OcrLine, type OcrWord } from './ocr.js';

/**
 * Finding phrases on the image: one reading of every line (PP-OCR's detector finds text at any angle
 * up to ±45°, so no turned or re-toned readings are needed), then every occurrence of each phrase among
 * the lines read, the closest reading first, no word claimed twice.
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
  /** Every word read, for keeping other text out of backgrounds and texture sources. */
  words: OcrWord[];
  /** Milliseconds: the detector, then the recogniser over every line. */
  timings: { prepare: number; read: number[] };
  passes: number;
}

/** `null` asks for all the text: every confidently read run of words. */
export type Phrase = string | null;

/** A reading of all text is only trusted for words read with this confidence and two letters or digits. */
const ALL_TEXT_CONFIDENCE = 80;

export async function findPhrases(image: Raster, phrases: readonly Phrase[], signal?: AbortSignal): Promise<Search> {
  const reader = await TextReader.shared();
  signal?.throwIfAborted();
  const { lines, timings } = await reader.read(image, signal);
  const words = lines.flatMap((l) => l.words);
  const found: Found[][] = phrases.map(() => []);
  phrases.forEach((phrase, k) => {
    const taken = new Set<OcrWord>();
    let matches = phrase === null ? allText(lines, taken) : findPhrase(lines, phrase, taken);
    // Not found as whole words: perhaps run together with its neighbours ("FRESHCOFFEE").
    if (phrase !== null && matches.length === 0) matches = findPhrase(cutAround(lines, phrase), phrase, taken);
    for (const match of matches) {
      const box = boxAround(match.words.flatMap((w) => corners(w.box)), match.line.angle);
      // Two phrases never claim the same ink: the earlier edit keeps it.
      const core = inflate(box, -0.1 * box.height);
      if (found.some((list) => list.some((f) => overlaps(f.box, core)))) continue;
      found[k]!.push({ match, box, lines });
    }
  });
  return { found, words, timings: { prepare: timings.detect, read: [timings.recognise] }, passes: 1 };
}

/**
 * The lines with every word that holds the phrase inside it (its letters run together with a
 * neighbour's) cut in up to three: before, the phrase, after. The cuts fall halfway between the
 * characters, from the recogniser's positions.
 */
function cutAround(lines: readonly OcrLine[], phrase: string): OcrLine[] {
  const target = phrase.replace(/\s+/gu, '').toLowerCase();
  if (target.length < 2) return [...lines];
  return lines.map((line) => ({
    ...line,
    words: line.words.flatMap((w) => {
      const at = w.text.toLowerCase().indexOf(target);
      if (at < 0 || !w.chars || w.chars.length !== w.text.length || w.text.length === target.length) return [w];
      const cuts = [at, at + target.length].filter((i) => i > 0 && i < w.text.length);
      const edges = [-w.box.width / 2, ...cuts.map((i) => (w.chars![i - 1]!.u1 + w.chars![i]!.u0) / 2), w.box.width / 2];
      const starts = [0, ...cuts, w.text.length];
      return edges.slice(1).map((end, k) => {
        const begin = edges[k]!;
        const mid = fromFrame(frameOf(w.box), (begin + end) / 2, 0);
        const piece = w.chars!.slice(starts[k], starts[k + 1]).map((c) => ({ u0: c.u0 - (begin + end) / 2, u1: c.u1 - (begin + end) / 2 }));
        return {
          text: w.text.slice(starts[k], starts[k + 1]),
          confidence: w.confidence,
          box: { ...w.box, cx: mid.x, cy: mid.y, width: Math.max(1, end - begin) },
          chars: piece,
        };
      });
    }),
  }));
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
