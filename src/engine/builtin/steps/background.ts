import { applied, editsOf } from '../context.js';
import { blurBackground, removeBackground, replaceBackground } from '../ops/background.js';
import type { Step } from '../pipeline.js';

/** Remove, replace or blur what is behind the scene's subject (before anything is placed into it). */
export const background: Step = {
  name: 'background',
  weight: 1,
  async run(c) {
    const edits = editsOf(c, 'remove_background', 'replace_background', 'blur_background');
    if (!edits.length) return;
    const canvas = c.canvases[0];
    const subject = c.masks.get(c.plan.scene);
    if (!canvas || !subject) return;
    for (const e of edits) {
      c.engine.signal.throwIfAborted();
      if (e.kind === 'remove_background') {
        canvas.image = await removeBackground(canvas.image, subject, e.params.fill);
        applied(c, e);
      } else if (e.kind === 'replace_background') {
        const source = c.sources[e.params.source.image];
        if (!source) continue;
        canvas.image = await replaceBackground(canvas.image, subject, source, Math.min(1, 0.6 * c.factor));
        applied(c, e);
      } else {
        const amount = e.params.amount * c.factor;
        canvas.image = await blurBackground(canvas.image, subject, amount);
        applied(c, e, { amount });
      }
    }
  },
};
