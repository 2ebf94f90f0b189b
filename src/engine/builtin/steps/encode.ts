import type { Step } from '../pipeline.js';
import { fromRaster } from '../raster.js';

export const JPEG_QUALITY = 92;

/** JPEG, unless the image carries transparency (a removed background): then PNG. */
export const encode: Step = {
  name: 'encode',
  weight: 2,
  async run(c) {
    c.outputs = await Promise.all(
      c.canvases.map(async (canvas) => {
        const withAlpha = canvas.channels === 4;
        const image = fromRaster(canvas);
        const data = withAlpha
          ? await image.png({ compressionLevel: 6, adaptiveFiltering: false }).toBuffer()
          : await image.jpeg({ quality: JPEG_QUALITY, chromaSubsampling: '4:4:4' }).toBuffer();
        return { data, format: withAlpha ? ('png' as const) : ('jpeg' as const), width: canvas.width, height: canvas.height };
      }),
    );
  },
};
