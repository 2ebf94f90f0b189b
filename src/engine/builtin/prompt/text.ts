/**
 * Text edits: replace, remove and add words. Quoted text is taken exactly (any quotes: "…", '…', “…”,
 * ‘…’, «…»); unquoted text is accepted for single words, after a word such as "text" or "word"
 * ("replace the word Monday with Friday"), or when it is clearly a word on the image (capitals:
 * "change SALE to DEAL"; or a bare word after replace/swap: "replace sale with deal").
 */
import { alt, f, rx } from './pattern.js';
import { QUOTED_CHAR } from './clauses.js';
import { edits, type Found, type Outcome, type Rule, type RuleContext } from './rules.js';

/** Quotes as the reading text has them: curly quotes are already straight there. */
const Q_OPEN = `["'«»\`]`;
const quoted = (name: string) => `${Q_OPEN}(?<${name}>${QUOTED_CHAR}+)${Q_OPEN}`;

/** Words that announce text: "the word Monday", "the caption 'Summer'". */
const KEY = alt`
  text | word | words | phrase | title | heading | headline | caption | label | sign | slogan | tagline | line
  wording | writing | lettering | copy | name | date | price | number
`;
/** Words that never are the text to replace: determiners, pronouns, and things in a picture. */
const NOT_TEXT = f`(?!${alt`
  the | a | an | her | his | its | their | my | your | our | this | that | these | those | some | all | every | each
  it | them | him | she | he | background | backdrop | bg | image | img | picture | photo | scene | sky | colou?rs?
  brightness | contrast | saturation | exposure | warmth | size | style | lighting | mood | tone | format
  orientation | resolution | aspect
`}(?![\p{L}\p{N}]))`;
const WORD = f`[\p{L}\p{N}$€£#@](?:[\p{L}\p{N}&$€£%!?.,'’@#-]*[\p{L}\p{N}%!?$€£])?`;
/** Prepositions that end an unquoted phrase ("remove the word SALE from the poster"). */
const STOP = f`(?!(?:from|on|in|at|of|to|with|for|by|into|along|across|near|everywhere|throughout|please)(?![\p{L}\p{N}]))`;
const PHRASE = f`${STOP}${WORD}(?: ${STOP}${WORD}){0,5}`;

/** "->", "=>", and "→" / "⇒" / "➡", which the reading text has as ">". */
const ARROW = f`(?:-+>|=+>|>)`;

function caseOf(from: string, to: string): 'as_written' | 'match_original' {
  return /\p{Lu}/u.test(from + to) ? 'as_written' : 'match_original';
}

function replaceText(from: string | undefined, to: string | undefined): Outcome | null {
  const a = from?.trim();
  const b = to?.trim().replace(/\s+(?:please|instead|thanks|everywhere|throughout)$/i, '');
  if (!a || !b) return null;
  return edits({ kind: 'replace_text', params: { from: a, to: b, case: caseOf(a, b) } });
}

const REPLACE = f`(?<verb>replace|swap|substitute|switch|exchange|change|correct|fix|rename|edit|update|turn)`;
const FROM = f`(?:${quoted('fq')}|(?<fb>${NOT_TEXT}${PHRASE}))`;
const TO = f`(?:${quoted('tq')}|(?<tb>${NOT_TEXT}[\p{L}\p{N}$€£#@][^${QUOTED_CHAR}"]*?)(?: (?:please|instead|thanks|everywhere|throughout))?$)`;

const replaceRules: Rule[] = [
  {
    id: 'replace_text',
    // replace [the word] SALE|"SALE" with [the word] DEAL|"DEAL" (unquoted: to the end of the clause)
    pattern: rx`${REPLACE}(?: (?:the |a )?(?<key>${KEY})(?: from)?)?(?: from)? ${FROM} (?<link>with|for|to|by|into|as|${ARROW})(?: (?:the )?${KEY})? ${TO}`,
    build: (found) => {
      const verb = found.g('verb')!.toLowerCase();
      const bareFrom = found.g('fb');
      // Unquoted text needs a sign that it is text: "the word …", capitals, or replace/swap.
      const textVerb = /^(?:replace|swap|substitute|exchange)$/.test(verb);
      if (bareFrom && !found.g('key') && !/\p{Lu}/u.test(bareFrom) && !textVerb) return null;
      if (verb === 'turn' && !found.g('fq')) return null;
      const to = found.g('tq') ?? found.g('tb');
      // "substitute DEAL for SALE" puts DEAL where SALE was.
      const from = found.g('fq') ?? bareFrom;
      return verb === 'substitute' && found.g('link')?.toLowerCase() === 'for' ? replaceText(to, from) : replaceText(from, to);
    },
  },
  {
    id: 'replace_text:arrow',
    pattern: rx`${alt`
      (?:${quoted('fq')}|(?<fb>${WORD}))\s*${ARROW}\s*(?:${quoted('tq')}|(?<tb>${WORD}))
      ${quoted('fq2')} (?:to|into) ${quoted('tq2')}
    `}`,
    build: (found) =>
      replaceText(found.g('fq') ?? found.g('fb') ?? found.g('fq2'), found.g('tq') ?? found.g('tb') ?? found.g('tq2')),
  },
  {
    // The second of several: `replace "A" with "B" and "C" with "D"`, `… Monday with Friday, Tuesday with Saturday`.
    id: 'replace_text:ellipsis',
    pattern: rx`^(?:${quoted('fq')}|(?<fb>${WORD})) (?:with|for|by|to|into) (?:${quoted('tq')}|(?<tb>${WORD}))$`,
    build: (found, ctx: RuleContext) =>
      ctx.previousKind === 'replace_text'
        ? replaceText(found.g('fq') ?? found.g('fb'), found.g('tq') ?? found.g('tb'))
        : null,
  },
];

