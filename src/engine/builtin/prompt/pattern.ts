/** Writing patterns: a space in a fragment stands for one or more whitespace characters. */

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
