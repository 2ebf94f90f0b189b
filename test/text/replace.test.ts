import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyTextEdits, stopText, warmUpText } from '../../src/engine/builtin/text/index.js';
import { findPhrases } from '../../src/engine/builtin/text/find.js';
import type { OrientedBox } from '../../src/engine/builtin/text/geometry.js';
import { REPLACE_CASES } from './cases.js';
import { boxMask, deltaE2000, inkColour, maxChangeOutside, union } from './measure.js';
import { makePoster } from './posters.js';

/**
 * Replacement end to end on posters drawn by the test: the new words are read where the old ones were
 * and the old ones are read nowhere (by the same OCR, turned readings included); nothing changes away
 * from the old and new words; the new ink has the old ink's colour (CIEDE2000 under 10).
 */

const asTextBox = (b: OrientedBox) => ({
  x: b.cx - b.width / 2,
  y: b.cy - b.height / 2,
  width: b.width,
  height: b.height,
  angle: (b.angle * 180) / Math.PI,
});

beforeAll(async () => {
  await warmUpText();
}, 60_000);

afterAll(async () => {
  await stopText();
});

describe('replace_text on posters', () => {
  for (const c of REPLACE_CASES) {
    it(c.name, async () => {
      const poster = await makePoster(c.background, c.width, c.height, c.texts);
      const { image, outcomes } = await applyTextEdits(poster.image, c.edits);
      for (const o of outcomes) expect(o, JSON.stringify(o)).toMatchObject({ applied: true });
      expect(outcomes.every((o) => o.warning === undefined)).toBe(true);
      // Nothing changes away from the old ink and the new ink (a margin for the erase's growth).
      const allowed: Uint8Array[] = outcomes.flatMap((o) => (o.written ?? []).map((b) => boxMask(b, c.width, c.height, 3)));

      const read = await findPhrases(image, c.expect.flatMap((e) => [e.now, e.old]));
      c.expect.forEach((e, k) => {
        const drawn = poster.texts[e.text]!;
        const now = read.found[2 * k]!;
        const old = read.found[2 * k + 1]!;
        expect(now.map((f) => f.match.read), `"${e.now}" is read`).toHaveLength(1);
        expect(old.map((f) => f.match.read), `"${e.old}" is gone`).toEqual([]);

        // Where the old text was: the new reading's centre lies inside the old ink's bounds.
        const box = now[0]!.box;
        const { x0, y0, x1, y1 } = drawn.bounds;
        expect(box.cx).toBeGreaterThan(x0);
        expect(box.cx).toBeLessThan(x1);
        expect(box.cy).toBeGreaterThan(y0);
        expect(box.cy).toBeLessThan(y1);

        // The brief's "margin from the word box": a third of the capitals' height.
        const margin = Math.max(6, 0.35 * drawn.capHeight);
        allowed.push(boxMask(drawn.box, c.width, c.height, margin));

        // The new ink's colour, measured against the background the poster was drawn on.
        const colour = inkColour(image, poster.background, boxMask(asTextBox(box), c.width, c.height, 2));
        expect(deltaE2000(colour, drawn.colour), `colour ${colour} for ${drawn.colour}`).toBeLessThan(10);
      });
      expect(maxChangeOutside(poster.image, image, union(...allowed))).toBeLessThanOrEqual(1);
    }, 60_000);
  }
});
