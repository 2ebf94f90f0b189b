/**
 * The prompt interpreter of the built-in engine: English prompt in, `Plan` out.
 *
 * 1. clauses.ts splits the prompt into clauses, with quoted text masked.
 * 2. reader.ts reads each clause with the rule tables, one file per family (tone, geometry, background,
 *    text, count, unsupported), reads placements and scene descriptions with fusion.ts, and classifies
 *    whatever is left (filler, one part of the image, a generative request, a negation, a description).
 * 3. Here: repeated looks are merged, fusion.ts settles the scene and every reference, and the image
 *    count is capped. Nothing the prompt says is dropped: what is not used is in `unused`, with a reason.
 *
 * Deterministic: no randomness, no locale, no clock. docs/prompts.md is the user-facing description.
 */
import type { InterpretOptions, Plan, Span } from './types.js';
import { splitClauses } from './clauses.js';
import { resolveReferences, type Entry } from './fusion.js';
import { isFiller } from './lexicon.js';
import { addUnused, mentionedImages, readClause, readDescriptions, WHOLE_IMAGE_KINDS, type Reading } from './reader.js';
import type { Draft } from './rules.js';

export type * from './types.js';
export { describeUnused } from './describe.js';

/*
 * Each request used to recompile the rule tables (about 90 ms): matchAll runs a clone of its pattern,
 * and clones take their code from V8's compilation cache, which garbage collections empty. The rules
 * now run their own pattern objects (`matchesOf` in pattern.ts), which keep their code: 4 prompts
 * take 3-7 ms after three forced GCs. No V8 flag: `--no-regexp-tier-up` halved the old cost, but with
 * it Node 20's V8 crashes the process now and then (SIGSEGV in NativeRegExpMacroAssembler::Execute,
 * jumping to a flushed expression), whether set at start or later: seen in `retouch worker`
 * processes on PostgreSQL.
 */

/** The upstream rule: inputs plus outputs at most 15. */
const MAX_IMAGES = 15;

export function interpretPrompt(prompt: string, opts: InterpretOptions): Plan {
  const imageCount = Math.max(1, Math.floor(opts.imageCount));
  const r: Reading = {
    prompt,
    imageCount,
    entries: [],
    unused: [],
    counts: [],
    descriptions: [],
    afterDescription: false,
    lastClause: 'other',
  };
  for (const clause of splitClauses(prompt)) readClause(clause, r);
  readDescriptions(r);

  r.entries.sort((a, b) => a.span[0] - b.span[0]);
  // A reference named by an instruction we could not use is not placed by default either.
  const named = r.unused.flatMap((u) => mentionedImages(u.text, imageCount));
  const resolved = resolveReferences(mergeRepeats(r.entries, prompt), imageCount, prompt, named);
  r.unused.push(...resolved.unused);

  const plan: Plan = { edits: resolved.edits, count: 1, scene: resolved.scene, unused: r.unused };
  if (resolved.rolesOpen) plan.rolesOpen = true;
  countImages(plan, r, opts);
  plan.unused.sort((a, b) => a.span[0] - b.span[0] || a.span[1] - b.span[1]);
  return plan;
}

/**
 * The number of images: what the prompt asked for, one with force_single, at most 15 − inputs. A number
 * beats a vague plural ("4 black and white variations"); two different numbers conflict.
 */
function countImages(plan: Plan, r: Reading, opts: InterpretOptions): void {
  const request = r.counts.find((c) => !c.vague) ?? r.counts[0];
  if (!request) return;
  plan.countRequest = { count: request.count, span: request.span, text: r.prompt.slice(...request.span) };
  const inputs = opts.inputCount ?? r.imageCount;
  const cap = Math.max(1, MAX_IMAGES - inputs);
  if (opts.forceSingle) {
    if (request.count > 1) addUnused(r, request.span, 'count_limited', 'force_single allows one image');
  } else {
    plan.count = Math.min(request.count, cap);
    if (request.count > cap) {
      addUnused(r, request.span, 'count_limited', `at most ${cap} images with ${inputs} input${inputs === 1 ? '' : 's'}`);
    }
  }
  for (const other of r.counts) {
    if (other !== request && !other.vague && other.count !== request.count) {
      addUnused(r, other.span, 'conflict', `the prompt already asked for ${request.count}`);
    }
  }
}

/**
 * A look said twice in a row is one edit ("sharper and more detailed", "soft focus, dreamy"): the stronger
 * amount, over both spans; opposite directions stay two edits. "remove the background and replace it with
 * white" is one background: the colour is what the removed background becomes.
 */
function mergeRepeats(entries: Entry[], prompt: string): Entry[] {
  const out: Entry[] = [];
  for (const entry of entries) {
    const prev = out[out.length - 1];
    const merged = prev && isFiller(prompt.slice(prev.span[1], entry.span[0])) ? merge(prev.draft, entry.draft) : undefined;
    if (prev && merged) out[out.length - 1] = { draft: merged, span: [prev.span[0], entry.span[1]] as Span };
    else out.push(entry);
  }
  return out;
}

function merge(a: Draft, b: Draft): Draft | undefined {
  if (a.kind === 'remove_background' && b.kind === 'remove_background') return b;
  if (a.kind !== b.kind || !(WHOLE_IMAGE_KINDS.has(a.kind) || a.kind === 'blur_background')) return undefined;
  if (!('amount' in a.params) || !('amount' in b.params)) return undefined;
  const [x, y] = [a.params.amount, b.params.amount];
  if (Math.sign(x) !== Math.sign(y)) return undefined;
  return { ...a, params: { amount: Math.abs(y) > Math.abs(x) ? y : x } } as Draft;
}

