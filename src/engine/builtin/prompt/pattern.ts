/** Writing patterns: a space in a fragment stands for one or more whitespace characters. */

/**
 * Every match of a global pattern, found by the pattern object itself. `String.prototype.matchAll`
 * clones its pattern on each call, and a clone takes its compiled code from V8's compilation cache,
 * which every full garbage collection empties: an edit request makes enough garbage for two, so each
 * request compiled every rule again (60–90 ms of a fusion). A pattern object keeps its own code as
 * long as it lives. The matches are collected first, so that nothing run for one of them can move
 * the pattern's shared `lastIndex`.
 */
export function matchesOf(pattern: RegExp, text: string): RegExpExecArray[] {
  if (!pattern.global) throw new TypeError(`matchesOf needs a global pattern: /${pattern.source}/${pattern.flags}`);
  const unicode = /[uv]/.test(pattern.flags);
  const out: RegExpExecArray[] = [];
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    out.push(m);
    // An empty match: step over one character (one code point in Unicode mode), as matchAll does.
    if (m[0] === '') pattern.lastIndex = advance(text, pattern.lastIndex, unicode);
  }
  pattern.lastIndex = 0;
  return out;
}

function advance(text: string, index: number, unicode: boolean): number {
  if (!unicode || index + 1 >= text.length) return index + 1;
  const c = text.charCodeAt(index);
  const d = text.charCodeAt(index + 1);
  return c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff ? index + 2 : index + 1;
}

/** A pattern fragment (source text, no flags). Keep literal spaces out of character classes. */
export function f(strings: TemplateStringsArray, ...parts: string[]): string {
  let source = '';
  strings.raw.forEach((chunk, i) => {
    source += chunk.replace(/ /g, '\\s+');
    if (i < parts.length) source += parts[i];
  });
  return source;
}

/** A whole-word, global pattern with match indices, written like `f`, for lowercase text (`Clause.masked`). */
export function rx(strings: TemplateStringsArray, ...parts: string[]): RegExp {
  return wordPattern(f(strings, ...parts));
}

export function wordPattern(source: string): RegExp {
  return new RegExp(latin1(`(?<![\\p{L}\\p{N}])(?:${source})(?![\\p{L}\\p{N}])`), 'gd');
}

/**
 * Rules read the reading text (clauses.ts), which is lowercase Latin-1. Without the Unicode flag their
 * patterns compile many times faster, so the letter and digit classes are spelled out for Latin-1.
 * Only for use inside character classes, which is the only way the rules use them.
 */
export function latin1(source: string): string {
  return source
    .replaceAll('\\p{L}', 'a-zA-Z\\u00aa\\u00b5\\u00ba\\u00c0-\\u00d6\\u00d8-\\u00f6\\u00f8-\\u00ff')
    .replaceAll('\\p{N}', '0-9\\u00b2\\u00b3\\u00b9\\u00bc-\\u00be');
}

/** Longest first, so an alternation prefers "light grey" over "light". */
export function alternatives(words: Iterable<string>): string {
  return [...words].sort((a, b) => b.length - a.length).join('|');
}

/**
 * Alternatives written one per line or separated by " | " (a pipe between spaces), each written like `f`:
 *   alt`
 *     black and white | b&w
 *     monochrome
 *   `  →  (?:black\s+and\s+white|b&w|monochrome)
 * Order matters as in any alternation: at one position, the first alternative that fits wins.
 */
export function alt(strings: TemplateStringsArray, ...parts: string[]): string {
  let raw = '';
  strings.raw.forEach((chunk, i) => {
    // Interpolations are protected from the splitting below.
    raw += chunk + (i < parts.length ? `\u0000${i}\u0000` : '');
  });
  const choices = raw
    .split('\n')
    .flatMap((line) => line.split(' | '))
    .map((choice) => choice.trim())
    .filter((choice) => choice !== '')
    .map((choice) => choice.replace(/ /g, '\\s+').replace(/\u0000(\d+)\u0000/g, (_, i: string) => parts[Number(i)]!));
  return `(?:${choices.join('|')})`;
}
