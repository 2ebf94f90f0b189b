import type { Raster } from '../raster.js';
import { findPhrases, isConfidentWord, type Found, type Phrase, type Search } from './find.js';
import { registerFonts } from './fonts.js';
import { fromFrame, inflate, overlaps, type OrientedBox } from './geometry.js';
import { eraseGlyphs } from './erase.js';
import { placeAddition } from './addition.js';
import { alignmentOf, fitReplacement } from './layout.js';
import { analyseGlyphs, type GlyphAnalysis } from './mask.js';
import { caseLike } from './match.js';
import type { OcrWord } from './ocr.js';
import { TextReader } from './ocr.js';
import { drawText, settingExtent, type Setting } from './render.js';
import { matchFaces } from './style.js';

/**
 * Text edits on a raster, without a generative model: read the words (OCR), erase the old ones (their
 * glyph mask, inpainted from the surroundings), and set the new ones in a matching face, size, colour,
 * baseline and angle. Phases run in order (read, measure, erase, write, add) with the signal checked
 * between them; the same input always gives the same bytes.
 */

export type TextEdit =
  | {
      kind: 'replace_text';
      from: string;
      to: string;
      /**
       * `match_original` gives the replacement the found text's case pattern (SALE → DEAL, Sale → Deal);
       * `as_written` keeps it as typed. Default: match the original when `to` has no capital letter.
       */
      case?: 'as_written' | 'match_original';
    }
  /** `text` null or empty removes every confidently read word. */
  | { kind: 'remove_text'; text: string | null }
  | { kind: 'add_text'; text: string; position: 'top' | 'bottom' | 'center' };

/**
 * A rectangle of `width` × `height` (width along the text) turned `angle` degrees clockwise about its
 * centre; (x, y) is its top-left corner before turning.
 */
export interface TextBox {
  x: number;
  y: number;
  width: number;
  height: number;
  angle: number;
}

export interface TextEditOutcome {
  edit: TextEdit;
  applied: boolean;
  warning?: string;
  /** Replace and remove: where the old ink was found. Add: where the new ink is. */
  boxes?: TextBox[];
  /** Replace and add: where new ink was set (its letters' extent, descenders included). */
  written?: TextBox[];
}

export interface TextEditResult {
  image: Raster;
  outcomes: TextEditOutcome[];
  /**
   * Milliseconds per phase, for logs and the bench: `prepare` finding the lines (the detector), `read`
   * reading them (the recogniser), then measuring, erasing and writing; `passes` is the number of
   * readings (one).
   */
  timings: { prepare: number; read: number; measure: number; erase: number; write: number; passes: number };
}

/** Loads the OCR networks and the fonts. Idempotent; edits call it themselves if needed. */
export async function warmUpText(): Promise<void> {
  registerFonts();
  await TextReader.shared();
}

/**
 * Nothing to stop any more: the OCR networks live in the shared model thread, which never holds the
 * process open. Kept so that callers that stop the text machinery at shutdown need not change.
 */
export async function stopText(): Promise<void> {}

interface Job {
  edit: number;
  found: Found;
  glyphs: GlyphAnalysis;
  /** Every other word read: kept out of the background model, and in the way of longer text. */
  others: OrientedBox[];
}

export async function applyTextEdits(image: Raster, edits: readonly TextEdit[], opts: { signal?: AbortSignal } = {}): Promise<TextEditResult> {
  const { signal } = opts;
  signal?.throwIfAborted();
  registerFonts();
  const out: Raster = { ...image, data: Buffer.from(image.data) };
  const outcomes: TextEditOutcome[] = edits.map((edit) => ({ edit, applied: false }));
  const timings = { prepare: 0, read: 0, measure: 0, erase: 0, write: 0, passes: 0 };
  const lap = (phase: 'measure' | 'erase' | 'write', started: number) => {
    timings[phase] += performance.now() - started;
    signal?.throwIfAborted();
  };

  // Replace and remove: read, measure, erase, write.
  const searched = edits.flatMap((e, i) => (e.kind === 'add_text' ? [] : [i]));
  if (searched.length > 0) {
    const phrases: Phrase[] = searched.map((i) => {
      const e = edits[i]!;
      return e.kind === 'replace_text' ? e.from : e.kind === 'remove_text' && e.text?.trim() ? e.text : null;
    });
    const search = await findPhrases(image, phrases, signal);
    timings.prepare = search.timings.prepare;
    timings.read = search.timings.read.reduce((a, b) => a + b, 0);
    timings.passes = search.passes;
    signal?.throwIfAborted();

    let started = performance.now();
    const words = search.words.filter(isConfidentWord);
    const jobs = measure(image, search, words, searched, phrases, outcomes);
    lap('measure', started);

    started = performance.now();
    const claimed = search.found.flat().map((f) => inflate(f.box, -0.1 * f.box.height));
    const others = words.map((w) => w.box).filter((b) => !claimed.some((c) => overlaps(c, b)));
    eraseGlyphs(out, jobs.map((j) => j.glyphs), others);
    lap('erase', started);

    started = performance.now();
    for (const job of jobs) write(out, job, edits[job.edit]!, outcomes[job.edit]!);
    lap('write', started);
  }

  const started = performance.now();
  edits.forEach((edit, i) => {
    if (edit.kind === 'add_text') add(out, edit, outcomes[i]!);
  });
  lap('write', started);
  return { image: out, outcomes, timings };
}

