import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyTextEdits, stopText, warmUpText, type TextEdit } from '../../src/engine/builtin/text/index.js';
import { findPhrases } from '../../src/engine/builtin/text/find.js';
import { relativeLuminance } from '../../src/engine/builtin/text/addition.js';
import type { Raster } from '../../src/engine/builtin/raster.js';
import { boxMask, grow, inkColour, maxChangeOutside, meanError, union } from './measure.js';
import { makePoster, type Background, type PosterText, type Rgb } from './posters.js';

/**
 * Removing, adding, warnings, case, determinism and cancelling. Erase error is measured where the text
 * was drawn (its pixels grown by 2), against the background the test drew it on.
 */

beforeAll(async () => {
  await warmUpText();
}, 60_000);

afterAll(async () => {
  await stopText();
});

const REMOVALS: { name: string; background: Background; width: number; height: number; text: PosterText; phrase: string }[] = [
  {
    name: 'flat',
    background: { kind: 'flat', colour: [214, 230, 240] },
    width: 640,
    height: 320,
    text: { text: 'CLOSED TODAY', x: 320, y: 190, size: 70, weight: 900, colour: [20, 60, 120], align: 'center' },
    phrase: 'closed today',
  },
  {
    name: 'linear gradient, light on dark',
    background: { kind: 'gradient', from: [30, 20, 60], to: [110, 40, 90], angle: 0 },
    width: 720,
    height: 300,
    text: { text: 'Limited offer', x: 360, y: 180, size: 80, weight: 700, colour: [255, 240, 200], align: 'center' },
    phrase: 'Limited offer',
  },
  {
    name: 'diagonal gradient, serif rotated −15°',
    background: { kind: 'gradient', from: [250, 246, 230], to: [200, 216, 190], angle: 40 },
    width: 720,
    height: 460,
    text: { text: 'Handmade', x: 360, y: 260, size: 96, kind: 'serif', weight: 700, colour: [90, 40, 20], align: 'center', angle: -15 },
    phrase: 'handmade',
  },
];

describe('remove_text', () => {
  for (const r of REMOVALS) {
    it(`erases to the background on a ${r.name} (≤ 3 levels on average)`, async () => {
      const poster = await makePoster(r.background, r.width, r.height, [r.text]);
      const { image, outcomes } = await applyTextEdits(poster.image, [{ kind: 'remove_text', text: r.phrase }]);
      expect(outcomes[0]).toMatchObject({ applied: true });
      const drawn = poster.texts[0]!;
      const erased = grow(drawn.mask, r.width, r.height, 2);
      expect(meanError(image, poster.background, erased)).toBeLessThanOrEqual(3);
      expect(maxChangeOutside(poster.image, image, boxMask(drawn.box, r.width, r.height, Math.max(6, 0.35 * drawn.capHeight)))).toBeLessThanOrEqual(1);
      const read = await findPhrases(image, [r.phrase]);
      expect(read.found[0]).toEqual([]);
    }, 60_000);
  }

  it('removes all confidently read text when no phrase is given', async () => {
    const poster = await makePoster({ kind: 'flat', colour: [250, 250, 245] }, 640, 360, [
      { text: 'GARAGE SALE', x: 320, y: 130, size: 64, weight: 900, colour: [200, 40, 30], align: 'center' },
      { text: 'Saturday at noon', x: 320, y: 250, size: 40, weight: 400, colour: [40, 40, 40], align: 'center' },
    ]);
    const { image, outcomes } = await applyTextEdits(poster.image, [{ kind: 'remove_text', text: null }]);
    expect(outcomes[0]).toMatchObject({ applied: true });
    expect(outcomes[0]!.boxes).toHaveLength(2);
    const drawn = union(...poster.texts.map((t) => grow(t.mask, 640, 360, 2)));
    expect(meanError(image, poster.background, drawn)).toBeLessThanOrEqual(3);
  }, 60_000);
});

