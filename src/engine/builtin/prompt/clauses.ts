/**
 * Splitting a prompt into clauses: at ; . ! ? and commas, and at "and", "then", "also", "plus", "but",
 * "while". Quoted text is never split or read as instructions, and a few phrases hold together
 * ("black and white", "images 2 and 3", "one hundred and eighty"). "with" does not split: it joins an
 * edit's parts ("replace X with Y") as often as it joins two edits, so the rules read it in place.
 */
import { IMAGE_REFS } from './images.js';
import { f, matchesOf } from './pattern.js';

export interface Clause {
  /** Offsets of the clause in the prompt. */
  start: number;
  end: number;
  /** The clause as written. */
  text: string;
  /**
   * `readingText` of the clause: lowercase, quoted content replaced by QUOTED_CHAR (so patterns never
   * match inside quotes), Latin-1 only; same length as `text`, so offsets are shared.
   */
  masked: string;
  /** What separated it from the previous clause. */
  joiner: 'start' | 'and' | 'comma' | 'sentence' | 'but';
}

/** Stands for each character of quoted text in `Clause.masked` (a control character no prompt keeps). */
export const QUOTED_CHAR = '\u0001';

/** Opening quote → accepted closing quotes. Single quotes also serve as apostrophes, see below. */
const CLOSERS: Record<string, string> = {
  '"': '"”“',
  '“': '”"',
  '”': '”"',
  '„': '“”"',
  '«': '»',
  '»': '«',
  "'": "'’",
  '‘': '’\'',
  '’': '’\'',
  '`': '`',
};
const APOSTROPHE_LIKE = new Set(["'", '‘', '’', '`']);
const LETTER = /[\p{L}\p{N}]/u;

/** Replaces the content of every quoted string with QUOTED_CHAR, keeping offsets. */
export function maskQuotes(prompt: string): string {
  const out = prompt.split('');
  let i = 0;
  while (i < prompt.length) {
    const open = prompt[i]!;
    const closers = CLOSERS[open];
    // A single quote after a letter is an apostrophe ("don't", "image 2's"), not an opening quote.
    const single = APOSTROPHE_LIKE.has(open);
    if (!closers || (single && i > 0 && LETTER.test(prompt[i - 1]!))) {
      i++;
      continue;
    }
    let close = -1;
    for (let j = i + 2; j < prompt.length && prompt[j] !== '\n'; j++) {
      if (closers.includes(prompt[j]!) && !(single && LETTER.test(prompt[j + 1] ?? ''))) {
        close = j;
        break;
      }
    }
    if (close < 0) {
      i++;
      continue;
    }
    for (let k = i + 1; k < close; k++) out[k] = QUOTED_CHAR;
    i = close + 1;
  }
  return out.join('');
}

/** Characters outside Latin-1 that the rules read, and what they read them as. */
const SUBSTITUTES: Record<string, string> = {
  '‘': "'", '’': "'", '‚': "'", '‛': "'", '‹': "'", '›': "'", '“': '"', '”': '"', '„': '"', '‟': '"',
  '−': '-', '–': '-', '—': '-', '‐': '-', '‑': '-', '…': '.', '€': '$',
  '→': '>', '⟶': '>', '⇒': '>', '➡': '>', '⮕': '>', '➔': '>',
};

/**
 * The text the rules read: lowercase, quoted content masked, and every character in Latin-1, one UTF-16
 * unit for one (so offsets are shared with the prompt). Keeping it Latin-1 lets V8 run the rules on
 * one-byte strings; a single emoji would otherwise make the first requests compile every rule again for
 * two-byte strings (hundreds of milliseconds).
 */
export function readingText(prompt: string): string {
  const masked = maskQuotes(prompt.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, ' '));
  let out = '';
  for (let i = 0; i < masked.length; i++) {
    const ch = masked[i]!;
    const code = ch.charCodeAt(0);
    if (code <= 0xff) {
      const lower = ch.toLowerCase();
      out += lower.length === 1 && lower.charCodeAt(0) <= 0xff ? lower : ch;
    } else {
      // Other letters (and combining marks) stay letters, so words keep their boundaries.
      out += SUBSTITUTES[ch] ?? (/[\p{L}\p{N}]|(?![\ufe00-\ufe0f\u200b-\u200d])\p{M}/u.test(ch) ? 'ª' : ' ');
    }
  }
  return out;
}

const WORD_SEPARATOR = 'and then|and also|and|then|also|plus|but|as well as|after that|afterwards|while|whilst|&';
const SEPARATOR = new RegExp(
  String.raw`\s*[;\n\r]+\s*|\s*[.!?]+(?=\s|$)\s*|\s*,(?:\s*(?:${WORD_SEPARATOR})(?=\s|$))?\s*|\s+(?:${WORD_SEPARATOR})(?=\s|$)\s*`,
  'giu',
);

const PROTECTED = [
  /black[\s-]*(?:and|&|n)[\s-]*white/giu,
  /(?<![\p{L}])b\s*&\s*w(?![\p{L}])/giu,
  /hundred\s+and\s+[\p{L}-]+/giu,
  new RegExp(IMAGE_REFS, 'giu'),
  /(?<![\p{L}])(?:no|nr|e\.g|i\.e|vs|approx|ca)\.\s*/giu,
  /rock\s+(?:and|&|n)\s+roll/giu,
  /(?:teal|orange)\s+(?:and|&|n)\s+(?:teal|orange)/giu,
  new RegExp(f`(?:bigger|larger|smaller|closer) and (?:bigger|larger|smaller|closer)`, 'giu'),
];

/** Splits the prompt into trimmed, non-empty clauses with their offsets. */
export function splitClauses(prompt: string): Clause[] {
  const masked = readingText(prompt);
  const shielded: [number, number][] = [];
  for (const re of PROTECTED) for (const m of matchesOf(re, masked)) shielded.push([m.index, m.index + m[0].length]);

  const clauses: Clause[] = [];
  let from = 0;
  let joiner: Clause['joiner'] = 'start';
  const emit = (to: number): boolean => {
    let s = from;
    let e = to;
    while (s < e && /\s/.test(prompt[s]!)) s++;
    while (e > s && /\s/.test(prompt[e - 1]!)) e--;
    if (e === s) return false;
    clauses.push({ start: s, end: e, text: prompt.slice(s, e), masked: masked.slice(s, e), joiner });
    return true;
  };
  for (const m of matchesOf(SEPARATOR, masked)) {
    const core = m[0].trim();
    const at = m.index + Math.max(0, m[0].indexOf(core));
    if (shielded.some(([s, e]) => at >= s && at < e)) continue;
    const kind = kindOf(core);
    if (emit(m.index)) joiner = kind;
    else if (joiner !== 'start' && rank(kind) > rank(joiner)) joiner = kind;
    from = m.index + m[0].length;
  }
  emit(prompt.length);
  return clauses;
}

function kindOf(separator: string): Clause['joiner'] {
  const s = separator.toLowerCase().replace(/^,\s*/, (c) => (separator.trim() === ',' ? c : ''));
  if (s === ',') return 'comma';
  if (/^(?:but|while|whilst)$/.test(s)) return 'but';
  if (s === '' || /^[;.!?]/.test(s)) return 'sentence';
  return 'and';
}

/** The stronger separator wins when two meet (". And" is a new sentence). */
function rank(j: Clause['joiner']): number {
  return { start: 0, comma: 1, and: 2, but: 3, sentence: 4 }[j];
}
