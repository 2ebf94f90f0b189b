import type { Step } from '../pipeline.js';
import { fromRaster } from '../raster.js';

export const JPEG_QUALITY = 92;

/** JPEG, unless the image carries transparency (a removed background): then PNG. */
export const encode: Step = {
  name: 'encode',
  weight: 2,
  async run(c) {
    c.outputs = await Promise.all(
      c.canvases.map(async ({ image }) => {
        const withAlpha = image.channels === 4;
        const pipeline = fromRaster(image);
        const data = withAlpha
          ? await pipeline.png({ compressionLevel: 6, adaptiveFiltering: false }).toBuffer()
          : await pipeline.jpeg({ quality: JPEG_QUALITY, chromaSubsampling: '4:4:4' }).toBuffer();
        return { data, format: withAlpha ? ('png' as const) : ('jpeg' as const), width: image.width, height: image.height };
      }),
    );
  },
};
