import { describe, expect, it } from 'vitest';
import { matchesOf } from '../../src/engine/builtin/prompt/pattern.js';

/** What a match carries that the rules read: where, what, the named groups and their indices. */
const shape = (m: RegExpMatchArray) => ({ index: m.index, text: [...m], groups: m.groups, indices: m.indices ? [...m.indices] : undefined });

describe('matchesOf (the interpreter runs its patterns by their own objects instead of matchAll)', () => {
  const cases: [RegExp, string][] = [
    [/(?<w>\p{L}+)/gdu, 'put the cat from image 2 into image 1'],
    [/(?<![a-z])(?:brighter|warmer|more vivid)(?![a-z])/gd, 'make it brighter, warmer and more vivid'],
    // Empty matches: the search steps over one character each time, as matchAll does.
    [/x*/g, 'axxbx'],
    [/(?=a)/g, 'banana'],
    // In Unicode mode an empty match steps over a whole code point, never into half of one.
    [/(?:)/gu, 'a😀b'],
    [/\p{L}*/gu, '😀ab😀'],
    // Without it, over one UTF-16 unit.
    [/(?:)/g, 'a😀b'],
    [/z/g, 'no match here'],
  ];
  it.each(cases)('%s finds what matchAll finds', (pattern, text) => {
    expect(matchesOf(pattern, text).map(shape)).toEqual([...text.matchAll(pattern)].map(shape));
  });

  it('leaves the pattern ready for the next text, even after a text with matches', () => {
    const words = /\p{L}+/gu;
    expect(matchesOf(words, 'one two').map((m) => m[0])).toEqual(['one', 'two']);
    expect(words.lastIndex).toBe(0);
    expect(matchesOf(words, 'three').map((m) => m[0])).toEqual(['three']);
  });

  it('collects every match before the caller runs anything for one (which may use the same pattern)', () => {
    const refs = /image (\d)/g;
    const seen: string[] = [];
    for (const m of matchesOf(refs, 'image 1 and image 2')) {
      // A rule's build step reading another text with the same pattern must not cut the outer list short.
      seen.push(`${m[1]}:${matchesOf(refs, 'image 9').length}`);
    }
    expect(seen).toEqual(['1:1', '2:1']);
  });

  it('refuses a pattern without the global flag, as matchAll does', () => {
    expect(() => matchesOf(/cat/, 'cat')).toThrow(/global/);
  });
});