describe('warnings and case', () => {
  const sign = () =>
    makePoster({ kind: 'flat', colour: [246, 240, 226] }, 700, 300, [
      { text: 'Sale ends Sunday', x: 350, y: 170, size: 64, weight: 700, colour: [30, 30, 30], align: 'center' },
    ]);

  it('warns, and changes nothing, when the text is not there', async () => {
    const poster = await sign();
    const { image, outcomes } = await applyTextEdits(poster.image, [{ kind: 'replace_text', from: 'BARGAIN', to: 'DEAL' }]);
    expect(outcomes[0]).toEqual({
      edit: { kind: 'replace_text', from: 'BARGAIN', to: 'DEAL' },
      applied: false,
      warning: 'the text "BARGAIN" was not found in the image',
    });
    expect(image.data.equals(poster.image.data)).toBe(true);
  }, 60_000);

  it('keeps the original case pattern for a lower-case target, and the typed case when asked', async () => {
    const poster = await sign();
    const edits: TextEdit[] = [
      { kind: 'replace_text', from: 'sale', to: 'deal' },
      { kind: 'replace_text', from: 'SUNDAY', to: 'MONDAY', case: 'match_original' },
    ];
    const { image } = await applyTextEdits(poster.image, edits);
    const read = await findPhrases(image, ['Deal ends Monday']);
    expect(read.found[0]!.map((f) => f.match.read)).toEqual(['Deal ends Monday']);

    const typed = await applyTextEdits(poster.image, [{ kind: 'replace_text', from: 'sale', to: 'deal', case: 'as_written' }]);
    const again = await findPhrases(typed.image, ['deal ends']);
    expect(again.found[0]!.map((f) => f.match.read)).toEqual(['deal ends']);
  }, 60_000);

  it('gives the same bytes for the same input', async () => {
    const poster = await sign();
    const edits: TextEdit[] = [
      { kind: 'replace_text', from: 'Sunday', to: 'tonight' },
      { kind: 'add_text', text: 'OPEN', position: 'top' },
    ];
    const a = await applyTextEdits(poster.image, edits);
    const b = await applyTextEdits(poster.image, edits);
    expect(a.image.data.equals(b.image.data)).toBe(true);
    expect(a.outcomes).toEqual(b.outcomes);
  }, 60_000);

  it('stops when the signal is aborted', async () => {
    const poster = await sign();
    const before = new AbortController();
    before.abort();
    await expect(applyTextEdits(poster.image, [{ kind: 'remove_text', text: 'Sale' }], { signal: before.signal })).rejects.toThrow();
    const during = new AbortController();
    const run = applyTextEdits(poster.image, [{ kind: 'remove_text', text: 'Sale' }], { signal: during.signal });
    during.abort();
    await expect(run).rejects.toThrow();
  }, 60_000);
});

/** WCAG contrast ratio between two luminances. */
const contrast = (a: number, b: number) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);

function meanLuminanceIn(image: Raster, mask: Uint8Array): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const o = i * image.channels;
    sum += relativeLuminance([image.data[o]!, image.data[o + 1]!, image.data[o + 2]!]);
    n++;
  }
  return sum / n;
}

describe('add_text', () => {
  const places = [
    { position: 'top', text: 'HELLO WORLD', background: { kind: 'photo', name: 'astronaut' } },
    { position: 'bottom', text: 'See you soon', background: { kind: 'flat', colour: [236, 236, 230] } },
    { position: 'center', text: 'BIG NEWS', background: { kind: 'photo', name: 'coffee' } },
  ] as const;
  for (const p of places) {
    it(`writes readable, contrasting text at the ${p.position}`, async () => {
      const poster = await makePoster(p.background as Background, 640, 480, []);
      const { image, outcomes } = await applyTextEdits(poster.image, [{ kind: 'add_text', text: p.text, position: p.position }]);
      expect(outcomes[0]).toMatchObject({ applied: true });
      const box = outcomes[0]!.written![0]!;
      const cy = box.y + box.height / 2;
      if (p.position === 'top') expect(cy).toBeLessThan(480 / 3);
      if (p.position === 'bottom') expect(cy).toBeGreaterThan((2 * 480) / 3);
      if (p.position === 'center') expect(Math.abs(cy - 240)).toBeLessThan(480 / 6);
      expect(box.height).toBeGreaterThan(0.04 * 480);

      const read = await findPhrases(image, [p.text]);
      expect(read.found[0]!.map((f) => f.match.read.toLowerCase())).toEqual([p.text.toLowerCase()]);

      // The letters against what lies under them: at least 3:1 (WCAG's large-text level).
      const area = boxMask(box, 640, 480, 0);
      const ink: Rgb = inkColour(image, poster.image, area);
      const under = meanLuminanceIn(poster.image, area);
      expect(contrast(relativeLuminance(ink), under)).toBeGreaterThanOrEqual(3);
    }, 60_000);
  }
});
