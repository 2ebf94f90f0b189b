import { editsOf } from '../context.js';
import type { Step } from '../pipeline.js';
import { createHash } from 'node:crypto';
import { keepMainRegions, type Mask } from '../ops/mask.js';
import { Segmenter } from '../segment/index.js';

/** Kinds that need the scene's subject. */
const SCENE_SUBJECT = ['remove_background', 'replace_background', 'blur_background', 'crop_subject'] as const;

/**
 * Finds the subject of exactly the references that need one: the scene when an edit works around
 * its subject (or a placement is anchored to it), and every reference whose subject is placed.
 */
export const segment: Step = {
  name: 'segment',
  weight: 4,
  async run(c) {
    const needed = new Set<number>();
    if (editsOf(c, ...SCENE_SUBJECT).length) needed.add(c.plan.scene);
    for (const e of editsOf(c, 'place')) {
      needed.add(e.params.source);
      if (e.params.anchor) needed.add(c.plan.scene);
    }
    const wanted = [...needed].filter((i) => c.sources[i]);
    if (!wanted.length) return;
    const segmenter = await Segmenter.shared();
    // The same picture sent twice is segmented once.
    const byContent = new Map<string, Promise<Mask>>();
    const maskOf = (i: number) => {
      const key = createHash('sha1').update(c.request.images[i]!.data).digest('hex');
      let mask = byContent.get(key);
      if (!mask) {
        mask = segmenter.segment(c.sources[i]!, { signal: c.engine.signal }).then((m) => keepMainRegions(m));
        byContent.set(key, mask);
      }
      return mask;
    };
    const masks = await Promise.all(wanted.map(maskOf));
    wanted.forEach((i, k) => c.masks.set(i, masks[k]!));
    const scene = c.masks.get(c.plan.scene);
    if (scene) for (const canvas of c.canvases) canvas.subject = scene;
  },
};
