import type { PipelineContext } from '../context.js';
import type { Step } from '../pipeline.js';
import { decode, type Raster } from '../raster.js';

/**
 * Decodes the references upright, in sRGB, 8 bits per channel. Transparent references are
 * flattened onto white, as viewers show them; transparency in an output comes only from an edit
 * that asks for it (a removed background). The scene becomes the first canvas.
 */
export const load: Step = {
  name: 'load',
  weight: 1,
  async run(c) {
    c.sources = await (c.decoding ?? decodeAll(c));
    const scene = c.sources[c.plan.scene] ?? c.sources[0];
    c.canvases = scene ? [{ image: scene, strength: 1, variant: 0 }] : [];
  },
};

export function decodeAll(c: PipelineContext): Promise<Raster[]> {
  return Promise.all(c.request.images.map((image) => decode(image.data, { flatten: true })));
}