/** Each occurrence found, measured (glyph mask, colour, angle, size); what fails becomes a warning. */
function measure(image: Raster, search: Search, words: OcrWord[], searched: number[], phrases: Phrase[], outcomes: TextEditOutcome[]): Job[] {
  const jobs: Job[] = [];
  search.found.forEach((founds, k) => {
    const edit = searched[k]!;
    const outcome = outcomes[edit]!;
    const label = phrases[k] === null ? 'any text' : `the text "${phrases[k]}"`;
    if (founds.length === 0) {
      outcome.warning = phrases[k] === null ? 'no text was found in the image' : `${label} was not found in the image`;
      return;
    }
    const reasons: string[] = [];
    for (const found of founds) {
      // Other text must stay out of the background model: every word read that is not this one.
      const mine = inflate(found.box, -0.1 * found.box.height);
      const others = words.map((w) => w.box).filter((b) => !overlaps(b, mine));
      const result = analyseGlyphs(image, found.box, others);
      if (result.ok) jobs.push({ edit, found, glyphs: result.glyphs, others });
      else reasons.push(result.reason);
    }
    if (reasons.length > 0) {
      const some = jobs.some((j) => j.edit === edit);
      outcome.warning = `${label} was found but could not be ${some ? 'edited everywhere' : 'edited'}: ${reasons[0]}`;
    }
  });
  return jobs;
}

/** The replacement for one erased occurrence, set like the original (remove_text stops at erasing). */
function write(out: Raster, job: Job, edit: TextEdit, outcome: TextEditOutcome): void {
  outcome.applied = true;
  (outcome.boxes ??= []).push(inkBox(job.glyphs));
  if (edit.kind !== 'replace_text') return;
  const { match } = job.found;
  const mode = edit.case ?? (/\p{Lu}/u.test(edit.to) ? 'as_written' : 'match_original');
  const text = match.lead + (mode === 'match_original' ? caseLike(edit.to, match.read) : edit.to) + match.trail;
  if (!text.trim()) return;
  const faces = matchFaces(job.glyphs.upright, job.glyphs.ink, match.read);
  const setting = fitReplacement(text, job.glyphs, faces, alignmentOf(match, job.found.lines), job.others, out);
  if (!setting) return;
  drawText(out, setting);
  (outcome.written ??= []).push(settingBox(setting));
}

function add(out: Raster, edit: Extract<TextEdit, { kind: 'add_text' }>, outcome: TextEditOutcome): void {
  const text = edit.text.trim();
  if (!text) {
    outcome.warning = 'there was no text to add';
    return;
  }
  const { setting, shadow, plate } = placeAddition(out, text, edit.position);
  drawText(out, setting, shadow, plate);
  outcome.applied = true;
  outcome.boxes = [settingBox(setting)];
  outcome.written = [settingBox(setting)];
}

function toTextBox(frameBox: { angle: number; ox: number; oy: number }, left: number, right: number, top: number, bottom: number): TextBox {
  const c = fromFrame(frameBox, (left + right) / 2, (top + bottom) / 2);
  const width = right - left;
  const height = bottom - top;
  return { x: c.x - width / 2, y: c.y - height / 2, width, height, angle: (frameBox.angle * 180) / Math.PI };
}

function inkBox(g: GlyphAnalysis): TextBox {
  return toTextBox(g.frame, g.ink.left, g.ink.right, g.ink.peak, g.ink.bottom);
}

function settingBox(s: Setting): TextBox {
  const e = settingExtent(s);
  return toTextBox(s.frame, e.left, e.right, e.top, e.bottom);
}
