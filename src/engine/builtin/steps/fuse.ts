import { applied, editsOf, type Canvas } from '../context.js';
import { boundingBox } from '../ops/mask.js';
import { cutOut, layout, paste } from '../ops/place.js';
import { cutsBadly, readPicture } from '../ops/roles.js';
import type { Step } from '../pipeline.js';

/** Tone strength of each image of a set, in order: the nominal edit first, then around it. */
const VARIANT_STRENGTH = [1, 0.7, 1.3, 0.85, 1.15, 0.55, 1.45, 0.75, 1.25, 0.9, 1.1, 0.6, 1.4, 0.8];

/**
 * Builds the canvases: the subjects of the other references placed into the scene, once per image
 * of the set (each set member varies the layout and the strength). Without placements, the set's
 * members start from the same scene.
 */
export const fuse: Step = {
  name: 'fuse',
  weight: 3,
  async run(c) {
    const base = c.canvases[0];
    if (!base) return;
    const count = Math.max(1, c.plan.count);
    const strengths = Array.from({ length: count }, (_, v) => VARIANT_STRENGTH[v % VARIANT_STRENGTH.length]!);
    const placements = editsOf(c, 'place');
    if (!placements.length) {
      c.canvases = strengths.map((strength, variant): Canvas => ({ ...base, strength, variant }));
      return;
    }

    const cuts = await Promise.all(
      placements.map(async (e) => {
        const source = c.sources[e.params.source];
        const mask = c.masks.get(e.params.source);
        if (!source || !mask) return undefined;
        const bad = cutsBadly(readPicture(source, mask));
        if (bad) c.warnings.push(`the subject of image ${e.params.source + 1} could not be cut out cleanly (${bad}), so it was placed with a soft, faded edge`);
        return cutOut(source, mask, bad !== undefined);
      }),
    );
    const usable = placements.map((e, i) => ({ e, cut: cuts[i] })).filter((p) => p.cut);
    for (const { e } of placements.map((e, i) => ({ e, cut: cuts[i] })).filter((p) => !p.cut)) {
      c.warnings.push(`no subject was found in image ${e.params.source + 1}, so nothing was placed from it`);
    }
    const sceneMask = c.masks.get(c.plan.scene);
    await c.looking;
    // The scene's main object: from its full mask when one was made, else from the quick look.
    const sceneSubject = sceneMask ? boundingBox(sceneMask) : c.glances.get(c.plan.scene)?.box;
    // Low scale keeps a reference faithful; high scale adapts it to the scene's light.
    const harmony = Math.min(1, 0.45 * c.factor);

    c.canvases = [];
    for (let variant = 0; variant < count; variant++) {
      c.engine.signal.throwIfAborted();
      const slots = layout(
        base.image,
        usable.map(({ e, cut }) => ({ aspect: cut!.aspect, size: e.params.size, position: e.params.position, anchor: e.params.anchor, cutAtBottom: cut!.cutAtBottom })),
        sceneSubject,
        variant,
      );
      let image = base.image;
      // Behind the scene's subject first, then the rest, nearer ones (lower on the frame) last.
      const order = usable.map((p, i) => ({ ...p, slot: slots[i]! })).sort((a, b) => Number(b.slot.behind) - Number(a.slot.behind) || a.slot.box.top + a.slot.box.height - (b.slot.box.top + b.slot.box.height));
      for (const { cut, slot } of order) {
        image = await paste(image, cut!, slot.box, harmony, slot.behind ? sceneMask : undefined);
      }
      c.canvases.push({ image, subject: base.subject, strength: strengths[variant]!, variant });
      if (variant === 0) for (const { e, slot } of order) applied(c, e, { ...e.params, box: slot.box });
    }
  },
};
