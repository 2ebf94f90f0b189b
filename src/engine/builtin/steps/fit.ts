import { fitRaster } from '../fit.js';
import { centroid } from '../ops/mask.js';
import type { Step } from '../pipeline.js';
import { extractRaster } from '../raster.js';

/**
 * Every output is exactly the requested size. Crops keep the subject when it is known; the images
 * of a set are framed a little differently (a closer crop for each further variant).
 */
export const fit: Step = {
  name: 'fit',
  weight: 3,
  async run(c) {
    const { width, height } = c.request;
    c.canvases = await Promise.all(
      c.canvases.map(async (canvas) => {
        const focus = canvas.subject ? centroid(canvas.subject) : undefined;
        let image = canvas.image;
        if (canvas.variant > 0 && c.plan.count > 1) {
          // Tighter framing per variant, around the subject (or the middle).
          const f = 1 + 0.1 * canvas.variant;
          const cw = Math.round(image.width / f);
          const ch = Math.round(image.height / f);
          const cx = (focus?.x ?? 0.5) * image.width;
          const cy = (focus?.y ?? 0.5) * image.height;
          const left = Math.min(image.width - cw, Math.max(0, Math.round(cx - cw / 2)));
          const top = Math.min(image.height - ch, Math.max(0, Math.round(cy - ch / 2)));
          image = await extractRaster(image, { left, top, width: cw, height: ch });
        }
        return { ...canvas, image: await fitRaster(image, width, height, { focus }), subject: undefined };
      }),
    );
  },
};
