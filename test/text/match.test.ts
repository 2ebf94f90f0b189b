import { describe, expect, it } from 'vitest';
import { caseLike, findPhrase, ocrDistance, tolerance } from '../../src/engine/builtin/text/match.js';
import type { OcrLine, OcrWord } from '../../src/engine/builtin/text/ocr.js';

/** Lines as OCR would give them: words left to right, each with a confidence. */
function line(...words: (string | [string, number])[]): OcrLine {
  return {
    angle: 0,
    words: words.map((w, i): OcrWord => {
      const [text, confidence] = typeof w === 'string' ? [w, 90] : w;
      return { text, confidence, box: { cx: 100 * i + 40, cy: 20, width: 80, height: 30, angle: 0 } };
    }),
  };
}

describe('ocrDistance', () => {
  it('charges look-alike substitutions less than other edits', () => {
    expect(ocrDistance('sale', 'sale')).toBe(0);
    expect(ocrDistance('5ale', 'sale')).toBeCloseTo(0.4);
    expect(ocrDistance('0pen', 'open')).toBeCloseTo(0.4);
    expect(ocrDistance('sxle', 'sale')).toBe(1);
    expect(ocrDistance('sales', 'sale')).toBe(1);
  });

  it('tolerates nothing but look-alikes in short words, and more in long ones', () => {
    expect(tolerance(3)).toBeLessThan(1);
    expect(tolerance(5)).toBe(1);
    expect(tolerance(10)).toBe(2);
  });
});

describe('findPhrase', () => {
  it('matches case-insensitively, across words, and keeps punctuation it was not asked for', () => {
    const lines = [line('BIG', 'SALE!'), line('Open', 'on', 'Monday')];
    const [sale] = findPhrase(lines, 'sale');
    expect(sale).toMatchObject({ read: 'SALE!', start: 1, end: 2, trail: '!', lead: '' });
    const [phrase] = findPhrase(lines, 'open on monday');
    expect(phrase).toMatchObject({ read: 'Open on Monday', start: 0, end: 3 });
    expect(findPhrase(lines, 'SALE!')[0]).toMatchObject({ trail: '' });
  });

  it('reads through split and merged words and OCR mistakes', () => {
    expect(findPhrase([line('BIGSALE')], 'big sale')).toHaveLength(1);
    expect(findPhrase([line('SA', 'LE')], 'sale')).toHaveLength(1);
    expect(findPhrase([line('M0NDAY')], 'monday')).toHaveLength(1);
    expect(findPhrase([line('Tuesday')], 'monday')).toHaveLength(0);
    expect(findPhrase([line('the')], 'she')).toHaveLength(0);
  });

  it('finds every occurrence, once, and skips words already taken', () => {
    const a = line('SALE', 'SALE');
    const b = line('FINAL', 'SALE');
    const found = findPhrase([a, b], 'sale');
    expect(found.map((f) => [f.line === a ? 'a' : 'b', f.start])).toEqual([
      ['a', 0],
      ['a', 1],
      ['b', 1],
    ]);
    expect(findPhrase([a], 'sale', new Set([a.words[0]!]))).toHaveLength(1);
  });

  it('does not trust fuzzy readings of low confidence', () => {
    expect(findPhrase([line(['5ALE', 30])], 'sale')).toHaveLength(0);
    expect(findPhrase([line(['SALE', 30])], 'sale')).toHaveLength(1);
  });
});

describe('caseLike', () => {
  it('carries the original case pattern over', () => {
    expect(caseLike('deal', 'SALE')).toBe('DEAL');
    expect(caseLike('deal', 'Sale')).toBe('Deal');
    expect(caseLike('deal', 'sale')).toBe('deal');
    expect(caseLike('great deal', 'Big Sale')).toBe('Great Deal');
    expect(caseLike('great deal', 'Big sale')).toBe('Great deal');
    expect(caseLike('deal', 'eBay')).toBe('deal');
    expect(caseLike('deal', '50%')).toBe('deal');
  });
});
