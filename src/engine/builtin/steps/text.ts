import { applied, editsOf } from '../context.js';
import type { Step } from '../pipeline.js';
import { applyTextEdits, type TextEdit, type TextEditOutcome } from '../text/index.js';

/**
 * Text replacement, removal and addition on the final frame (so new letters are set at the output's
 * resolution): read with OCR, erase the old glyphs, write the new ones to match. Text that is not
 * found is a warning naming it; the request still completes.
 */
export const text: Step = {
  name: 'text',
  weight: 3,
  async run(c) {
    const edits = editsOf(c, 'replace_text', 'remove_text', 'add_text');
    if (!edits.length) return;
    const asked: TextEdit[] = edits.map((e) =>
      e.kind === 'replace_text'
        ? { kind: 'replace_text', from: e.params.from, to: e.params.to, case: e.params.case }
        : e.kind === 'remove_text'
          ? { kind: 'remove_text', text: e.params.text }
          : { kind: 'add_text', text: e.params.text, position: e.params.position },
    );
    let outcomes: TextEditOutcome[] = [];
    c.canvases = await Promise.all(
      c.canvases.map(async (canvas, i) => {
        const result = await applyTextEdits(canvas.image, asked, { signal: c.engine.signal });
        if (i === 0) outcomes = result.outcomes;
        return { ...canvas, image: result.image };
      }),
    );
    outcomes.forEach((o, k) => {
      const e = edits[k]!;
      if (o.applied) applied(c, e, { ...e.params, boxes: o.boxes });
      // An applied edit may still carry a warning (found, but not editable everywhere).
      if (o.warning) c.warnings.push(o.warning);
      else if (!o.applied) c.warnings.push(`'${e.text ?? e.kind}' was not applied`);
    });
  },
};
