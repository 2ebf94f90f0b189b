// The requests of the gallery: each a title, the inputs (sample photo names, or functions making a
// picture), the prompt, the size and the scale.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const PHOTOS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test/fixtures/photos');

/** The horse silhouette on grass: a second reference with a clear subject. */
const horseOnGrass = async () => {
  const grass = await sharp(path.join(PHOTOS, 'grass.png')).resize(800, 656).toColourspace('srgb').tint('#6a8f3a').toBuffer();
  const horse = await sharp(path.join(PHOTOS, 'horse.png')).resize(800, 656).toBuffer();
  return sharp(grass).composite([{ input: horse }]).png().toBuffer();
};

export const CASES = [
  { title: 'Tone: brighter and warmer', inputs: ['coffee.png'], prompt: 'make it brighter and warmer', size: '2048x2048(1:1)' },
  { title: 'Black and white with more contrast', inputs: ['astronaut.png'], prompt: 'black and white, with more contrast', size: '2048x2048(1:1)' },
  { title: 'Vintage film look', inputs: ['coffee.png'], prompt: 'give it a vintage film look', size: '2496x1664(3:2)' },
  { title: 'Strength follows scale (0.2)', inputs: ['chelsea.png'], prompt: 'make it more vivid and add a vignette', size: '2304x1728(4:3)', scale: 0.2 },
  { title: 'Strength follows scale (0.9)', inputs: ['chelsea.png'], prompt: 'make it more vivid and add a vignette', size: '2304x1728(4:3)', scale: 0.9 },
  { title: 'Remove the background (PNG with alpha)', inputs: ['astronaut.png'], prompt: 'remove the background', size: '2048x2048(1:1)' },
  { title: 'Portrait mode', inputs: ['astronaut.png'], prompt: 'blur the background', size: '2048x2048(1:1)' },
  { title: 'Replace the background with another reference', inputs: ['astronaut.png', 'coffee.png'], prompt: 'replace the background with image 2', size: '2048x2048(1:1)' },
  { title: "The seed's own example: two references fused", inputs: ['coffee.png', 'astronaut.png'], prompt: 'A beautiful girl is sitting on the boat', size: '2048x2048(1:1)' },
  { title: 'Fusion placed where the prompt says', inputs: ['brick.png', horseOnGrass], prompt: 'put the horse from image 2 on the right, smaller', size: '2560x1440(16:9)' },
  { title: 'Rotate a few degrees, edges filled', inputs: ['chelsea.png'], prompt: 'rotate it 12 degrees clockwise', size: '2304x1728(4:3)' },
  { title: 'Crop to the subject', inputs: ['astronaut.png'], prompt: 'crop to the subject', size: '2048x2048(1:1)' },
  { title: 'An image set', inputs: ['coffee.png'], prompt: 'three variations, warmer', size: '1024x1024(1:1)' },
  { title: 'Widest size, structure-aware fit', inputs: ['astronaut.png'], prompt: 'sharpen it a little', size: '6198x2656(21:9)' },
  { title: 'What it cannot do is said, not hidden', inputs: ['astronaut.png'], prompt: 'make her smile and give her a red hat, then make it brighter', size: '1024x1024(1:1)' },
];
