/**
 * The pattern machinery every edit family uses: a rule is a regular expression over one clause and a
 * `build` that turns a match into edits (or into a reason it cannot be used). `matchClause` runs all
 * rules over a clause and keeps the leftmost-longest matches that do not overlap.
 */
import type { Anchor, EditBody, Position, UnusedReason } from './types.js';
import { extendAmount, type Intensity } from './amounts.js';
import type { Clause } from './clauses.js';
import { matchesOf } from './pattern.js';

/** A reference as the prompt gives it: a 0-based index, or "the other image" (known once the scene is). */
export type Ref = number | 'other';

/** A placement before the references are resolved. */
export interface PlaceDraft {
  /** 'next': the next reference nobody has used yet; 'others': every unused reference. */
  source: Ref | 'next' | 'others';
  size: number;
  position?: Position;
  anchor?: Anchor;
  subject?: string;
  /** The reference the prompt puts it into ("into image 1"), which makes that one the scene. */
  target?: Ref;
  /** From "combine/merge image 1 and image 2": naming the scene itself among the sources is fine. */
  combine?: boolean;
}

/** An edit before the references are resolved. */
export type Draft =
  | Exclude<EditBody, { kind: 'scene' | 'replace_background' | 'place' }>
  | { kind: 'scene'; params: { image: Ref } }
  | { kind: 'replace_background'; params: { source: { image: Ref } } }
  | { kind: 'place'; params: PlaceDraft };

export type Outcome =
  | { type: 'edits'; edits: Draft[] }
  | { type: 'unused'; reason: UnusedReason; detail?: string }
  | { type: 'count'; count: number; vague?: boolean };

export interface RuleContext {
  imageCount: number;
  /** The kind of the last edit read before this clause (for elliptical clauses: `"A" with "B"`). */
  previousKind?: string;
}

/** One match of a rule, in clause coordinates, with accessors for the original (unmasked) text. */
export interface Found {
  start: number;
  end: number;
  intensity: Intensity;
  /** The original text of a named group, or undefined when it did not take part. */
  g(name: string): string | undefined;
  /** The original text of the whole match. */
  text: string;
  /** An object phrase the amount search stepped over ("brighten the cat by 20%"). */
  obj?: string;
  /** The clause before the match (quoted text masked). */
  before: string;
}

export interface Rule {
  id: string;
  pattern: RegExp;
  /** Look around the match for modifiers ("slightly", "a lot") and explicit amounts ("by 20%"). */
  amount?: boolean;
  /** A bare adjective ("warm"): only used when the rest of its clause is filler. */
  standalone?: boolean;
  build(found: Found, ctx: RuleContext): Outcome | null;
}

export interface Selected {
  rule: Rule;
  start: number;
  end: number;
  outcome: Outcome;
}

export const edits = (...list: Draft[]): Outcome => ({ type: 'edits', edits: list });
export const unusable = (reason: UnusedReason, detail?: string): Outcome =>
  detail === undefined ? { type: 'unused', reason } : { type: 'unused', reason, detail };

/** Runs every rule over the clause and keeps the leftmost-longest non-overlapping matches. */
export function matchClause(clause: Clause, rules: readonly Rule[], ctx: RuleContext): Selected[] {
  const candidates: (Selected & { order: number })[] = [];
  rules.forEach((rule, order) => {
    for (const m of matchesOf(rule.pattern, clause.masked)) {
      const groups = m.indices?.groups ?? {};
      let found: Found = {
        start: m.index,
        end: m.index + m[0].length,
        intensity: { factor: 1 },
        text: clause.text.slice(m.index, m.index + m[0].length),
        before: clause.masked.slice(0, m.index),
        g: (name) => {
          const range = groups[name];
          return range ? clause.text.slice(range[0], range[1]) : undefined;
        },
      };
      if (rule.amount) {
        const extended = extendAmount(clause.masked, found.start, found.end);
        found = {
          ...found,
          start: extended.start,
          end: extended.end,
          intensity: extended.intensity,
          text: clause.text.slice(extended.start, extended.end),
          before: clause.masked.slice(0, extended.start),
          obj: extended.obj ? clause.text.slice(extended.obj[0], extended.obj[1]) : undefined,
        };
      }
      const outcome = rule.build(found, ctx);
      if (outcome) candidates.push({ rule, start: found.start, end: found.end, outcome, order });
    }
  });
  candidates.sort((a, b) => a.start - b.start || b.end - b.start - (a.end - a.start) || a.order - b.order);
  const chosen: Selected[] = [];
  for (const c of candidates) {
    if (chosen.some((s) => c.start < s.end && s.start < c.end)) continue;
    chosen.push({ rule: c.rule, start: c.start, end: c.end, outcome: c.outcome });
  }
  return chosen;
}
