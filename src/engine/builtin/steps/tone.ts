import { applied, editsOf } from '../context.js';
import {
  applyCurve,
  applyMatrix,
  applyVignette,
  curveFor,
  denoise,
  matrixFor,
  sharpen,
  soften,
  type CurveEdits,
  type MatrixEdits,
} from '../ops/tone.js';
import type { Step } from '../pipeline.js';
import type { Raster } from '../raster.js';

const TONE = ['brightness', 'exposure', 'contrast', 'saturation', 'warmth', 'tint', 'grayscale', 'sepia', 'vintage', 'sharpen', 'soften', 'denoise', 'vignette'] as const;

/**
 * Tone and colour, on the final frame (so a vignette frames the output, and sharpening works at the
 * output's resolution). Every amount is multiplied by scale/0.5 and by the variant's strength;
 * amounts of the same kind add up. Order: noise out first, then curves, colour, detail, vignette.
 */
export const tone: Step = {
  name: 'tone',
  weight: 2,
  async run(c) {
    const edits = editsOf(c, ...TONE);
    if (!edits.length) return;
    const total = (kind: (typeof TONE)[number], strength: number) =>
      edits.filter((e) => e.kind === kind).reduce((sum, e) => sum + e.params.amount, 0) * c.factor * strength;

    c.canvases = await Promise.all(
      c.canvases.map(async (canvas) => {
        const s = canvas.strength;
        const vintage = Math.min(1, total('vintage', s));
        const curves: CurveEdits = {
          brightness: total('brightness', s),
          exposure: total('exposure', s),
          contrast: total('contrast', s) - 0.6 * vintage,
          warmth: total('warmth', s) + 0.8 * vintage,
          tint: total('tint', s),
          fade: 0.7 * vintage,
        };
        const colour: MatrixEdits = {
          saturation: total('saturation', s) - 1.2 * vintage,
          grayscale: Math.min(1, total('grayscale', s)),
          sepia: Math.min(1, total('sepia', s) + 0.3 * vintage),
        };
        let image: Raster = await denoise(canvas.image, total('denoise', s));
        image = applyCurve(image, curveFor(curves));
        const matrix = matrixFor(colour);
        if (matrix) image = await applyMatrix(image, matrix);
        image = await soften(image, total('soften', s));
        image = await sharpen(image, total('sharpen', s));
        image = applyVignette(image, total('vignette', s) + 0.8 * vintage);
        return { ...canvas, image };
      }),
    );
    for (const e of edits) applied(c, e, { amount: e.params.amount * c.factor });
  },
};