const ERASE = alt`
  remove | delete | erase | clear | get rid of | take out | take away | hide | wipe | strip | scrub | blank out
  cover up | cover | lose | drop
`;

const removeRules: Rule[] = [
  {
    id: 'remove_text',
    // remove [all] [the] [text|word] ["X"|X]
    pattern: rx`${ERASE}(?: (?:all|any|every))?(?: of)?(?: the)?(?: (?<key>${KEY}|texts|captions|labels|letters))?(?: (?:${quoted('q')}|(?<bare>${PHRASE})))?`,
    build: (found) => {
      const key = found.g('key');
      const q = found.g('q');
      const bare = found.g('bare');
      if (q) return edits({ kind: 'remove_text', params: { text: q } });
      if (!key) {
        // Unquoted text without "the word": only words in capitals ("remove SALE").
        return bare && /^[\p{Lu}\p{N}][\p{Lu}\p{N}&$%!?'’ -]*$/u.test(bare) && /\p{Lu}{2}/u.test(bare)
          ? edits({ kind: 'remove_text', params: { text: bare } })
          : null;
      }
      // "remove the word DRAFT" names it; "remove the text" (no words after) means all of it.
      if (!bare) return edits({ kind: 'remove_text', params: { text: null } });
      return /^(?:word|words|phrase|line|name)$/i.test(key) ? edits({ kind: 'remove_text', params: { text: bare } }) : null;
    },
  },
];

const POSITION = alt`
  (?:at|on|in|along|across|to|near|towards?|over) (?:the )?(?:very )?(?<p>top|upper part|upper half|bottom|lower part|lower half|cent(?:er|re)|middle)(?: (?:of (?:the )?(?:image|photo|picture|poster|frame|it)|edge|part))?
  (?<p2>centered|centred|up top|on top|underneath|below)
`;

function positionOf(found: Found, key: string | undefined): 'top' | 'bottom' | 'center' {
  const p = (found.g('p') ?? found.g('p2') ?? '').toLowerCase();
  if (/top|upper/.test(p)) return 'top';
  if (/bottom|lower|underneath|below/.test(p)) return 'bottom';
  if (/cent|middle/.test(p)) return 'center';
  // Titles go on top; captions and everything else at the bottom.
  return /title|heading|headline|banner/i.test(key ?? '') ? 'top' : 'bottom';
}

const ADD_KEY = f`(?:${KEY}|banner|message|text overlay|quote|motto|greeting)`;
const WRITE = alt`
  add | write | put | place | insert | overlay | type | print | include | stamp | display | show
  (?:caption|title|label) (?:it|the image|the photo)(?: with)?
`;
const SAYING = f`(?:saying|that says|which says|reading|that reads|with|of|:|=)`;

const addRules: Rule[] = [
  {
    id: 'add_text',
    // add [a] [caption] [saying] "X"|X [at the top]
    pattern: rx`${WRITE}(?: (?:a|an|the|some|big|large|small|bold|white|black))?(?: (?<key>${ADD_KEY}))?(?: ${SAYING})?:? (?:${quoted('q')}|(?<bare>${PHRASE}))(?: ${POSITION})?`,
    build: (found) => {
      const key = found.g('key');
      const text = found.g('q') ?? found.g('bare');
      if (!text) return null;
      const bare = found.g('bare');
      const verbLabels = /^(?:caption|title|label)/i.test(found.text);
      // Unquoted text needs "the text …" / "a caption …", or capitals ("write SALE at the top").
      if (bare && !key && !verbLabels && !/\p{Lu}{2}/u.test(bare)) return null;
      const label = key ?? (verbLabels ? found.text.split(/\s/)[0] : undefined);
      return edits({ kind: 'add_text', params: { text, position: positionOf(found, label) } });
    },
  },
  {
    id: 'add_text:with',
    pattern: rx`(?:with )?(?:a |an |the )?(?<key>caption|title|heading|headline|banner|text|subtitle)(?: ${SAYING})?:? ${quoted('q')}(?: ${POSITION})?`,
    build: (found) =>
      edits({ kind: 'add_text', params: { text: found.g('q')!, position: positionOf(found, found.g('key')) } }),
  },
];

export const textRules: Rule[] = [...replaceRules, ...removeRules, ...addRules];
