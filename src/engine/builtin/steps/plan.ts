import { applied, editsOf } from '../context.js';
import type { Step } from '../pipeline.js';
import { describeUnused, interpretPrompt } from '../prompt/index.js';
import { decodeAll } from './load.js';

/** Reads the prompt into a plan; what it cannot use becomes a warning, never silence. */
export const plan: Step = {
  name: 'plan',
  weight: 0.2,
  async run(c) {
    const { prompt, images, forceSingle, scale } = c.request;
    // libvips decodes on its own threads while this one reads the prompt.
    c.decoding = decodeAll(c);
    c.decoding.catch(() => {}); // awaited (and its failure reported) by the load step
    c.plan = interpretPrompt(prompt, { imageCount: images.length, forceSingle, inputCount: images.length });
    c.factor = scale / 0.5;
    for (const u of c.plan.unused) c.warnings.push(describeUnused(u));
    if (scale === 0 && c.plan.edits.length > 0) {
      c.warnings.push('scale is 0, so the prompt was not applied: the output is the first reference, fitted to the size');
      c.plan = { ...c.plan, edits: [], count: 1, scene: 0 };
    }
    for (const e of editsOf(c, 'scene')) applied(c, e);
  },
};
