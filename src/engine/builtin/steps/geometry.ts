import { applied, editsOf } from '../context.js';
import { crop, flip, rotate, subjectCrop, zoom } from '../ops/geometry.js';
import type { Step } from '../pipeline.js';

/** Rotations, flips, zooms and crops to the subject, in the order the prompt gave them. */
export const geometry: Step = {
  name: 'geometry',
  weight: 1,
  async run(c) {
    const edits = editsOf(c, 'rotate', 'flip', 'zoom', 'crop_subject');
    if (!edits.length) return;
    let cropped = true;
    c.canvases = await Promise.all(
      c.canvases.map(async (canvas) => {
        let out = canvas;
        for (const e of edits) {
          c.engine.signal.throwIfAborted();
          if (e.kind === 'rotate') out = await rotate(out, e.params.degrees);
          else if (e.kind === 'flip') out = await flip(out, e.params.direction);
          else if (e.kind === 'zoom') out = await zoom(out, e.params.factor);
          else {
            const box = subjectCrop(out, e.params.margin);
            if (box) out = await crop(out, box);
            else cropped = false;
          }
        }
        return out;
      }),
    );
    for (const e of edits) {
      if (e.kind === 'crop_subject' && !cropped) c.warnings.push(`no subject was found to crop to: '${e.text ?? 'crop to the subject'}' was not applied`);
      else applied(c, e);
    }
  },
};
