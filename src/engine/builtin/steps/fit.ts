import type { Step } from '../pipeline.js';
import { fitRaster } from '../fit.js';

/** Every output is exactly the requested size. */
export const fit: Step = {
  name: 'fit',
  weight: 4,
  async run(c) {
    const { width, height } = c.request;
    c.canvases = await Promise.all(c.canvases.map((canvas) => fitRaster(canvas, width, height)));
  },
};
